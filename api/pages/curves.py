"""How the agent page groups and names training curves: a few sections (win rates, losses, returns
and values, optimisation, speed and progress), one chart per quantity, names for people.

The trainer posts flat names (`model_loss`, `eval_weak_win_rate`, ...); `describe` knows those and
falls back to reading the words of any other name (`loss/model` becomes "Model loss" among the
losses). Related curves share a chart (a run's win rates in training, in drills and against each
basic opponent); with runs compared, every chart carries each run's curves. Formatting only: the
points are the core's (`league.core.lineages.lineage_curves`), a value that is not finite becomes null.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

GROUPS = ("Win rates", "Losses", "Returns and values", "Optimisation", "Speed and progress", "Other")

RATE, COUNT, VALUE = "rate", "count", "value"
"""Units: a share drawn on a fixed 0-100 % axis, a whole-number counter, any other number."""


@dataclass(frozen=True)
class Curve:
    """Where one metric goes: its section, its chart's title, its line's label, its unit."""

    group: str
    chart: str
    label: str
    unit: str


_OPPONENTS = {"train": "training games", "train_shooting": "shooting drill", "train_defense": "defense drill",
              "eval_weak": "evaluation vs weak", "eval_strong": "evaluation vs strong"}

KNOWN: dict[str, Curve] = {
    **{f"{who}_{kind}_rate": Curve("Win rates", f"{kind.capitalize()} rate", label, RATE)
       for who, label in _OPPONENTS.items() for kind in ("win", "loss", "draw")},
    "model_loss": Curve("Losses", "World model loss", "total", VALUE),
    "obs_loss": Curve("Losses", "Observation loss", "observation", VALUE),
    "reward_loss": Curve("Losses", "Reward loss", "reward", VALUE),
    "cont_loss": Curve("Losses", "Continuation loss", "continuation", VALUE),
    "kl": Curve("Losses", "KL divergence (dynamics)", "KL", VALUE),
    "critic_loss": Curve("Losses", "Critic loss", "imagined", VALUE),
    "replay_critic_loss": Curve("Losses", "Critic loss", "replay", VALUE),
    "actor_loss": Curve("Losses", "Actor loss", "actor", VALUE),
    "return": Curve("Returns and values", "Return", "imagined", VALUE),
    "replay_return": Curve("Returns and values", "Return", "replay", VALUE),
    "value": Curve("Returns and values", "Value estimate", "imagined", VALUE),
    "replay_value": Curve("Returns and values", "Value estimate", "replay", VALUE),
    "imagined_reward": Curve("Returns and values", "Imagined reward", "mean per step", VALUE),
    "advantage_mag": Curve("Returns and values", "Advantage size", "mean |advantage|", VALUE),
    "return_scale": Curve("Returns and values", "Return scale", "scale", VALUE),
    "model_grad_norm": Curve("Optimisation", "World model gradient norm", "world model", VALUE),
    "critic_grad_norm": Curve("Optimisation", "Critic gradient norm", "critic", VALUE),
    "actor_grad_norm": Curve("Optimisation", "Actor gradient norm", "actor", VALUE),
    "entropy": Curve("Optimisation", "Policy entropy", "entropy", VALUE),
    "actor_std": Curve("Optimisation", "Action spread (actor std)", "std", VALUE),
    "games": Curve("Speed and progress", "Games played", "all", COUNT),
    "games_normal": Curve("Speed and progress", "Games played", "normal", COUNT),
    "games_shooting": Curve("Speed and progress", "Games played", "shooting drill", COUNT),
    "games_defense": Curve("Speed and progress", "Games played", "defense drill", COUNT),
    "grad_steps": Curve("Speed and progress", "Gradient steps", "gradient steps", COUNT),
    "buffer_steps": Curve("Speed and progress", "Replay buffer", "steps held", COUNT),
}

_ORDER = {name: k for k, name in enumerate(KNOWN)}


def _rank(name: str) -> tuple[int, str]:
    """Known metrics in the order above, others after them by name."""
    return _ORDER.get(name, len(_ORDER)), name


_WORDS = {"kl": "KL", "eval": "evaluation", "obs": "observation", "lr": "learning rate", "std": "std",
          "fps": "frames per second", "sps": "steps per second", "vs": "vs"}


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-zA-Z]+", name.lower()) if w]


def _sentence(words: list[str]) -> str:
    text = " ".join(_WORDS.get(w, w) for w in words)
    return text[:1].upper() + text[1:] if text else "Value"


def describe(name: str) -> Curve:
    """The section, chart, label and unit of a metric called `name`."""
    if name in KNOWN:
        return KNOWN[name]
    words = _words(name)
    joined = "_".join(words)
    for kind in ("win", "loss", "draw"):
        if f"{kind}_rate" in joined:
            rest = [w for w in words if w not in (kind, "rate")]
            return Curve("Win rates", f"{kind.capitalize()} rate", _sentence(rest).lower() or "rate", RATE)
    if "loss" in words or "kl" in words:
        rest = [w for w in words if w != "loss"]
        return Curve("Losses", _sentence(rest + ["loss"]) if rest else "Loss", _sentence(rest).lower() or "loss",
                     VALUE)
    title = _sentence(words)
    if {"return", "value", "reward", "advantage"} & set(words):
        return Curve("Returns and values", title, title.lower(), VALUE)
    if {"grad", "norm", "entropy", "std", "lr"} & set(words) or "learning_rate" in joined:
        return Curve("Optimisation", title, title.lower(), VALUE)
    if {"fps", "sps", "speed", "seconds", "per", "games", "steps", "buffer"} & set(words):
        counter = {"games", "steps", "buffer"} & set(words) and not {"per", "speed", "fps", "sps"} & set(words)
        return Curve("Speed and progress", title, title.lower(), COUNT if counter else VALUE)
    return Curve("Other", title, title.lower(), VALUE)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def curve_charts(runs: list[tuple[int, str, dict[str, list[tuple[int, float]]]]]) -> dict[str, Any]:
    """The agent page's charts for `runs` (id, name, curves by metric name; the page's own run first).

    Returns `{"runs": [{id, name}], "steps": [first, last] over every curve (the x range all charts
    share), "groups": [{title, charts: [{id, title, unit, series: [{label, metric, run, points}]}]}]}`
    with sections in `GROUPS` order, charts and lines in the order of `KNOWN` (others after them, by name).
    """
    charts: dict[tuple[str, str], dict[str, Any]] = {}
    steps: list[int] = []
    for run_index, (_, _, curves) in enumerate(runs):
        for name in sorted(curves, key=_rank):
            points = curves[name]
            if not points:
                continue
            curve = describe(name)
            chart = charts.setdefault((curve.group, curve.chart), {"title": curve.chart, "unit": curve.unit,
                                                                    "series": []})
            if curve.unit != chart["unit"]:
                chart["unit"] = VALUE
            chart.setdefault("rank", _rank(name))
            chart["series"].append({"label": curve.label, "metric": name, "run": run_index,
                                    "points": [[step, _finite(value)] for step, value in points]})
            steps += (points[0][0], points[-1][0])
    groups = []
    for title in GROUPS:
        mine = sorted((chart for (group, _), chart in charts.items() if group == title), key=lambda c: c["rank"])
        if mine:
            groups.append({"title": title, "charts": mine})
    for k, chart in enumerate(c for g in groups for c in g["charts"]):
        chart["id"] = f"curve-{k}"
        del chart["rank"]
        chart["series"].sort(key=lambda s: (s["run"], _rank(s["metric"])))
    return {"runs": [{"id": ident, "name": name} for ident, name, _ in runs],
            "steps": [min(steps), max(steps)] if steps else None, "groups": groups}
