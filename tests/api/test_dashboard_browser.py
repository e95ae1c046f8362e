"""The dashboard in a real headless browser (Debian's chromium driven by Playwright) against a real
`league serve` over a league of real, recorded games (see `test_dashboard_pages.build_league`).

Every page must load without a console error; the leaderboard must show the rating order, sort
and filter, and refresh itself; the rating chart and the heatmap must be drawn; the replay must
change between frames and end on the recorded final positions. A screenshot of every page is
saved under `test-artifacts/screenshots/`. The newer views (pair page, comparisons, training
curves, GIFs, phones) are in `test_dashboard_browser_views.py`.
"""

from __future__ import annotations

import base64
import io
import json
import math

import httpx
import numpy as np
import pytest

from league.hockey.render import draw_positions
from tests.api.test_dashboard_pages import (
    ADMIN,
    HOSTILE_AGENT,
    HOSTILE_NAME,
    RIVAL_AGENT,
    SERVER_ENV,
    build_league,
    expected_order,
)
from tests.support.browser import canvas_colours as _canvas_colours
from tests.support.browser import canvas_image as _canvas_image
from tests.support.browser import checked_tab, chromium
from tests.support.live_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STRIP = 48  # game pixels of the replay's strip (names, score, clock) above the rink


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dashboard-browser")
    built = build_league(data_dir, jobs=5, seed=1, rivals=True)
    with running_server(data_dir, ADMIN, extra_env=SERVER_ENV) as server:
        yield {**built, "url_base": server.url}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def tab(browser, league):
    with checked_tab(browser, league["url_base"]) as t:
        yield t


def test_leaderboard_shows_the_rating_order_and_names_as_text(tab, league):
    page = tab.open("/", shot="leaderboard")
    names = page.eval_on_selector_all("#leaderboard tbody tr", "rows => rows.map(r => r.dataset.name)")
    assert names == expected_order(league["url"])
    cells = page.eval_on_selector_all("#leaderboard td.name a", "links => links.map(a => a.textContent)")
    assert HOSTILE_NAME in cells
    assert page.locator("#leaderboard script, #leaderboard img").count() == 0


def test_leaderboard_sorts_and_filters(tab, league):
    page = tab.open("/")
    page.click("th[data-key=games]")
    games = page.eval_on_selector_all("#leaderboard tbody tr", "rows => rows.map(r => Number(r.dataset.games))")
    assert games == sorted(games, reverse=True)
    page.click("th[data-key=games]")
    games = page.eval_on_selector_all("#leaderboard tbody tr", "rows => rows.map(r => Number(r.dataset.games))")
    assert games == sorted(games)
    page.select_option("#filter-kind", "basic_weak")
    visible = page.eval_on_selector_all("#leaderboard tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.name)")
    assert visible == ["basic_weak"]
    assert page.text_content("#leaderboard-count").startswith("1 of ")


def test_leaderboard_refreshes_itself(tab, league):
    page = tab.open("/")
    assert page.locator("#leaderboard tbody tr[data-name=basic_weak]").count() == 1
    headers = {"Authorization": f"Bearer {ADMIN}"}
    basic_weak = next(r for r in httpx.get(f"{league['url_base']}/api/leaderboard").json() if r["name"] == "basic_weak")
    patch = f"{league['url_base']}/api/opponents/{basic_weak['snapshot_id']}"
    assert httpx.patch(patch, json={"active": False}, headers=headers).status_code == 200
    try:
        page.wait_for_selector("#leaderboard tbody tr[data-name=basic_weak]", state="detached", timeout=15_000)
        assert int(page.get_attribute("#leaderboard", "data-refreshed")) >= 1
    finally:
        assert httpx.patch(patch, json={"active": True}, headers=headers).status_code == 200


def test_opponent_page_draws_the_rating_history(tab, league):
    page = tab.open(f"/opponents/{league['snapshot_id']}", shot="opponent")
    page.wait_for_selector("#rating-chart[data-drawn=true] canvas")
    points = int(page.get_attribute("#rating-chart", "data-points"))
    history = json.loads(page.text_content("#rating-history"))
    assert points == len(history["mu"]) > 1
    assert _canvas_colours(page, "#rating-chart canvas") > 3, "the chart canvas is blank"
    assert page.text_content("h1").startswith(HOSTILE_NAME)
    page.select_option("#rating-axis", "time")
    page.wait_for_selector("#rating-chart[data-drawn=true] canvas")


