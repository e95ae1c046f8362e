"""Is the leaderboard right on real hockey, and how many CPU-seconds of games does it take?

A pool of real policies: the weak and strong basic opponents, a do-nothing and a random policy,
two scripted styles (a defender that almost only draws, a shooter), the committed Dreamer
checkpoint and versions of it that see worse (noisy observations, observations 8 steps late).
Two round robins are played with `league.hockey.batch.play_games` (mirrored pairs: each seed once
from each side), each game's result and each pair's CPU-seconds kept and cached under
`~/.cache/hockey-league/` after the first run (minutes):

- the *truth*: `--truth-games` (400) games per pair; the true order is each member's mean score
  (win 1, draw 1/2) against the rest of the field;
- the *bank*: `--bank-games` (300) more games per pair, other seeds. A strategy that asks for a
  game of a pair gets that pair's next unused bank game (a really played game, drawn in a random
  order per run; a pair whose bank is used up starts over, counted as `reused`) and is charged the
  CPU-seconds that pair's games cost on average.

Each strategy starts from a fresh pool (every member new, as registered) and plans matches of 4
games, 8 ahead (the league's `Settings` defaults); the leaderboard order (`mu - 3 sigma`) is
compared with the true order by Kendall's tau after every 8 matches:

- `ours`: the league's planner (`league.core.pairing.plan_pairings` with the pairs' head-to-head
  counts and the batching preference `plan_recurrence`, read from `LEAGUE_PLAN_RECURRENCE` as the
  league reads it) and its rating (`league.core.rating.rate_game` with the pair's draw probability);
- `old`: the planner without head-to-head counts and the rating with one draw probability for all
  pairs and TrueSkill's default skill drift (the league before it learnt about structural draws);
- `random`: uniform random pairs, `round robin`: every pair once per cycle (both rated as ours);
- two ablations: ours rated with one draw probability for all pairs, and ours with the old planner.

Pairs of members whose true scores are closer than twice the standard error of their difference
are left out of tau (the truth cannot order them; the report names them).

Figures: CPU-seconds (and games) until tau >= 0.9 first and for good (from then on to the end of
the budget), the median over `--runs` runs; tau at fixed budgets; whether the do-nothing member
ranks below basic_strong at every check after its placement; the share of draws in the games
each planner chose; and the games a re-saved copy of the checkpoint would cost (a copy of the
checkpoint added as an eleventh member, its games taken from the checkpoint's own).

    python benchmarks/rating_real.py [--runs 8] [--budget 160] [--seed 0] [--smoke]

`--smoke` (the tests use it): five members, 8 + 8 games per pair (not cached), 2 runs, 6 CPU-s each;
the targets are not judged. Exit 0 when ours reaches tau >= 0.9 for good in at most half the
CPU-seconds of random pairing and the do-nothing member stays below basic_strong.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import trueskill

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support.rating_games import (  # noqa: E402
    CACHE,
    COPY,
    MEMBERS,
    SMOKE_MEMBERS,
    PairGames,
    kendall_tau,
    played_games,
    truth_scores,
    truth_ties,
)
from league.core.pairing import Candidate, PairRecord, plan_pairings  # noqa: E402
from league.core.rating import (  # noqa: E402
    BETA,
    DRAW_PROBABILITY,
    MU,
    SIGMA,
    Skill,
    initial_skill,
    pair_draw_probability,
    rate_game,
)
from league.core.settings import Settings  # noqa: E402

GAMES_PER_MATCH = Settings.model_fields["games_per_match"].default
ROUND = Settings.model_fields["queue_target"].default
PLACEMENT_GAMES = Settings.model_fields["placement_games"].default
RECURRENCE = Settings().plan_recurrence  # matchmaking's batching preference (LEAGUE_PLAN_RECURRENCE)
TAU_TARGET = 0.9
OLD_ENV = trueskill.TrueSkill(mu=MU, sigma=SIGMA, beta=BETA, tau=SIGMA / 100, draw_probability=DRAW_PROBABILITY,
                              backend=None)  # the league's rating before it knew hockey's draws and that snapshots never drift


def old_rate_game(a: Skill, b: Skill, outcome: int) -> tuple[Skill, Skill]:
    """The old rule: one draw probability for every pair, and TrueSkill's default skill drift."""
    ra, rb = OLD_ENV.create_rating(a.mu, a.sigma), OLD_ENV.create_rating(b.mu, b.sigma)
    if outcome == -1:
        rb, ra = trueskill.rate_1vs1(rb, ra, env=OLD_ENV)
    else:
        ra, rb = trueskill.rate_1vs1(ra, rb, drawn=outcome == 0, env=OLD_ENV)
    return Skill(ra.mu, ra.sigma), Skill(rb.mu, rb.sigma)


