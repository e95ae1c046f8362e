"""The server's CPU per rated game, and how much of it the record checks take.

Starts a real `league serve` on 127.0.0.1 (only the basic opponents; no checks by other workers),
then, as a worker, claims `--matches` jobs of 4 games, plays them here with the basic opponents and
reports each with every game's record (the server replays each record from its seed, checks its
schema and size, then stores it compressed). The server's own CPU time (user + system, from /proc)
is summed over the result posts only, so the worker's playing and claiming are left out. Then times
the record checks alone in this process, per record: the schema and size check, and the replay.
Without the checks a rated game would cost the server its CPU less theirs: the ratio printed.

    .venv/bin/python benchmarks/record_checks.py [--matches 40] [--smoke]

`--smoke` (the tests use it): 3 matches per run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from league.hockey.batch import basic_opponent_policy, play_games  # noqa: E402
from league.hockey.record import validate_record  # noqa: E402
from league.hockey.replay import replay  # noqa: E402
from tests.support.live_server import running_server  # noqa: E402

ADMIN = "benchmark-admin-token-Mn3Bv6Cx9Zl2Kj5Hg8Fd1Sa4Po7"
TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def server_cpu_s(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime


def played_games(job: dict) -> list[dict]:
    weak = {"basic_weak": True, "basic_strong": False}
    games = []
    for plan in job["games"]:
        a = basic_opponent_policy(weak[job["snapshot_a"]["kind"]], seed=plan["seed"])
        b = basic_opponent_policy(weak[job["snapshot_b"]["kind"]], seed=plan["seed"] + 1)
        one, two = (a, b) if plan["a_is_player_one"] else (b, a)
        (game,) = play_games(one, two, [plan["seed"]], [plan["one_starting"]], record=True)
        games.append({"index": plan["index"], "winner": game.winner, "length": game.length,
                      "end_reason": game.end_reason, "record": game.record})
    return games


def run(client: httpx.Client, pid: int, matches: int) -> tuple[float, int, list[dict]]:
    """Report `matches` jobs; the server's CPU seconds over the result posts, the games, the records sent."""
    cpu = 0.0
    games_rated = 0
    sent: list[dict] = []
    for _ in range(matches):
        job = client.post("/api/jobs/claim", json={}).raise_for_status().json()["job"]
        games = played_games(job)
        sent += [game["record"] for game in games]
        body = json.dumps({"lease_id": job["lease_id"], "games": games})
        before = server_cpu_s(pid)
        client.post(f"/api/jobs/{job['job_id']}/result", content=body,
                    headers={"content-type": "application/json"}).raise_for_status()
        cpu += server_cpu_s(pid) - before
        games_rated += len(games)
    return cpu, games_rated, sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matches", type=int, default=40, help="matches (of 4 games) per run")
    parser.add_argument("--smoke", action="store_true", help="3 matches per run")
    args = parser.parse_args(argv)
    if args.smoke:
        args.matches = 3
    env = {"LEAGUE_QUEUE_TARGET": "4", "LEAGUE_GAMES_PER_MATCH": "4", "LEAGUE_WRITE_RATE_PER_S": "1000",
           "LEAGUE_CHECK_SHARE": "0"}
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), ADMIN, extra_env=env) as server:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        token = httpx.post(f"{server.url}/api/tokens", headers=admin,
                           json={"name": "bench-worker", "role": "worker", "user": "admin"}
                           ).raise_for_status().json()["plaintext"]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            run(client, server.process.pid, 1)  # warm up: imports, caches
            cpu, games, records = run(client, server.process.pid, args.matches)
    size = sum(len(json.dumps(r, separators=(",", ":"))) for r in records) / len(records)
    started = time.process_time()
    for record in records:
        validate_record(record)
        len(json.dumps(record, separators=(",", ":")))
    schema_ms = (time.process_time() - started) / len(records) * 1000
    started = time.process_time()
    for record in records:
        replay(record)
    replay_ms = (time.process_time() - started) / len(records) * 1000
    with_ms = cpu / games * 1000
    without_ms = max(with_ms - schema_ms - replay_ms, 1e-3)
    print(f"records   {len(records)} sent, {size / 1024:.1f} KiB each as compact JSON")
    print(f"server CPU per rated game: with record checks {with_ms:.2f} ms, without {without_ms:.2f} ms "
          f"(x{with_ms / without_ms:.2f}; {args.matches} matches of 4 games each)")
    print(f"record checks alone: schema and size {schema_ms:.2f} ms, replay {replay_ms:.2f} ms per record, "
          "in this process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
