"""The dashboard's views for people new to the league, over real HTTP against a `league serve`: the
leaderboard's rating scale, a pair's page, the match list by pair and reason, rating comparisons,
winner colours on a match, grouped and named training curves with runs compared, and one empty
state per empty thing.

The league is `test_dashboard_pages.build_league`'s with its rivals (two snapshots named alike up
to the "@"), real recorded games, and one lineage that has posted curves but registered nothing.
"""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest
from sqlalchemy import or_, select

from league.core.db import make_sessionmaker
from league.core.metrics import record_metrics
from league.core.models import Match, Snapshot
from league.core.standings import pair_standing, rating_series
from tests.api.test_dashboard_pages import (
    ADMIN,
    HOSTILE_NAME,
    RIVAL_AGENT,
    RIVALS,
    SERVER_ENV,
    build_league,
    trainer_metrics,
)
from tests.support.live_server import running_server

FRESH_RUN = "fresh-run"  # posts curves, registers no checkpoint


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dashboard-views")
    built = build_league(data_dir, jobs=8, seed=3, rivals=True)
    with make_sessionmaker(built["url"])() as session:
        record_metrics(session, FRESH_RUN, trainer_metrics(300, 100))
    with running_server(data_dir, ADMIN, extra_env=SERVER_ENV) as server:
        client = httpx.Client(base_url=server.url, timeout=30)
        agents = {a["name"]: a["id"] for a in _agent_rows(client.get("/agents").text)}
        yield {**built, "client": client, "agents": agents}


def _agent_rows(body: str) -> list[dict]:
    return [{"id": int(i), "name": html.unescape(n)} for i, n in re.findall(r'<tr data-id="(\d+)" data-name="([^"]*)">', body)]


