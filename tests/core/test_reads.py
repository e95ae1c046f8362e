"""Narrow reads of the league core: one snapshot's leaderboard line, the head-to-head matrix."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from league.core.errors import NotFound
from league.core.jobs import claim_job, report_result
from league.core.leaderboard import leaderboard, leaderboard_row
from league.core.matchmaking import create_match
from league.core.settings import Settings
from league.core.snapshots import get_snapshot_by_name, set_active
from tests.support.league_helpers import add_dreamer, result_for

QUIET = Settings(queue_target=0, games_per_match=4, lease_seconds=60, max_attempts=3)


def play(session, a_id: int, b_id: int, a_outcomes: list[int]) -> None:
    create_match(session, a_id, b_id, n_games=len(a_outcomes))
    job = claim_job(session, "w1", settings=QUIET)
    report_result(session, job.job_id, "w1", result_for(job, a_outcomes))


@pytest.fixture
def rated_pool(session):
    """Five dreamers and the two basic opponents, with a spread of ratings and two equal (unplayed) ones."""
    d = [add_dreamer(session, agent=f"run-{k % 2}", step=k) for k in range(5)]
    play(session, d[0].id, d[1].id, [1, 1, 1, 0])
    play(session, d[2].id, d[0].id, [1, 0, 1, 1])
    play(session, d[1].id, get_snapshot_by_name(session, "basic_weak").id, [-1, -1, 0, -1])
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


def test_the_dashboard_leaderboard_is_one_query_with_lineage_ids(session, rated_pool):
    from api.pages import queries

    statements = count_queries(session)
    rows = queries.leaderboard(session)
    assert len(statements) == 1
    core = {row.snapshot_id: row.agent_id for row in leaderboard(session)}
    assert {row["id"]: row["agent_id"] for row in rows} == core


def test_the_matrix_lists_active_snapshots_in_rank_order_and_their_raw_pair_counts(session, rated_pool):
    from league.core.leaderboard import head_to_head, head_to_head_matrix, pair_counts

    set_active(session, rated_pool[2].id, False)
    matrix = head_to_head_matrix(session)
    assert matrix.ids == [row.snapshot_id for row in leaderboard(session)]
    assert matrix.names == [row.name for row in leaderboard(session)]
    assert rated_pool[2].id not in matrix.ids
    weak = get_snapshot_by_name(session, "basic_weak").id
    low, high = sorted((rated_pool[0].id, rated_pool[1].id))
    assert sorted(matrix.pairs) == sorted([(low, high, 3, 1, 0), (*sorted((rated_pool[1].id, weak)),
                                           *((0, 1, 3) if rated_pool[1].id < weak else (3, 1, 0)))])
    everything = pair_counts(session)
    assert len(everything) == 3  # the retired snapshot's pair is still listed here
    assert [(h.snapshot_a_id, h.snapshot_b_id, h.games, h.a_wins, h.draws, h.b_wins, h.last_played_at)
            for h in head_to_head(session)] == everything
    statements = count_queries(session)
    head_to_head_matrix(session)
    assert len(statements) == 2


def test_the_heatmap_is_built_from_the_core_matrix_in_two_queries(session, rated_pool):
    from api.pages import queries

    statements = count_queries(session)
    heatmap = queries.head_to_head(session)
    assert len(statements) == 2 and any("pair_stats" in s for s in statements)
    assert heatmap["ids"] == [row.snapshot_id for row in leaderboard(session)]
    i, j = sorted((heatmap["ids"].index(rated_pool[0].id), heatmap["ids"].index(rated_pool[1].id)))
    cell = next(c for c in heatmap["cells"] if c[:2] == [i, j])
    assert cell[2:] == ([3, 1, 0] if heatmap["ids"][i] == rated_pool[0].id else [0, 1, 3])
