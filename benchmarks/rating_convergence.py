"""How many games until the leaderboard is right: our matchmaking versus random pairing.

A simulated pool of 16 members with known strengths (two of them the basic opponents) plays
matches of 4 games; each game's result is drawn from a known win/draw model, and every game
updates the TrueSkill ratings with the league's own `rate_game`. After each round of matches
the leaderboard order (by `mu - 3 sigma`) is compared with the true order by Kendall's tau.
The figure is the number of games until tau first reaches 0.9, averaged over several runs.
Ours plans rounds with `league.core.pairing.plan_pairings` (as the queue does: 8 matches ahead),
the baseline pairs two members uniformly at random. Target: ours needs at most half the games.

Run: `python benchmarks/rating_convergence.py [--runs 32] [--seed 0]`. Exit 0 when the target holds.
`--smoke` runs two leagues per strategy and does not judge the target (the tests use it).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys

from tqdm import tqdm

from league.core.pairing import Candidate, plan_pairings
from league.core.rating import DRAW_PROBABILITY, initial_skill, rate_game
from league.core.settings import Settings

POOL = 16
GAMES_PER_MATCH = Settings.model_fields["games_per_match"].default
ROUND = Settings.model_fields["queue_target"].default  # matches planned ahead, like the job queue
PLACEMENT_GAMES = Settings.model_fields["placement_games"].default
TAU_TARGET = 0.9
BATCH_ROUND = 32  # matches a batch worker claims at once (the queue is topped up to the claim)
BATCH_POOL = 64  # a pool larger than a plan's 64 places, where snapshots need not recur by themselves
RECURRENCE = Settings.model_fields["plan_recurrence"].default
MAX_GAMES = 40_000
SPACING = 1.0  # logits of win odds between neighbours in the true order (73 % of decisive games)
DRAW_PEAK = DRAW_PROBABILITY  # draw probability between equals (as measured for hockey), falling with the gap


def outcome(strength_a: float, strength_b: float, rng: random.Random) -> int:
    """+1, 0 or -1 for a: draws most likely between equals, decisive games logistic in the gap."""
    gap = strength_a - strength_b
    if rng.random() < DRAW_PEAK * math.exp(-(gap**2) / 8):
        return 0
    return 1 if rng.random() < 1 / (1 + math.exp(-gap)) else -1


def kendall_tau(order: list[int], truth: dict[int, float]) -> float:
    """Kendall's tau between a ranking (best first) and true strengths (no ties)."""
    concordant = discordant = 0
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            if truth[order[i]] > truth[order[j]]:
                concordant += 1
            else:
                discordant += 1
    return (concordant - discordant) / (concordant + discordant)


def make_pool(rng: random.Random, size: int = POOL) -> tuple[dict[int, float], dict[int, str]]:
    """True strengths for ids 0..size-1 (shuffled); ids 0 and 1 are the weak and strong basic opponents."""
    levels = [SPACING * 16 / size * k for k in range(size)]
    rng.shuffle(levels)
    strengths = dict(enumerate(levels))
    kinds = {i: "dreamer" for i in strengths}
    by_strength = sorted(strengths, key=strengths.get)
    strengths[0], strengths[by_strength[1]] = strengths[by_strength[1]], strengths[0]  # weak: 2nd lowest
    mid = by_strength[size // 2 - 1]
    strengths[1], strengths[mid] = strengths[mid], strengths[1]  # strong: mid pool
    kinds[0], kinds[1] = "basic_weak", "basic_strong"
    return strengths, kinds


def games_to_converge(strategy: str, seed: int, *, round_size: int = ROUND, recurrence: float = 0.0,
                      distinct: list[int] | None = None, pool: int = POOL) -> int:
    """Games until tau >= TAU_TARGET; `distinct` collects the snapshots in each planned round."""
    rng = random.Random(seed)
    strengths, kinds = make_pool(rng, pool)
    skills = {i: initial_skill() for i in strengths}
    played = dict.fromkeys(strengths, 0)
    games = 0
    while games < MAX_GAMES * pool // POOL:
        if strategy == "ours":
            candidates = [Candidate(i, skills[i].mu, skills[i].sigma, played[i], 0, kinds[i]) for i in strengths]
            pairs = [(p.a_id, p.b_id) for p in plan_pairings(
                candidates, round_size, games_per_match=GAMES_PER_MATCH, placement_games=PLACEMENT_GAMES, rng=rng,
                recurrence=recurrence)]
        else:
            pairs = [tuple(rng.sample(sorted(strengths), 2)) for _ in range(round_size)]
        if distinct is not None:
            distinct.append(len({i for pair in pairs for i in pair}))
        for a, b in pairs:
            for _ in range(GAMES_PER_MATCH):
                skills[a], skills[b] = rate_game(skills[a], skills[b], outcome(strengths[a], strengths[b], rng))
                played[a] += 1
                played[b] += 1
                games += 1
            order = sorted(strengths, key=lambda i: -skills[i].score)
            if kendall_tau(order, strengths) >= TAU_TARGET:
                return games
    return games


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32, help="simulated leagues per strategy (default 32)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few seconds: 2 runs, the target not judged")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 2
    results: dict[str, list[int]] = {"ours": [], "random": []}
    for run in tqdm(range(args.runs), desc="simulated leagues", disable=None):
        for strategy in results:
            results[strategy].append(games_to_converge(strategy, args.seed * 1000 + run))
    ours, baseline = statistics.mean(results["ours"]), statistics.mean(results["random"])
    ratio = ours / baseline
    for strategy, counts in results.items():
        print(f"{strategy:>6}: games to tau>={TAU_TARGET}: mean {statistics.mean(counts):.0f}, "
              f"median {statistics.median(counts):.0f}, runs {counts}")
    ok = ratio <= 0.5
    print(f"games to Kendall tau >= {TAU_TARGET} over {args.runs} runs: ours {ours:.0f}, random pairing "
          f"{baseline:.0f}, ratio {ratio:.2f} (target <= 0.50: {'met' if ok else 'missed'})")
    same = recurrence_comparison(args.runs, args.seed)
    return 0 if (ok and same) or args.smoke else 1


def recurrence_comparison(runs: int, seed: int) -> bool:
    """Ours planning 32 matches at a time (a batch worker's claim), with and without the batching
    preference: the snapshots per plan (fewer: bigger batches per policy) and the games to converge."""
    figures = {}
    for recurrence in (0.0, RECURRENCE):
        distinct: list[int] = []
        counts = [games_to_converge("ours", seed * 1000 + run, round_size=BATCH_ROUND, recurrence=recurrence,
                                    distinct=distinct, pool=BATCH_POOL) for run in range(runs)]
        figures[recurrence] = (statistics.mean(counts), statistics.mean(distinct))
        print(f"plans of {BATCH_ROUND} matches, recurrence {recurrence:g}: games to tau>={TAU_TARGET} mean "
              f"{figures[recurrence][0]:.0f}; snapshots per plan {figures[recurrence][1]:.1f} of {BATCH_POOL}")
    (base_games, base_distinct), (games, distinct_mean) = figures[0.0], figures[RECURRENCE]
    same = games <= 1.1 * base_games
    print(f"batching preference: {distinct_mean / base_distinct:.2f}x the snapshots per plan, "
          f"{games / base_games:.2f}x the games to converge (target <= 1.10: {'met' if same else 'missed'})")
    return same


if __name__ == "__main__":
    sys.exit(main())