def _json_block(body: str, block: str):
    return json.loads(re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', body, re.S).group(1))


def _played_pair(url: str) -> tuple[int, int]:
    """The two snapshots of the first finished match."""
    with make_sessionmaker(url)() as session:
        row = session.execute(select(Match.snapshot_a_id, Match.snapshot_b_id).where(Match.state == "done")
                              .order_by(Match.id)).first()
    return row[0], row[1]


def _pair_matches(url: str, a: int, b: int) -> list[tuple[int, str, str]]:
    with make_sessionmaker(url)() as session:
        return [tuple(r) for r in session.execute(
            select(Match.id, Match.state, Match.reason).where(or_(
                (Match.snapshot_a_id == a) & (Match.snapshot_b_id == b),
                (Match.snapshot_a_id == b) & (Match.snapshot_b_id == a))).order_by(Match.id.desc()))]


# The leaderboard


def test_the_rating_bars_have_a_labelled_scale_that_places_every_rating(league):
    body = league["client"].get("/").text
    scale = re.search(r'<span class="unc scale" id="rating-scale".*?</span>\s*</th>', body, re.S).group(0)
    ticks = [(float(v), float(left)) for left, v in re.findall(r'style="left: ([\d.]+)%" data-value="([-\d.]+)"', scale)]
    assert len(ticks) >= 2
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    per_point = (x1 - x0) / (v1 - v0)  # percent of the bar per rating point
    rows = re.findall(r'data-rating="([-\d.]+)".*?<span class="lo" style="left: ([\d.]+)%"', body, re.S)
    assert len(rows) == 5
    for rating, left in rows:
        assert float(left) == pytest.approx(x0 + (float(rating) - v0) * per_point, abs=0.3), rating
    fragment = league["client"].get("/fragments/leaderboard", params={"since": "stale"}).text
    assert 'id="rating-scale"' in fragment  # the self-refresh brings the scale along


# A pair of opponents


def test_the_pair_page_shows_their_record_matches_and_replays(league):
    a, b = _played_pair(league["url"])
    body = league["client"].get(f"/opponents/{a}/vs/{b}").text
    with make_sessionmaker(league["url"])() as session:
        pair = pair_standing(session, a, b)
        names = dict(session.execute(select(Snapshot.id, Snapshot.name).where(Snapshot.id.in_((a, b)))).all())
    assert pair.games > 0
    heading = html.unescape(re.sub(r"<[^>]+>", "", re.search(r"<h1.*?</h1>", body, re.S).group(0)))
    assert heading == f"{names[a]} vs {names[b]}"
    record = re.search(r'id="pair-record">(.*?)<div class="figure"><div class="label">Score', body, re.S).group(1)
    assert f'data-role="games">{pair.games}<' in record
    assert (f'<span class="win">{pair.a_wins}</span><span class="draw">{pair.draws}</span>'
            f'<span class="loss">{pair.b_wins}</span>') in record
    expected = _pair_matches(league["url"], a, b)
    listed = [int(i) for i in re.findall(r'<tr data-id="(\d+)"><td><a href="/matches/', body)]
    assert listed == [m[0] for m in expected]
    for match_id, state, _ in expected:
        assert (f'href="/matches/{match_id}#replay"' in body) == (state == "done")
    compared = _json_block(body, "rating-compared")
    assert [c["id"] for c in compared] == [a, b] and [c["name"] for c in compared] == [names[a], names[b]]
    assert f'href="/opponents/{b}/vs/{a}"' in body  # swap sides


def test_the_pair_page_counts_from_the_first_named_side(league):
    a, b = _played_pair(league["url"])
    client = league["client"]
    there = client.get(f"/opponents/{a}/vs/{b}").text
    back = client.get(f"/opponents/{b}/vs/{a}").text
    wdl = r'data-role="wdl"><span class="win">(\d+)</span><span class="draw">(\d+)</span><span class="loss">(\d+)</span>'
    w, d, lose = re.search(wdl, there).groups()
    assert re.search(wdl, back).groups() == (lose, d, w)


def test_pairs_are_linked_and_reachable_by_query(league):
    a, b = _played_pair(league["url"])
    client = league["client"]
    moved = client.get("/pair", params={"a": a, "b": b}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/opponents/{a}/vs/{b}"
    assert f'href="/opponents/{a}/vs/{b}"' in client.get(f"/opponents/{a}").text
    assert re.search(rf'href="/opponents/{a}/vs/{b}"', client.get("/matches").text)


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/opponents/999999/vs/1", 404, "cannot pair them: no snapshot with id 999999"),
    ("/opponents/1/vs/1", 400, "a pair needs two different opponents, got 1 twice"),
    ("/opponents/1/vs/x", 404, "opponent ids are positive whole numbers; 'x' is not one"),
    ("/pair?a=1", 400, "b must be an opponent's id (a positive whole number), got None"),
    ("/pair?a=<b>x</b>&b=2", 400, "a must be an opponent's id (a positive whole number), got '<b>x</b>'"),
])
def test_bad_pairs_get_a_clear_html_error(league, path, status, message):
    response = league["client"].get(path, follow_redirects=False)
    assert response.status_code == status
    assert message in html.unescape(response.text)
    assert "<b>x</b>" not in response.text


# The match list by pair and reason


def _listed(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)" data-state=', body)]


def test_the_match_list_filters_by_pair_and_by_reason(league):
    a, b = _played_pair(league["url"])
    client = league["client"]
    assert _listed(client.get("/matches", params={"opponent": a, "versus": b}).text) == [
        m[0] for m in _pair_matches(league["url"], a, b)]
    with make_sessionmaker(league["url"])() as session:
        reasons = dict(session.execute(select(Match.id, Match.reason)).all())
    shown = {"placement": "placement", "rating": "league", "tournament": "tournament", "manual": "manual"}
    assert {"placement", "manual"} <= set(reasons.values())
    for core, name in shown.items():
        body = client.get("/matches", params={"reason": name}).text
        wanted = sorted((i for i, r in reasons.items() if r == core), reverse=True)
        assert _listed(body) == wanted, name
        assert f'<option value="{name}"' in body
        if wanted:
            assert f'data-reason="{name}"' in body and f'<option value="{name}" title' in body
    none = client.get("/matches", params={"reason": "manual", "state": "done"}).text
    assert "No matches with these filters yet." in none


