"""What the trainer needs of an opponent source: the self-play pool is one, a league server's link wraps one."""

from __future__ import annotations

from typing import Protocol

from league.hockey.batch import Policy


class OpponentSource(Protocol):
    """Opponents for the trainer's games, and the state a run directory keeps of them.

    `to_json()` and `snapshot_tensors()` are what the trainer saves with the run (the pool's
    records in state/trainer.json, each snapshot's tensors in state/pool/NAME.safetensors);
    `load_json(records, states)` restores them on resume.
    """

    def sample(self) -> tuple[str, Policy]:
        """(name, policy) of the opponent for the next round of games."""
        ...

    def record_result(self, name: str, winner: int) -> None:
        """A finished normal game against `name` (winner +1: the learner won, 0 draw, -1 lost)."""
        ...

    def add_snapshot(self, state: dict, step: int) -> str:
        """Add a snapshot of the learner (its `state()`) taken at `step`; returns its name."""
        ...

    def add_style(self, name: str, params, step: int) -> str:
        """Add a fixed scripted style (`agents.evaluation.scripted.ScriptParams`, an exploiter found at
        `step`) for good; returns its name."""
        ...

    def to_json(self) -> list[dict]: ...

    def snapshot_tensors(self) -> dict[str, dict]:
        """The tensors of each snapshot to keep, by name."""
        ...

    def load_json(self, records: list[dict], states: dict[str, dict]) -> None: ...
