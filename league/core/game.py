"""What the core takes from the game: its version and the check of a game record (no Box2D)."""

from league.hockey.record import validate_record
from league.hockey.version import GAME_VERSION

__all__ = ["GAME_VERSION", "validate_record"]