# ---------------------------------------------------------------- the leagues


class Bank:
    """The bank's games of every pair, each pair in its own random order for this run."""

    def __init__(self, bank: dict[str, PairGames], rng: random.Random) -> None:
        self.games = bank
        self.rng = rng
        self.order: dict[str, list[int]] = {}
        self.reused = 0

    def key(self, a: str, b: str) -> tuple[str, bool]:
        """The bank's key for the pair and whether it is stored from `a`'s side."""
        if COPY in (a, b) and "dreamer" in (a, b):
            return f"dreamer|{COPY}", a == "dreamer"
        a_member, b_member = ("dreamer" if a == COPY else a), ("dreamer" if b == COPY else b)
        if f"{a_member}|{b_member}" in self.games:
            return f"{a_member}|{b_member}", True
        return f"{b_member}|{a_member}", False

    def play(self, a: str, b: str) -> tuple[int, float]:
        """The next game of `a` against `b`: its outcome for `a` (+1, 0, -1) and its CPU-seconds."""
        key, forward = self.key(a, b)
        pair = self.games[key]
        if not self.order.get(key):
            if key in self.order:
                self.reused += 1
            self.order[key] = self.rng.sample(range(len(pair.results)), len(pair.results))
        outcome = {"W": 1, "D": 0, "L": -1}[pair.results[self.order[key].pop()]]
        return (outcome if forward else -outcome), pair.cpu_per_game


@dataclass
class Check:
    games: int
    cpu: float
    tau: float
    do_nothing_below_strong: bool | None  # None before the do-nothing member's placement


@dataclass
class Run:
    checks: list[Check] = field(default_factory=list)
    draws: int = 0
    games: int = 0
    copy_games: int = 0
    copy_draws: int = 0
    reused: int = 0


