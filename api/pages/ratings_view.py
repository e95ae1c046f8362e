"""The numbers the "how ratings work" page explains, read from the code that uses them (never copied)."""

from __future__ import annotations

from typing import Any

from league.core import pairing, rating
from league.core.settings import Settings

EXAMPLE_PAIRS = ((0, 0), (20, 2), (20, 10), (100, 90), (400, 392))  # (games, draws)


def rating_facts(settings: Settings) -> dict[str, Any]:
    """TrueSkill's settings, the score and provisional rule, the draw rule with worked examples, the planner's."""
    examples = []
    for games, draws in EXAMPLE_PAIRS:
        draw = rating.pair_draw_probability(games, draws)
        weight = (1 - draw) / (1 - draw + draw * pairing.DRAW_LENGTH_RATIO)
        examples.append({"games": games, "draws": draws, "draw_probability": f"{draw:.2f}", "weight": f"{weight:.2f}"})
    return {
        "mu": rating.MU, "sigma": f"{rating.SIGMA:.2f}", "beta": f"{rating.BETA:.2f}", "tau": f"{rating.TAU:.3f}",
        "draw_probability": rating.DRAW_PROBABILITY, "prior_games": rating.PAIR_DRAW_PRIOR_GAMES,
        "draw_min": rating.PAIR_DRAW_MIN, "draw_max": rating.PAIR_DRAW_MAX,
        "score_sigmas": rating.SCORE_SIGMAS, "provisional_sigma": rating.PROVISIONAL_SIGMA,
        "draw_length_ratio": f"{pairing.DRAW_LENGTH_RATIO:g}", "examples": examples,
        "placement_games": settings.placement_games, "games_per_match": settings.games_per_match,
        "queue_target": settings.queue_target,
    }
