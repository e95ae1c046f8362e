"""Rated games per minute of a real league: 1, 2 and 4 match workers, two kinds of pairing.

For each pairing a fresh `league serve` (SQLite in a temporary directory) holds exactly two active
opponents, so every job is that pairing:

- Dreamer vs Dreamer: two Dreamer snapshots of the default preset (the committed checkpoint and a
  freshly initialised network, or two fresh ones), the basic opponents retired;
- basic vs Dreamer: the strong basic opponent and one Dreamer snapshot.

Each worker count runs real `league match-worker` processes (game records uploaded, as in a league)
for a warm-up and then a measured window; rated games are read from the server's head-to-head count.
Printed: games per minute and the ratio to one worker (the baseline, measured in the same run).

    python benchmarks/league_throughput.py [--seconds 40] [--workers 1 2 4] [--smoke]

`--smoke` (the tests use it): one worker, basic vs Dreamer only, a 2 s window after the warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from league.cli.up import LEAGUE  # noqa: E402
from league.workers.client import LeagueClient  # noqa: E402
from tests.support.live_server import start_server, stop_server  # noqa: E402

ADMIN = "benchmark-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


def dreamer_snapshots(directory: Path, count: int) -> list[tuple[bytes, dict]]:
    """(weights, meta) of `count` default-preset Dreamer snapshots: committed ones first, then fresh."""
    import torch

    from agents.checkpoint import save_checkpoint
    from agents.config import make_config
    from agents.hockey_dreamer import HockeyDreamer

    torch.set_num_threads(1)
    found = []
    for path in sorted((ROOT / "checkpoints").glob("*.safetensors"))[:count]:
        found.append((path.read_bytes(), json.loads(path.with_suffix(".json").read_text())))
    for i in range(count - len(found)):
        torch.manual_seed(1000 + i)
        path = save_checkpoint(directory / f"fresh-{i}", HockeyDreamer(make_config("default")), {"step": i})
        found.append((path.read_bytes(), json.loads(path.with_suffix(".json").read_text())))
    return found


def prepare_pool(client: LeagueClient, pairing: str, snapshots: list[tuple[bytes, dict]]) -> tuple[int, int]:
    """Register the Dreamer snapshots, retire every other opponent; the two active ids."""
    ids = []
    wanted = 2 if pairing == "dreamer-vs-dreamer" else 1
    for i, (weights, meta) in enumerate(snapshots[:wanted]):
        answer = client.register_opponent({"agent": f"bench-{i}", "kind": "dreamer", "config": meta["config"],
                                           "step": int(meta.get("step", 0))}, weights)
        ids.append(answer.id)
    keep = "basic_strong" if pairing == "basic-vs-dreamer" else None
    for item in client.list_opponents(limit=500).items:
        if item.kind == keep:
            ids.insert(0, item.id)
        elif item.id not in ids:
            client.set_opponent_active(item.id, False)
    return ids[0], ids[1]


def games_between(url: str, a: int, b: int) -> int:
    rows = httpx.get(f"{url}/api/head-to-head", params={"opponent": a, "other": b}, timeout=10).json()
    return int(rows[0]["games"]) if rows else 0


def measure(url: str, a: int, b: int, workers: int, seconds: float, cache: Path) -> float:
    """Games per minute between `a` and `b` with `workers` match workers."""
    env = {**os.environ, "LEAGUE_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1"}
    processes = [
        subprocess.Popen([*LEAGUE, "match-worker", "--server", url, "--name", f"bench-{i}",
                          "--cache-dir", str(cache), "--poll-interval", "0.2"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for i in range(workers)
    ]
    try:
        start_games = games_between(url, a, b)
        deadline = time.monotonic() + 120
        while games_between(url, a, b) == start_games and time.monotonic() < deadline:
            time.sleep(0.5)  # warm-up: every worker has imported, downloaded and played once
        time.sleep(3)
        first, started = games_between(url, a, b), time.monotonic()
        time.sleep(seconds)
        last, elapsed = games_between(url, a, b), time.monotonic() - started
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return (last - first) * 60.0 / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="measured window per worker count")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--pairings", nargs="+", default=["dreamer-vs-dreamer", "basic-vs-dreamer"])
    parser.add_argument("--smoke", action="store_true", help="one worker, basic vs Dreamer only, a 2 s window")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.workers, args.pairings = 2.0, [1], ["basic-vs-dreamer"]
    results: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="league-throughput-") as tmp:
        tmp_path = Path(tmp)
        snapshots = dreamer_snapshots(tmp_path, 2)
        for pairing in args.pairings:
            server = start_server(tmp_path / pairing, ADMIN, extra_env={"LEAGUE_QUEUE_TARGET": "16"})
            try:
                with LeagueClient(server.url, ADMIN) as client:
                    a, b = prepare_pool(client, pairing, snapshots)
                results[pairing] = {}
                for workers in args.workers:
                    rate = measure(server.url, a, b, workers, args.seconds, tmp_path / "cache")
                    results[pairing][workers] = rate
                    print(f"{pairing:>20}  {workers} worker(s): {rate:7.1f} rated games/min", flush=True)
            finally:
                stop_server(server)
    print(f"\nrated games per minute on this machine ({os.cpu_count()} CPUs), ratio to 1 worker:")
    for pairing, rates in results.items():
        base = rates.get(min(rates)) or float("nan")
        cells = "  ".join(f"{w} workers {r:6.1f} ({r / base:4.2f}x)" for w, r in rates.items())
        print(f"  {pairing:>20}: {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
