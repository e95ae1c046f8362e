"""Server time of the dashboard's heaviest pages in a large league.

Builds (or reuses) a SQLite league of 500 opponents and 50,000 rated games (and training
metrics for every lineage), then times the leaderboard (`/`), head-to-head (`/head-to-head`),
match listing (`/matches`, first, deep and filtered pages, by pair and by reason), lineage listing
(`/agents`), a lineage's training curves (`/agents/{id}`, alone and compared with another run), the
busiest opponent's page (alone and with its rating compared to six others) and a pair's page
(`/opponents/{a}/vs/{b}`) through the real app in process,
each the median of several requests, against the 200 ms budget and as a ratio to the league
core's leaderboard rows dumped as JSON (what the uncached REST API computes) in the same run.
It also times the league core's head-to-head listing (`league.core.leaderboard.head_to_head`, one
pydantic object per pair) against its light matrix read (`head_to_head_matrix`, one tuple per pair,
what the heatmap page shows), and the core reads behind the other pages on their own (the
busiest snapshot's standing, rating series, recent matches and results against others; every
lineage; one lineage's curves and snapshots), so a slow page shows whether its read or its
template is slow.

Snapshots are registered with the core's `register_snapshot` (valid weights of the smallest
agent config, a few KiB each); the game history (matches,
games, rating changes, head-to-head counts, ratings) is written in bulk with real TrueSkill
updates (`league.core.rating.rate_game`), since playing 50,000 games would take hours here.

    .venv/bin/python benchmarks/dashboard.py [--opponents 500] [--games 50000] [--db PATH] [--smoke]

`--smoke` (the tests use it): 4 opponents, 40 games, one request per page, a throwaway database.
"""

from __future__ import annotations

import argparse
import atexit
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import func, insert, select, update
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from league.core.db import make_engine, make_sessionmaker, write_transaction  # noqa: E402
from league.core.leaderboard import head_to_head as core_head_to_head  # noqa: E402
from league.core.leaderboard import head_to_head_matrix, pair_counts  # noqa: E402
from league.core.leaderboard import leaderboard as core_leaderboard  # noqa: E402
from league.core.lineages import lineage_detail  # noqa: E402
from league.core.lineages import lineages as every_lineage  # noqa: E402
from league.core.metrics import record_metrics  # noqa: E402
from league.core.migrate import upgrade  # noqa: E402
from league.core.models import Agent, Game, Match, PairStats, Rating, RatingChange, Snapshot, TrainingMetric  # noqa: E402
from league.core.rating import Skill, rate_game  # noqa: E402
from league.core.registration import register_snapshot  # noqa: E402
from league.core.schemas import LeaderboardRow  # noqa: E402
from league.core.settings import Settings  # noqa: E402
from league.core.standings import (  # noqa: E402
    opponent_detail,
    pair_standing,
    rating_comparison,
    rating_series,
    recent_matches,
    versus,
)
from tests.support.league_helpers import TINY_CONFIG, tiny_weights  # noqa: E402

BUDGET_MS = 200.0
GAMES_PER_MATCH = 4
DRAW_RATE = 0.3
METRIC_NAMES = ("loss/model", "loss/actor", "loss/critic", "eval/win_rate_weak", "eval/win_rate_strong")
METRIC_STEPS = 500  # steps posted per lineage, every metric at each


def populate_metrics(database_url: str) -> None:
    """Post `METRIC_STEPS` steps of every metric for each trained lineage (once) with the core's `record_metrics`."""
    maker = make_sessionmaker(make_engine(database_url))
    with maker() as session:
        if session.scalar(select(func.count()).select_from(TrainingMetric)):
            return
        trained = select(Snapshot.agent_id).where(Snapshot.kind == "dreamer")
        for name in tqdm(session.scalars(select(Agent.name).where(Agent.id.in_(trained))).all(),
                         desc="post metrics", disable=None):
            record_metrics(session, name, [
                {"step": 100 * k, "values": {m: 1.0 / (1 + k + j) for j, m in enumerate(METRIC_NAMES)}}
                for k in range(METRIC_STEPS)
            ])


