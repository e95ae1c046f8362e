"""The dashboard's newer views in a real headless browser (Debian's chromium through Playwright)
against a real `league serve` over real recorded games (`test_dashboard_pages.build_league` with
its rivals, whose names differ only after the "@").

What a newcomer would trip over: heatmap names that look alike, a matrix lost in an empty card, a
replay that starts when the page is scrolled with the space bar, a rink that does not say who is
who, legends empty until hovered, 12-hour times, a band labelled as one edge, training curves as a
wall of snake_case charts, a line at step 0 for the built-in opponents, a filter that leaves a bare
header, and a phone-sized page that scrolls sideways. Screenshots go to `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image, ImageSequence

from league.core.db import make_sessionmaker
from league.core.metrics import record_metrics
from tests.api.test_dashboard_pages import (
    ADMIN,
    RIVALS,
    SERVER_ENV,
    build_league,
    trainer_metrics,
)
from tests.support.browser import DRAWN_TEXT, Tab, chromium
from tests.support.live_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRESH_RUN = "fresh-run"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dashboard-browser-views")
    built = build_league(data_dir, jobs=8, seed=4, rivals=True)
    with make_sessionmaker(built["url"])() as session:
        record_metrics(session, FRESH_RUN, trainer_metrics(300, 100))
    with running_server(data_dir, ADMIN, extra_env=SERVER_ENV) as server:
        yield {**built, "url_base": server.url}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def _checked(t: Tab):
    yield t
    t.close()
    assert t.errors == [], f"console errors: {t.errors}"
    assert t.dialogs == [], f"a script from the data ran: {t.dialogs}"


@pytest.fixture
def tab(browser, league):
    yield from _checked(Tab(browser, league["url_base"], init_script=DRAWN_TEXT))


@pytest.fixture
def phone(browser, league):
    yield from _checked(Tab(browser, league["url_base"], **PHONE))


def _json(page, block: str):
    return json.loads(page.text_content(f"#{block}"))


def _agent_id(page, name: str) -> int:
    return int(page.get_attribute(f'#agents tr[data-name="{name}"]', "data-id"))


# Head-to-head


def test_heatmap_names_stay_distinct_and_the_matrix_fills_its_card(tab, league):
    page = tab.open("/head-to-head", shot="head-to-head-rivals")
    page.wait_for_selector("#heatmap[data-drawn=true]")
    names = _json(page, "head-to-head")["names"]
    labels = json.loads(page.get_attribute("#heatmap", "data-labels"))
    assert len(set(labels)) == len(labels) == len(names)
    drawn = tab.drawn_text("heatmap")
    for rival in RIVALS:
        label = labels[names.index(rival)]
        assert rival.split("@")[1] in label, label  # the step that tells them apart is shown
        assert drawn.count(label) == 2  # as a row and as a column label
    fill = page.evaluate("""() => { const card = document.querySelector('#heatmap'), st = getComputedStyle(card);
        const inner = card.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
        return document.querySelector('#heatmap canvas').getBoundingClientRect().width / inner; }""")
    assert fill > 0.9, f"the matrix takes {fill:.0%} of its card's width"


def test_clicking_a_heatmap_cell_opens_the_pairs_page(tab, league):
    page = tab.open("/head-to-head")
    page.wait_for_selector("#heatmap[data-drawn=true]")
    matrix = _json(page, "head-to-head")
    row, col = matrix["cells"][0][:2]
    margin = float(page.get_attribute("#heatmap", "data-margin"))
    cell = float(page.get_attribute("#heatmap", "data-cell"))
    box = page.locator("#heatmap canvas").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + margin + (col + 0.5) * cell, box["y"] + margin + (row + 0.5) * cell)
    assert page.url.endswith(f"/opponents/{matrix['ids'][row]}/vs/{matrix['ids'][col]}")
    page.wait_for_selector("#rating-chart[data-drawn=true]")
    assert page.get_attribute("#rating-chart", "data-lines") == "2"
    assert page.locator("#pair-matches tbody tr").count() >= 1
    tab.shot("pair")


# Replay


def test_the_replay_waits_to_be_played(tab, league):
    page = tab.open(f"/matches/{league['match_ids'][0]}?game=0")
    page.wait_for_selector("#replay[data-frame='0']")
    page.wait_for_timeout(1500)
    assert page.get_attribute("#replay", "data-frame") == "0"
    assert page.get_attribute("#replay", "data-playing") == "false"
    page.keyboard.press(" ")  # the reader scrolls the page with the space bar
    page.wait_for_timeout(500)
    assert page.evaluate("window.scrollY") > 0
    assert page.get_attribute("#replay", "data-frame") == "0"
    assert page.get_attribute("#replay", "data-playing") == "false"
    page.click("#replay canvas")
    page.keyboard.press(" ")
    assert page.get_attribute("#replay", "data-playing") == "true"
    page.keyboard.press(" ")
    assert page.get_attribute("#replay", "data-playing") == "false"


def test_the_rink_shows_who_is_who_the_score_and_the_clock(tab, league):
    page = tab.open(f"/matches/{league['match_ids'][0]}?game=1", shot="match-replay-strip")
    page.wait_for_selector("#replay[data-frame='0']")
    sides = _json(page, "replay-sides")
    record = _json(page, "game-record")
    drawn = tab.drawn_text("replay")
    assert sides["one"] in drawn and sides["two"] in drawn
    assert "0 : 0" in drawn and "0.00 s" in drawn
    page.click("#replay canvas")
    page.keyboard.press("End")
    last = tab.drawn_text("replay")[-4:]
    goal = record["end_reason"] == "goal"
    expected = {1: "1 : 0", -1: "0 : 1"}.get(record["winner"], "0 : 0") if goal else "0 : 0"
    assert expected in last
    assert f"{record['length'] * 0.02:.2f} s \u00b7 {'goal' if goal else 'time up'}" in last


def test_the_game_downloads_as_a_gif_with_every_frame(tab, league, tmp_path):
    page = tab.open(f"/matches/{league['match_ids'][1]}?game=0")
    page.wait_for_selector("#replay[data-frame='0']")
    record = _json(page, "game-record")
    with page.expect_download(timeout=60_000) as download:
        page.click("[data-role=gif]")
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == f"match-{league['match_ids'][1]}-game-0.gif"
    with Image.open(target) as gif:
        assert gif.format == "GIF" and gif.size == (480, 422)
        assert gif.n_frames == record["length"] + 1
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(gif)]
        assert {f.info.get("duration") for f in ImageSequence.Iterator(Image.open(target))} == {20}
    unit, strip = 480 / 600, 48 * 0.8
    centre = frames[0].getpixel((240, round(strip + 240 * unit)))
    assert centre == (204, 204, 204), "no centre circle where the rink has it"
    x, y = record["frames"]["puck"][-1]
    puck = frames[-1].getpixel((round(x * 60 * unit), round(strip + (8 - y) * 60 * unit)))
    assert max(puck) < 60, f"no puck at its recorded final position: {puck}"
    assert frames[0] != frames[len(frames) // 2]
    assert page.get_attribute("#replay", "data-gif-frames") == str(record["length"] + 1)


# Opponent page: legends, band, times, comparison


def _legend(page, chart: str) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        f"#{chart} .u-legend .u-series",
        "rows => rows.map(r => [r.querySelector('.u-label').textContent, r.querySelector('.u-value').textContent])")


def test_rating_legends_show_values_and_name_the_band(tab, league):
    sid, rivals = league["snapshot_id"], league["rival_ids"]
    page = tab.open(f"/opponents/{sid}?compare={rivals[0]}&compare={rivals[1]}", shot="opponent-compared")
    page.wait_for_selector("#rating-chart[data-drawn=true] canvas")
    assert page.get_attribute("#rating-chart", "data-lines") == "3"
    legend = _legend(page, "rating-chart")
    labels = [label for label, _ in legend]
    assert [value for _, value in legend if value.strip() in ("", "--", "\u2013")] == [], legend
    assert any("mu \u00b1 3\u03c3" in label for label in labels) and not any("mu + 3" in label for label in labels)
    for rival in RIVALS:
        assert any(label.startswith(rival) for label in labels)
    history = _json(page, "rating-history")
    own_mu = next(value for label, value in legend if label.endswith("mu") and "\u00b1" not in label)
    assert own_mu == f"{history['mu'][-1]:.2f}"  # the latest value, without hovering


def test_rating_times_read_in_24_hour_iso_form(tab, league):
    page = tab.open(f"/opponents/{league['snapshot_id']}")
    page.wait_for_selector("#rating-chart[data-drawn=true] canvas")
    page.select_option("#rating-axis", "time")
    page.wait_for_selector("#rating-chart[data-drawn=true] canvas")
    x_value = _legend(page, "rating-chart")[0][1]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", x_value), x_value
    drawn = tab.drawn_text("rating-chart")
    assert not [t for t in drawn if re.search(r"\d\s?(am|pm)\b", t, re.I)], drawn
    assert [t for t in drawn if re.fullmatch(r"\d{2}:\d{2}(:\d{2})?|\d{2}-\d{2}", t)], drawn


def test_an_opponent_is_added_to_the_comparison_from_the_page(tab, league):
    sid, rival = league["snapshot_id"], league["rival_ids"][1]
    page = tab.open(f"/opponents/{sid}")
    page.select_option("#compare-form select[name=compare]", str(rival))
    with page.expect_navigation():
        page.click("#compare-form button[type=submit]")
    assert page.url.endswith(f"/opponents/{sid}?compare={rival}")
    page.wait_for_selector("#rating-chart[data-lines='2']")
    with page.expect_navigation():
        page.click(f"#compare-form .chip[data-id='{rival}'] a.remove")
    page.wait_for_selector("#rating-chart[data-lines='1']")


# Training curves


def test_training_curves_are_grouped_smoothed_and_compared(tab, league):
    page = tab.open("/agents")
    mine, rival = league["agent_id"], league["rival_agent_id"]
    page = tab.open(f"/agents/{mine}?compare={rival}", shot="training-compared")
    page.wait_for_selector("#training-curves[data-drawn=true]")
    curves = _json(page, "training-metrics")
    charts = [c for g in curves["groups"] for c in g["charts"]]
    headings = page.eval_on_selector_all(".curve-group h3", "hs => hs.map(h => h.textContent)")
    assert headings == [g["title"] for g in curves["groups"]] and "Win rates" in headings and "Losses" in headings
    assert page.locator("#training-curves canvas").count() == len(charts) < 12
    scales = page.evaluate("""() => Object.fromEntries(Object.entries(window.HockeyCharts.charts).map(
        ([id, u]) => [id, {x: [u.scales.x.min, u.scales.x.max], y: [u.scales.y.min, u.scales.y.max]}]))""")
    for chart in charts:
        assert scales[chart["id"]]["x"] == [0, 11149], chart["title"]  # one shared step axis, no lone dot's own
        if chart["unit"] == "rate":
            assert scales[chart["id"]]["y"] == [0, 1], chart["title"]  # rates on 0-100 %, zero rates too
    for chart in charts:
        legend = _legend(page, f"training-curves [data-chart='{chart['id']}']")
        assert len(legend) == len(chart["series"]) + 1
        assert [v for _, v in legend if v.strip() in ("", "--")] == []
        assert not [label for label, _ in legend if "_" in label]
    assert any(label.startswith("dreamer-default-1: ") for label, _ in _legend(page, "training-curves"))

    def data(chart_id: str):
        return page.evaluate(f"window.HockeyCharts.charts['{chart_id}'].data.slice(1)")

    def raw(chart_id: str):
        return page.evaluate(f"window.HockeyCharts.charts['{chart_id}'].raw.slice(1)")

    loss = next(c["id"] for c in charts if c["title"] == "World model loss")
    assert data(loss) != raw(loss)  # smoothed by default
    page.evaluate("""() => { const s = document.getElementById('smoothing'); s.value = '0';
        s.dispatchEvent(new Event('input')); }""")
    assert page.text_content("#smoothing-value") == "0.00"
    assert data(loss) == raw(loss)


def test_the_built_in_lineage_draws_no_line_at_step_zero(tab, league):
    page = tab.open("/agents")
    page = tab.open(f"/agents/{_agent_id(page, 'builtin')}", shot="training-builtin")
    assert page.locator("canvas").count() == 0
    assert page.locator("#checkpoints tbody tr").count() == 2


def test_a_run_without_checkpoints_says_so_once(tab, league):
    page = tab.open("/agents")
    page = tab.open(f"/agents/{_agent_id(page, FRESH_RUN)}")
    page.wait_for_selector("#training-curves[data-drawn=true]")
    assert page.inner_text("main").count("No checkpoints registered yet.") == 1


def test_a_leaderboard_filter_that_matches_nothing_says_so(tab, league):
    page = tab.open("/")
    page.fill("#filter-name", "no such opponent")
    assert page.is_visible("#leaderboard-empty") and not page.is_visible("#leaderboard")
    assert "No opponent matches these filters." in page.text_content("#leaderboard-empty")
    page.click("#filter-clear")
    assert page.is_visible("#leaderboard") and not page.is_visible("#leaderboard-empty")
    assert page.locator("#leaderboard tbody tr:not([hidden])").count() == 5


# Phones


PAGES = {
    "leaderboard": lambda lg: "/",
    "opponent": lambda lg: f"/opponents/{lg['snapshot_id']}?compare={lg['rival_ids'][0]}",
    "pair": lambda lg: f"/opponents/{lg['rival_ids'][0]}/vs/{lg['snapshot_id']}",
    "head-to-head": lambda lg: "/head-to-head",
    "matches": lambda lg: "/matches",
    "match": lambda lg: f"/matches/{lg['match_ids'][0]}",
    "agents": lambda lg: "/agents",
    "training": lambda lg: f"/agents/{lg['agent_id']}",
    "live": lambda lg: "/live",
}

MID_WORD_BREAKS = """(sel) => { const broken = [];
  for (const el of document.querySelectorAll(sel)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent; let top = null;
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect || !text[i].trim()) continue;
        if (top !== null && rect.top > top + 2 && /\\w/.test(text[i - 1]) && /\\w/.test(text[i])) broken.push(text);
        top = rect.top;
      } } }
  return broken; }"""


@pytest.mark.parametrize("name", list(PAGES))
def test_phone_pages_fit_the_screen(phone, league, name):
    page = phone.open(PAGES[name](league), shot=f"mobile-{name}")
    page.wait_for_timeout(300)  # charts and the heatmap size themselves
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways: {width} px wide"
    rows = page.eval_on_selector_all("header nav a", "links => new Set(links.map(a => Math.round(a.getBoundingClientRect().top))).size")
    assert rows <= 2, f"the navigation takes {rows} lines"
    strip = page.evaluate("""() => { const s = document.getElementById('status-strip'), b = s.getBoundingClientRect();
        return {right: b.right, clipped: s.scrollWidth > s.clientWidth + 1}; }""")
    assert strip["right"] <= PHONE["width"] and not strip["clipped"], strip
    broken = page.evaluate(MID_WORD_BREAKS, "td.name, td a, h1, .chip")
    assert broken == [], f"names broken inside a word: {broken}"


def test_the_games_column_sorts_on_a_phone(phone, league):
    page = phone.open("/")
    page.click("th[data-key=games]")
    games = page.eval_on_selector_all("#leaderboard tbody tr", "rows => rows.map(r => Number(r.dataset.games))")
    assert games == sorted(games, reverse=True)
    assert page.get_attribute("th[data-key=games]", "aria-sort") == "descending"
