"""Tournaments in the core: scheduled, played by the match runner ahead of league matches, paused,
resumed, finished, exported and reproduced; unrated ones leave the league's ratings alone."""

from __future__ import annotations

import csv
import io
import json

import pytest

from league.core.errors import Conflict, Forbidden, InvalidInput
from league.core.jobs import claim_job, report_result
from league.core.kinds import build_policy
from league.core.leaderboard import leaderboard
from league.core.matchmaking import create_match
from league.core.registration import register_snapshot
from league.core.settings import Settings
from league.core.snapshots import get_weights
from league.core.tournament_results import export_tournament, tournament_detail, tournament_games
from league.core.tournaments import create_tournament, list_tournaments, set_state
from league.core.users import Actor, create_user
from league.workers.runner import play_job
from tests.support.league_helpers import TINY_CONFIG, add_dreamer, result_for, tiny_weights

QUIET = Settings(queue_target=0)


def _basics(session):
    return {row.kind: row.snapshot_id for row in leaderboard(session) if row.kind != "dreamer"}


def _pool(session):
    basics = _basics(session)
    dreamer = add_dreamer(session)
    return [basics["basic_weak"], basics["basic_strong"], dreamer.id]


def _play_one(session, worker="w"):
    """Claim the next job and play it with seeded (deterministic) policies; the job, or None."""
    job = claim_job(session, worker, settings=QUIET)
    if job is None:
        return None

    def load(ref):
        return build_policy(ref, get_weights(session, ref.id) if ref.kind == "dreamer" else None, seed=7)

    report_result(session, job.job_id, worker, play_job(job, load))
    return job


def _results_by_game(session, tournament_id):
    return {(g.seed, g.snapshot_a_id, g.snapshot_b_id, g.player_one_id, g.one_starting): g.result_a
            for g in tournament_games(session, tournament_id)}


@pytest.mark.slow
def test_a_tournament_is_played_ahead_of_the_league_paused_resumed_finished_and_reproduced(session):
    ids = _pool(session)
    league_match = create_match(session, ids[0], ids[1], n_games=2)  # queued before the tournament
    made = create_tournament(session, name="term final", participants=ids, format="round_robin",
                             games_per_pair=4, seed=1234)
    assert (made.state, made.games_played, made.games_total, made.participants) == ("running", 0, 12, 3)

    first = _play_one(session)
    assert first.job_id != league_match.id  # the tournament's match goes first
    assert tournament_detail(session, made.id).games_played == 4

    assert set_state(session, made.id, "pause").state == "paused"
    paused_job = _play_one(session)
    assert paused_job.job_id == league_match.id  # only the league match is handed out
    assert claim_job(session, "w", settings=QUIET) is None
    with pytest.raises(Conflict, match="paused"):
        set_state(session, made.id, "pause")

    assert set_state(session, made.id, "resume").state == "running"
    while _play_one(session) is not None:
        pass
    detail = tournament_detail(session, made.id)
    assert (detail.state, detail.games_played, detail.games_total) == ("done", 12, 12)
    assert sum(s.score for s in detail.standings) == 12
    assert [s.score for s in detail.standings] == sorted((s.score for s in detail.standings), reverse=True)
    for standing in detail.standings:
        assert standing.wins + standing.draws + standing.losses == standing.games == 8
        assert standing.estimate_low <= standing.estimate <= standing.estimate_high
    order = [s.snapshot_id for s in detail.standings]
    for row in detail.crosstable:
        for column, cell in zip(order, row.cells, strict=True):
            if column == row.snapshot_id:
                assert cell is None
            else:
                mirror = detail.crosstable[order.index(column)].cells[order.index(row.snapshot_id)]
                assert cell.games == 4 and cell.score + mirror.score == 4
    with pytest.raises(Conflict, match="done"):
        set_state(session, made.id, "cancel")

    standings_csv = list(csv.DictReader(io.StringIO(export_tournament(session, made.id, "csv"))))
    assert [int(r["snapshot_id"]) for r in standings_csv] == order
    assert float(standings_csv[0]["score"]) == detail.standings[0].score
    games_csv = list(csv.DictReader(io.StringIO(export_tournament(session, made.id, "csv", "games"))))
    assert len(games_csv) == 12 and {r["result_a"] for r in games_csv} <= {"win", "draw", "loss"}
    exported = json.loads(export_tournament(session, made.id, "json"))
    assert exported["standings"][0]["snapshot_id"] == order[0] and len(exported["games"]) == 12

    again = create_tournament(session, name="replay", participants=list(reversed(ids)), format="round_robin",
                              games_per_pair=4, seed=1234, rated=False)
    while _play_one(session) is not None:
        pass
    assert _results_by_game(session, again.id) == _results_by_game(session, made.id)
    assert [t.id for t in list_tournaments(session)] == [again.id, made.id]