def populate(database_url: str, n_opponents: int, n_games: int, seed: int = 0) -> None:
    """Fill an upgraded league database with `n_opponents` snapshots and `n_games` rated games."""
    rng = random.Random(seed)
    maker = make_sessionmaker(make_engine(database_url))
    with maker() as session:
        lineages = [f"run-{k:02d}" for k in range(max(1, n_opponents // 50))]
        have = session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.kind == "dreamer")) or 0
        for k in tqdm(range(have, n_opponents), desc="register snapshots", disable=None, initial=have,
                      total=n_opponents):
            register_snapshot(session, agent=lineages[k % len(lineages)], config=TINY_CONFIG,
                              step=1000 * (k // len(lineages) + 1), weights=tiny_weights(seed=k))
        if session.scalar(select(func.count()).select_from(Game)):
            return  # the history is written in one transaction: present means complete
        ids = list(session.scalars(select(Snapshot.id).order_by(Snapshot.id)))
        strength = {i: rng.gauss(0, 1.5) for i in ids}
        by_strength = sorted(ids, key=strength.get)
        skills = {i: Skill() for i in ids}
        counts = {i: [0, 0, 0, 0] for i in ids}  # games, wins, draws, losses
        pairs: dict[tuple[int, int], list] = {}
        matches, games, changes = [], [], []
        start = datetime.now(UTC) - timedelta(days=7)
        n_matches = n_games // GAMES_PER_MATCH
        game_id = change_id = 0
        for m in tqdm(range(1, n_matches + 1), desc="rate games", disable=None):
            k = rng.randrange(len(ids))
            other = min(len(ids) - 1, max(0, k + rng.choice([-1, 1]) * rng.randint(1, 25)))
            if other == k:
                other = (k + 1) % len(ids)
            a, b = by_strength[k], by_strength[other]
            when = start + timedelta(seconds=m * 7 * 86400 / n_matches)
            matches.append({"id": m, "snapshot_a_id": a, "snapshot_b_id": b, "n_games": GAMES_PER_MATCH,
                            "reason": "bench", "state": "done", "attempts": 1, "created_at": when,
                            "started_at": when, "finished_at": when})
            p_a = 1 / (1 + math.exp(strength[b] - strength[a]))
            for index in range(GAMES_PER_MATCH):
                game_id += 1
                r = rng.random()
                outcome = 0 if r < DRAW_RATE else (1 if rng.random() < p_a else -1)
                a_one = index % 2 == 0
                games.append({"id": game_id, "match_id": m, "index": index, "seed": rng.randrange(2**31),
                              "one_starting": index % 4 < 2, "a_is_player_one": a_one,
                              "winner": outcome if a_one else -outcome, "length": rng.randint(40, 251),
                              "end_reason": "time_limit" if outcome == 0 else "goal", "played_at": when})
                new_a, new_b = rate_game(skills[a], skills[b], outcome)
                for who, old, new in ((a, skills[a], new_a), (b, skills[b], new_b)):
                    change_id += 1
                    changes.append({"id": change_id, "snapshot_id": who, "match_id": m, "game_id": game_id,
                                    "mu_before": old.mu, "sigma_before": old.sigma, "mu_after": new.mu,
                                    "sigma_after": new.sigma, "created_at": when})
                skills[a], skills[b] = new_a, new_b
                for who, result in ((a, outcome), (b, -outcome)):
                    c = counts[who]
                    c[0] += 1
                    c[{1: 1, 0: 2, -1: 3}[result]] += 1
                low, high = sorted((a, b))
                low_result = outcome if low == a else -outcome
                p = pairs.setdefault((low, high), [0, 0, 0, 0, when])
                p[0] += 1
                p[{1: 1, 0: 2, -1: 3}[low_result]] += 1
                p[4] = when
        last = start + timedelta(days=7)
        with write_transaction(session):
            for table, rows in ((Match, matches), (Game, games), (RatingChange, changes)):
                for k in tqdm(range(0, len(rows), 5000), desc=f"write {table.__tablename__}", disable=None):
                    session.execute(insert(table), rows[k:k + 5000])
            session.execute(insert(PairStats), [
                {"low_id": lo, "high_id": hi, "games": p[0], "low_wins": p[1], "draws": p[2], "high_wins": p[3],
                 "last_played_at": p[4]} for (lo, hi), p in pairs.items()])
            session.execute(update(Rating), [
                {"snapshot_id": i, "mu": skills[i].mu, "sigma": skills[i].sigma, "games": c[0], "wins": c[1],
                 "draws": c[2], "losses": c[3], "last_played_at": last if c[0] else None}
                for i, c in counts.items()])


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm up: templates compiled, caches filled
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opponents", type=int, default=500, help="dreamer snapshots in the league (default 500)")
    parser.add_argument("--games", type=int, default=50_000, help="rated games (default 50000)")
    parser.add_argument("--db", type=Path, default=None,
                        help="SQLite file, reused when it exists (delete it to rebuild; default "
                             "test-artifacts/bench-dashboard/league.sqlite)")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page (median reported)")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds: 4 opponents, 40 games, 1 request per page, a throwaway database")
    args = parser.parse_args(argv)
    if args.smoke:
        args.opponents, args.games, args.repeat = 4, 40, 1
        if args.db is None:
            scratch = tempfile.mkdtemp(prefix="bench-dashboard-")
            atexit.register(shutil.rmtree, scratch, True)
            args.db = Path(scratch) / "league.sqlite"
    args.db = args.db or ROOT / "test-artifacts" / "bench-dashboard" / "league.sqlite"
    if args.opponents < 2 or args.games < GAMES_PER_MATCH:
        parser.error("--opponents must be at least 2 and --games at least 4")

    url = f"sqlite:///{args.db.resolve()}"
    t0 = time.perf_counter()
    upgrade(url)
    populate(url, args.opponents, args.games)
    populate_metrics(url)
    print(f"league ready in {time.perf_counter() - t0:.1f} s: {args.db}")

    app = create_app(Settings(database_url=url, data_dir=args.db.parent), upgrade_schema=False)
    with TestClient(app) as client, app.state.sessionmaker() as session:
        n_snapshots = session.scalar(select(func.count()).select_from(Snapshot))
        n_games = session.scalar(select(func.count()).select_from(Game))
        n_pairs = session.scalar(select(func.count()).select_from(PairStats))
        print(f"{n_snapshots} opponents, {n_games} games, {n_pairs} pairs that met\n")

        def get(path: str):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        as_json = TypeAdapter(list[LeaderboardRow])
        rows = [
            ("core leaderboard as JSON (baseline)",
             _median_ms(lambda: as_json.dump_json(core_leaderboard(session)), args.repeat)),
            ("GET / (leaderboard page)", _median_ms(lambda: get("/"), args.repeat)),
            ("GET /fragments/leaderboard (refresh)", _median_ms(lambda: get("/fragments/leaderboard"), args.repeat)),
            ("GET /head-to-head (heatmap page)", _median_ms(lambda: get("/head-to-head"), args.repeat)),
            ("GET /api/head-to-head (every pair, JSON)", _median_ms(lambda: get("/api/head-to-head"), args.repeat)),
        ]
        busiest = session.scalar(select(Rating.snapshot_id).order_by(Rating.games.desc()).limit(1))
        games_of_busiest = session.scalar(select(Rating.games).where(Rating.snapshot_id == busiest))
        low, high, *_ = max(pair_counts(session, busiest), key=lambda pair: pair[2])  # its most played pair
        rival = high if low == busiest else low
        others = list(session.scalars(select(Rating.snapshot_id).where(Rating.snapshot_id != busiest)
                                      .order_by(Rating.games.desc()).limit(6)))
        compare = "&".join(f"compare={i}" for i in others)
        trained = session.scalar(select(Snapshot.agent_id).where(Snapshot.id == busiest))
        other_run = session.scalar(select(Snapshot.agent_id).where(Snapshot.agent_id != trained,
                                                                   Snapshot.kind == "dreamer").limit(1))
        rows += [
            (f"GET /opponents/{busiest} ({games_of_busiest} games)",
             _median_ms(lambda: get(f"/opponents/{busiest}"), args.repeat)),
            ("GET /matches/1", _median_ms(lambda: get("/matches/1"), args.repeat)),
            ("GET /matches (first page of 50)", _median_ms(lambda: get("/matches"), args.repeat)),
            ("GET /matches?offset=10000 (deep page)", _median_ms(lambda: get("/matches?offset=10000"), args.repeat)),
            (f"GET /matches?opponent={busiest}&state=done",
             _median_ms(lambda: get(f"/matches?opponent={busiest}&state=done"), args.repeat)),
            ("GET /matches?reason=league (by reason)", _median_ms(lambda: get("/matches?reason=league"), args.repeat)),
            (f"GET /matches?opponent={busiest}&versus={rival} (a pair)",
             _median_ms(lambda: get(f"/matches?opponent={busiest}&versus={rival}"), args.repeat)),
            (f"GET /opponents/{busiest}?compare=... (6 compared)",
             _median_ms(lambda: get(f"/opponents/{busiest}?{compare}"), args.repeat)),
            (f"GET /opponents/{busiest}/vs/{rival} (pair page)",
             _median_ms(lambda: get(f"/opponents/{busiest}/vs/{rival}"), args.repeat)),
            ("GET /agents (every lineage)", _median_ms(lambda: get("/agents"), args.repeat)),
            (f"GET /agents/{trained} (training curves)", _median_ms(lambda: get(f"/agents/{trained}"), args.repeat)),
            (f"GET /agents/{trained}?compare={other_run} (two runs)",
             _median_ms(lambda: get(f"/agents/{trained}?compare={other_run}"), args.repeat)),
        ]
        width = max(len(name) for name, _ in rows)
        baseline = rows[0][1]
        print(f"{'request':<{width}}  {'median ms':>9}  {'of budget':>9}  {'vs JSON':>8}")
        for name, ms in rows:
            print(f"{name:<{width}}  {ms:9.1f}  {ms / BUDGET_MS:9.0%}  {ms / baseline:6.2f}x")
        sizes = {path: len(get(path).content) / 1024 for path in ("/", "/head-to-head", "/matches", "/agents")}
        print("\npage sizes: " + ", ".join(f"{path} {kib:.0f} KiB" for path, kib in sizes.items()))

        core_ms = _median_ms(lambda: core_head_to_head(session), max(3, args.repeat // 3))
        matrix_ms = _median_ms(lambda: head_to_head_matrix(session), args.repeat)
        print(f"\nhead-to-head data: core listing {core_ms:.1f} ms, core matrix read {matrix_ms:.1f} ms "
              f"(ratio {core_ms / matrix_ms:.1f}x)")

        def opponent_reads():
            series = rating_series(session, busiest)
            return opponent_detail(session, busiest), recent_matches(session, busiest, series), versus(session, busiest)

        reads = [
            (f"opponent {busiest}: standing, series, matches, versus", _median_ms(opponent_reads, args.repeat)),
            ("every lineage", _median_ms(lambda: every_lineage(session), args.repeat)),
            (f"lineage {trained}: curves and snapshots", _median_ms(lambda: lineage_detail(session, trained), args.repeat)),
            (f"{busiest} and 6 others: rating series",
             _median_ms(lambda: rating_comparison(session, [busiest, *others]), args.repeat)),
            (f"pair {busiest} vs {rival}", _median_ms(lambda: pair_standing(session, busiest, rival), args.repeat)),
        ]
        print("core reads behind the pages: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in reads))
        over = [name for name, ms in rows[1:] if ms > BUDGET_MS]
        print("all pages within budget" if not over else f"over the {BUDGET_MS:.0f} ms budget: {', '.join(over)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
