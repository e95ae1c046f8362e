"""The "how ratings work" page, the basic-opponent yardstick and the tournament pages in a real headless
browser (Debian's chromium through Playwright) against a real `league serve` over real, recorded games.

The leaderboard links the ratings page and shows each snapshot's W / D / L shares against the weak
and strong basic opponents (the shares sum to about 100 %, the columns sort); the opponent and agent
pages show them too; a tournament played by the league's own job functions lists, shows its progress,
standings, drawn crosstable heatmap and links to its replays. No page logs a console error.
"""

from __future__ import annotations

import random

import httpx
import pytest
from sqlalchemy import select

from league.core.db import make_sessionmaker
from league.core.jobs import claim_job, report_result
from league.core.models import Snapshot
from league.core.settings import Settings
from league.core.snapshots import get_weights
from league.core.tournaments import create_tournament
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache
from tests.api.test_dashboard_pages import ADMIN, SERVER_ENV, build_league, play_job
from tests.support.browser import canvas_colours, checked_tab, chromium
from tests.support.live_server import running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOURNAMENT = "autumn cup"


def play_tournament(data_dir, url: str) -> int:
    """A round robin of the basic opponents and one snapshot, 2 games per pair, played to the end."""
    settings = Settings(data_dir=data_dir, database_url=url, queue_target=0, games_per_match=2, placement_games=0)
    with make_sessionmaker(url)() as session:
        ids = sorted(session.scalars(select(Snapshot.id)))[:3]
        made = create_tournament(session, name=TOURNAMENT, participants=ids, games_per_pair=2, seed=5)
        loader = PolicyLoader(WeightsCache(data_dir / "weights-cache", lambda i: get_weights(session, i)))
        while (job := claim_job(session, "ratings-test", settings=settings, rng=random.Random(0))) is not None:
            report_result(session, job.job_id, "ratings-test", play_job(job, loader.load), lease_id=job.lease_id)
    return made.id


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ratings-browser")
    built = build_league(data_dir, jobs=4, seed=3)
    tournament_id = play_tournament(data_dir, built["url"])
    with running_server(data_dir, ADMIN, extra_env=SERVER_ENV) as server:
        yield {**built, "url_base": server.url, "tournament_id": tournament_id}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def tab(browser, league):
    with checked_tab(browser, league["url_base"]) as t:
        yield t


def shares(page, selector: str) -> list[int]:
    return [int(n) for n in page.eval_on_selector_all(f"{selector} .wdl span", "s => s.map(e => e.textContent)")]


def test_the_leaderboard_links_how_ratings_work_and_shows_the_yardstick(tab, league):
    page = tab.open("/", shot="leaderboard-yardstick")
    assert page.locator("th[data-key=vsweak]").text_content() == "vs weak"
    cells = page.locator("#leaderboard td.vs-weak .wdl")
    assert cells.count() >= 1, "no snapshot shows shares against the weak basic opponent"
    for k in range(cells.count()):
        win, draw, loss = (int(s) for s in cells.nth(k).locator("span").all_text_contents())
        assert 98 <= win + draw + loss <= 102
        assert "games" in cells.nth(k).get_attribute("title")
    assert page.locator("#leaderboard tr[data-name=basic_weak] td.vs-weak").text_content().strip() == "–"
    page.click("th[data-key=vsstrong]")
    keys = page.eval_on_selector_all("#leaderboard tbody tr", "rows => rows.map(r => r.dataset.vsstrong)")
    numbers = [float(k) for k in keys if k]
    assert numbers and numbers == sorted(numbers, reverse=True)
    page.click("#how-ratings-work")
    page.wait_for_url("**/ratings")
    assert page.locator("h1").text_content() == "How ratings work"


def test_the_ratings_page_explains_draws_with_the_numbers_in_use(tab):
    page = tab.open("/ratings", shot="ratings")
    text = page.text_content("#rating-rule")
    assert "mu − 3 sigma" in text and "its pair's own draw probability" in text
    rows = page.eval_on_selector_all("#draw-examples tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    assert rows[0] == ["0", "0", "0.35", rows[0][3]] and len(rows) == 5
    weights = [float(r[3]) for r in rows]
    assert weights[-1] < 0.05 < weights[0], "a pair that only draws must weigh little, an unplayed one much"


def test_opponent_and_agent_pages_show_the_yardstick(tab, league):
    page = tab.open(f"/opponents/{league['snapshot_id']}", shot="opponent-yardstick")
    weak, strong = shares(page, "#vs-weak"), shares(page, "#vs-strong")
    assert weak and 98 <= sum(weak) <= 102 and (not strong or 98 <= sum(strong) <= 102)
    page = tab.open(f"/agents/{league['agent_id']}")
    assert page.locator("#checkpoints th", has_text="vs weak").count() == 1
    assert page.locator("#checkpoints td.vs-weak .wdl").count() == 1


def test_the_tournament_pages_show_progress_standings_heatmap_and_replays(tab, league):
    page = tab.open("/tournaments", shot="tournaments")
    link = page.locator("#tournaments a", has_text=TOURNAMENT)
    assert link.count() == 1
    link.click()
    page.wait_for_load_state("networkidle")
    tab.shot("tournament")
    assert page.text_content("#tournament-state").strip() == "done"
    progress = page.locator("#tournament-progress progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "6"
    assert page.locator("#standings tbody tr").count() == 3
    page.wait_for_selector("#heatmap[data-drawn=true]")
    assert canvas_colours(page, "#heatmap canvas") > 3, "the crosstable heatmap is blank"
    replays = page.locator("#tournament-matches a[href$='#replay']")
    assert replays.count() == 3
    replays.first.click()
    page.wait_for_selector("#replay canvas, canvas")
    detail = httpx.get(f"{league['url_base']}/api/tournaments/{league['tournament_id']}").json()
    assert detail["state"] == "done" and detail["games_played"] == 6
