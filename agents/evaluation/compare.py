"""Two suite results compared entry by entry: is the candidate better on the whole suite?

Each result is what `league eval --suite --output FILE` writes (`suite.run_suite`'s dict). An
entry's score is a share of games (the win share, the win share of the games started, or one minus
the loss share, `suite.entry_score`); its standard error is that of a proportion over the games the
share counts. A difference is beyond noise when it is more than `Z` (1.96) standard errors of the
difference: about one entry in twenty differs that much by chance alone.

The verdict (`better`): the candidate's mean score over the entries both results scored is higher,
and no entry is worse beyond noise. Entries only one result holds are listed, not judged. The
exploiter entry is each result's own search's best style: it is compared like the others (how much
the best style such a search finds exploits each checkpoint).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z = 1.96


@dataclass(frozen=True)
class EntryComparison:
    name: str
    baseline: float
    candidate: float
    z: float  # the difference over its standard error (0 when both are certain)

    @property
    def difference(self) -> float:
        return self.candidate - self.baseline

    @property
    def verdict(self) -> str:
        """"better", "worse" or "same" (within noise)."""
        return "better" if self.z > Z else "worse" if self.z < -Z else "same"


def _entries(result: object, which: str) -> dict[str, dict]:
    if not isinstance(result, dict) or not isinstance(result.get("entries"), dict):
        raise ValueError(f"the {which} is not a suite result (league eval --suite --output): it has no entries")
    return result["entries"]


def _number(entry: dict, key: str, name: str, which: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"the {which}'s entry {name!r} has no valid {key!r}")
    return float(value)


def _score_and_trials(entry: object, name: str, which: str) -> tuple[float, int] | None:
    """An entry's score and the number of games its share counts; None when it has no score (the mirror)."""
    if not isinstance(entry, dict):
        raise ValueError(f"the {which}'s entry {name!r} is not an object")
    if entry.get("score") is None:
        return None
    score = _number(entry, "score", name, which)
    games = int(_number(entry, "games", name, which))
    if not 0 <= score <= 1 or games < 1:
        raise ValueError(f"the {which}'s entry {name!r} has a score outside [0, 1] or no games")
    trials = games
    if entry.get("measure") == "started" and entry.get("started_win_rate") is not None:
        started_win_rate = _number(entry, "started_win_rate", name, which)
        if abs(started_win_rate - score) < 1e-12:  # the score is the started games' win share
            trials = max(1, int(_number(entry, "started", name, which)))
    return score, trials


def _z(a: tuple[float, int], b: tuple[float, int]) -> float:
    (pa, na), (pb, nb) = a, b
    error = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    if error == 0:
        return 0.0 if pa == pb else math.copysign(math.inf, pb - pa)
    return (pb - pa) / error


def compare_suites(baseline: object, candidate: object) -> dict:
    """{"entries": [EntryComparison], "only_baseline": [...], "only_candidate": [...], "baseline_mean",
    "candidate_mean", "baseline_worst", "candidate_worst", "better_entries", "worse_entries", "better"};
    ValueError (saying which file and entry) for anything that is not a suite result."""
    old, new = _entries(baseline, "baseline"), _entries(candidate, "candidate")
    old_scores = {name: s for name, e in old.items() if (s := _score_and_trials(e, name, "baseline")) is not None}
    new_scores = {name: s for name, e in new.items() if (s := _score_and_trials(e, name, "candidate")) is not None}
    common = [name for name in old_scores if name in new_scores]
    if not common:
        raise ValueError("the two results have no scored entry in common")
    rows = [EntryComparison(name, old_scores[name][0], new_scores[name][0], _z(old_scores[name], new_scores[name]))
            for name in common]
    worse = [row.name for row in rows if row.verdict == "worse"]
    out = {
        "entries": rows,
        "only_baseline": sorted(set(old_scores) - set(new_scores)),
        "only_candidate": sorted(set(new_scores) - set(old_scores)),
        "baseline_mean": sum(row.baseline for row in rows) / len(rows),
        "candidate_mean": sum(row.candidate for row in rows) / len(rows),
        "baseline_worst": min(row.baseline for row in rows),
        "candidate_worst": min(row.candidate for row in rows),
        "better_entries": [row.name for row in rows if row.verdict == "better"],
        "worse_entries": worse,
    }
    out["better"] = out["candidate_mean"] > out["baseline_mean"] and not worse
    return out


def comparison_lines(comparison: dict) -> list[str]:
    """The comparison as a table and a verdict, for a terminal."""
    lines = [f"{'entry':<26}{'baseline':>9}{'candidate':>10}{'change':>8}  beyond noise?"]
    for row in comparison["entries"]:
        mark = {"better": "better", "worse": "WORSE", "same": ""}[row.verdict]
        lines.append(f"{row.name:<26}{100 * row.baseline:>8.1f}%{100 * row.candidate:>9.1f}%"
                     f"{100 * row.difference:>+7.1f}   {mark}")
    for key, label in (("only_baseline", "only in the baseline"), ("only_candidate", "only in the candidate")):
        if comparison[key]:
            lines.append(f"{label} (not judged): {', '.join(comparison[key])}")
    lines.append(f"mean score {100 * comparison['baseline_mean']:.1f} % -> {100 * comparison['candidate_mean']:.1f} %, "
                 f"worst {100 * comparison['baseline_worst']:.1f} % -> {100 * comparison['candidate_worst']:.1f} %; "
                 f"{len(comparison['better_entries'])} entries better, {len(comparison['worse_entries'])} worse "
                 f"beyond noise")
    if comparison["better"]:
        lines.append("verdict: the candidate is better on the whole suite")
    else:
        why = ("worse on " + ", ".join(comparison["worse_entries"])) if comparison["worse_entries"] \
            else "its mean score is not higher"
        lines.append(f"verdict: not better on the whole suite ({why})")
    return lines
