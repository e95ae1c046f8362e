"""Formatting a tournament for its dashboard page: the crosstable as the heatmap's data, matches by pair."""

from __future__ import annotations

from typing import Any

from league.core.tournament_schemas import TournamentDetail


def crosstable_heatmap(detail: TournamentDetail) -> dict[str, Any]:
    """The crosstable in the shape `static/js/heatmap.js` draws: names and ids in standings order, and
    each pair that played once (row < column) as [row, column, wins, draws, losses] from the row's side."""
    cells = []
    for row, line in enumerate(detail.crosstable):
        for column, cell in enumerate(line.cells):
            if column > row and cell is not None and cell.games:
                cells.append([row, column, cell.wins, cell.draws, cell.losses])
    return {"names": [line.name for line in detail.crosstable], "ids": [line.snapshot_id for line in detail.crosstable],
            "cells": cells}


def progress_percent(detail: TournamentDetail) -> int:
    return round(100 * detail.games_played / detail.games_total) if detail.games_total else 100