@pytest.mark.parametrize(("query", "status", "message"), [
    ({"reason": "tournament-x"}, 400,
     "reason must be one of placement, league, tournament, manual, got 'tournament-x'"),
    ({"versus": "2"}, 400, "versus needs opponent: the matches between two opponents"),
    ({"opponent": "2", "versus": "two"}, 400, "versus must be an opponent's id (a positive whole number), got 'two'"),
    ({"opponent": "2", "versus": "2"}, 400, "a snapshot plays no matches against itself (2)"),
    ({"opponent": "2", "versus": "999999"}, 404, "there is no opponent 999999"),
])
def test_bad_pair_or_reason_filters_get_a_clear_html_error(league, query, status, message):
    response = league["client"].get("/matches", params=query)
    assert response.status_code == status
    assert message in html.unescape(response.text)


# Rating comparison


def test_an_opponent_page_compares_rating_histories(league):
    sid, rivals = league["snapshot_id"], league["rival_ids"]
    client = league["client"]
    body = client.get(f"/opponents/{sid}", params=[("compare", rivals[0]), ("compare", rivals[1]),
                                                    ("compare", sid), ("compare", rivals[0])]).text
    compared = _json_block(body, "rating-compared")
    assert [c["id"] for c in compared] == rivals and [c["name"] for c in compared] == list(RIVALS)
    with make_sessionmaker(league["url"])() as session:
        for entry in compared:
            series = rating_series(session, entry["id"])
            assert entry["mu"] == series.mu and entry["sigma"] == series.sigma and entry["games"] == series.games
    # Each compared one can be taken off again; the chooser offers the others.
    assert f'href="/opponents/{sid}?compare={rivals[1]}"' in body and f'href="/opponents/{sid}?compare={rivals[0]}"' in body
    chooser = body.split('name="compare" aria-label')[1].split("</select>")[0]
    offered = [int(i) for i in re.findall(r'<option value="(\d+)"', chooser)]
    assert offered and not {sid, *rivals} & set(offered)
    assert _json_block(client.get(f"/opponents/{sid}").text, "rating-compared") == []


@pytest.mark.parametrize(("query", "status", "message"), [
    ([("compare", "x")], 400, "compare must be ids (positive whole numbers), got 'x'"),
    ([("compare", str(k)) for k in range(100, 107)], 400, "compare takes at most 6 ids, got 7"),
    ([("compare", "999999")], 404, "cannot compare: no snapshot with id 999999"),
])
def test_bad_comparisons_get_a_clear_html_error(league, query, status, message):
    response = league["client"].get(f"/opponents/{league['snapshot_id']}", params=query)
    assert response.status_code == status
    assert message in html.unescape(response.text)


# A match's games


def test_a_games_winner_is_shown_in_its_sides_colour_never_as_a_loss(league):
    client = league["client"]
    checked = 0
    for match_id in league["match_ids"]:
        detail = client.get(f"/api/matches/{match_id}").json()
        names = {detail["snapshot_a_id"]: detail["snapshot_a_name"], detail["snapshot_b_id"]: detail["snapshot_b_name"]}
        body = client.get(f"/matches/{match_id}").text
        cells = re.findall(r'<td class="result ([\w-]+)">(.*?)</td>', body, re.S)
        assert len(cells) == len(detail["games"])
        for game, (css, text) in zip(detail["games"], cells, strict=True):
            text = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
            if game["winner"] == 0:
                assert (css, text) == ("draw", "draw")
                continue
            winner = game["player_one_id"] if game["winner"] == 1 else game["player_two_id"]
            assert text == f"{names[winner]} wins"
            assert css == ("side-one" if game["winner"] == 1 else "side-two")
            checked += 1
    assert checked > 0, "no game had a winner"


# Training curves


def _sections(body: str) -> dict[str, list[str]]:
    sections = {}
    for title, inner in re.findall(r'<section class="curve-group" data-group="([^"]+)">(.*?)</section>', body, re.S):
        sections[title] = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip()
                           for t in re.findall(r'<h4 class="chart-title">(.*?)</h4>', inner, re.S)]
    return sections


