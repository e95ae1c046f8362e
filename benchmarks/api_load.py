"""Load on a real `league serve`: leaderboard readers while match workers post results.

Starts the server on 127.0.0.1 with a fresh SQLite file, registers a few opponents, then runs

1. baseline: the readers alone (leaderboard latency), then the workers alone (results per second);
2. load: `--readers` concurrent readers of `/api/leaderboard` while `--workers` workers claim
   jobs and post results (synthetic results: this measures the server, not the game).

Prints p50/p99 leaderboard latency and results per second for both, the ratios loaded/baseline,
and checks that no result was lost: every accepted result is a done job, and the leaderboard's
game counts add up to the games reported.

    python benchmarks/api_load.py [--readers 50] [--workers 8] [--seconds 15] [--smoke]

`--smoke` (the tests use it): 2 readers, 1 worker, 1 opponent, 3 s under load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.app_client import debug_config, registration_files, synthetic_result, weights_for  # noqa: E402
from tests.support.live_server import running_server  # noqa: E402

ADMIN = "benchmark-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    results: int = 0
    games: int = 0
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a client light enough not to be what is measured."""

    def __init__(self, url: str, token: str | None = None) -> None:
        host_port = url.removeprefix("http://")
        self.host, port = host_port.split(":")
        self.port = int(port)
        self.extra = f"Host: {host_port}\r\n" + (f"Authorization: Bearer {token}\r\n" if token else "")

    async def __aenter__(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.writer.close()

    async def request(self, method: str, path: str, payload: object = None) -> tuple[int, bytes]:
        body = b"" if payload is None else json.dumps(payload).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self.extra}"
        if payload is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        response_head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(response_head.split(b" ", 2)[1])
        length = 0
        for line in response_head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


async def reader(url: str, stop_at: float, tally: Tally) -> None:
    async with Connection(url) as connection:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            status, _ = await connection.request("GET", "/api/leaderboard")
            tally.latencies.append(time.perf_counter() - start)
            if status != 200:
                tally.errors.append(f"leaderboard {status}")


async def worker(url: str, name: str, token: str, stop_at: float, tally: Tally) -> None:
    async with Connection(url, token) as connection:
        while time.perf_counter() < stop_at:
            status, body = await connection.request("POST", "/api/jobs/claim", {})  # the worker is the token
            job = json.loads(body).get("job") if status == 200 else None
            if job is None:
                tally.errors.append(f"claim {status}: {body[:100]!r}")
                await asyncio.sleep(0.05)
                continue
            a_outcome = (job["job_id"] % 3) - 1  # wins, draws and losses alike
            result = synthetic_result(job, a_outcome=a_outcome)
            status, body = await connection.request("POST", f"/api/jobs/{job['job_id']}/result", result)
            if status == 200 and not json.loads(body)["duplicate"]:
                tally.results += 1
                tally.games += len(job["games"])
            else:
                tally.errors.append(f"result {status}: {body[:100]!r}")


async def phase(url: str, tokens: list[str], readers: int, workers: int, seconds: float
                ) -> tuple[Tally, Tally, float]:
    reads, writes = Tally(), Tally()
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(
        *(reader(url, stop_at, reads) for _ in range(readers)),
        *(worker(url, f"bench-{i}", tokens[i], stop_at, writes) for i in range(workers)),
    )
    return reads, writes, time.perf_counter() - start


def describe(label: str, reads: Tally, writes: Tally, elapsed: float) -> tuple[float, float, float]:
    p50, p99 = percentile(reads.latencies, 0.50) * 1000, percentile(reads.latencies, 0.99) * 1000
    rate = writes.results / elapsed
    parts = [f"{label:<9}"]
    if reads.latencies:
        parts.append(f"leaderboard p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                     f"({len(reads.latencies) / elapsed:.0f} reads/s)")
    if writes.results:
        parts.append(f"results {rate:6.1f}/s ({writes.results} in {elapsed:.1f} s)")
    print("  ".join(parts), flush=True)
    for error in (reads.errors + writes.errors)[:5]:
        print(f"          error: {error}")
    return p50, p99, rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each timed phase")
    parser.add_argument("--opponents", type=int, default=6, help="opponents registered besides the basic ones")
    parser.add_argument("--smoke", action="store_true", help="a few seconds: 2 readers, 1 worker, 1 opponent, 3 s")
    args = parser.parse_args()
    if args.smoke:
        args.readers, args.workers, args.seconds, args.opponents = 2, 1, 3.0, 1

    with tempfile.TemporaryDirectory() as tmp, running_server(
        Path(tmp), ADMIN, extra_env={"LEAGUE_QUEUE_TARGET": str(2 * args.workers)}
    ) as server:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        config = debug_config()
        for index in range(args.opponents):
            meta = {"agent": "bench", "kind": "dreamer", "config": config, "step": index}
            response = httpx.post(f"{server.url}/api/opponents", headers=admin, timeout=60,
                                  files=registration_files(meta, weights_for(config, seed=index)))
            response.raise_for_status()
        # a token per worker, as in a real league: the write rate is limited per token
        tokens = [httpx.post(f"{server.url}/api/tokens", json={"name": f"bench-{i}", "role": "worker", "user": "admin"},
                             headers=admin).raise_for_status().json()["plaintext"] for i in range(args.workers)]
        print(f"server {server.url}: {args.opponents + 2} opponents, {args.readers} readers, "
              f"{args.workers} workers, {args.seconds:.0f} s per phase", flush=True)

        base_reads, _, base_elapsed = asyncio.run(phase(server.url, tokens, args.readers, 0, args.seconds / 3))
        base_p50, base_p99, _ = describe("readers", base_reads, Tally(), base_elapsed)
        _, base_writes, base_w_elapsed = asyncio.run(phase(server.url, tokens, 0, args.workers, args.seconds / 3))
        _, _, base_rate = describe("workers", Tally(), base_writes, base_w_elapsed)
        reads, writes, elapsed = asyncio.run(phase(server.url, tokens, args.readers, args.workers, args.seconds))
        p50, p99, rate = describe("loaded", reads, writes, elapsed)
        print(f"ratios    loaded/baseline: leaderboard p50 x{p50 / base_p50:.1f}, p99 x{p99 / base_p99:.1f}; "
              f"results/s x{rate / base_rate:.2f}")

        accepted = base_writes.results + writes.results
        games = base_writes.games + writes.games
        done = httpx.get(f"{server.url}/api/jobs/stats").json()["counts"]["done"]
        board_games = sum(row["games"] for row in httpx.get(f"{server.url}/api/leaderboard").json()) // 2
        lost = accepted != done or games != board_games
        print(f"results   accepted {accepted}, jobs done {done}; games reported {games}, "
              f"games on the leaderboard {board_games}: {'LOST RESULTS' if lost else 'none lost'}")
        return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