def test_seeds_follow_the_tournament_seed_not_the_listing_order(session):
    ids = _pool(session)
    one = create_tournament(session, name="a", participants=ids, games_per_pair=2, seed=5)
    two = create_tournament(session, name="b", participants=[ids[2], ids[0], ids[1]], games_per_pair=2, seed=5)
    three = create_tournament(session, name="c", participants=ids, games_per_pair=2, seed=6)

    jobs = []
    while (job := claim_job(session, "w", settings=QUIET)) is not None:
        jobs.append(job)
    by_tournament: dict[int, list] = {}
    details = {t.id: {m.id for m in tournament_detail(session, t.id).matches} for t in (one, two, three)}
    for job in jobs:
        owner = next(t for t, matches in details.items() if job.job_id in matches)
        by_tournament.setdefault(owner, []).append(
            (job.snapshot_a.id, job.snapshot_b.id, [(g.seed, g.one_starting, g.a_is_player_one) for g in job.games]))
    assert by_tournament[one.id] == by_tournament[two.id]
    assert by_tournament[one.id] != by_tournament[three.id]
    for _a, _b, games in by_tournament[one.id]:
        (seed_1, start_1, a_one_1), (seed_2, start_2, a_one_2) = games
        assert seed_1 == seed_2 and start_1 == start_2 and a_one_1 != a_one_2  # a mirrored pair


def test_an_unrated_tournament_leaves_the_ratings_alone_a_rated_one_does_not(session):
    ids = _pool(session)
    before = {row.snapshot_id: (row.mu, row.games) for row in leaderboard(session)}
    unrated = create_tournament(session, name="friendly", participants=ids[:2], games_per_pair=2, seed=1,
                                rated=False)
    job = claim_job(session, "w", settings=QUIET)
    report_result(session, job.job_id, "w", result_for(job, [1, 1]))
    assert {row.snapshot_id: (row.mu, row.games) for row in leaderboard(session)} == before
    assert tournament_detail(session, unrated.id).state == "done"
    create_tournament(session, name="rated", participants=ids[:2], games_per_pair=2, seed=1)
    job = claim_job(session, "w", settings=QUIET)
    report_result(session, job.job_id, "w", result_for(job, [1, 1]))
    after = {row.snapshot_id: row.games for row in leaderboard(session)}
    assert after[ids[0]] == before[ids[0]][1] + 2


