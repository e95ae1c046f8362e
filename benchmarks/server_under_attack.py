"""`/api/health` on a real `league serve` while it is attacked, against the same server idle.

Builds (or reuses) the large league of `benchmarks/dashboard.py` (500 opponents, 50,000 rated
games, training metrics), starts the server on it on 127.0.0.1 and measures `/api/health` latency
(one request every 20 ms on its own connection) in four phases of `--seconds` each:

1. idle: nothing else (the baseline);
2. big bodies: 4 clients without a token each sending 62 MiB POSTs, again and again: two to the
   upload route (multipart), two to the metrics route (a JSON array); refused 401 before the body is
   read;
3. readers: `--readers` concurrent readers of the heaviest pages (`/`, `/head-to-head`,
   `/fragments/leaderboard`, the busiest opponent's page, `/api/leaderboard`), each page again as
   soon as the last arrived;
4. both at once.

Prints each phase's health median and worst against the target (median under 100 ms, worst under
1 s) and the readers' pages per second, then the server's memory growth.

    .venv/bin/python benchmarks/server_under_attack.py [--readers 50] [--seconds 10] [--smoke]

`--smoke` (the tests use it): 4 opponents, 40 games, 3 readers, 2 s phases, a throwaway league.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.dashboard import populate, populate_metrics  # noqa: E402
from league.core.migrate import upgrade  # noqa: E402
from tests.support.live_server import database_url, running_server  # noqa: E402

ADMIN = "benchmark-admin-token-Qw7Er4Ty1Ui8Op5As2Df9Gh6Jk3"
BIG_BODY = 62 << 20
TARGET_MEDIAN_MS, TARGET_WORST_MS = 100.0, 1000.0


@dataclass
class Load:
    """What the attackers and readers did in one phase."""

    pages: int = 0
    page_errors: list[str] = field(default_factory=list)
    posts: int = 0
    post_answers: dict[str, int] = field(default_factory=dict)


def health_sampler(url: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get("/api/health").raise_for_status()
            latencies.append(time.perf_counter() - started)
            stop.wait(0.02)


def big_poster(address: tuple[str, int], stop: threading.Event, load: Load, json_body: bool) -> None:
    """POST 62 MiB without a token, again and again: a multipart upload, or a JSON array of metrics."""
    if json_body:
        route, kind, start, block = "/api/agents/x/metrics", "application/json", b'{"metrics": [', b"0," * (1 << 19)
    else:
        route, kind, start, block = "/api/opponents", "multipart/form-data; boundary=b", b"", b"x" * (1 << 20)
    blocks = BIG_BODY // len(block) - 1
    rest = BIG_BODY - len(start) - blocks * len(block)
    end = b" " * (rest - 3) + b"0]}" if json_body else b"x" * rest  # valid JSON of exactly BIG_BODY bytes
    head = (f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {BIG_BODY}\r\n\r\n").encode()
    while not stop.is_set():
        with socket.create_connection(address, timeout=30) as sock:
            sock.sendall(head + start)
            try:
                for _ in range(blocks):
                    sock.sendall(block)
                sock.sendall(end)
            except OSError:
                pass  # refused and closed before the body was read
            try:
                status = sock.recv(64).split(b" ")[1].decode()
            except (OSError, IndexError):
                status = "closed"
        load.posts += 1
        load.post_answers[status] = load.post_answers.get(status, 0) + 1


async def read_pages(url: str, paths: list[str], stop_at: float, load: Load, offset: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as client:
        k = offset
        while time.perf_counter() < stop_at:
            response = await client.get(paths[k % len(paths)])
            k += 1
            if response.status_code == 200:
                load.pages += 1
            else:
                load.page_errors.append(f"{paths[k % len(paths)]} {response.status_code}")


def run_phase(url: str, seconds: float, *, posters: int, readers: int, paths: list[str]) -> tuple[list[float], Load]:
    latencies: list[float] = []
    load = Load()
    stop = threading.Event()
    host, port = url.removeprefix("http://").split(":")
    threads = [threading.Thread(target=health_sampler, args=(url, stop, latencies), daemon=True)]
    threads += [threading.Thread(target=big_poster, args=((host, int(port)), stop, load, k % 2 == 1), daemon=True)
                for k in range(posters)]
    for thread in threads:
        thread.start()
    if readers:
        stop_at = time.perf_counter() + seconds

        async def all_readers() -> None:
            await asyncio.gather(*(read_pages(url, paths, stop_at, load, k) for k in range(readers)))

        asyncio.run(all_readers())
    else:
        time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    return latencies, load


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opponents", type=int, default=500)
    parser.add_argument("--games", type=int, default=50_000)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--dir", type=Path, default=ROOT / "test-artifacts" / "bench-attack",
                        help="the league's data directory, reused when it holds a league")
    parser.add_argument("--smoke", action="store_true", help="a few seconds on a tiny league")
    args = parser.parse_args(argv)
    if args.smoke:
        args.opponents, args.games, args.readers, args.seconds = 4, 40, 3, 2.0
        args.dir = Path(tempfile.mkdtemp(prefix="bench-attack-"))
        atexit.register(shutil.rmtree, args.dir, True)

    url = database_url(args.dir)
    args.dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    upgrade(url)
    populate(url, args.opponents, args.games)
    populate_metrics(url)
    print(f"league ready in {time.perf_counter() - started:.1f} s: {args.opponents} opponents, {args.games} games",
          flush=True)

    with running_server(args.dir, ADMIN) as server:
        board = httpx.get(f"{server.url}/api/leaderboard", timeout=60).json()
        busiest = max(board, key=lambda row: row["games"])["snapshot_id"]
        paths = ["/", "/head-to-head", "/fragments/leaderboard", f"/opponents/{busiest}", "/api/leaderboard"]
        rss_before = rss_mb(server.process.pid)
        phases = [("idle", 0, 0), ("big bodies", 4, 0), (f"{args.readers} readers", 0, args.readers),
                  ("both", 4, args.readers)]
        worst_of_attacks = 0.0
        for label, posters, readers in phases:
            latencies, load = run_phase(server.url, args.seconds, posters=posters, readers=readers, paths=paths)
            median, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
            if posters or readers:
                worst_of_attacks = max(worst_of_attacks, worst)
            extra = []
            if posters:
                extra.append(f"{load.posts} big POSTs answered {load.post_answers}")
            if readers:
                extra.append(f"{load.pages / args.seconds:.0f} pages/s, {len(load.page_errors)} not 200")
            print(f"{label:<12} health median {median:7.1f} ms  worst {worst:7.1f} ms  ({len(latencies)} checks)  "
                  + "; ".join(extra), flush=True)
        growth = rss_mb(server.process.pid) - rss_before
        met = worst_of_attacks < TARGET_WORST_MS
        print(f"server memory grew {growth:.0f} MB; target (worst < {TARGET_WORST_MS:.0f} ms, median < "
              f"{TARGET_MEDIAN_MS:.0f} ms) {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
