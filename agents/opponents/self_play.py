"""The self-play pool: the learner's own snapshots, the weak and strong basic opponents, and scripted styles.

Sampling rule (documented, deterministic given the generator):
1. with probability `scripted_share` the opponent is a scripted one (`agents.evaluation.scripted`):
   half the time styles drawn fresh from the whole family, one for each game of the round
   (`FreshStylesPolicy`), so the learner meets defenders, shooters and holders it has never seen
   and cannot overfit the two basic bots; else one of the pool's fixed opponents by the weights of
   step 3: the named styles, the exploiters found against the learner during training
   (`add_style`, kept up to `exploiter_limit`), and a passive and a random policy (`FIXED_POLICIES`:
   a newcomer's agent that stands still or flails, which a learner tuned on opponents that come
   for the puck forgets how to score against);
2. otherwise, with probability `basic_share` (or always, while the pool holds no snapshot) the
   opponent is a basic one, else a snapshot;
3. within that group, each opponent is drawn with probability proportional to
   (non-wins + 1) / (games + 2), the learner's smoothed rate of not beating it (a draw counts as
   half a win), with a floor of 0.05: opponents the learner cannot beat yet are played more, and
   none is forgotten.

The pool is an opponent source (`agents.opponents.source.OpponentSource`): `sample() -> (name,
policy)`, `record_result`, `add_snapshot(state, step)` and its saved state, so a league server's
link can stand in front of it with the same methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from agents.evaluation.scripted import (
    NAMED_STYLES,
    FreshStylesPolicy,
    PassivePolicy,
    RandomPolicy,
    ScriptedPolicy,
    ScriptParams,
)
from league.hockey.batch import Policy, basic_opponent_policy

BASIC = {"basic_weak": True, "basic_strong": False}
SCRIPTED = "scripted"  # the pool entry of the styles drawn fresh from the family (one count for all of them)
STYLE = "style"  # the kind of a fixed scripted style: a named one ("style-NAME") or an exploiter
FIXED = "fixed"  # the kind of the fixed policies below ("policy-NAME")
FIXED_POLICIES: dict[str, Callable[[int], Policy]] = {
    "passive": lambda seed: PassivePolicy(),
    "random": lambda seed: RandomPolicy(seed),
}
MIN_WEIGHT = 0.05


@dataclass
class PoolEntry:
    name: str
    kind: str  # "dreamer", "basic_weak", "basic_strong", "scripted" (fresh draws) or "style" (fixed)
    step: int = 0
    games: int = 0
    wins: int = 0
    draws: int = 0
    params: dict | None = None  # a fixed style's `ScriptParams` fields
    state: dict | None = field(default=None, repr=False)

    def weight(self) -> float:
        not_won = self.games - self.wins - 0.5 * self.draws
        return max(MIN_WEIGHT, (not_won + 1) / (self.games + 2))

    def record(self) -> dict:
        record = {"name": self.name, "kind": self.kind, "step": self.step, "games": self.games,
                  "wins": self.wins, "draws": self.draws}
        if self.params is not None:
            record["params"] = self.params
        return record


def _entry_name(style: str) -> str:
    """The pool's name of a named style."""
    return f"style-{style}"


NAMED_STYLE_ENTRIES = frozenset(_entry_name(name) for name in NAMED_STYLES)


def _starting_fixed() -> dict[str, PoolEntry]:
    """The fixed opponents every pool starts with: the named styles and the fixed policies."""
    named = {_entry_name(name): PoolEntry(_entry_name(name), STYLE, params=make().to_dict())
             for name, make in sorted(NAMED_STYLES.items())}
    return named | {f"policy-{name}": PoolEntry(f"policy-{name}", FIXED) for name in FIXED_POLICIES}


