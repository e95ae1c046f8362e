"""A newcomer's first minutes: where a weak trainee ranks, and how many games go to equal copies.

The scenario of a newcomer's `league up`: the committed checkpoint, a re-saved copy of it (the same
tensors in a file with other metadata), three snapshots of a fresh training run (freshly initialised
agents of the default config: they barely touch the puck) and the two basic opponents. The league's
own matchmaking, workers' batch play (`league.workers.runner.play_jobs`, 32 matches at a time) and
rating run in this process on a SQLite file for `--seconds` of wall time, every game really played.
Every `--every` seconds it prints the leaderboard order and where each trainee ranks; at the end,
how many games each pair played and how many were draws, the games between the checkpoint and its
copy (none: the copy is the same snapshot) and whether any trainee ever ranked above basic_strong
after its placement games.

    .venv/bin/python benchmarks/newcomer.py [--seconds 300] [--every 30] [--smoke]

`--smoke` (the tests use it): 12 seconds, printed every 6.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.checkpoint import save_checkpoint  # noqa: E402
from agents.config import make_config  # noqa: E402
from agents.hockey_dreamer import HockeyDreamer  # noqa: E402
from league.core.db import make_engine, make_sessionmaker  # noqa: E402
from league.core.jobs import claim_jobs, report_result  # noqa: E402
from league.core.leaderboard import leaderboard  # noqa: E402
from league.core.migrate import upgrade  # noqa: E402
from league.core.models import Game, Match  # noqa: E402
from league.core.registration import register_snapshot  # noqa: E402
from league.core.settings import Settings  # noqa: E402
from league.core.snapshots import get_weights  # noqa: E402
from league.workers.policies import PolicyLoader  # noqa: E402
from league.workers.weights_cache import WeightsCache  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "checkpoints" / "dreamer.safetensors"
TRAINEES = ("trainee@0", "trainee@1", "trainee@2")


def register_pool(session, directory: Path) -> dict[str, int]:
    """The checkpoint, its re-saved copy, three fresh trainees; their snapshot ids by name."""
    meta = json.loads(CHECKPOINT.with_suffix(".json").read_text())
    data = CHECKPOINT.read_bytes()
    ids = {"checkpoint": register_snapshot(session, agent="champion", config=meta["config"], step=meta.get("step", 0),
                                           weights=data).snapshot.id}
    copy = register_snapshot(session, agent="champion-copy", config=meta["config"], step=1, weights=data,
                             notes="the same tensors, saved again")
    ids["copy"] = copy.snapshot.id
    config = make_config("default")
    for k, name in enumerate(TRAINEES):
        torch.manual_seed(k)
        weights = save_checkpoint(directory / f"{name}.safetensors", HockeyDreamer(config)).read_bytes()
        ids[name] = register_snapshot(session, agent="trainee", config=config.to_dict(), step=k,
                                      weights=weights).snapshot.id
    return ids


def ranks(session) -> dict[str, tuple[int, int]]:
    """name -> (rank, games)."""
    return {row.name: (row.rank, row.games) for row in leaderboard(session)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="wall time the league runs")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between leaderboard prints")
    parser.add_argument("--smoke", action="store_true", help="12 seconds, printed every 6")
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.every = 12.0, 6.0
    torch.set_num_threads(1)
    settings = Settings(check_share=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'league.db'}"
        upgrade(url)
        engine = make_engine(url)
        session = make_sessionmaker(engine)()
        ids = register_pool(session, Path(tmp))
        print(f"pool: {ids} (the copy {'is' if ids['copy'] == ids['checkpoint'] else 'is NOT'} the checkpoint's snapshot)")
        loader = PolicyLoader(WeightsCache(Path(tmp) / "cache", lambda i: get_weights(session, i)))
        names = {v: k for k, v in reversed(list(ids.items()))}  # the checkpoint's name wins over its copy's
        start = next_print = time.monotonic()
        above_strong: Counter[str] = Counter()
        checks = 0
        while (now := time.monotonic()) - start < args.seconds:
            jobs = claim_jobs(session, "bench", 32, settings=settings)
            results = loader.play_jobs([job.model_dump(mode="json") for job in jobs])
            for job in jobs:
                report_result(session, job.job_id, "bench", results[job.job_id], lease_id=job.lease_id,
                              settings=settings)
            board = ranks(session)
            checks += 1
            for name in TRAINEES:
                snapshot = next(r for r in leaderboard(session) if r.snapshot_id == ids[name])
                if snapshot.games >= settings.placement_games and board[snapshot.name][0] < board["basic_strong"][0]:
                    above_strong[name] += 1
            if now >= next_print:
                order = [f"{names.get(r.snapshot_id, r.name)}({r.games})" for r in leaderboard(session)]
                print(f"{now - start:6.0f} s  {sum(g for _, g in board.values()) // 2:6d} games  " + " > ".join(order))
                next_print += args.every
        pairs: Counter[tuple[str, str]] = Counter()
        draws: Counter[tuple[str, str]] = Counter()
        rows = session.execute(
            select(Match.snapshot_a_id, Match.snapshot_b_id, Game.winner)
            .join(Game, Game.match_id == Match.id).where(Game.winner.is_not(None))).all()
        label = {**names}
        for row in leaderboard(session):
            label.setdefault(row.snapshot_id, row.name)
        for a, b, winner in rows:
            key = tuple(sorted((label[a], label[b])))
            pairs[key] += 1
            draws[key] += winner == 0
        print("games (draws) per pair:")
        for key, count in pairs.most_common():
            print(f"  {key[0]:>12} vs {key[1]:<12} {count:5d} ({draws[key]} draws, {draws[key] / count:.0%})")
        copies = pairs.get(("checkpoint", "copy"), 0)
        print(f"games between the checkpoint and its copy: {copies}")
        print(f"checks at which a placed trainee ranked above basic_strong: "
              f"{sum(above_strong.values())} of {checks * len(TRAINEES)} ({dict(above_strong)})")
        session.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
