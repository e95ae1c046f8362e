"""How the dashboard shows the league core's reads: times ago, byte sizes, the leaderboard's cells and
their scale, a match's games as results, match reasons, rating series as chart data. Formatting only:
no reads, no scores derived.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from league.core.rating import SCORE_SIGMAS
from league.core.read_schemas import LineageDetail, NamedRatingSeries
from league.core.schemas import LeaderboardRow, MatchDetail

# Match states as the API names them (a match being played is "leased" to a worker): the dashboard's
# `?state=` takes the same values and shows the same words.
STATE_NAMES = {"queued": "queued", "leased": "leased", "done": "done", "failed": "failed"}
SHOWN_STATE = {core: shown for shown, core in STATE_NAMES.items()}

# The dashboard's names for why a match was played, as the league core records it.
REASON_NAMES = {"placement": "placement", "league": "rating", "tournament": "tournament", "manual": "manual"}
SHOWN_REASON = {core: shown for shown, core in REASON_NAMES.items()}
REASON_HELP = {"placement": "a new opponent's first games", "league": "paired by rating",
               "tournament": "a game of a tournament", "manual": "asked for through the API"}


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'12 s ago', '5 min ago', '3 h ago', '2 d ago', or the date for older moments."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h ago"
    if seconds < 30 * 86400:
        return f"{seconds / 86400:.0f} d ago"
    return moment.strftime("%Y-%m-%d")


def filesize(size: int | None) -> str:
    """A byte count for people: '812 B', '4.2 KiB', '1.3 MiB'."""
    amount = float(size or 0)
    for unit in ("B", "KiB", "MiB"):
        if amount < 1024 or unit == "MiB":
            return f"{int(amount)} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"


def _bar_range(board: list[LeaderboardRow]) -> tuple[float, float]:
    """The rating range every leaderboard bar is drawn on: from the lowest score to the highest mu + 3 sigma."""
    low = min(r.score for r in board)
    return low, max(max(r.mu + SCORE_SIGMAS * r.sigma for r in board) - low, 1e-9)


def _tick_step(span: float, ticks: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) that cuts `span` into about `ticks` parts."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(k * power for k in (1, 2, 5, 10) if k * power >= raw)


def rating_scale(board: list[LeaderboardRow], ticks: int = 4) -> list[dict[str, Any]]:
    """Labelled ticks of the leaderboard bars' shared scale: `{"value", "left"}` with `left` in percent
    of the bar's width, at round ratings inside the range."""
    if not board:
        return []
    low, span = _bar_range(board)
    step = _tick_step(span, ticks)
    first = math.ceil(low / step) * step
    count = int(math.floor((low + span - first) / step + 1e-9)) + 1
    values = [first + k * step for k in range(count)]
    return [{"value": f"{v:g}" if step >= 1 else f"{v:.1f}", "left": round(100 * (v - low) / span, 2)}
            for v in values]


def leaderboard_rows(board: list[LeaderboardRow]) -> list[dict[str, Any]]:
    """The leaderboard's lines with their numbers formatted once (the table is the heaviest template).

    `bar_html` draws mu - 3 sigma (the score, the bar's left end), mu and mu + 3 sigma of every line
    on one 0-100 scale shared by all lines (`rating_scale` labels it).
    """
    if not board:
        return []
    now = datetime.now(UTC)
    low, span = _bar_range(board)
    rows = []
    for r in board:
        left = 100 * (r.score - low) / span
        width = 100 * 2 * SCORE_SIGMAS * r.sigma / span
        bar = {"lo": round(left, 2), "width": round(width, 2), "mu": round(left + width / 2, 2)}
        last = r.last_played_at
        rows.append({
            "rank": r.rank, "id": r.snapshot_id, "name": r.name, "kind": r.kind, "lineage": r.agent, "owner": r.owner,
            "agent_id": r.agent_id, "games": r.games, "wins": r.wins, "draws": r.draws, "losses": r.losses,
            "provisional": r.provisional, "last_played": last,
            "rating_key": f"{r.score:.4f}", "rating_text": f"{r.score:.1f}",
            "rating_title": f"mu {r.mu:.2f}, sigma {r.sigma:.2f}: rating = mu - 3 sigma",
            "bar_html": Markup(
                f'<span class="range" style="left: {bar["lo"]}%; width: {bar["width"]}%"></span>'
                f'<span class="lo" style="left: {bar["lo"]}%"></span><span class="mu" style="left: {bar["mu"]}%"></span>'
            ),
            "last_key": int(last.timestamp()) if last else "",
            "last_iso": last.isoformat() if last else "",
            "last_stamp": stamp(last),
            "last_ago": ago(last, now) if last else "",
        })
    return rows


def match_view(detail: MatchDetail) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A match's heading (names, state, reason, W/D/L from a's side) and its games as result lines.

    A game's result names its winner in the colour of the winner's side (`side-one`, `side-two`, the
    colours of the players' swatches), never in a win or loss colour: a game line has no side of its own.
    """
    names = {detail.snapshot_a_id: detail.snapshot_a_name, detail.snapshot_b_id: detail.snapshot_b_name}
    games, tally = [], {"win": 0, "draw": 0, "loss": 0}
    for g in detail.games:
        red, blue = names[g.player_one_id], names[g.player_two_id]
        if g.winner is None or g.result_a is None:
            result, css = "not played", "muted"
        else:
            tally[g.result_a] += 1
            result = {1: f"{red} wins", -1: f"{blue} wins", 0: "draw"}[g.winner]
            css = {1: "side-one", -1: "side-two", 0: "draw"}[g.winner]
        games.append({"id": g.id, "index": g.index, "seed": g.seed, "red_name": red, "blue_name": blue,
                      "result": result, "result_class": css, "length": g.length, "end_reason": g.end_reason or "",
                      "has_record": g.has_record})
    heading = {"id": detail.id, "status": detail.state, "finished_at": detail.finished_at,
               "one_id": detail.snapshot_a_id, "two_id": detail.snapshot_b_id, "one_name": detail.snapshot_a_name,
               "two_name": detail.snapshot_b_name, "wins": tally["win"], "draws": tally["draw"],
               "losses": tally["loss"], "reason": SHOWN_REASON.get(detail.reason, detail.reason)}
    return heading, games


def stamp(moment: datetime | None) -> str:
    """A moment as '2025-03-14 09:26:53 UTC' (24-hour clock, the order of ISO 8601)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def checkpoint_ratings(lineage: LineageDetail) -> dict[str, list]:
    """mu and sigma of a lineage's snapshots in step order, for the checkpoint chart."""
    by_step = sorted(lineage.checkpoints, key=lambda c: (c.step, c.id))
    return {"step": [c.step for c in by_step], "mu": [c.mu for c in by_step], "sigma": [c.sigma for c in by_step]}


def compared_ratings(compared: list[NamedRatingSeries]) -> list[dict[str, Any]]:
    """Several snapshots' rating series for one chart: id, name, and parallel lists of games, time, mu, sigma."""
    return [{"id": c.id, "name": c.name, "games": c.series.games, "time": c.series.time, "mu": c.series.mu,
             "sigma": c.series.sigma} for c in compared]
