"""The dashboard's listings over real HTTP: every match (`/matches`) and every lineage (`/agents`).

The league is `test_dashboard_pages.build_league`'s (real recorded games, a snapshot and lineage
whose names hold HTML), plus one match that failed (its lease ran out on its only attempt) and
one still running, so every state the match filter offers is present.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from league.core.db import make_sessionmaker
from league.core.jobs import claim_job, requeue_expired
from league.core.matches import list_matches
from league.core.matchmaking import create_match
from league.core.models import Agent, Match, Rating, Snapshot, utcnow
from league.core.settings import Settings
from tests.api.test_dashboard_pages import (
    ADMIN,
    HOSTILE_AGENT,
    HOSTILE_NAME,
    SERVER_ENV,
    _basic_id,
    build_league,
)
from tests.support.live_server import running_server


def _add_failed_and_running_matches(url: str, snapshot_id: int) -> dict[str, int]:
    """Fail the oldest queued job, lease the next one (running) and queue one more: every state is present."""
    settings = Settings(queue_target=1, games_per_match=2, placement_games=4, max_attempts=1)
    with make_sessionmaker(url)() as session:
        failed = claim_job(session, "listing-test", settings=settings)
        requeue_expired(session, settings, now=utcnow() + timedelta(seconds=settings.lease_seconds + 60))
        running = claim_job(session, "listing-test", settings=settings)
        create_match(session, snapshot_id, _basic_id(session), settings=settings)
    return {"failed": failed.job_id, "running": running.job_id}


def _db_matches(url: str) -> list[tuple[int, str, int, int]]:
    """(id, state, snapshot_a_id, snapshot_b_id) of every match, newest first, straight from the table."""
    with make_sessionmaker(url)() as session:
        return [tuple(r) for r in session.execute(
            select(Match.id, Match.state, Match.snapshot_a_id, Match.snapshot_b_id).order_by(Match.id.desc()))]


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dashboard-listings")
    built = build_league(data_dir, jobs=4, seed=2)
    extra = _add_failed_and_running_matches(built["url"], built["snapshot_id"])
    with running_server(data_dir, ADMIN, extra_env=SERVER_ENV) as server:
        yield {**built, **extra, "client": httpx.Client(base_url=server.url, timeout=30)}


def _rows(body: str) -> list[tuple[int, str]]:
    return [(int(i), s) for i, s in re.findall(r'<tr data-id="(\d+)" data-state="(\w+)">', body)]


def _row_html(body: str, match_id: int) -> str:
    return re.search(rf'<tr data-id="{match_id}" .*?</tr>', body, re.S).group(0)


def test_matches_lists_every_match_newest_first_with_links(league):
    body = league["client"].get("/matches").text
    expected = [(m[0], m[1]) for m in _db_matches(league["url"])]  # the states as the API names them
    assert _rows(body) == expected
    assert {s for _, s in expected} == {"queued", "leased", "done", "failed"}
    for match_id, state, a, b in _db_matches(league["url"]):
        row = _row_html(body, match_id)
        assert f'href="/matches/{match_id}"' in row
        assert f'href="/opponents/{a}"' in row and f'href="/opponents/{b}"' in row
        assert (f'href="/matches/{match_id}#replay"' in row) == (state == "done")
        assert ("<time" in row) == (state in ("done", "failed"))
    assert f"1–{len(expected)} of {len(expected)} matches" in body
    assert 'class="pager"' not in body  # one page holds them all


def test_the_state_filter_speaks_the_apis_vocabulary(league):
    client = league["client"]
    offered = re.findall(r'<option value="(\w+)"', client.get("/matches").text.split('name="state"')[1].split("</select>")[0])
    assert set(offered) == set(client.get("/api/jobs/stats").json()["counts"]) == {"queued", "leased", "done", "failed"}
    api_states = {m["state"] for m in client.get("/api/matches", params={"limit": 500}).json()["items"]}
    for state in api_states:  # every state the API reports filters the page to the API's own list
        page = {i for i, _ in _rows(client.get("/matches", params={"state": state, "limit": 500}).text)}
        listed = client.get("/api/matches", params={"state": state, "limit": 500}).json()["items"]
        assert page == {m["id"] for m in listed}


def test_matches_scores_agree_with_the_core(league):
    body = league["client"].get("/matches", params={"state": "done"}).text
    with make_sessionmaker(league["url"])() as session:
        done = list_matches(session, state="done", limit=500).items
    assert done and len(_rows(body)) == len(done)
    for m in done:
        score = f"{m.a_score:g} : {m.n_games - m.a_score:g}"
        assert f'<td class="num">{score}</td>' in _row_html(body, m.id)


def test_matches_pages_cover_every_match_once(league):
    client, every = league["client"], [m[0] for m in _db_matches(league["url"])]
    seen, url, pages = [], "/matches?limit=3", 0
    while url:
        body = client.get(url).text
        assert 'class="pager"' in body
        seen += [i for i, _ in _rows(body)]
        pages += 1
        older = re.search(r'<a href="([^"]+)" rel="next">', body)
        url = html.unescape(older.group(1)) if older else None
        if url:
            assert parse_qs(urlparse(url).query)["limit"] == ["3"]
    assert seen == every and pages == -(-len(every) // 3)
    last = client.get("/matches?limit=3").text
    oldest = html.unescape(re.search(r'<a href="([^"]+)" rel="last">', last).group(1))
    assert [i for i, _ in _rows(client.get(oldest).text)] == every[(len(every) - 1) // 3 * 3:]
    second = client.get("/matches?limit=3&offset=3").text
    assert 'rel="prev"' in second and 'href="/matches?limit=3" rel="first"' in second


def test_matches_filter_by_state_and_opponent(league):
    client, every = league["client"], _db_matches(league["url"])
    leased = client.get("/matches?state=leased").text
    assert _rows(leased) == [(league["running"], "leased")]
    assert '<option value="leased" selected>' in leased
    assert _rows(client.get("/matches?state=failed").text) == [(league["failed"], "failed")]
    queued = client.get("/matches", params={"state": "queued"}).text
    assert [i for i, _ in _rows(queued)] == [m[0] for m in every if m[1] == "queued"]
    assert '<option value="queued" selected>' in queued

    sid = league["snapshot_id"]
    mine = client.get("/matches", params={"opponent": sid, "state": "done"}).text
    expected = [m[0] for m in every if sid in (m[2], m[3]) and m[1] == "done"]
    assert expected and [i for i, _ in _rows(mine)] == expected
    assert f'<option value="{sid}" selected>{escape(HOSTILE_NAME)}</option>' in mine


def test_matches_filtered_to_nothing_and_paged_past_the_end_say_so(league):
    client = league["client"]
    failed = next(m for m in _db_matches(league["url"]) if m[1] == "failed")
    board = [r["snapshot_id"] for r in client.get("/api/leaderboard").json()]
    never_failed = next(i for i in board if i not in failed[2:])
    empty = client.get("/matches", params={"opponent": never_failed, "state": "failed"})
    assert empty.status_code == 200 and "No matches with these filters yet." in empty.text
    past = client.get("/matches", params={"offset": 5000})
    assert past.status_code == 200 and _rows(past.text) == []
    assert "No matches this far back" in past.text and '<a href="/matches">Back to the newest</a>' in past.text


@pytest.mark.parametrize(("query", "status", "message"), [
    ({"offset": "-1"}, 400, "offset must be a whole number of 0 or more, got '-1'"),
    ({"offset": "2.5"}, 400, "offset must be a whole number of 0 or more, got '2.5'"),
    ({"limit": "0"}, 400, "limit must be between 1 and 500, got 0"),
    ({"limit": "10000"}, 400, "limit must be between 1 and 500, got 10000"),
    ({"limit": "ten"}, 400, "limit must be a whole number of 0 or more, got 'ten'"),
    ({"state": "running"}, 400, "state must be one of queued, leased, done, failed, got 'running'"),
    ({"state": "<b>x</b>"}, 400, "state must be one of queued, leased, done, failed, got '<b>x</b>'"),
    ({"opponent": "abc"}, 400, "opponent must be an opponent's id (a positive whole number), got 'abc'"),
    ({"opponent": "0"}, 400, "opponent must be an opponent's id (a positive whole number), got '0'"),
    ({"opponent": "999999"}, 404, "there is no opponent 999999"),
])
def test_bad_match_listing_parameters_get_a_clear_html_error(league, query, status, message):
    response = league["client"].get("/matches", params=query)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert message in html.unescape(response.text)
    assert "<b>x</b>" not in response.text


def _agent_rows(body: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<tr data-id="\d+" data-name="([^"]*)">', body)]


def test_agents_lists_every_lineage_with_its_facts(league):
    body = league["client"].get("/agents").text
    with make_sessionmaker(league["url"])() as session:
        facts = session.execute(
            select(Agent.id, Agent.name, func.count(Snapshot.id), func.max(Rating.mu - 3 * Rating.sigma),
                   func.max(Snapshot.step))
            .join(Snapshot, Snapshot.agent_id == Agent.id).join(Rating, Rating.snapshot_id == Snapshot.id)
            .group_by(Agent.id, Agent.name)
        ).all()
    by_rating = sorted(facts, key=lambda f: -f[3])
    assert _agent_rows(body) == [f[1] for f in by_rating]
    for agent_id, name, count, best, step in facts:
        row = re.search(rf'<tr data-id="{agent_id}" .*?</tr>', body, re.S).group(0)
        assert f'href="/agents/{agent_id}"' in row
        assert re.search(rf'<td class="num">{count}\b', row), (name, count)
        assert '<td class="num" title="mu' in row and f">{best:.2f}</td>" in row
        if name == HOSTILE_AGENT:
            assert '<td class="num mono">1200</td>' in row  # metrics and the snapshot both reach step 1200
            assert "<time datetime=" in row and f'href="/opponents/{league["snapshot_id"]}"' in row
        else:
            assert name == "builtin" and "built in" in row and ">never</td>" in row
            assert f'<td class="num mono">{step}</td>' in row


def test_listings_show_names_as_text_and_are_linked_from_the_nav(league):
    client = league["client"]
    for path in ("/matches", "/agents", f"/matches?opponent={league['snapshot_id']}"):
        body = client.get(path).text
        assert "<script>alert" not in body and "<img src=x" not in body and "<b>bold</b>" not in body, path
    assert str(escape(HOSTILE_NAME)) in client.get("/matches").text
    assert str(escape(HOSTILE_AGENT)) in client.get("/agents").text
    board = client.get("/").text
    assert '<a href="/matches" class="">Matches</a>' in board and '<a href="/agents" class="">Agents</a>' in board
    assert '<a class="more" href="/matches">all matches</a>' in board
    assert '<a href="/matches" class="active">Matches</a>' in client.get("/matches").text
    assert '<a href="/agents" class="active">Agents</a>' in client.get("/agents").text
    opponent = client.get(f"/opponents/{league['snapshot_id']}").text
    assert f'href="/matches?opponent={league["snapshot_id"]}"' in opponent
