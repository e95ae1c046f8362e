"""The files of a run directory the trainer writes besides its state: the best checkpoint, the
pruning of plain checkpoints, the pool's snapshot tensors; every file is written atomically
(a temporary file, then a rename)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from safetensors.torch import save_file

from agents.config import DreamerConfig

DEFAULT_SELECTION_SUITE = DreamerConfig.selection_suite  # what a `best` saved without its suite was scored on
SELECTION_CRITERION = "worst_suite_entry"  # how `best` is scored; a saved `best` scored otherwise is replaced


def save_tensors(path: Path, tensors: dict) -> None:
    """Write `tensors` (name -> tensor) to a safetensors file at `path`, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
    tmp.replace(path)


def save_snapshots(pool_dir: Path, snapshots: dict[str, dict]) -> None:
    """Keep `pool_dir` holding exactly the pool's snapshots (NAME.safetensors): write the new ones
    (a snapshot never changes, so one on disk is kept as it is), remove those that left the pool."""
    pool_dir.mkdir(parents=True, exist_ok=True)
    for name, state in snapshots.items():
        target = pool_dir / f"{name}.safetensors"
        if not target.exists():
            save_tensors(target, state)
    keep = {f"{name}.safetensors" for name in snapshots}
    for old in pool_dir.glob("*.safetensors"):
        if old.name not in keep:
            old.unlink()


def evaluation_score(evaluation: dict) -> tuple[float, float]:
    """An evaluation's worst and mean entry score (each entry's `score`, else its win rate)."""
    scores = [float(r["score"] if r.get("score") is not None else r["win_rate"])
              for r in evaluation.values() if isinstance(r, dict) and ("score" in r or "win_rate" in r)
              and not (r.get("score") is None and r.get("measure") == "mirror")]
    return min(scores), sum(scores) / len(scores)


def keep_if_best(path: Path, evaluation: dict, best: dict | None, suite: str, env_steps: int) -> dict | None:
    """Copy the evaluated checkpoint at `path` (checkpoints/step_N.safetensors) to checkpoints/best.*
    when its score (the worst entry's score over the selection suite `suite`; equal worst scores are
    ordered by the mean score) beats `best`, the best so far scored the same way; a `best` saved
    before (scored by weak plus strong win rate, no `criterion`) or scored on another selection
    suite gives way to the first one. Returns the best after it (`best` itself when kept)."""
    score, mean = evaluation_score(evaluation)
    if (best is not None and best.get("criterion") == SELECTION_CRITERION
            and best.get("suite", DEFAULT_SELECTION_SUITE) == suite
            and (score, mean) <= (best["score"], best.get("mean_score", 0.0))):
        return best
    for suffix in (".safetensors", ".json"):
        source, target = path.with_suffix(suffix), path.with_name("best" + suffix)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    return {"env_steps": env_steps, "score": score, "checkpoint": f"{path.parent.name}/{path.name}",
            "criterion": SELECTION_CRITERION, "mean_score": mean, "suite": suite}


def prune_checkpoints(checkpoints: Path, latest: Path, keep_plain: int = 2) -> None:
    """Keep every evaluated checkpoint in `checkpoints` and the newest `keep_plain` others (and `latest`)."""
    plain = []
    for path in sorted(checkpoints.glob("step_*.safetensors")):
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if not meta.get("evaluation") or meta["evaluation"].get("env_steps") != meta.get("env_steps"):
            plain.append(path)
    for path in plain[:-keep_plain]:
        if path != latest:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
