"""The evaluation suite: a policy against every kind of opponent, from both sides, with confidence.

Entries (`Entry`): the weak and strong basic opponents; passive and random policies; the game's
drills against the strong one from either side (the shooting drill as the shooter and as the
defender, the defence drill as the defender and as the attacker); the named scripted styles and
`styles` styles drawn from the scripted family (a fixed draw, `STYLE_SEED`); early snapshots of
one's own; the strong opponent with the evaluated policy's observations noisy (sigma 0.2) or one or
two steps late; an exploiter found by a search over the scripted family; and the policy against
itself (the mirror match, reported by its draw share and left out of the worst case).

Each entry plays `games` games: `games / 2` seeds from `seed_base` on, once from each side
(`play.play_sides`). A player cannot cross the centre line, so against a policy that leaves the
puck alone in its own half no one can score: the games one starts (the puck begins in one's half)
are those one can always win. An entry's score (`measure`) is therefore:
- "win", the basic opponents: the win share;
- "started", passive, random, the styles, the snapshots and the exploiter: the lower of the win
  share of the games it started and one minus the loss share;
- "hold", the defending drills and the strong opponent with noise or latency: one minus the loss share;
- "mirror": no score (its draw share is reported).
The suite's summary is the worst score over the entries.

Seeds: the suite plays from `SUITE_SEED_BASE` (3e9, beyond the [0, 2^31) that collected games
draw from), its exploiter search from `exploiter.EXPLOITER_SEED_BASE` (4e9, beyond it too); the
trainer's selection from `SELECTION_SEED_BASE` (1e9) and its exploiter searches from
`exploiter.TRAINING_EXPLOITER_SEED_BASE` (1.5e9), inside that range but a few hundred seeds among
2^31 (a collected game meets one by chance about once in ten million): a reported figure never
comes from games that chose the checkpoint. The styles, noise and latency of the suite's entries
are ones training may meet as well (`scripted_share`, `noise_share`, `latency_share`), on other seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from agents.checkpoint import load_policy
from league.hockey.batch import Policy, basic_opponent_policy
from league.hockey.constants import Mode

from .exploiter import search_exploiter
from .play import play_sides
from .scripted import NAMED_STYLES, PassivePolicy, RandomPolicy, ScriptedPolicy, ScriptParams, sample_params
from .wrappers import DelayedObservations, NoisyObservations

SUITE_SEED_BASE = 3_000_000_000
SELECTION_SEED_BASE = 1_000_000_000
STYLE_SEED = 17  # the draw of the suite's sampled styles
SELECTION_STYLE_SEED = 29  # the draw of the selection's own sampled styles (`family-N`), apart from the suite's
NOISE_SIGMA = 0.2


@dataclass(frozen=True)
class Entry:
    """One opponent of the suite: `opponent(seed)` builds it afresh; `wrap` wraps the evaluated policy."""

    name: str
    opponent: Callable[[int], Policy]
    mode: Mode = Mode.NORMAL
    sides: tuple[int, ...] = (1, 2)
    wrap: Callable[[Policy], Policy] | None = None
    measure: str = "started"  # "win", "started", "hold" or "mirror" (see the module's docstring)
    style: ScriptParams | None = None


def _basic(weak: bool) -> Callable[[int], Policy]:
    return lambda seed: basic_opponent_policy(weak=weak, seed=seed)


def _scripted(params: ScriptParams) -> Callable[[int], Policy]:
    return lambda seed: ScriptedPolicy(params, seed=seed)


def _fixed(policy: Policy) -> Callable[[int], Policy]:
    return lambda seed: policy


def sampled_styles(count: int, seed: int = STYLE_SEED) -> list[ScriptParams]:
    rng = np.random.default_rng(seed)
    return [sample_params(rng) for _ in range(count)]


def base_entries(styles: int = 8) -> list[Entry]:
    """Every entry that needs nothing but the game: bots, passive, random, drills, styles, noise, latency."""
    strong = _basic(False)
    entries = [
        Entry("weak", _basic(True), measure="win"), Entry("strong", strong, measure="win"),
        Entry("passive", lambda seed: PassivePolicy()), Entry("random", lambda seed: RandomPolicy(seed)),
        Entry("shooting-drill-shooter", strong, Mode.TRAIN_SHOOTING, (1,)),
        Entry("shooting-drill-defender", strong, Mode.TRAIN_SHOOTING, (2,), measure="hold"),
        Entry("defense-drill-defender", strong, Mode.TRAIN_DEFENSE, (1,), measure="hold"),
        Entry("defense-drill-attacker", strong, Mode.TRAIN_DEFENSE, (2,)),
    ]
    entries += [Entry(name, _scripted(make()), style=make()) for name, make in NAMED_STYLES.items()]
    entries += [Entry(f"style-{i}", _scripted(p), style=p) for i, p in enumerate(sampled_styles(styles))]
    entries += [
        Entry("strong-noise", strong, wrap=lambda policy: NoisyObservations(policy, NOISE_SIGMA), measure="hold"),
        Entry("strong-latency-1", strong, wrap=lambda policy: DelayedObservations(policy, 1), measure="hold"),
        Entry("strong-latency-2", strong, wrap=lambda policy: DelayedObservations(policy, 2), measure="hold"),
    ]
    return entries


def _numbered(names: Sequence[str], prefix: str) -> int:
    """How many numbered entries `PREFIX-N` the names need (the largest N + 1)."""
    return max([int(n[len(prefix):]) + 1 for n in names if n.startswith(prefix) and n[len(prefix):].isdigit()] + [0])


def selection_entries(names: str | Sequence[str]) -> list[Entry]:
    """The entries named (comma-separated or a list) among `base_entries`, and `family-N`: styles of
    the family drawn apart from the suite's (`SELECTION_STYLE_SEED`), so that a trainer can select
    on a broad sample of styles without selecting on the report's own; ValueError for an unknown name."""
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    if not names:
        raise ValueError("the selection suite names no entry")
    known = {entry.name: entry for entry in base_entries(_numbered(names, "style-"))}
    family = sampled_styles(_numbered(names, "family-"), SELECTION_STYLE_SEED)
    known.update({f"family-{i}": Entry(f"family-{i}", _scripted(p), style=p) for i, p in enumerate(family)})
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown suite entr{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                         f"known: {', '.join(known)} (style-N and family-N for any N)")
    return [known[name] for name in names]


