"""Rated games per CPU-second of a real league against a naive one-game-at-a-time loop, same policies.

For each policy kind a pool of 8 snapshots with distinct tensors:

- `dreamer`: the committed checkpoint (`checkpoints/dreamer.safetensors`) with every tensor perturbed
  slightly (x (1 + 0.01 N(0, 1)), a seed per snapshot): Dreamer vs Dreamer;
- `onnx`: 18-256-256-4 MLP actors exported to ONNX (a seed per snapshot), each in its sandbox process.

**Naive loop**: the same 8 policies built in this process by their kinds, one game at a time, one
thread, each side's `act` once per step with its single observation, the pairs in turn; CPU time of
this process and its children (the ONNX sandboxes).

**League**: a fresh `league serve` (SQLite in a temporary directory) with the 8 snapshots and the basic
opponents retired, and real `league match-worker` processes (`--matches N`: leases held and played in
one lock step; game records uploaded, so the server's record checks are included). CPU time of the
server and the workers and all their children, read from /proc, over a window from one reported round
to the last one before `--seconds` have passed; rated games from the server's done jobs.

Printed per kind and worker count: rated games per CPU-second, the ratio to the naive loop (the target
is >= 10x for Dreamer), rated games per minute of wall time, and the server's share of the CPU.

    python benchmarks/league_throughput.py [--seconds 60] [--kinds dreamer onnx] [--workers 1 2 4]
                                           [--matches 16] [--naive-games 24] [--smoke]

`--smoke` (the tests use it): Dreamer only, 1 worker holding 4 matches, one round measured, 2 naive games.
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
from itertools import combinations
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from league.cli.up import LEAGUE  # noqa: E402
from league.core.kinds import build_policy  # noqa: E402
from league.core.schemas import SnapshotRef  # noqa: E402
from league.hockey import HockeyEnv  # noqa: E402
from league.workers.client import LeagueClient  # noqa: E402
from tests.support.live_server import start_server, stop_server  # noqa: E402

ADMIN = "benchmark-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"
POOL = 8
CLOCK = os.sysconf("SC_CLK_TCK")


# -- the pool ------------------------------------------------------------------------------------

def dreamer_pool(count: int) -> list[tuple[bytes, dict]]:
    """(weights, config) of `count` copies of the committed checkpoint, each tensor perturbed slightly."""
    from safetensors.numpy import load, save

    path = ROOT / "checkpoints" / "dreamer.safetensors"
    tensors = load(path.read_bytes())
    config = json.loads(path.with_suffix(".json").read_text())["config"]
    pool = []
    for i in range(count):
        rng = np.random.default_rng(100 + i)
        changed = {name: np.asarray(value * (1 + 0.01 * rng.standard_normal(value.shape)), dtype=value.dtype)
                   .reshape(value.shape) if value.dtype.kind == "f" else value for name, value in tensors.items()}
        pool.append((save(changed), config))
    return pool


def onnx_pool(count: int) -> list[tuple[bytes, dict]]:
    from tests.support.onnx_models import mlp_bytes

    return [(mlp_bytes(hidden=256, seed=i), {}) for i in range(count)]


POOLS = {"dreamer": dreamer_pool, "onnx": onnx_pool}


# -- CPU time of process trees --------------------------------------------------------------------

def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its waited-for children) from /proc/PID/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / CLOCK  # utime stime cutime cstime


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds used so far by `roots` and every live descendant (exited ones count in their parent)."""
    stats = {int(name): _stat(int(name)) for name in os.listdir("/proc") if name.isdigit()}
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        if stat is not None:
            children.setdefault(stat[0], []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or stats.get(pid) is None:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


# -- the naive loop -------------------------------------------------------------------------------

def naive_rate(kind: str, pool: list[tuple[bytes, dict]], games: int) -> tuple[float, float]:
    """(games per CPU-second, games per wall minute) of one game at a time between the pool's members."""
    import torch

    torch.set_num_threads(1)
    policies = [build_policy(SnapshotRef(id=i + 1, name=f"{kind}-{i}", kind=kind, sha256="0" * 64, config=config),
                             data) for i, (data, config) in enumerate(pool)]
    pairs = list(combinations(range(len(policies)), 2))
    env = HockeyEnv()
    cpu0, wall0 = tree_cpu([os.getpid()]), time.monotonic()
    for g in range(games):
        one, two = (policies[i] for i in pairs[g % len(pairs)])
        one.reset(1)
        two.reset(1)
        env.reset(seed=g, one_starting=g % 2 == 0)
        views = env._views()
        while not env.done:
            a1 = np.asarray(one.act(np.asarray([views[0]])))[0]
            a2 = np.asarray(two.act(np.asarray([views[1]])))[0]
            env._advance(np.clip(np.hstack([a1, a2]), -1, 1).astype(np.float32).tolist())
            views = env._views()
    cpu, wall = tree_cpu([os.getpid()]) - cpu0, time.monotonic() - wall0
    for policy in policies:
        getattr(policy, "close", lambda: None)()
    return games / cpu, games * 60 / wall


# -- the league -----------------------------------------------------------------------------------

def prepare_pool(client: LeagueClient, kind: str, pool: list[tuple[bytes, dict]]) -> None:
    """Register the pool, retire every other opponent."""
    ids = {client.register_opponent({"agent": f"bench-{kind}-{i}", "kind": kind, "config": config, "step": i},
                                    data).id for i, (data, config) in enumerate(pool)}
    for item in client.list_opponents(limit=500).items:
        if item.id not in ids:
            client.set_opponent_active(item.id, False)


def done_games(url: str) -> int:
    counts = httpx.get(f"{url}/api/jobs/stats", timeout=30).json()["counts"]
    return int(counts["done"])


def measure(server, workers: int, matches: int, seconds: float, cache: Path, rounds: int | None) -> dict:
    """Rated games per CPU-second and per wall minute with `workers` match workers."""
    url = server.url
    with LeagueClient(url, ADMIN) as client:
        tokens = [client.create_token(f"bench-{workers}-{matches}-{i}", "worker", replace=True).plaintext
                  for i in range(workers)]
    processes = [
        subprocess.Popen([*LEAGUE, "match-worker", "--server", url, "--name", f"bench-{i}", "--cache-dir", str(cache),
                          "--poll-interval", "0.2", "--matches", str(matches), "--threads", "1"],
                         env={**os.environ, "LEAGUE_TOKEN": token, "PYTHONUNBUFFERED": "1"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for i, token in enumerate(tokens)
    ]
    roots = [server.process.pid, *(p.pid for p in processes)]
    server_cpu = lambda: tree_cpu([server.process.pid])  # noqa: E731
    try:
        start_jobs, deadline = done_games(url), time.monotonic() + 300
        while done_games(url) == start_jobs and time.monotonic() < deadline:
            time.sleep(0.2)  # warm-up: a first round has been reported
        marks = []  # (wall, cpu, server cpu, done jobs) each time the done count changes
        last, started = done_games(url), None
        while True:
            jobs = done_games(url)
            now = time.monotonic()
            if jobs != last:
                marks.append((now, tree_cpu(roots), server_cpu(), jobs))
                last = jobs
                started = started or now
            finished = rounds is not None and len(marks) > rounds
            if finished or (started and now - started > seconds) or now > deadline + seconds:
                break
            time.sleep(0.25)  # each poll is a request the server's CPU pays for
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if len(marks) < 2:
        raise RuntimeError("fewer than two reported rounds in the window: give it more --seconds")
    (w0, c0, s0, j0), (w1, c1, s1, j1) = marks[0], marks[-1]
    games = (j1 - j0) * 4
    return {"games": games, "per_cpu_s": games / (c1 - c0), "per_min": games * 60 / (w1 - w0),
            "server_share": (s1 - s0) / (c1 - c0), "cpu_s": c1 - c0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window per worker count")
    parser.add_argument("--kinds", nargs="+", default=["dreamer", "onnx"], choices=sorted(POOLS))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--matches", type=int, nargs="+", default=[32], help="leases each worker plays at once")
    parser.add_argument("--naive-games", type=int, default=24, help="games of the naive loop")
    parser.add_argument("--smoke", action="store_true", help="Dreamer, 1 worker of 4 matches, one round")
    args = parser.parse_args()
    rounds = None
    if args.smoke:
        args.kinds, args.workers, args.matches, args.naive_games, rounds = ["dreamer"], [1], [4], 2, 1
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="league-throughput-") as tmp:
        tmp_path = Path(tmp)
        for kind in args.kinds:
            pool = POOLS[kind](POOL)
            naive_cpu, naive_min = naive_rate(kind, pool, args.naive_games)
            print(f"{kind:>8} naive loop: {naive_cpu:7.2f} games per CPU-second, {naive_min:7.1f} games/min", flush=True)
            server = start_server(tmp_path / kind, ADMIN, extra_env={"LEAGUE_WRITE_RATE_PER_S": "1000",
                                                                     "LEAGUE_WRITE_BURST": "1000"})
            try:
                with LeagueClient(server.url, ADMIN, timeout=120) as client:
                    prepare_pool(client, kind, pool)
                for matches in args.matches:
                    for workers in args.workers:
                        got = measure(server, workers, matches, args.seconds, tmp_path / "cache", rounds)
                        ratio = got["per_cpu_s"] / naive_cpu
                        rows.append((kind, workers, matches, got, ratio))
                        print(f"{kind:>8} {workers} worker(s), {matches} matches: {got['per_cpu_s']:7.2f} rated games "
                              f"per CPU-second ({ratio:5.1f}x naive), {got['per_min']:7.1f} rated games/min, "
                              f"server {100 * got['server_share']:.0f} % of {got['cpu_s']:.0f} CPU-s "
                              f"({got['games']} games)", flush=True)
            finally:
                stop_server(server)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
