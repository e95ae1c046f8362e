"""The game's version: results and records name it; importable without Box2D."""

GAME_VERSION = "2.6+league.1"
