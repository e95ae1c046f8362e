"""The dashboard's pages over real HTTP: a `league serve` on 127.0.0.1 over a SQLite league built
with the league core's own functions and real games (the game's batched play, recorded).

`build_league` is shared with the browser tests. It registers a Dreamer snapshot (debug preset)
whose name and lineage hold HTML and script, posts training metrics for it under the trainer's own
names, and plays match jobs as a worker does: claim a job, play its planned games with the game's
batched play (recorded), report. With `rivals`, a second lineage adds two snapshots whose names
differ only after the "@" (`RIVALS`), with curves of its own.
"""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import httpx
import pytest
import torch
from markupsafe import escape
from sqlalchemy import select

from league.core.db import make_sessionmaker
from league.core.jobs import claim_job, report_result
from league.core.matchmaking import create_match
from league.core.metrics import record_metrics
from league.core.migrate import upgrade
from league.core.models import Agent, Rating, RatingChange, Snapshot
from league.core.registration import register_snapshot
from league.core.settings import Settings
from league.core.snapshots import get_weights
from league.hockey.batch import play_games
from league.workers.policies import PolicyLoader
from league.workers.weights_cache import WeightsCache
from tests.support.app_client import debug_config, weights_for
from tests.support.live_server import database_url, running_server

ADMIN = "dashboard-test-admin-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
HOSTILE_NAME = '<script>alert("name")</script><b>bold</b> & \'q\''
HOSTILE_AGENT = '<img src=x onerror=alert(1)>-lineage'
SERVER_ENV = {"LEAGUE_WORKER_SEEN_SECONDS": "3600"}  # the builder's worker still counts as seen
RIVAL_AGENT = "dreamer-default-1"
RIVALS = (f"{RIVAL_AGENT}@5678", f"{RIVAL_AGENT}@11149")


def trainer_metrics(last_step: int, every: int, *, seed: int = 0) -> list[dict]:
    """Metrics lines as the trainer posts them: losses, returns, counters, a training win rate, a loss
    rate that stays 0, and one evaluation at the last step."""
    lines = []
    for k, step in enumerate(range(0, last_step + 1, every)):
        lines.append({"step": step, "values": {
            "model_loss": 3.0 / (1 + step / 100) + 0.1 * ((k * 7 + seed) % 3), "actor_loss": -0.01 * k,
            "return": 0.1 * k, "replay_return": 0.08 * k, "train_win_rate": min(1.0, step / (2 * last_step)),
            "train_loss_rate": 0.0, "games": 4 * k, "grad_steps": 10 * k,
        }})
    lines.append({"step": last_step, "values": {"eval_weak_win_rate": 0.6, "eval_strong_win_rate": 0.25}})
    return lines


def build_league(data_dir: Path, *, jobs: int = 6, seed: int = 0, rivals: bool = False) -> dict:
    """A league in `data_dir/league.db` (the file `tests.support.live_server` serves): returns a summary."""
    torch.set_num_threads(1)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(data_dir)
    upgrade(url)
    settings = Settings(data_dir=data_dir, database_url=url, queue_target=1, games_per_match=2, placement_games=4)
    rng = random.Random(seed)
    with make_sessionmaker(url)() as session:
        config = debug_config()
        snapshot = register_snapshot(session, agent=HOSTILE_AGENT, config=config, step=1200,
                                     weights=weights_for(config, seed=seed), name=HOSTILE_NAME).snapshot
        record_metrics(session, HOSTILE_AGENT, trainer_metrics(1200, 100))
        rival_ids = []
        if rivals:
            for k, name in enumerate(RIVALS):
                step = int(name.rsplit("@", 1)[1])
                rival_ids.append(register_snapshot(session, agent=RIVAL_AGENT, config=config, step=step, name=name,
                                                   weights=weights_for(config, seed=seed + 10 + k)).snapshot.id)
            record_metrics(session, RIVAL_AGENT, trainer_metrics(11149, 1000, seed=1))
        loader = PolicyLoader(WeightsCache(data_dir / "weights-cache", lambda i: get_weights(session, i)))
        match_ids = []
        for _ in range(jobs):
            job = claim_job(session, "dashboard-test", settings=settings, rng=rng)
            assert job is not None, "matchmaking queued no job"
            result = play_job(job, loader.load)
            report_result(session, job.job_id, "dashboard-test", result, lease_id=job.lease_id)
            match_ids.append(job.job_id)
        create_match(session, snapshot.id, _basic_id(session), settings=settings)  # stays queued
    return {"url": url, "snapshot_id": snapshot.id, "agent_id": _agent_id(url), "match_ids": match_ids,
            "rival_ids": rival_ids, "rival_agent_id": _agent_id(url, RIVAL_AGENT) if rivals else None}


