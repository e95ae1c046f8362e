"""The workers' HTTP client against a real (scripted) HTTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from league.core.schemas import (
    Claim,
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
    PlannedGame,
    Registered,
    ReportOutcome,
    SnapshotInfo,
    TokenInfo,
    WorkerInfo,
)
from league.hockey.version import GAME_VERSION
from league.workers.client import (
    AuthenticationError,
    Conflict,
    IncompatibleServer,
    LeagueClient,
    RequestRejected,
    RetryPolicy,
    ServerError,
    ServerUnreachable,
    UnexpectedAnswer,
)
from tests.support.scripted_server import ScriptedServer, wire

# -- one answer of each wire model, as a league server sends it ---------------------------------------

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
INFO = SnapshotInfo(id=3, name="run@100", agent="run", owner="alice", kind="dreamer", step=100, config={"depth": 2}, notes="",
                    sha256="ab" * 32, size=1000, game_version=GAME_VERSION, active=True, created_at=NOW)
OTHER = INFO.model_copy(update={"id": 4, "name": "run@200", "step": 200, "sha256": "cd" * 32})
HEALTH = Health(status="ok", database="ok", schema_version="0001", game_version=GAME_VERSION)
JOB = JobAssignment(job_id=7, lease_id="lease-7", attempt=1, worker="w1", lease_expires_at=NOW,
                    snapshot_a=INFO.ref(), snapshot_b=OTHER.ref(),
                    games=[PlannedGame(index=i, seed=10 + i, one_starting=i == 0, a_is_player_one=i == 0)
                           for i in range(2)])
MATCH = MatchSummary(id=7, state="done", snapshot_a_id=3, snapshot_b_id=4, snapshot_a_name="run@100",
                     snapshot_b_name="run@200", n_games=2, reason="pfsp", a_score=1.5, worker="w1", attempts=1,
                     created_at=NOW, started_at=NOW, finished_at=NOW)
OUTCOME = ReportOutcome(job_id=7, duplicate=False, match=MATCH)
ROW = LeaderboardRow(rank=1, snapshot_id=3, name="run@100", agent="run", agent_id=1, owner="alice", kind="dreamer", mu=27.0,
                     sigma=5.0, score=12.0, games=4, wins=2, draws=1, losses=1, forfeits=0, provisional=True,
                     active=True, last_played_at=NOW)
OPPONENT = Opponent(**INFO.model_dump(), rank=1, mu=27.0, sigma=5.0, score=12.0, provisional=True, games=4,
                    wins=2, draws=1, losses=1, forfeits=0)
CHOICE = OpponentChoice(snapshot=OTHER, source="pfsp", win_rate=0.25, weight=0.5)
TOKEN = TokenInfo(id=5, name="box", user="admin", role="worker", prefix="lg_abcd", created_at=NOW, revoked_at=None)
STATS = JobStats(counts={"queued": 2, "done": 9}, workers=[WorkerInfo(name="w1", first_seen_at=NOW,
                                                                      last_seen_at=NOW, jobs_done=9)])

# (client call, method, path, the server's answer, what the call returns)
ENDPOINTS = [
    (lambda c: c.health(), "GET", "/api/health", HEALTH, HEALTH),
    (lambda c: c.check_compatible(), "GET", "/api/health", HEALTH, HEALTH),
    (lambda c: c.claim_job(), "POST", "/api/jobs/claim", Claim(job=JOB), JOB),
    (lambda c: c.heartbeat(7, "lease-7"), "POST", "/api/jobs/7/heartbeat", JOB, JOB),
    (lambda c: c.report_result(7, {"games": []}), "POST", "/api/jobs/7/result", OUTCOME, OUTCOME),
    (lambda c: c.release_job(7, "lease-7"), "POST", "/api/jobs/7/release", MATCH, MATCH),
    (lambda c: c.register_opponent({"agent": "run"}, b"w"), "POST", "/api/opponents",
     Registered(id=3, sha256=INFO.sha256, created=True, opponent=INFO),
     Registered(id=3, sha256=INFO.sha256, created=True, opponent=INFO)),
    (lambda c: c.get_opponent(3), "GET", "/api/opponents/3", OPPONENT, OPPONENT),
    (lambda c: c.list_opponents(agent="run"), "GET", "/api/opponents",
     Page[SnapshotInfo](items=[INFO, OTHER], total=2, offset=0, limit=100),
     Page[SnapshotInfo](items=[INFO, OTHER], total=2, offset=0, limit=100)),
    (lambda c: c.set_opponent_active(3, False), "PATCH", "/api/opponents/3", INFO, INFO),
    (lambda c: c.sample_opponents(3), "GET", "/api/opponents/sample", [CHOICE], [CHOICE]),
    (lambda c: c.leaderboard(), "GET", "/api/leaderboard", [ROW], [ROW]),
    (lambda c: c.job_stats(), "GET", "/api/jobs/stats", STATS, STATS),
    (lambda c: c.list_matches(limit=5), "GET", "/api/matches",
     Page[MatchSummary](items=[MATCH], total=1, offset=0, limit=5),
     Page[MatchSummary](items=[MATCH], total=1, offset=0, limit=5)),
    (lambda c: c.post_metrics("run", []), "POST", "/api/agents/run/metrics", MetricsStored(stored=0),
     MetricsStored(stored=0)),
    (lambda c: c.create_token("box", "worker"), "POST", "/api/tokens", NewToken(token=TOKEN, plaintext="lg_x"),
     NewToken(token=TOKEN, plaintext="lg_x")),
    (lambda c: c.revoke_token(5), "POST", "/api/tokens/5/revoke", TOKEN, TOKEN),
]
ENDPOINT_IDS = [f"{method} {path} ({index})" for index, (_, method, path, _, _) in enumerate(ENDPOINTS)]


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


def _client(url, token="secret", attempts=4, **kwargs):
    waits: list[float] = []
    client = LeagueClient(url, token, retry=RetryPolicy(attempts=attempts), sleep=waits.append, **kwargs)
    return client, waits


def test_get_is_retried_on_5xx_with_growing_backoff(server):
    server.script["/api/leaderboard"] = [(503, {"detail": "busy"}), (500, {"detail": "oops"}), (200, wire([ROW]))]
    client, waits = _client(server.url)
    assert client.leaderboard() == [ROW]
    assert len(server.requests) == 3
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_bearer_token_is_sent(server):
    server.script["/api/leaderboard"] = [(200, [])]
    client, _ = _client(server.url, token="tok-123")
    client.leaderboard()
    assert server.requests[0][2]["Authorization"] == "Bearer tok-123"


def test_non_idempotent_claim_is_not_retried_on_5xx(server):
    server.script["/api/jobs/claim"] = [(500, {"detail": "database exploded"}), (200, wire(Claim(job=JOB)))]
    client, _ = _client(server.url)
    with pytest.raises(ServerError, match="500 database exploded|server error 500"):
        client.claim_job()
    assert len(server.requests) == 1


def test_result_report_is_retried_on_5xx(server):
    server.script["/api/jobs/7/result"] = [(502, b"<html>bad gateway</html>"), (200, wire(OUTCOME))]
    client, _ = _client(server.url)
    assert client.report_result(7, {"games": []}) == OUTCOME
    assert len(server.requests) == 2


def test_empty_queue_claim_returns_none(server):
    server.script["/api/jobs/claim"] = [(200, {"job": None})]
    client, _ = _client(server.url)
    assert client.claim_job() is None


def test_unreachable_server_raises_after_all_attempts():
    client, waits = _client("http://127.0.0.1:9", attempts=3)  # port 9 (discard): nothing listens
    with pytest.raises(ServerUnreachable, match=r"cannot connect to http://127.0.0.1:9 .*after 3 tries"):
        client.health()
    assert len(waits) == 2


def test_connection_errors_are_retried_even_for_a_claim():
    client, waits = _client("http://127.0.0.1:9", attempts=2)
    with pytest.raises(ServerUnreachable):
        client.claim_job()
    assert len(waits) == 1


def test_wrong_token_is_a_clear_authentication_error_without_retry(server):
    server.script["/api/jobs/claim"] = [(401, {"detail": "invalid or revoked token"})]
    client, waits = _client(server.url)
    with pytest.raises(AuthenticationError) as caught:
        client.claim_job()
    assert "invalid or revoked token" in str(caught.value) and "--token" in str(caught.value)
    assert caught.value.status_code == 401 and waits == []


def test_validation_errors_are_flattened_to_one_line(server):
    detail = [{"loc": ["body", "games", 0, "winner"], "msg": "Input should be -1, 0 or 1", "type": "x"}]
    server.script["/api/jobs/3/result"] = [(422, {"detail": detail})]
    client, _ = _client(server.url)
    with pytest.raises(RequestRejected, match=r"422 games\.0\.winner: Input should be -1, 0 or 1"):
        client.report_result(3, {"games": [{"winner": 5}]})


def test_conflict_is_its_own_error(server):
    server.script["/api/jobs/3/heartbeat"] = [(409, {"detail": "job 3 is leased to another worker"})]
    client, _ = _client(server.url)
    with pytest.raises(Conflict, match="leased to another worker"):
        client.heartbeat(3, "lease-3")


def test_read_timeout_is_retried_for_reads(server):
    server.script["/api/leaderboard"] = [(200, [])]
    server.delay = 0.5
    client, waits = _client(server.url, attempts=2, timeout=httpx.Timeout(0.1))
    with pytest.raises(ServerUnreachable, match="ReadTimeout"):
        client.leaderboard()
    assert len(server.requests) == 2 and len(waits) == 1


def test_compatible_server_passes_the_version_check(server):
    server.script["/api/health"] = [(200, wire(HEALTH.model_copy(update={"game_version": "2.6+league.1"})))]
    client, _ = _client(server.url)
    assert client.check_compatible("2.6+league.1").status == "ok"


def test_other_game_version_is_incompatible(server):
    server.script["/api/health"] = [(200, wire(HEALTH.model_copy(update={"game_version": "2.5+league.9"})))]
    client, _ = _client(server.url)
    with pytest.raises(IncompatibleServer, match="plays game version 2.5\\+league.9, this worker plays 2.6"):
        client.check_compatible("2.6+league.1")


def test_a_server_that_is_not_a_league_server_is_incompatible(server):
    server.script["/api/health"] = [(200, b"<html>hello</html>")]
    client, _ = _client(server.url)
    with pytest.raises(IncompatibleServer, match="not JSON"):
        client.check_compatible("2.6+league.1")
    server.script["/api/health"] = [(404, b"not found")]
    with pytest.raises(IncompatibleServer, match="no /api/health"):
        client.check_compatible("2.6+league.1")


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x", ""])
def test_bad_server_urls_are_refused(url):
    with pytest.raises(ValueError, match="must start with http"):
        LeagueClient(url)


def test_trailing_slash_and_api_suffix_are_accepted(server):
    server.script["/api/leaderboard"] = [(200, [])]
    client, _ = _client(server.url + "/api/")
    assert client.leaderboard() == []


# -- typed answers: every endpoint returns its wire model and refuses any other shape -----------------


@pytest.mark.parametrize("call,method,path,answer,expected", ENDPOINTS, ids=ENDPOINT_IDS)
def test_every_endpoint_returns_the_model_the_server_answers_with(server, call, method, path, answer, expected):
    server.script[path] = [(201 if method == "POST" else 200, wire(answer))]
    client, _ = _client(server.url)
    returned = call(client)
    assert returned == expected
    assert type(returned) is type(expected)
    assert [(m, p.split("?")[0]) for m, p, _, _ in server.requests] == [(method, path)]


@pytest.mark.parametrize("call,method,path,answer,expected", ENDPOINTS, ids=ENDPOINT_IDS)
def test_an_answer_of_another_shape_is_a_clear_error_naming_the_endpoint(server, call, method, path, answer,
                                                                         expected):
    server.script[path] = [(200, {"unexpected": "shape"})]
    client, _ = _client(server.url)
    with pytest.raises(UnexpectedAnswer) as caught:
        call(client)
    assert caught.value.endpoint == f"{method} {path}"
    assert str(caught.value).startswith(f"{method} {path}: the answer is not what a league server")
    assert isinstance(caught.value, IncompatibleServer)  # commands report it like a server of another version


@pytest.mark.parametrize("path,answer,call", [
    ("/api/jobs/claim", wire(JOB), lambda c: c.claim_job()),  # the bare job, not {"job": ...}
    ("/api/jobs/claim", b"", lambda c: c.claim_job()),  # an empty answer
    ("/api/leaderboard", {"rows": wire([ROW])}, lambda c: c.leaderboard()),
    ("/api/opponents/sample", {"opponents": wire([CHOICE])}, lambda c: c.sample_opponents(3)),
    ("/api/opponents/sample", wire([OTHER]), lambda c: c.sample_opponents(3)),  # snapshots, not choices
])
def test_shapes_other_than_the_one_the_server_sends_are_refused(server, path, answer, call):
    server.script[path] = [(200, answer)]
    client, _ = _client(server.url)
    with pytest.raises(UnexpectedAnswer):
        call(client)


def test_the_error_says_which_fields_are_wrong(server):
    job = wire(JOB)
    del job["lease_id"]
    job["games"][0]["seed"] = "seven"
    server.script["/api/jobs/claim"] = [(200, {"job": job})]
    client, _ = _client(server.url)
    with pytest.raises(UnexpectedAnswer, match=r"job\.lease_id: Field required; job\.games\.0\.seed: Input should"):
        client.claim_job()


def test_a_health_answer_without_a_game_version_is_not_a_league_server(server):
    server.script["/api/health"] = [(200, {"status": "ok"})]
    client, _ = _client(server.url)
    with pytest.raises(IncompatibleServer, match=r"GET /api/health: .*game_version: Field required"):
        client.check_compatible("2.6+league.1")