def snapshot_entries(paths: Sequence[str | Path]) -> list[Entry]:
    """An entry per checkpoint file (an early snapshot of one's own), named `snapshot:STEM`."""
    entries = []
    for path in paths:
        policy = load_policy(path)
        entries.append(Entry(f"snapshot:{Path(path).stem}", _fixed(policy)))
    return entries


def entry_score(measure: str, result: dict) -> float | None:
    """An entry's score from its result (a `Tally.to_dict`) by its measure; None for the mirror match."""
    if measure == "mirror":
        return None
    if measure == "win":
        return result["win_rate"]
    hold = 1.0 - result["loss_rate"]
    if measure == "hold" or result["started_win_rate"] is None:
        return hold
    if measure == "started":
        return min(result["started_win_rate"], hold)
    raise ValueError(f"unknown measure {measure!r}")


def run_entries(policy: Policy, entries: Sequence[Entry], games: int, *, seed_base: int = SUITE_SEED_BASE,
                on_entry: Callable[[str, dict], None] | None = None) -> dict[str, dict]:
    """Play every entry: `games` games each (half the seeds from each of its sides; all of them when it
    has one side). Returns {name: tally dict + "score", "measure", "mode"}; `on_entry` after each."""
    results = {}
    for entry in entries:
        seeds_count = max(1, games // len(entry.sides))
        seeds = list(range(seed_base, seed_base + seeds_count))
        played = entry.wrap(policy) if entry.wrap is not None else policy
        tally = play_sides(played, partial(entry.opponent, seed_base), seeds, sides=entry.sides,
                           mode=entry.mode)
        result = tally.to_dict()
        result.update(score=entry_score(entry.measure, result), measure=entry.measure, mode=entry.mode.name.lower())
        if entry.style is not None:
            result["style"] = entry.style.to_dict()
        results[entry.name] = result
        if on_entry is not None:
            on_entry(entry.name, result)
    return results


def worst(results: dict[str, dict]) -> dict:
    """The worst-case summary: the lowest score and its entry, the lowest win share of games started
    (normal games, puck in its half) and its entry, and the mirror match's draw share if played."""
    scored = {name: r["score"] for name, r in results.items() if r.get("score") is not None}
    started = {name: r["started_win_rate"] for name, r in results.items()
               if r.get("mode") == "normal" and r.get("measure") in ("win", "started")
               and r.get("started_win_rate") is not None}
    summary: dict = {"score": None, "entry": None, "started_win_rate": None, "started_entry": None}
    if scored:
        name = min(scored, key=scored.__getitem__)
        summary.update(score=scored[name], entry=name)
    if started:
        name = min(started, key=started.__getitem__)
        summary.update(started_win_rate=started[name], started_entry=name)
    if "mirror" in results:
        summary["mirror_draw_rate"] = results["mirror"]["draw_rate"]
    return summary


def run_suite(policy: Policy, games: int, *, copy: Callable[[], Policy] | None = None,
              snapshots: Sequence[str | Path] = (), styles: int = 8, exploiter_seconds: float = 300.0,
              seed_base: int = SUITE_SEED_BASE, on_entry: Callable[[str, dict], None] | None = None,
              on_search: Callable[[dict], None] | None = None) -> dict:
    """The whole suite: `base_entries(styles)`, the snapshots, an exploiter searched for
    `exploiter_seconds` of CPU time (0 skips it) and, given `copy` (a fresh instance of the policy),
    the mirror match. Returns {"entries": {...}, "exploiter_search": ..., "worst": ...}."""
    entries = base_entries(styles) + snapshot_entries(snapshots)
    if copy is not None:
        entries.append(Entry("mirror", lambda seed: copy(), measure="mirror"))
    out: dict = {"games": games, "seed_base": seed_base, "entries": run_entries(policy, entries, games,
                                                                                 seed_base=seed_base, on_entry=on_entry)}
    out["exploiter_search"] = None
    if exploiter_seconds > 0:
        found = search_exploiter(policy, exploiter_seconds,
                                 on_candidate=None if on_search is None else lambda r: on_search(r.to_dict()))
        out["exploiter_search"] = found.to_dict()
        assert found.params is not None
        out["entries"].update(run_entries(policy, [Entry("exploiter", _scripted(found.params), style=found.params)],
                                          games, seed_base=seed_base, on_entry=on_entry))
    out["worst"] = worst(out["entries"])
    return out