def play_job(job, load) -> dict:
    """Play a claimed job's planned games with the game's batched play, recorded; the result to report."""
    ref_a, ref_b = job.snapshot_a.model_dump(), job.snapshot_b.model_dump()
    reports = []
    for a_is_one in (True, False):
        planned = [g for g in job.games if g.a_is_player_one == a_is_one]
        if not planned:
            continue
        one, two = (load(ref_a), load(ref_b)) if a_is_one else (load(ref_b), load(ref_a))
        results = play_games(one, two, [g.seed for g in planned], [g.one_starting for g in planned], record=True)
        reports += [{"index": g.index, "winner": r.winner, "length": r.length, "end_reason": r.end_reason,
                     "record": r.record} for g, r in zip(planned, results, strict=True)]
    return {"games": sorted(reports, key=lambda r: r["index"])}


def _basic_id(session) -> int:
    return session.scalar(select(Snapshot.id).where(Snapshot.kind == "basic_weak"))


def _agent_id(url: str, name: str = HOSTILE_AGENT) -> int:
    with make_sessionmaker(url)() as session:
        return session.scalar(select(Agent.id).where(Agent.name == name))


def expected_order(url: str) -> list[str]:
    """Names of the active snapshots by mu - 3 sigma, read straight from the ratings table."""
    with make_sessionmaker(url)() as session:
        rows = session.execute(
            select(Snapshot.name, Rating.mu, Rating.sigma, Snapshot.id).join(Rating, Rating.snapshot_id == Snapshot.id)
            .where(Snapshot.active.is_(True))
        ).all()
    return [r.name for r in sorted(rows, key=lambda r: (-(r.mu - 3 * r.sigma), r.id))]


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("dashboard-pages")
    built = build_league(data_dir, jobs=5)
    with running_server(data_dir, ADMIN, extra_env=SERVER_ENV) as server:
        yield {**built, "server": server, "client": httpx.Client(base_url=server.url, timeout=30)}


def _text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def test_leaderboard_lists_the_pool_in_rating_order(league):
    page = league["client"].get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    names = [html.unescape(n) for n in re.findall(r'<tr data-rank="\d+" data-name="([^"]*)"', page.text)]
    assert names == expected_order(league["url"])
    assert "basic_strong" in names and "basic_weak" in names
    latest = re.findall(r'<tr><td><a href="/matches/(\d+)">', page.text)
    assert [int(m) for m in latest] == sorted(league["match_ids"], reverse=True)


def test_names_with_html_and_script_are_shown_as_text(league):
    client = league["client"]
    pages = ["/", f"/opponents/{league['snapshot_id']}", f"/agents/{league['agent_id']}", "/head-to-head",
             "/fragments/leaderboard"]
    for path in pages:
        body = client.get(path).text
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert "<b>bold</b>" not in body, path
    board = client.get("/").text
    assert str(escape(HOSTILE_NAME)) in board
    assert HOSTILE_NAME in _text_of(board)
    # Script data travels as JSON with <, > and & escaped, so it cannot close its script block.
    h2h = client.get("/head-to-head").text
    block = re.search(r'<script type="application/json" id="head-to-head">(.*?)</script>', h2h, re.S).group(1)
    assert "\\u003cscript\\u003e" in block and "<" not in block


