"""Every method of the workers' client against a real `league serve`: the wire models agree.

The server validates its answers with the models it declares; the client validates them again
with the same classes. Here each endpoint is called once over TCP and must come back as its model.
"""

from __future__ import annotations

from league.core.schemas import (
    Health,
    JobAssignment,
    JobStats,
    LeaderboardRow,
    MatchSummary,
    MetricsStored,
    NewToken,
    Opponent,
    OpponentChoice,
    Page,
    Registered,
    ReportOutcome,
    SnapshotInfo,
    TokenInfo,
)
from league.workers.client import LeagueClient
from tests.support.app_client import debug_config, synthetic_result, weights_for
from tests.support.live_server import running_server

ADMIN = "client-live-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


def test_every_client_method_returns_its_wire_model_from_a_real_server(tmp_path):
    config = debug_config()
    meta = {"agent": "live-run", "kind": "dreamer", "config": config, "step": 100}
    with running_server(tmp_path / "league", ADMIN) as server, LeagueClient(server.url, ADMIN) as admin:
        health = admin.check_compatible()
        assert isinstance(health, Health) and health.database == "ok" and health.schema_version

        made = admin.create_token("live-worker", "worker")
        assert isinstance(made, NewToken) and made.token.role == "worker" and made.plaintext

        registered = admin.register_opponent(meta, weights_for(config, seed=1))
        assert isinstance(registered, Registered) and registered.created
        again = admin.register_opponent(meta, weights_for(config, seed=1))  # the same tensors: the same snapshot
        assert again.model_copy(update={"message": ""}) == registered.model_copy(update={"created": False})
        assert "live-run@100" in again.message

        opponent = admin.get_opponent(registered.id)
        assert isinstance(opponent, Opponent) and opponent.name == "live-run@100" and opponent.games == 0

        listed = admin.list_opponents(kind="dreamer")
        assert isinstance(listed, Page) and [item.id for item in listed.items] == [registered.id]
        assert all(isinstance(item, SnapshotInfo) for item in listed.items)

        choices = admin.sample_opponents(registered.id, n=3)
        assert len(choices) == 3 and all(isinstance(choice, OpponentChoice) for choice in choices)

        board = admin.leaderboard()
        assert {row.kind for row in board} == {"basic_weak", "basic_strong", "dreamer"}
        assert all(isinstance(row, LeaderboardRow) for row in board)

        with LeagueClient(server.url, made.plaintext) as worker:
            job = worker.claim_job()
            assert isinstance(job, JobAssignment) and job.worker == "live-worker"
            beat = worker.heartbeat(job.job_id, job.lease_id)
            assert isinstance(beat, JobAssignment) and beat.lease_expires_at >= job.lease_expires_at
            outcome = worker.report_result(job.job_id, synthetic_result(job.model_dump(mode="json")))
            assert isinstance(outcome, ReportOutcome) and not outcome.duplicate and outcome.match.state == "done"

            second = worker.claim_job()
            assert second is not None
            released = worker.release_job(second.job_id, second.lease_id)
            assert isinstance(released, MatchSummary) and released.state == "queued"

        stats = admin.job_stats()
        assert isinstance(stats, JobStats) and stats.counts["done"] == 1
        assert [seen.name for seen in stats.workers] == ["live-worker"]

        done = admin.list_matches(state="done")
        assert isinstance(done, Page) and [match.id for match in done.items] == [job.job_id]

        stored = admin.post_metrics("live-run", [{"step": 1, "values": {"loss": 0.5, "win_rate": 0.25}}])
        assert stored == MetricsStored(stored=2)

        retired = admin.set_opponent_active(registered.id, False)
        assert isinstance(retired, SnapshotInfo) and retired.active is False

        revoked = admin.revoke_token(made.token.id)
        assert isinstance(revoked, TokenInfo) and revoked.revoked_at is not None
