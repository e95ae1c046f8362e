"""The two-player hockey game of the Tübingen RL course (upstream `hockey` 2.6), exact and faster."""

from .constants import Mode
from .env import HockeyEnv
from .opponent import BasicOpponent, HockeyEnv_BasicOpponent, basic_policy
from .registration import register_environments

GAME_VERSION = "2.6+league.1"

register_environments()

__all__ = [
    "GAME_VERSION",
    "BasicOpponent",
    "HockeyEnv",
    "HockeyEnv_BasicOpponent",
    "Mode",
    "basic_policy",
]
