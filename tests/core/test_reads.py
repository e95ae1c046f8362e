"""The league core's reads: the score and ranks, one snapshot's leaderboard line, the head-to-head
matrix, a snapshot's standing, rating series, matches and results against others, and the lineages."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from league.core.errors import NotFound
from league.core.jobs import claim_job, report_result
from league.core.leaderboard import (
    head_to_head,
    head_to_head_matrix,
    leaderboard,
    leaderboard_row,
    leaderboard_token,
    pair_counts,
    pair_record,
    rank_by_id,
)
from league.core.lineages import lineage_detail, lineages
from league.core.matches import list_matches
from league.core.matchmaking import create_match
from league.core.metrics import record_metrics
from league.core.models import Rating
from league.core.rating import MU, SIGMA, Skill, conservative_score
from league.core.read_schemas import LeagueStatus
from league.core.settings import Settings
from league.core.snapshots import get_snapshot, get_snapshot_by_name, set_active
from league.core.standings import opponent_detail, rating_series, recent_matches, snapshot_names, versus
from league.core.status import league_status
from tests.support.league_helpers import add_dreamer, result_for

QUIET = Settings(queue_target=0, games_per_match=4, lease_seconds=60, max_attempts=3)


def play(session, a_id: int, b_id: int, a_outcomes: list[int]) -> int:
    """Play a match of `a_outcomes` (from a's side) as worker w1; its id."""
    create_match(session, a_id, b_id, n_games=len(a_outcomes))
    job = claim_job(session, "w1", settings=QUIET)
    report_result(session, job.job_id, "w1", result_for(job, a_outcomes))
    return job.job_id


@pytest.fixture
def rated_pool(session):
    """Five dreamers and the two basic opponents, with a spread of ratings and two equal (unplayed) ones."""
    d = [add_dreamer(session, agent=f"run-{k % 2}", step=k) for k in range(5)]
    play(session, d[0].id, d[1].id, [1, 1, 1, 0])  # match 1
    play(session, d[2].id, d[0].id, [1, 0, 1, 1])  # match 2
    play(session, d[1].id, get_snapshot_by_name(session, "basic_weak").id, [-1, -1, 0, -1])  # match 3
    return d


def count_queries(session):
    """A list that collects the SELECT statements the session's engine runs from now on."""
    statements = []

    def collect(conn, cursor, statement, *rest):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", collect)
    return statements


def test_one_row_equals_its_line_on_the_board_rank_included(session, rated_pool):
    board = leaderboard(session)
    assert len(board) == 7 and len({row.score for row in board}) < 7  # ties are ranked by id
    for row in board:
        assert leaderboard_row(session, row.snapshot_id) == row
    agents = {row.name: (row.agent, row.agent_id) for row in board}
    assert agents["basic_weak"][0] == "builtin" and agents["run-0@0"][1] != agents["run-1@1"][1]


def test_a_retired_snapshot_gets_the_place_it_would_take_if_active(session, rated_pool):
    second = leaderboard(session)[1]
    set_active(session, second.snapshot_id, False)
    row = leaderboard_row(session, second.snapshot_id)
    assert row.rank == 2 and row.active is False
    assert [r.rank for r in leaderboard(session)] == [1, 2, 3, 4, 5, 6]
    assert leaderboard_row(session, leaderboard(session)[1].snapshot_id).rank == 2


def test_one_row_does_not_read_the_whole_board(session, rated_pool):
    target = leaderboard(session)[-1].snapshot_id
    statements = count_queries(session)
    leaderboard_row(session, target)
    assert len(statements) == 2
    assert all("LIMIT" not in s and "ORDER BY" not in s for s in statements)


def test_an_unknown_snapshot_has_no_row(session):
    with pytest.raises(NotFound, match="no snapshot with id 999"):
        leaderboard_row(session, 999)


def test_the_score_is_mu_minus_three_sigma_in_python_and_in_sql(session, rated_pool):
    assert conservative_score(30.0, 2.0) == 24.0 and Skill(30.0, 2.0).score == 24.0
    assert conservative_score(MU, SIGMA) == pytest.approx(0.0, abs=1e-12)
    in_sql = dict(session.execute(select(Rating.snapshot_id, conservative_score(Rating.mu, Rating.sigma))).all())
    board = leaderboard(session)
    for row in board:
        assert row.score == conservative_score(row.mu, row.sigma) == pytest.approx(in_sql[row.snapshot_id], rel=1e-12)
    assert [row.score for row in board] == sorted(in_sql.values(), reverse=True)


def test_ranks_are_the_places_on_the_board_read_in_one_narrow_query(session, rated_pool):
    statements = count_queries(session)
    board = leaderboard(session)
    assert len(statements) == 1
    assert rank_by_id(session) == {row.snapshot_id: row.rank for row in board}
    assert len(statements) == 2 and "ratings.mu" not in statements[1].split("FROM")[0]
    set_active(session, board[0].snapshot_id, False)
    ranks = rank_by_id(session)
    assert board[0].snapshot_id not in ranks and ranks[board[1].snapshot_id] == 1


def test_the_leaderboard_token_changes_with_ratings_and_with_the_pool(session, rated_pool):
    token = leaderboard_token(session)
    assert leaderboard_token(session) == token
    play(session, rated_pool[3].id, rated_pool[4].id, [1, 0])
    rated = leaderboard_token(session)
    assert rated != token
    set_active(session, rated_pool[3].id, False)
    assert leaderboard_token(session) != rated


def test_the_matrix_lists_active_snapshots_in_rank_order_and_each_pair_once_from_the_better_side(session, rated_pool):
    d = rated_pool
    set_active(session, d[2].id, False)
    board = leaderboard(session)
    statements = count_queries(session)
    matrix = head_to_head_matrix(session)
    assert len(statements) == 2 and any("pair_stats" in s for s in statements)
    assert matrix.ids == [row.snapshot_id for row in board]
    assert matrix.names == [row.name for row in board]
    assert d[2].id not in matrix.ids
    weak = get_snapshot_by_name(session, "basic_weak").id
    met = {frozenset((matrix.ids[row], matrix.ids[col])) for row, col, *_ in matrix.cells}
    assert met == {frozenset((d[0].id, d[1].id)), frozenset((d[1].id, weak))}  # the retired one's pair left out
    for row, col, wins, draws, losses in matrix.cells:
        record = pair_record(session, matrix.ids[row], matrix.ids[col])
        assert row < col and (wins, draws, losses) == (record.a_wins, record.draws, record.b_wins)
    record = pair_record(session, d[0].id, d[1].id)
    assert (record.a_wins, record.draws, record.b_wins) == (3, 1, 0)
    everything = pair_counts(session)
    assert len(everything) == 3  # the retired snapshot's pair is still listed here
    assert [(h.snapshot_a_id, h.snapshot_b_id, h.games, h.a_wins, h.draws, h.b_wins, h.last_played_at)
            for h in head_to_head(session)] == everything


def test_a_snapshots_standing_series_matches_and_results_agree_with_its_ratings(session, rated_pool):
    d = rated_pool
    a = d[0].id
    line = leaderboard_row(session, a)
    detail = opponent_detail(session, a)
    assert (detail.rank, detail.score, detail.mu, detail.sigma, detail.agent, detail.agent_id) == (
        line.rank, line.score, line.mu, line.sigma, line.agent, line.agent_id)
    assert (detail.games, detail.wins, detail.draws, detail.losses) == (8, 3, 2, 3)
    stored = get_snapshot(session, a)
    assert (detail.sha256, detail.weights_size, detail.config) == (stored.sha256, stored.size, stored.config)
    assert detail.sha256 and detail.weights_size > 0
    assert detail.provisional == (detail.sigma > 2.5) and detail.step == 0

    series = rating_series(session, a)
    assert series.games == list(range(9)) and (series.mu[0], series.sigma[0]) == (MU, SIGMA)
    assert (series.mu[-1], series.sigma[-1]) == (line.mu, line.sigma)
    assert series.match == [None, 1, 1, 1, 1, 2, 2, 2, 2] and series.time == sorted(series.time)

    recent = recent_matches(session, a, series)
    assert [(m.id, m.other_id, m.state) for m in recent] == [(2, d[2].id, "done"), (1, d[1].id, "done")]
    assert [(m.wins, m.draws, m.losses) for m in recent] == [(0, 1, 3), (3, 1, 0)]
    scores = [conservative_score(mu, sigma) for mu, sigma in zip(series.mu, series.sigma, strict=True)]
    assert recent[1].score_change == pytest.approx(scores[4] - scores[0])  # over match 1's four games
    assert recent[0].score_change == pytest.approx(scores[8] - scores[4])
    assert recent_matches(session, a, series, limit=1) == recent[:1]

    results = versus(session, a)
    ranks, names = rank_by_id(session), {c.id: c.name for c in snapshot_names(session)}
    assert [(v.other_id, v.other_rank) for v in results] == sorted(
        ((other, ranks[other]) for other in (d[1].id, d[2].id)), key=lambda pair: pair[1])
    for v in results:
        record = pair_record(session, a, v.other_id)
        assert (v.games, v.wins, v.draws, v.losses) == (record.games, record.a_wins, record.draws, record.b_wins)
        assert v.score == (v.wins + v.draws / 2) / v.games and v.other_name == names[v.other_id]
    set_active(session, d[1].id, False)
    assert [v.other_rank is None for v in versus(session, a)] == [False, True]  # retired ones last, unranked

    assert league_status(session, worker_seen_seconds=60) == LeagueStatus(jobs_queued=0, jobs_running=0,
                                                                           workers_seen=1)
    for read in (opponent_detail, rating_series, lineage_detail):
        with pytest.raises(NotFound):
            read(session, 10**9)


def test_lineages_list_snapshots_best_score_and_training_progress(session):
    add_dreamer(session, agent="run-a", step=300)
    record_metrics(session, "run-a", [{"step": 900, "values": {"loss": 1.0}}])
    record_metrics(session, "metrics-only", [{"step": 5, "values": {"loss": 2.0}}])
    rows = {r.name: r for r in lineages(session)}
    assert rows["run-a"].snapshots == 1 and rows["run-a"].latest_step == 900
    assert rows["run-a"].metrics_posted_at is not None and rows["run-a"].best.score == pytest.approx(0.0)
    assert rows["builtin"].snapshots == 2 and rows["builtin"].metrics_posted_at is None and rows["builtin"].builtin
    assert rows["metrics-only"].best is None and rows["metrics-only"].latest_step == 5
    assert list(rows)[-1] == "metrics-only"
    assert list_matches(session, state="leased", limit=10).total == 0
    names = [c.name for c in snapshot_names(session)]
    assert names == sorted(names) and "run-a@300" in names


def test_a_lineage_has_thinned_curves_and_its_snapshots_latest_first(session, rated_pool):
    set_active(session, rated_pool[2].id, False)
    record_metrics(session, "run-0", [{"step": step, "values": {"loss": 1.0 / (step + 1)}} for step in range(10)])
    run = next(r for r in lineages(session) if r.name == "run-0")
    assert (run.snapshots, run.active) == (3, 2)
    best = max((s for s in rated_pool if s.agent == "run-0"), key=lambda s: leaderboard_row(session, s.id).score)
    assert run.best.id == best.id
    detail = lineage_detail(session, run.id, max_curve_points=4)
    assert detail.name == "run-0" and [step for step, _ in detail.metrics["loss"]] == [0, 2, 5, 7, 9]
    assert [c.step for c in detail.checkpoints] == [4, 2, 0]
    ranks = rank_by_id(session)
    assert [c.rank for c in detail.checkpoints] == [ranks.get(c.id) for c in detail.checkpoints]
    assert detail.checkpoints[1].rank is None  # the retired one
    assert lineage_detail(session, run.id).metrics["loss"] == [(step, 1.0 / (step + 1)) for step in range(10)]