class SelfPlayManager:
    def __init__(self, make_policy: Callable[[dict], Policy], rng: np.random.Generator,
                 pool_size: int = 20, basic_share: float = 0.5, scripted_share: float = 0.0,
                 exploiter_limit: int = 50):
        """`make_policy(state)` builds a policy from a snapshot's tensors."""
        self.make_policy = make_policy
        self.rng = rng
        self.pool_size = pool_size
        self.exploiter_limit = exploiter_limit
        self.basic_share = basic_share
        self.scripted_share = scripted_share
        self.entries: dict[str, PoolEntry] = {name: PoolEntry(name, name) for name in BASIC}
        self.entries[SCRIPTED] = PoolEntry(SCRIPTED, SCRIPTED)
        self.entries.update(_starting_fixed())
        self._policies: dict[str, Policy] = {}

    @property
    def snapshots(self) -> list[PoolEntry]:
        return [e for e in self.entries.values() if e.kind == "dreamer"]

    @property
    def styles(self) -> list[PoolEntry]:
        """The fixed scripted styles: the named ones and the exploiters added since."""
        return [e for e in self.entries.values() if e.kind == STYLE]

    @property
    def fixed(self) -> list[PoolEntry]:
        """The fixed opponents of the scripted share: the fixed styles and the fixed policies."""
        return [e for e in self.entries.values() if e.kind in (STYLE, FIXED)]

    def add_style(self, name: str, params: ScriptParams, step: int) -> str:
        """Add a fixed scripted style (an exploiter found against the learner at `step`); returns its
        name, or that of the fixed style with the same parameters if there is one. Exploiters stay for
        good up to `exploiter_limit`; beyond it the one the learner beats most (the oldest of equals) leaves."""
        for entry in self.styles:
            if entry.params == params.to_dict():
                return entry.name
        self.entries[name] = PoolEntry(name, STYLE, step=step, params=params.to_dict())
        exploiters = [e for e in self.styles if e.name not in NAMED_STYLE_ENTRIES]
        while len(exploiters) > self.exploiter_limit:
            beaten = min(exploiters, key=lambda e: (e.weight(), e.step))
            del self.entries[beaten.name]
            exploiters.remove(beaten)
        return name

    def add_snapshot(self, state: dict, step: int) -> str:
        """Add a snapshot of the learner (its `state()`), taken at `step`; the oldest leave beyond `pool_size`."""
        name = f"self-{step:09d}"
        self.entries[name] = PoolEntry(name, "dreamer", step=step, state=state)
        while len(self.snapshots) > self.pool_size:
            oldest = min(self.snapshots, key=lambda e: e.step)
            del self.entries[oldest.name]
            self._policies.pop(oldest.name, None)
        return name

    def choose(self) -> PoolEntry:
        if self.scripted_share > 0 and self.rng.random() < self.scripted_share:
            if not self.fixed or self.rng.random() < 0.5:
                return self.entries[SCRIPTED]
            group = self.fixed
        else:
            snapshots = self.snapshots
            group = [self.entries[n] for n in BASIC]
            if snapshots and self.rng.random() >= self.basic_share:
                group = snapshots
        weights = np.array([e.weight() for e in group])
        return group[int(self.rng.choice(len(group), p=weights / weights.sum()))]

    def policy(self, name: str) -> Policy:
        entry = self.entries[name]
        if entry.kind in BASIC:
            return basic_opponent_policy(weak=BASIC[entry.kind], seed=int(self.rng.integers(2**31)))
        if entry.kind == SCRIPTED:
            return FreshStylesPolicy(np.random.default_rng(int(self.rng.integers(2**31))))
        if entry.kind == STYLE:
            return ScriptedPolicy(ScriptParams(**entry.params), seed=int(self.rng.integers(2**31)))
        if entry.kind == FIXED:
            return FIXED_POLICIES[name.removeprefix("policy-")](int(self.rng.integers(2**31)))
        if name not in self._policies:
            self._policies[name] = self.make_policy(entry.state)
        return self._policies[name]

    def sample(self) -> tuple[str, Policy]:
        """(name, policy) of the next opponent, by the sampling rule above."""
        entry = self.choose()
        return entry.name, self.policy(entry.name)

    def record_result(self, name: str, winner: int) -> None:
        """Count a finished game against `name` (winner +1: the learner won, 0 draw, -1 lost)."""
        entry = self.entries.get(name)
        if entry is not None:
            entry.games += 1
            entry.wins += winner > 0
            entry.draws += winner == 0

    def to_json(self) -> list[dict]:
        return [e.record() for e in self.entries.values()]

    def snapshot_tensors(self) -> dict[str, dict]:
        """The tensors of the learner's snapshots in the pool, by name."""
        return {e.name: e.state for e in self.snapshots if e.state is not None}

    def load_json(self, records: list[dict], states: dict[str, dict]) -> None:
        """Restore the pool from `to_json()` and the snapshots' tensors by name."""
        self.entries = {}
        self._policies = {}
        for record in records:
            entry = PoolEntry(**record)
            if entry.kind == FIXED and entry.name.removeprefix("policy-") not in FIXED_POLICIES:
                continue  # a fixed policy this version does not have
            if entry.kind == "dreamer":
                if record["name"] not in states:
                    continue
                entry.state = states[record["name"]]
            self.entries[entry.name] = entry
        for name in (*BASIC, SCRIPTED):
            self.entries.setdefault(name, PoolEntry(name, name))
        for name, entry in _starting_fixed().items():  # pools saved before the fixed opponents
            self.entries.setdefault(name, entry)
