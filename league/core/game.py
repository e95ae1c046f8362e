"""What the core takes from the game: its version, the league's game settings, the check of a game
record and its replay (Box2D is loaded on the first replay, not on import)."""

from typing import Any

from league.hockey.constants import Mode
from league.hockey.record import validate_record
from league.hockey.version import GAME_VERSION

LEAGUE_MODE = int(Mode.NORMAL)  # every league and tournament game is a normal game ...
LEAGUE_KEEP_MODE = True  # ... in which a player may hold the puck (the course's rules)


def replay_record(record: dict[str, Any]) -> None:
    """`ValueError` unless `record` is well formed and replays exactly from its seed."""
    from league.hockey.replay import replay

    replay(record)


__all__ = ["GAME_VERSION", "LEAGUE_KEEP_MODE", "LEAGUE_MODE", "replay_record", "validate_record"]
