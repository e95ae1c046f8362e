"""The two-player hockey game of the Tübingen RL course (upstream `hockey` 2.6), exact and faster.

`GAME_VERSION`, the modes and the record format import without Box2D (the league server needs
only those); the game itself (`HockeyEnv`, `BasicOpponent`, ...) is imported on first use of
its name, the one deferred import of the package.
"""

from typing import Any

from .constants import Mode
from .registration import register_environments
from .version import GAME_VERSION

register_environments()

def __getattr__(name: str) -> Any:
    if name == "HockeyEnv":
        from .env import HockeyEnv

        return HockeyEnv
    if name in {"BasicOpponent", "HockeyEnv_BasicOpponent", "basic_policy"}:
        from . import opponent

        return getattr(opponent, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "GAME_VERSION",
    "BasicOpponent",
    "HockeyEnv",
    "HockeyEnv_BasicOpponent",
    "Mode",
    "basic_policy",
]