def test_head_to_head_heatmap_is_drawn_and_hover_shows_game_counts(tab, league):
    page = tab.open("/head-to-head", shot="head-to-head")
    page.wait_for_selector("#heatmap[data-drawn=true]")
    matrix = json.loads(page.text_content("#head-to-head"))
    assert matrix["cells"], "no pair has played"
    assert _canvas_colours(page, "#heatmap canvas") > 3, "the heatmap is blank"
    row, col, wins, draws, losses = matrix["cells"][0]
    geometry = page.evaluate("""() => { const c = document.querySelector('#heatmap canvas');
        const b = c.getBoundingClientRect(); return {x: b.left, y: b.top, w: b.width}; }""")
    margin = float(page.get_attribute("#heatmap", "data-margin"))
    cell = float(page.get_attribute("#heatmap", "data-cell"))
    page.mouse.move(geometry["x"] + margin + (col + 0.5) * cell, geometry["y"] + margin + (row + 0.5) * cell)
    tooltip = page.locator("#heatmap-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.get_attribute("data-games") == str(wins + draws + losses)
    assert f"{wins + draws + losses} games: {wins} won, {draws} drawn, {losses} lost" in tooltip.text_content()


def test_training_page_draws_curves_and_checkpoints(tab, league):
    page = tab.open(f"/agents/{league['agent_id']}", shot="training")
    page.wait_for_selector("#training-curves[data-drawn=true]")
    assert page.locator("#training-curves canvas").count() >= 2
    assert HOSTILE_NAME in page.text_content("#checkpoints")
    assert page.locator("#checkpoint-chart").count() == 0  # one checkpoint: a table, no chart of a lone dot
    page = tab.open(f"/agents/{league['rival_agent_id']}", shot="training-checkpoints")
    page.wait_for_selector("#checkpoint-chart[data-drawn=true] canvas")
    assert int(page.get_attribute("#checkpoint-chart", "data-points")) == 2


def _pixel(page, x_m: float, y_m: float) -> tuple[int, int, int]:
    """The replay canvas's colour at world position (x, y) in metres."""
    return tuple(page.evaluate(
        """([x, y]) => { const c = document.querySelector('#replay canvas'); const k = c.width / 10;
           return Array.from(c.getContext('2d').getImageData(Math.round(x * k), Math.round(c.height - y * k), 1, 1).data).slice(0, 3); }""",
        [x_m, y_m],
    ))


def _near(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def test_replay_plays_and_ends_on_the_recorded_positions(tab, league):
    match_id = league["match_ids"][0]
    page = tab.open(f"/matches/{match_id}?game=0", shot="match-replay-start")
    page.wait_for_selector("#replay[data-frame='0']")
    record = json.loads(page.text_content("#game-record"))
    first = _canvas_image(page, "#replay canvas")
    page.click("[data-role=forward]")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert page.get_attribute("#replay", "data-frame") == "5"
    assert _canvas_image(page, "#replay canvas") != first, "the canvas did not change between frames"
    page.click("[data-role=play]")
    page.wait_for_function("Number(document.querySelector('#replay').dataset.frame) > 8")
    page.select_option("[data-role=speed]", "4")
    page.wait_for_selector("#replay[data-finished=true]", timeout=30_000)
    assert page.get_attribute("#replay", "data-frame") == str(record["length"])
    assert page.get_attribute("#replay", "data-playing") == "false"
    tab.shot("match-replay-end")

    frames = record["frames"]
    puck = frames["puck"][-1]
    assert _near(_pixel(page, *puck), (0, 0, 0)), "no puck at its recorded final position"
    for side, colour in (("player_one", (235, 98, 53)), ("player_two", (93, 158, 199))):
        x, y, _angle = frames[side][-1]
        if math.dist((x, y), puck) > 0.5:  # a held puck sits on the racket
            assert _near(_pixel(page, x, y), colour), f"{side} is not at its recorded final position"
    banner = page.text_content("[data-role=result]")
    sides = json.loads(page.text_content("#replay-sides"))
    assert banner == {1: f"Goal: {sides['one']} wins", -1: f"Goal: {sides['two']} wins"}.get(
        record["winner"], "Time up: draw" if record["end_reason"] == "time_limit" else "Draw")
    page.click("[data-role=start]")
    assert page.get_attribute("#replay", "data-frame") == "0"
    assert _canvas_image(page, "#replay canvas") == first


def test_replay_switches_to_another_game_of_the_match(tab, league):
    match_id = league["match_ids"][0]
    page = tab.open(f"/matches/{match_id}")
    with page.expect_navigation():
        page.click(f'a[href="/matches/{match_id}?game=1#replay"]')
    page.wait_for_selector("#replay[data-frame='0']")
    assert "Replay of game 1" in page.text_content("h2")
    record = json.loads(page.text_content("#game-record"))
    steps = page.text_content("#games tr.selected td:nth-child(5)")
    assert int(steps) == record["length"]
    assert page.get_attribute("[data-role=scrub]", "max") == str(record["length"])
    page.click("#replay canvas")  # the keys work while the replay has focus
    page.keyboard.press("End")
    assert page.get_attribute("#replay", "data-frame") == str(record["length"])


def test_replay_draws_the_rink_as_the_game_draws_it(tab, league):
    """At the game's own picture size, the canvas's rink (below its strip) matches `league.hockey.render`
    pixel for pixel (up to anti-aliased edges), at a frame in the middle of a recorded game."""
    from PIL import Image  # an optional extra

    page = tab.open(f"/matches/{league['match_ids'][0]}?game=1")
    page.evaluate("document.querySelector('#replay canvas').style.width = '600px'")
    page.wait_for_function("document.querySelector('#replay canvas').width === 600")
    record = json.loads(page.text_content("#game-record"))
    frame = record["length"] // 2
    page.evaluate(f"window.hockeyReplay.seek({frame})")
    data_url = _canvas_image(page, "#replay canvas")
    picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))
    assert picture.shape == (480 + STRIP, 600, 3)
    drawn = picture[STRIP:]
    frames = record["frames"]
    expected = draw_positions(frames["player_one"][frame], frames["player_two"][frame], frames["puck"][frame])
    assert drawn.shape == expected.shape == (480, 600, 3)
    close = np.abs(drawn.astype(int) - expected.astype(int)).max(axis=2) <= 40
    assert close.mean() > 0.98, f"only {close.mean():.1%} of the pixels match the game's picture"


