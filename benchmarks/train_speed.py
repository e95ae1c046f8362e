"""Training speed of the Dreamer agent: gradient steps per second and collection steps per second.

Variants are timed in the same run, interleaved, so that they share the machine's load:

- `straightforward`: float32, the RSSM filtered step by step with every layer inside the loop,
  imagination from every replayed time step;
- `hoisted`: the data-only parts of the RSSM's layers computed for all steps at once, the rest of
  each step fused (addmm, addcmul), resets only where a game starts;
- `hoisted+bf16`: also bfloat16 autocast for imagination and the actor-critic;
- `default` (hoisted+bf16, imagination from every 2nd step): what `league train` runs, its actor
  learning by backpropagating the returns through the imagined steps (`actor_gradient=dynamics`);
- `default, reinforce`: the same with the score-function actor gradient (no backward pass through
  imagination); the ratio of the two is printed at the end;
- `small`: the default with half the width (hidden, recurrent and latent sizes halved: 128/128/32
  for the default preset): how many more updates per second a smaller model buys (its ratio to the
  default is printed too).

Usage: python benchmarks/train_speed.py [--threads 2] [--steps 8] [--device cpu|cuda] [--smoke]

`--smoke` (the tests use it): the small `debug` preset, batch 4 x 10, one timed step, one thread,
1 s of collection.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from agents.config import make_config
from agents.hockey_dreamer import HockeyDreamer
from agents.models.sequence_model import Gaussian, SequenceModel, State
from agents.policy import DreamerPolicy
from agents.training.games import collect_games
from agents.utils.buffer import EpisodeBuffer
from agents.utils.precision import resolve_precision
from league.hockey.batch import basic_opponent_policy


def straightforward_observe(self, embeds, actions, firsts, state=None):
    """The RSSM filter written plainly: every layer of every step inside the time loop."""
    steps, batch = firsts.shape
    state = state or self.initial_state(batch, embeds.device)
    hs, zs, post_m, post_s, prior_m, prior_s = [], [], [], [], [], []
    for t in range(steps):
        state, post = self.posterior_step(state, actions[t], embeds[t], firsts[t])
        prior = self.prior(state.h)
        hs.append(state.h), zs.append(state.z)
        post_m.append(post.mean), post_s.append(post.std), prior_m.append(prior.mean), prior_s.append(prior.std)
    stack = torch.stack
    return (State(stack(hs), stack(zs)), Gaussian(stack(post_m), stack(post_s)),
            Gaussian(stack(prior_m), stack(prior_s)))


def random_games(buffer: EpisodeBuffer, rng: np.random.Generator, games: int = 60) -> None:
    for _ in range(games):
        steps = int(rng.integers(40, 252))
        buffer.add_episode(rng.normal(size=(steps + 1, 18)), rng.uniform(-1, 1, (steps, 4)),
                           rng.choice([0.0, 1.0, -1.0], steps, p=[0.98, 0.01, 0.01]), bool(rng.integers(2)))


def time_variants(variants: dict, steps: int, device: str, preset: str = "default",
                  batch: tuple[int, int] = (16, 50)) -> dict[str, float]:
    rng = np.random.default_rng(0)
    buffer = EpisodeBuffer(100_000)
    random_games(buffer, rng)
    agents = {}
    for name, (overrides, precision, plain) in variants.items():
        torch.manual_seed(0)
        agent = HockeyDreamer(make_config(preset, overrides), device=device, precision=precision)
        agents[name] = (agent, plain)
    times = {name: [] for name in variants}
    original = SequenceModel.observe
    for i in range(steps + 2):  # two warm-up rounds
        for name, (agent, plain) in agents.items():
            sample = buffer.sample(*batch, rng)
            SequenceModel.observe = straightforward_observe if plain else original
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            agent.train_step(sample)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            if i >= 2:
                times[name].append(time.perf_counter() - start)
    SequenceModel.observe = original
    return {name: (float(np.min(t)), float(np.median(t))) for name, t in times.items()}


def collection_speed(device: str, seconds: float = 8.0, preset: str = "default") -> float:
    """Environment steps per second of `league train`'s collection (8 games in lock step against the
    weak basic opponent, the learner sampling actions), without training."""
    config = make_config(preset)
    learner = DreamerPolicy(HockeyDreamer(config, device=device), deterministic=False)
    counted = [0]
    start = time.perf_counter()
    seed = 0
    while time.perf_counter() - start < seconds:
        collect_games(learner, basic_opponent_policy(True, seed), list(range(seed, seed + config.num_envs)),
                      on_step=lambda n: counted.__setitem__(0, counted[0] + n))
        seed += config.num_envs
    return counted[0] / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8, help="timed gradient steps per variant")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds: the debug preset, batch 4 x 10, 1 timed step, 1 thread, 1 s of collection")
    args = parser.parse_args()
    preset, batch, collect_s = ("debug", (4, 10), 1.0) if args.smoke else ("default", (16, 50), 8.0)
    if args.smoke:
        args.steps, args.threads = 1, 1
    torch.set_num_threads(args.threads)
    fast = resolve_precision("auto", args.device)
    preset_config = make_config(preset)
    small = "small ({}/{}/{})".format(*(getattr(preset_config, name) // 2 for name in ("hidden", "recurrent", "latent")))
    variants = {
        "straightforward": (["imagine_stride=1"], "fp32", True),
        "hoisted": (["imagine_stride=1"], "fp32", False),
        f"hoisted+{fast}": (["imagine_stride=1"], fast, False),
        f"default ({fast}, stride 2)": ([], fast, False),
        "default, reinforce": (["actor_gradient=reinforce"], fast, False),
        small: ([f"{name}={getattr(preset_config, name) // 2}" for name in ("hidden", "recurrent", "latent")],
                fast, False),
    }
    sizes = ("smoke run: debug preset, batch 4 x 10" if args.smoke
             else "default preset (hidden 256, latent 64, recurrent 256, batch 16 x 50, horizon 15)")
    print(f"{sizes}, device {args.device}, {args.threads} threads, {args.steps} timed steps per variant")
    timings = time_variants(variants, args.steps, args.device, preset, batch)
    base = timings["straightforward"][0]
    print("(the machine is shared: the fastest step shows the code, the median the load)")
    print(f"{'variant':<28}{'fastest s':>10}{'median s':>10}{'steps/s':>9}{'speed-up':>10}")
    for name, (fastest, median) in timings.items():
        print(f"{name:<28}{fastest:>10.3f}{median:>10.3f}{1 / fastest:>9.2f}{base / fastest:>9.2f}x")
    dynamics, reinforce = timings[f"default ({fast}, stride 2)"], timings["default, reinforce"]
    print(f"actor gradient through the dynamics vs reinforce: step time x{dynamics[0] / reinforce[0]:.2f} "
          f"(fastest), x{dynamics[1] / reinforce[1]:.2f} (median)")
    halved = timings[small]
    print(f"small model vs default: x{dynamics[0] / halved[0]:.2f} updates per second (fastest), "
          f"x{dynamics[1] / halved[1]:.2f} (median)")
    torch.set_num_threads(1)
    print(f"collection: {collection_speed(args.device, collect_s, preset):.0f} environment steps/s "
          f"(8 games in lock step vs the weak basic opponent, 1 thread, no training)")


if __name__ == "__main__":
    main()
