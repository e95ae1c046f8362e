"""The basic-opponent yardstick as page cells: W / D / L shares in percent beside the rating."""

from __future__ import annotations

from typing import Any

from league.core.yardstick import BasicRecord, Yardstick

BASICS = {"vs_weak": "basic_weak", "vs_strong": "basic_strong"}


def yardstick_cell(record: BasicRecord | None, basic: str) -> dict[str, Any] | None:
    """Shares as whole percents, a sort key (score: wins + draws / 2) and a title; None before any game."""
    if record is None or not record.games:
        return None
    win, draw, loss = (round(100 * s) for s in (record.win_share, record.draw_share, record.loss_share))
    return {"win": win, "draw": draw, "loss": loss, "games": record.games,
            "key": f"{record.win_share + record.draw_share / 2:.4f}",
            "title": f"against {basic}: {record.wins} won, {record.draws} drawn, {record.losses} lost of "
                     f"{record.games} games ({win} / {draw} / {loss} %)"}


def yardstick_cells(yardstick: Yardstick | None) -> dict[str, dict[str, Any] | None]:
    """{"vs_weak": cell, "vs_strong": cell} of one snapshot."""
    yardstick = yardstick or Yardstick()
    return {key: yardstick_cell(getattr(yardstick, basic), basic) for key, basic in BASICS.items()}


def with_yardstick(rows: list[dict[str, Any]], records: dict[int, Yardstick]) -> list[dict[str, Any]]:
    """Leaderboard rows (dicts with an `id`) with their `vs_weak` and `vs_strong` cells added."""
    for row in rows:
        row.update(yardstick_cells(records.get(row["id"])))
    return rows
