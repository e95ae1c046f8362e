"""Gymnasium ids for the game: `Hockey-v0` (two players) and `Hockey-One-v0` (against the basic opponent).

Both are registered `nondeterministic`: as upstream, a NORMAL game's starting side alternates
from reset to reset unless `options={"one_starting": ...}` fixes it, so a seed alone does not
decide the game. With the starting side given, a seed decides it exactly.
"""

from __future__ import annotations

import gymnasium as gym

ENVIRONMENTS = {
    "Hockey-v0": ("league.hockey.env:HockeyEnv", {"mode": 0}),
    "Hockey-One-v0": ("league.hockey.opponent:HockeyEnv_BasicOpponent", {"mode": 0, "weak_opponent": False}),
}


def register_environments() -> None:
    """Register both ids with gymnasium (once; importing `league.hockey` does it)."""
    for env_id, (entry_point, kwargs) in ENVIRONMENTS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, kwargs=kwargs, nondeterministic=True)