def test_training_curves_are_grouped_and_named_for_people(league):
    body = league["client"].get(f"/agents/{league['agent_id']}").text
    sections = _sections(body)
    assert list(sections) == ["Win rates", "Losses", "Returns and values", "Speed and progress"]
    assert sections["Win rates"] == ["Win rate (%)", "Loss rate (%)"]
    assert sections["Losses"] == ["World model loss", "Actor loss"]
    assert sections["Speed and progress"] == ["Games played", "Gradient steps"]
    titles = [t for chart in sections.values() for t in chart]
    assert not [t for t in titles if "_" in t or "/" in t]
    curves = _json_block(body, "training-metrics")
    win = curves["groups"][0]["charts"][0]
    assert win["unit"] == "rate"
    assert [s["label"] for s in win["series"]] == ["training games", "evaluation vs weak", "evaluation vs strong"]
    assert curves["steps"] == [0, 1200]  # every chart shares the run's steps: a lone evaluation stays at 1200
    assert len(titles) == len({c["id"] for g in curves["groups"] for c in g["charts"]}) == 7


def test_runs_are_compared_on_the_same_charts(league):
    client, mine, rival = league["client"], league["agent_id"], league["rival_agent_id"]
    alone = client.get(f"/agents/{mine}").text
    chooser = alone.split('aria-label="add a run to the charts"')[1].split("</select>")[0]
    assert {int(i) for i in re.findall(r'<option value="(\d+)"', chooser)} == {rival, league["agents"][FRESH_RUN]}
    body = client.get(f"/agents/{mine}", params={"compare": rival}).text
    curves = _json_block(body, "training-metrics")
    assert [r["id"] for r in curves["runs"]] == [mine, rival] and curves["runs"][1]["name"] == RIVAL_AGENT
    losses = next(c for g in curves["groups"] for c in g["charts"] if c["title"] == "World model loss")
    assert [s["run"] for s in losses["series"]] == [0, 1]
    assert curves["steps"] == [0, 11149]
    assert f'href="/agents/{mine}"' in body  # taking the run off again
    missing = client.get(f"/agents/{mine}", params={"compare": 424242})
    assert missing.status_code == 404 and "cannot compare: there is no agent 424242" in missing.text


def test_the_built_in_lineage_has_no_step_chart_nor_curves(league):
    body = league["client"].get(f"/agents/{league['agents']['builtin']}").text
    assert 'id="checkpoint-chart"' not in body and 'id="checkpoint-ratings"' not in body
    assert 'id="training-metrics"' not in body and "not trained" in body
    steps = re.findall(r'<tr><td class="name">.*?</td>\s*<td class="num">(.*?)</td>', body, re.S)
    assert len(steps) == 2 and set(steps) == {""}  # basic_weak and basic_strong have no training step


def test_a_lineage_with_two_checkpoint_steps_charts_them(league):
    body = league["client"].get(f"/agents/{league['rival_agent_id']}").text
    assert 'id="checkpoint-chart"' in body
    assert _json_block(body, "checkpoint-ratings")["step"] == [5678, 11149]


# Empty states


def test_no_checkpoints_is_said_once(league):
    client = league["client"]
    fresh = client.get(f"/agents/{league['agents'][FRESH_RUN]}").text
    assert html.unescape(fresh).count("No checkpoints registered yet.") == 1
    assert 'id="checkpoint-chart"' not in fresh
    assert 'id="training-metrics"' in fresh
    for agent_id in league["agents"].values():
        assert client.get(f"/agents/{agent_id}").text.count("No checkpoints registered yet.") <= 1


def test_the_leaderboard_has_a_message_for_filters_that_match_nothing(league):
    body = league["client"].get("/").text
    assert re.search(r'<p class="notice" id="leaderboard-empty" hidden>No opponent matches these filters.', body)
    assert HOSTILE_NAME not in body  # names stay escaped around the new markup