class League:
    """A pool rated and planned in memory with the league's own functions (`strategy` picks the pairs)."""

    def __init__(self, names: list[str], strategy: str, rng: random.Random) -> None:
        self.names, self.strategy, self.rng = names, strategy, rng
        self.skills: dict[str, Skill] = {name: initial_skill() for name in names}
        self.played = dict.fromkeys(names, 0)
        self.pairs: dict[tuple[int, int], list[int]] = {}  # (low, high) index -> [games, draws]
        self.cycle: list[tuple[int, int]] = []

    def plan_round(self) -> list[tuple[int, int]]:
        n = len(self.names)
        if self.strategy in ("ours", "old", "ours_planner", "ours_rating"):
            candidates = [Candidate(i, self.skills[name].mu, self.skills[name].sigma, self.played[name], 0,
                                    MEMBERS.get(name, ("dreamer",))[0]) for i, name in enumerate(self.names)]
            records = ({pair: PairRecord(games, draws) for pair, (games, draws) in self.pairs.items()}
                       if self.strategy in ("ours", "ours_planner") else None)
            return [(p.a_id, p.b_id) for p in plan_pairings(
                candidates, ROUND, games_per_match=GAMES_PER_MATCH, placement_games=PLACEMENT_GAMES,
                rng=self.rng, pairs=records, recurrence=RECURRENCE if records is not None else 0.0)]
        if self.strategy == "random":
            return [tuple(self.rng.sample(range(n), 2)) for _ in range(ROUND)]  # type: ignore[misc]
        plans = []
        for _ in range(ROUND):
            if not self.cycle:
                self.cycle = self.rng.sample(list(itertools.combinations(range(n), 2)), n * (n - 1) // 2)
            plans.append(self.cycle.pop())
        return plans

    def rate(self, a: int, b: int, outcome: int) -> None:
        pair = (min(a, b), max(a, b))
        games, draws = self.pairs.get(pair, [0, 0])
        name_a, name_b = self.names[a], self.names[b]
        if self.strategy == "old":
            self.skills[name_a], self.skills[name_b] = old_rate_game(self.skills[name_a], self.skills[name_b], outcome)
        else:
            draw_probability = None if self.strategy == "ours_planner" else pair_draw_probability(games, draws)
            self.skills[name_a], self.skills[name_b] = rate_game(self.skills[name_a], self.skills[name_b], outcome,
                                                                  draw_probability)
        self.played[name_a] += 1
        self.played[name_b] += 1
        self.pairs[pair] = [games + 1, draws + (outcome == 0)]


def run_league(names: list[str], strategy: str, bank: dict[str, PairGames], truth: dict[str, float],
               budget_cpu: float, seed: int, ties: set[frozenset[str]] = frozenset()) -> Run:
    rng = random.Random(seed)
    league, games_bank, run = League(names, strategy, rng), Bank(bank, random.Random(seed + 1)), Run()
    ranked = [name for name in names if name != COPY]
    cpu = 0.0
    while cpu < budget_cpu:
        for a, b in league.plan_round():
            for _ in range(GAMES_PER_MATCH):
                outcome, cost = games_bank.play(names[a], names[b])
                league.rate(a, b, outcome)
                cpu += cost
                run.games += 1
                run.draws += outcome == 0
                if {names[a], names[b]} == {"dreamer", COPY}:
                    run.copy_games += 1
                    run.copy_draws += outcome == 0
        order = sorted(ranked, key=lambda name: -league.skills[name].score)
        placed = "do_nothing" in names and league.played["do_nothing"] >= PLACEMENT_GAMES
        below = order.index("do_nothing") > order.index("basic_strong") if placed else None
        run.checks.append(Check(run.games, cpu, kendall_tau(order, truth, ties), below))
    run.reused = games_bank.reused
    return run


def for_good(run: Run) -> Check | None:
    """The first check from which tau stays >= the target to the end of the run (None if it does not)."""
    found = None
    for check in run.checks:
        if check.tau >= TAU_TARGET:
            found = found or check
        else:
            found = None
    return found


def first_reached(run: Run) -> Check | None:
    return next((check for check in run.checks if check.tau >= TAU_TARGET), None)


def tau_at(run: Run, cpu: float) -> float:
    """Tau at the last check within `cpu` CPU-seconds."""
    within = [check.tau for check in run.checks if check.cpu <= cpu]
    return within[-1] if within else 0.0


def median_or_none(values: list[float | None]) -> float | None:
    """The median, counting a run that never got there as infinitely late (None if half or more never did)."""
    ordered = sorted(math.inf if v is None else v for v in values)
    middle = statistics.median(ordered)
    return None if math.isinf(middle) else middle


# ---------------------------------------------------------------- the report

STRATEGIES = ("ours", "old", "random", "round robin", "ours_planner", "ours_rating")
LABELS = {"ours": "ours", "old": "old league", "random": "random pairing", "round robin": "round robin",
          "ours_planner": "ours, one draw probability", "ours_rating": "ours, old planner"}


def _fmt(value: float | None, unit: str = "") -> str:
    return "never" if value is None else f"{value:.0f}{unit}" if value >= 10 else f"{value:.1f}{unit}"


def report(names: list[str], played: dict[str, dict[str, PairGames]], runs: int, budget_cpu: float,
           seed: int) -> dict[str, dict[str, float | None]]:
    ranked = [name for name in names if name != COPY]
    truth = truth_scores(ranked, played["truth"])
    ties = truth_ties(ranked, played["truth"])
    print("truth (mean score against the field, "
          f"{len(next(iter(played['truth'].values())).results)} games per pair):")
    for name in sorted(truth, key=lambda n: -truth[n]):
        print(f"  {name:<20} {truth[name]:.3f}")
    print("pairs the truth cannot order (left out of tau): "
          + (", ".join(" = ".join(sorted(pair)) for pair in sorted(ties, key=sorted)) or "none"))
    cpu_per_game = statistics.mean(p.cpu_per_game for k, p in played["bank"].items() if COPY not in k)
    print(f"a game costs {1000 * cpu_per_game:.1f} CPU-ms on average (bank)")
    budgets = [b for b in (5, 10, 20, 40, 80, 160, 320) if b <= budget_cpu]
    summary: dict[str, dict[str, float | None]] = {}
    print(f"\n{runs} runs per strategy, {budget_cpu:.0f} CPU-s of games each; medians "
          f"(tau >= {TAU_TARGET}: 'for good' = from then to the end of the run)")
    print(f"{'strategy':<26} {'first: games':>12} {'CPU-s':>6} {'for good: games':>15} {'CPU-s':>6}  "
          + " ".join(f"tau@{b}s" for b in budgets) + "  draws  do-nothing<strong")
    for strategy in STRATEGIES:
        results = [run_league(ranked, strategy, played["bank"], truth, budget_cpu, seed * 1000 + r, ties)
                   for r in range(runs)]
        first = [first_reached(r) for r in results]
        good = [for_good(r) for r in results]
        checks = [c.do_nothing_below_strong for r in results for c in r.checks if c.do_nothing_below_strong is not None]
        row = {
            "first_games": median_or_none([c.games if c else None for c in first]),
            "first_cpu": median_or_none([c.cpu if c else None for c in first]),
            "good_games": median_or_none([c.games if c else None for c in good]),
            "good_cpu": median_or_none([c.cpu if c else None for c in good]),
            "draw_share": sum(r.draws for r in results) / sum(r.games for r in results),
            "do_nothing_ok": sum(checks) / len(checks) if checks else None,
            **{f"tau@{b}": statistics.median(tau_at(r, b) for r in results) for b in budgets},
        }
        summary[strategy] = row
        print(f"{LABELS[strategy]:<26} {_fmt(row['first_games']):>12} {_fmt(row['first_cpu']):>6} "
              f"{_fmt(row['good_games']):>15} {_fmt(row['good_cpu']):>6}  "
              + " ".join(f"{row[f'tau@{b}']:>{len(f'tau@{b}s')}.2f}" for b in budgets)
              + f"  {row['draw_share']:.2f}  {_fmt(None if row['do_nothing_ok'] is None else 100 * row['do_nothing_ok'], '%')}"
              + (f"  (bank reused {sum(r.reused for r in results)}x)" if any(r.reused for r in results) else ""))
    if "dreamer" in names:
        print(f"\na re-saved copy of the checkpoint as an extra member ({budget_cpu:.0f} CPU-s, median of {runs} runs):")
        for strategy in ("old", "ours"):
            results = [run_league([*ranked, COPY], strategy, played["bank"], truth, budget_cpu, seed * 1000 + r)
                       for r in range(runs)]
            games = statistics.median(r.copy_games for r in results)
            draws = sum(r.copy_draws for r in results) / max(sum(r.copy_games for r in results), 1)
            share = statistics.median(r.copy_games / r.games for r in results)
            print(f"  {LABELS[strategy]:<12} games between the copies {games:.0f} ({100 * share:.1f} % of all, "
                  f"{100 * draws:.0f} % of them draws)")
            summary[strategy]["copy_games"] = games
        print("  (the league now registers identical tensors once: the copy is the same snapshot, 0 games)")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="leagues per strategy (default 8)")
    parser.add_argument("--budget", type=float, default=160, help="CPU-seconds of games per league (default 160)")
    parser.add_argument("--truth-games", type=int, default=400, help="truth games per pair (default 400)")
    parser.add_argument("--bank-games", type=int, default=300, help="bank games per pair (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="seconds: 5 members, 8 + 8 games, 2 runs, no cache")
    args = parser.parse_args()
    names = list(SMOKE_MEMBERS if args.smoke else MEMBERS)
    if args.smoke:
        args.runs, args.budget, args.truth_games, args.bank_games = 2, 6, 8, 8
    started = time.process_time()
    played = played_games(tuple(names), args.truth_games, args.bank_games, use_cache=not args.smoke)
    print(f"games played for this run: {time.process_time() - started:.0f} CPU-s (cached: "
          f"{'no' if args.smoke else CACHE})")
    summary = report(names, played, args.runs, args.budget, args.seed)
    ours, baseline = summary["ours"]["good_cpu"], summary["random"]["good_cpu"]
    ratio = None if ours is None or baseline is None else ours / baseline
    fast = ratio is not None and ratio <= 0.5 or (ours is not None and baseline is None)
    placed = (summary["ours"]["do_nothing_ok"] or 0) == 1
    print(f"\nCPU-s to tau >= {TAU_TARGET} for good: ours {_fmt(ours)}, random pairing {_fmt(baseline)}, round robin "
          f"{_fmt(summary['round robin']['good_cpu'])}, ratio {'n/a' if ratio is None else f'{ratio:.2f}'} "
          f"(target <= 0.50: {'met' if fast else 'missed'}); do-nothing below basic_strong after placement: "
          f"{'always' if placed else 'not always'}")
    return 0 if (fast and placed) or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
