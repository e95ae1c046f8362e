"""ONNX policies against the same networks in torch, in the same run, and the cost of checking an upload.

1. Batched play: 64 games at once (`play_games`), both sides the same network, played once with
   the torch module (one thread) and once with its ONNX export in its own process
   (`OnnxPolicy`: onnxruntime, one thread, a pipe to the worker); figures are environment steps
   of all games per second. Networks: an 18-256-256-4 MLP, a GRU-cell policy (256, recurrent
   state) and our Dreamer (the trained checkpoint, its RSSM as the state).
2. One batched policy call (median), batch 1 and 64, torch against ONNX through its process.
3. Validating an upload: the checks from the bytes (`check_onnx`), the trial run in a limited
   process (`trial_run`, most of it starting the process and loading the model), and how fast a
   hostile 200,000-node chain is refused.

    python benchmarks/onnx_play.py [--games 64] [--repeats 3] [--smoke]

`--smoke` (the tests use it): 4 games, one repeat, fewer timed calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.checkpoint import load_agent, load_policy  # noqa: E402
from agents.config import make_config  # noqa: E402
from agents.export_onnx import export_agent  # noqa: E402
from agents.hockey_dreamer import HockeyDreamer  # noqa: E402
from agents.policy import DreamerPolicy  # noqa: E402
from league.core.errors import InvalidWeights  # noqa: E402
from league.core.kinds.onnx.check import check_onnx  # noqa: E402
from league.core.kinds.onnx.policy import OnnxPolicy  # noqa: E402
from league.core.kinds.onnx.sandbox import trial_run  # noqa: E402
from league.hockey.batch import play_games  # noqa: E402
from tests.support import onnx_models as models  # noqa: E402

TRAINED = ROOT / "checkpoints" / "dreamer.safetensors"


def networks() -> list[tuple[str, Callable[[], object], bytes]]:
    """(name, a new torch policy, the ONNX bytes) of each network."""
    mlp, gru = models.MlpActor(hidden=256), models.GruActor(hidden=256)
    if TRAINED.exists():
        agent, _ = load_agent(TRAINED)
        dreamer_name, make_dreamer = "dreamer (trained)", lambda: load_policy(TRAINED)
    else:
        agent = HockeyDreamer(make_config("default"))
        dreamer_name, make_dreamer = "dreamer (untrained)", lambda: DreamerPolicy(agent)
    return [("mlp 18-256-256-4", lambda: models.TorchPolicy(mlp), models.export(mlp)),
            ("gru cell 256", lambda: models.TorchPolicy(gru, 256), models.export(gru, 256)),
            (dreamer_name, make_dreamer, export_agent(agent))]


def play_rate(make_policy, games: int, repeats: int) -> float:
    """Environment steps per second of `games` games, both sides a policy from `make_policy` (best of repeats)."""
    best = 0.0
    one, two = make_policy(), make_policy()
    for policy in (one, two):  # warm up (and start an ONNX policy's process) outside the timing
        policy.reset(1)
        policy.act(np.zeros((1, 18), np.float32))
    for repeat in range(repeats):
        seeds = list(range(repeat * games, (repeat + 1) * games))
        begin = time.perf_counter()
        results = play_games(one, two, seeds)
        best = max(best, sum(result.length for result in results) / (time.perf_counter() - begin))
    for policy in (one, two):
        if isinstance(policy, OnnxPolicy):
            policy.close()
    return best


def call_time_us(policy, batch: int, calls: int) -> float:
    """Median microseconds of one `act` on a batch (after a warm-up call)."""
    obs = np.random.default_rng(0).normal(size=(batch, 18)).astype(np.float32)
    policy.reset(batch)
    policy.act(obs)
    times = []
    for _ in range(calls):
        begin = time.perf_counter()
        policy.act(obs)
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat (for the tests)")
    args = parser.parse_args()
    if args.smoke:
        args.games, args.repeats, args.calls = 4, 1, 20
    torch.set_num_threads(1)
    nets = networks()

    print(f"batched play: {args.games} games at once, both sides the network, environment steps per second "
          f"(best of {args.repeats})")
    for name, make_torch, data in nets:
        state_size = check_onnx(data).state_size
        torch_rate = play_rate(make_torch, args.games, args.repeats)
        onnx_rate = play_rate(lambda data=data, width=state_size: OnnxPolicy(data, width), args.games, args.repeats)
        print(f"  {name:<20} torch {torch_rate:>9,.0f} steps/s   onnx {onnx_rate:>9,.0f} steps/s   "
              f"onnx/torch {onnx_rate / torch_rate:.2f}")

    print("one batched policy call, median (the ONNX figure includes the pipe to its process):")
    for name, make_torch, data in nets:
        onnx_policy = OnnxPolicy(data, check_onnx(data).state_size)
        torch_policy = make_torch()
        figures = []
        for batch in (1, 64):
            figures.append(f"batch {batch}: torch {call_time_us(torch_policy, batch, args.calls):6.0f} us, "
                           f"onnx {call_time_us(onnx_policy, batch, args.calls):6.0f} us")
        onnx_policy.close()
        print(f"  {name:<20} " + "; ".join(figures))

    print("validating an upload:")
    for name, _, data in nets:
        begin = time.perf_counter()
        signature = check_onnx(data)
        checks = time.perf_counter() - begin
        begin = time.perf_counter()
        trial = trial_run(data, signature)
        total = time.perf_counter() - begin
        print(f"  {name:<20} {len(data) / 2**20:5.2f} MiB: checks {checks * 1e3:6.1f} ms, trial run "
              f"{total * 1e3:6.0f} ms (process start and load {trial.load_ms:.0f} ms)")
    chain = models.long_chain_bytes()
    begin = time.perf_counter()
    try:
        check_onnx(chain)
    except InvalidWeights:
        pass
    print(f"  a 200,000-node chain ({len(chain) / 2**20:.1f} MiB) refused in {(time.perf_counter() - begin) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