def test_cancel_removes_the_queued_matches_and_a_gauntlet_plays_only_its_field(session):
    ids = _pool(session)
    gauntlet = create_tournament(session, name="g", participants=[ids[2]], field=ids[:2], format="gauntlet",
                                 games_per_pair=24, seed=3)
    detail = tournament_detail(session, gauntlet.id)
    assert detail.games_total == 48 and len(detail.matches) == 6  # two pairs, matches of at most 10 games
    assert all(ids[2] in (m.snapshot_a_id, m.snapshot_b_id) for m in detail.matches)
    assert sorted(m.n_games for m in detail.matches) == [4, 4, 10, 10, 10, 10]
    leased = claim_job(session, "w", settings=QUIET)
    cancelled = set_state(session, gauntlet.id, "cancel")
    assert cancelled.state == "cancelled"
    assert [m.id for m in tournament_detail(session, gauntlet.id).matches] == [leased.job_id]
    assert claim_job(session, "w2", settings=QUIET) is None
    report_result(session, leased.job_id, "w", result_for(leased, [0] * len(leased.games)))
    after = tournament_detail(session, gauntlet.id)
    assert after.state == "cancelled" and after.games_played == 10
    with pytest.raises(Conflict, match="cancelled"):
        set_state(session, gauntlet.id, "resume")


def test_the_top_n_of_the_leaderboard(session):
    ids = _pool(session)
    top = create_tournament(session, name="top", participants={"top": 2}, games_per_pair=2, seed=0)
    board = [row.snapshot_id for row in leaderboard(session)][:2]
    assert {s.snapshot_id for s in tournament_detail(session, top.id).standings} == set(board)
    with pytest.raises(InvalidInput, match="only 3 active"):
        create_tournament(session, name="top", participants={"top": 4}, games_per_pair=2, seed=0)
    assert len(ids) == 3


@pytest.mark.parametrize("change, words", [
    ({"participants": [1, 999_999]}, "no snapshot with id 999999"),
    ({"participants": [1]}, "at least two participants"),
    ({"participants": [1, 2, 1]}, "more than once"),
    ({"games_per_pair": 0}, "even number"),
    ({"games_per_pair": 3}, "even number"),
    ({"name": " "}, "name"),
    ({"format": "swiss"}, "format must be"),
    ({"seed": -1}, "seed must be"),
    ({"format": "gauntlet", "field": [1]}, "both a participant and in the field"),
    ({"format": "gauntlet"}, "a field of at least one"),
    ({"participants": {"top": 1}}, "at least 2"),
])
def test_bad_tournaments_are_refused_and_nothing_is_queued(session, change, words):
    basics = _basics(session)
    request = {"name": "t", "participants": [basics["basic_weak"], basics["basic_strong"]],
               "format": "round_robin", "games_per_pair": 2, "seed": 1, **change}
    with pytest.raises(InvalidInput, match=words):
        create_tournament(session, **request)
    assert list_tournaments(session) == [] and claim_job(session, "w", settings=QUIET) is None


def test_a_user_makes_tournaments_of_their_own_snapshots_and_steers_only_those(session):
    basics = _basics(session)
    create_user(session, "alice")
    alice = Actor(user="alice", is_admin=False)
    mine = [register_snapshot(session, agent="alice-run", config=TINY_CONFIG, step=step, weights=tiny_weights(),
                              by=alice).snapshot.id for step in (1, 2)]
    with pytest.raises(Forbidden, match="only its own snapshots"):
        create_tournament(session, name="t", participants=[mine[0], basics["basic_weak"]], games_per_pair=2,
                          seed=1, by=alice)
    own = create_tournament(session, name="t", participants=mine, games_per_pair=2, seed=1, by=alice)
    assert own.created_by == "alice"
    league_wide = create_tournament(session, name="admin's", participants=[mine[0], basics["basic_weak"]],
                                    games_per_pair=2, seed=1)
    with pytest.raises(Forbidden, match="belongs to 'admin'"):
        set_state(session, league_wide.id, "pause", alice)
    assert set_state(session, own.id, "pause", alice).state == "paused"


def test_a_tournament_waiting_in_the_queue_does_not_stop_the_league_filling_its_own(session):
    ids = _pool(session)
    made = create_tournament(session, name="t", participants=ids, games_per_pair=2, seed=1)
    set_state(session, made.id, "pause")
    job = claim_job(session, "w", settings=Settings(queue_target=1))
    assert job is not None and job.job_id not in {m.id for m in tournament_detail(session, made.id).matches}