def test_matches_page_filters_and_pages_in_the_browser(tab, league):
    page = tab.open("/matches", shot="matches")
    ids = page.eval_on_selector_all("#matches tbody tr", "rows => rows.map(r => Number(r.dataset.id))")
    assert ids == sorted(ids, reverse=True) and len(ids) >= 5
    assert HOSTILE_NAME in page.text_content("#matches")
    assert page.locator("#matches script, #matches img").count() == 0
    page.select_option("#match-filters select[name=state]", "queued")
    with page.expect_navigation():
        page.click("#match-filters button[type=submit]")
    states = page.eval_on_selector_all("#matches tbody tr", "rows => rows.map(r => r.dataset.state)")
    assert states and set(states) == {"queued"}
    page = tab.open("/matches?limit=2")
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert page.eval_on_selector_all("#matches tbody tr", "rows => rows.map(r => Number(r.dataset.id))") == ids[2:4]


def test_agents_page_lists_lineages_and_links_to_training(tab, league):
    page = tab.open("/agents", shot="agents")
    names = page.eval_on_selector_all("#agents tbody tr", "rows => rows.map(r => r.dataset.name)")
    assert sorted(names) == sorted(["builtin", HOSTILE_AGENT, RIVAL_AGENT])
    assert page.locator("#agents script, #agents img").count() == 0
    with page.expect_navigation():
        page.click(f"#agents tr[data-id='{league['agent_id']}'] td.name a")
    page.wait_for_selector("#training-curves[data-drawn=true]")