def test_opponent_page_has_history_matches_and_weights(league):
    sid = league["snapshot_id"]
    body = league["client"].get(f"/opponents/{sid}").text
    with make_sessionmaker(league["url"])() as session:
        sha = session.scalar(select(Snapshot.weights_sha256).where(Snapshot.id == sid))
        changes = len(session.scalars(select(RatingChange.id).where(RatingChange.snapshot_id == sid)).all())
    assert changes > 0
    assert sha in body
    assert f'href="/api/opponents/{sid}/weights"' in body
    history = re.search(r'id="rating-history">(.*?)</script>', body, re.S).group(1)
    data = json.loads(history)
    assert len(data["mu"]) == changes + 1 and data["games"] == list(range(changes + 1))
    assert 'id="recent-matches"' in body and 'id="versus"' in body
    weights = league["client"].get(f"/api/opponents/{sid}/weights")
    assert weights.status_code == 200


def test_match_page_embeds_the_selected_record(league):
    match_id = league["match_ids"][0]
    body = league["client"].get(f"/matches/{match_id}?game=1").text
    record = json.loads(re.search(r'id="game-record">(.*?)</script>', body, re.S).group(1))
    assert record["format"] == "hockey-game-record"
    assert len(record["frames"]["puck"]) == record["length"] + 1
    assert 'class="selected"' in body


@pytest.mark.parametrize(("path", "message"), [
    ("/opponents/999999", "there is no opponent 999999"),
    ("/opponents/abc", "opponent ids are positive whole numbers"),
    ("/opponents/0", "opponent ids are positive whole numbers"),
    ("/matches/424242", "there is no match 424242"),
    ("/agents/-3", "agent ids are positive whole numbers"),
    ("/agents/777777", "there is no agent 777777"),
])
def test_unknown_or_malformed_ids_get_a_clear_html_404(league, path, message):
    response = league["client"].get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert message in html.unescape(response.text)


def test_a_game_the_match_does_not_have_is_a_404_naming_its_games(league):
    match_id = league["match_ids"][0]
    response = league["client"].get(f"/matches/{match_id}?game=9")
    assert response.status_code == 404
    assert f"match {match_id} has no game '9' (its games: 0, 1)" in html.unescape(response.text)


def test_leaderboard_fragment_answers_204_while_nothing_changed(league):
    client = league["client"]
    token = re.search(r'id="leaderboard" data-token="([^"]+)"', client.get("/").text).group(1)
    assert client.get("/fragments/leaderboard", params={"since": token}).status_code == 204
    fresh = client.get("/fragments/leaderboard", params={"since": "stale"})
    assert fresh.status_code == 200 and "<tbody>" in fresh.text and f'data-token="{token}"' in fresh.text


def test_status_strip_counts_jobs_and_workers(league):
    body = league["client"].get("/fragments/status").text
    # The builder's worker has been seen; the builder left one manual match queued.
    assert re.search(r'data-status="workers">1<', body)
    assert re.search(r'data-status="queued">1<', body)
    assert re.search(r'data-status="running">0<', body)


def test_static_files_are_vendored_and_served(league):
    client = league["client"]
    for path in ("/static/vendor/uplot-1.6.32.min.js", "/static/js/replay.js", "/static/css/dashboard.css"):
        assert client.get(path).status_code == 200, path
    for path in ("/", "/head-to-head", f"/opponents/{league['snapshot_id']}"):
        sources = re.findall(r'(?:src|href)="(https?:)?//', client.get(path).text)
        assert sources == [], f"{path} loads something from outside the server"


def test_builtin_opponent_page_says_it_has_no_weights(league):
    client = league["client"]
    board = client.get("/api/leaderboard").json()
    basic = next(r for r in board if r["name"] == "basic_strong")
    body = client.get(f"/opponents/{basic['snapshot_id']}").text
    assert "built in, no weights" in body
    assert "/weights" not in body
    assert "<h1>basic_strong" in body


def test_match_page_without_a_game_chosen_replays_the_first_recorded_game(league):
    match_id = league["match_ids"][-1]
    body = league["client"].get(f"/matches/{match_id}").text
    record = json.loads(re.search(r'id="game-record">(.*?)</script>', body, re.S).group(1))
    links = re.findall(rf'href="/matches/{match_id}\?game=(\d+)#replay"', body)
    assert links == ["0", "1"]
    assert "Replay of game 0" in body and record["frames"]["player_one"]
