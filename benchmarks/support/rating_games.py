"""The real games behind `rating_real.py`: its pool of real policies, the games of every pair
(played with `league.hockey.batch.play_games`, each seed once from each side, cached under
`~/.cache/hockey-league/`), the true order they give and Kendall's tau against it."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from agents import load_policy
from agents.evaluation.scripted import NAMED_STYLES, PassivePolicy, RandomPolicy, ScriptedPolicy
from agents.evaluation.wrappers import DelayedObservations, NoisyObservations
from league.hockey.batch import basic_opponent_policy, play_games
from league.hockey.version import GAME_VERSION

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "checkpoints" / "dreamer.safetensors"
CACHE = Path.home() / ".cache" / "hockey-league"


def _dreamer() -> object:
    return load_policy(CHECKPOINT)


# name -> (kind as the league sees it, a fresh policy for a seed)
MEMBERS: dict[str, tuple[str, Callable[[int], object]]] = {
    "basic_weak": ("basic_weak", lambda seed: basic_opponent_policy(weak=True, seed=seed)),
    "basic_strong": ("basic_strong", lambda seed: basic_opponent_policy(weak=False, seed=seed)),
    "do_nothing": ("dreamer", lambda seed: PassivePolicy()),
    "random": ("dreamer", lambda seed: RandomPolicy(seed)),
    "defender": ("dreamer", lambda seed: ScriptedPolicy(NAMED_STYLES["defender"](), seed)),
    "shooter": ("dreamer", lambda seed: ScriptedPolicy(NAMED_STYLES["shooter"](), seed)),
    "dreamer": ("dreamer", lambda seed: _dreamer()),
    "dreamer_noise_0.3": ("dreamer", lambda seed: NoisyObservations(_dreamer(), 0.3, seed)),
    "dreamer_noise_1.0": ("dreamer", lambda seed: NoisyObservations(_dreamer(), 1.0, seed)),
    "dreamer_late_8": ("dreamer", lambda seed: DelayedObservations(_dreamer(), 8)),
}
SMOKE_MEMBERS = ("basic_weak", "basic_strong", "do_nothing", "random", "dreamer")
COPY = "dreamer_copy"  # the checkpoint re-saved: the same policy, a separate member under the old rule


# ---------------------------------------------------------------- played games, cached


@dataclass
class PairGames:
    """Games of one pair from the first member's side: 'W', 'D' or 'L' per game, and their CPU-seconds."""

    results: str
    cpu: float

    @property
    def cpu_per_game(self) -> float:
        return self.cpu / max(len(self.results), 1)


def play_pair(a: str, b: str, games: int, seed: int) -> PairGames:
    """`games` games of `a` against `b`: each seed once with `a` as player one and once as player two."""
    seeds = [seed * 100_003 + k for k in range(games // 2)]
    start = time.process_time()
    first = play_games(MEMBERS[a][1](seed), MEMBERS[b][1](seed + 1), seeds)
    second = play_games(MEMBERS[b][1](seed + 2), MEMBERS[a][1](seed + 3), seeds)
    cpu = time.process_time() - start
    symbol = {1: "W", 0: "D", -1: "L"}
    results = "".join(symbol[g.winner] + symbol[-h.winner] for g, h in zip(first, second, strict=True))
    return PairGames(results, cpu)


def cache_key(names: tuple[str, ...], truth_games: int, bank_games: int) -> str:
    checkpoint = hashlib.sha256(CHECKPOINT.read_bytes()).hexdigest()
    text = json.dumps([names, truth_games, bank_games, GAME_VERSION, checkpoint, 1])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def played_games(names: tuple[str, ...], truth_games: int, bank_games: int, *, use_cache: bool
                 ) -> dict[str, dict[str, PairGames]]:
    """{"truth" | "bank": {"a|b": PairGames}} for every pair, and the bank of the checkpoint against itself."""
    path = CACHE / f"rating_real-{cache_key(names, truth_games, bank_games)}.json"
    if use_cache and path.is_file():
        raw = json.loads(path.read_text())
        return {part: {pair: PairGames(**games) for pair, games in pairs.items()} for part, pairs in raw.items()}
    torch.set_num_threads(1)
    pairs = list(itertools.combinations(names, 2))
    if "dreamer" in names:
        pairs.append(("dreamer", COPY))
    played: dict[str, dict[str, PairGames]] = {"truth": {}, "bank": {}}
    for n, (a, b) in enumerate(pairs):
        b_member = "dreamer" if b == COPY else b
        for part, games, seed in (("truth", truth_games, 1 + n), ("bank", bank_games, 10_000 + n)):
            if part == "truth" and b == COPY:
                continue
            played[part][f"{a}|{b}"] = play_pair(a, b_member, games, seed)
        print(f"  played {a} vs {b} ({n + 1}/{len(pairs)})", file=sys.stderr, flush=True)
    if use_cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({part: {pair: games.__dict__ for pair, games in pairs.items()}
                                    for part, pairs in played.items()}))
    return played


def truth_scores(names: list[str], truth: dict[str, PairGames]) -> dict[str, float]:
    """Each member's mean score (win 1, draw 1/2) against the rest of `names`."""
    points = dict.fromkeys(names, 0.0)
    games = dict.fromkeys(names, 0)
    for a, b in itertools.combinations(names, 2):
        results = truth[f"{a}|{b}"].results
        score = results.count("W") + 0.5 * results.count("D")
        points[a] += score
        points[b] += len(results) - score
        games[a] += len(results)
        games[b] += len(results)
    return {name: points[name] / games[name] for name in names}


def truth_ties(names: list[str], truth: dict[str, PairGames]) -> set[frozenset[str]]:
    """Pairs of members whose true scores are closer than twice the standard error of their difference:
    the truth itself cannot order them, so Kendall's tau leaves them out."""
    points: dict[str, list[float]] = {name: [] for name in names}
    value = {"W": 1.0, "D": 0.5, "L": 0.0}
    for a, b in itertools.combinations(names, 2):
        for result in truth[f"{a}|{b}"].results:
            points[a].append(value[result])
            points[b].append(1 - value[result])
    error = {name: statistics.pstdev(p) / math.sqrt(len(p)) for name, p in points.items()}
    mean = {name: statistics.mean(p) for name, p in points.items()}
    return {frozenset((a, b)) for a, b in itertools.combinations(names, 2)
            if abs(mean[a] - mean[b]) < 2 * math.hypot(error[a], error[b])}


def kendall_tau(order: list[str], truth: dict[str, float], ties: set[frozenset[str]] = frozenset()) -> float:
    """Kendall's tau between a ranking (best first) and true scores, over the pairs not in `ties`."""
    concordant = discordant = 0
    for i, j in itertools.combinations(range(len(order)), 2):
        if frozenset((order[i], order[j])) in ties:
            continue
        if truth[order[i]] > truth[order[j]]:
            concordant += 1
        elif truth[order[i]] < truth[order[j]]:
            discordant += 1
    return (concordant - discordant) / max(concordant + discordant, 1)
