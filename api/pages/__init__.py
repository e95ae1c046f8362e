"""The web dashboard: server-rendered pages over the league core.

`router` serves the pages (leaderboard, opponent, head-to-head, all matches, match with replay,
agent lineages, training) and two small HTML fragments the leaderboard refreshes itself from. Templates live in
`templates/dashboard/` (Jinja2, autoescape on: every name is shown as text); scripts and
styles under `static/` (vendored, no CDN). Page data for scripts travels as JSON in
`<script type="application/json">` blocks. Unknown or malformed ids get an HTML 404 page,
malformed query parameters an HTML 400 page naming the parameter.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.assets import STATIC_DIR, TEMPLATES_DIR
from api.deps import SessionDep, SettingsDep
from api.pages.display import (
    SHOWN_STATE,
    STATE_NAMES,
    ago,
    checkpoint_ratings,
    filesize,
    leaderboard_rows,
    match_view,
    training_curves,
)
from league.core.errors import InvalidInput, NotFound
from league.core.game import GAME_VERSION
from league.core.leaderboard import head_to_head_matrix, leaderboard, leaderboard_token
from league.core.lineages import lineage_detail, lineages
from league.core.matches import get_game_record, get_match, list_matches
from league.core.rating import PROVISIONAL_SIGMA
from league.core.standings import opponent_detail, rating_series, recent_matches, snapshot_names, versus
from league.core.status import league_status

LATEST_MATCHES = 8  # finished matches listed under the leaderboard
MATCHES_PER_PAGE = 50  # default page size of /matches

router = APIRouter(tags=["dashboard"], include_in_schema=False)


class PageNotFound(Exception):
    """A page for something that does not exist: rendered as an HTML 404 with this message."""


class BadRequest(Exception):
    """A malformed query parameter: rendered as an HTML 400 with this message."""


@lru_cache(maxsize=128)
def _static_url(path: str, mtime_ns: int) -> str:
    return f"/static/{path}?v={mtime_ns % 10**9}"


def static(path: str) -> str:
    """URL of a file under `static/`, with a version query that changes when the file does."""
    try:
        return _static_url(path, (STATIC_DIR / path).stat().st_mtime_ns)
    except FileNotFoundError:
        return f"/static/{path}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, auto_reload=False,
    )
    env.filters["ago"] = ago
    env.filters["filesize"] = filesize
    env.globals["static"] = static
    env.globals["provisional_sigma"] = PROVISIONAL_SIGMA
    return env


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    try:
        server = metadata.version("hockey-league")
    except metadata.PackageNotFoundError:
        server = "unknown"
    return {"server_version": server, "game_version": GAME_VERSION}


def _status(session, settings) -> dict[str, Any]:
    status = league_status(session, worker_seen_seconds=settings.worker_seen_seconds)
    return {**_versions(), **status.model_dump()}


def _render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _environment().get_template(f"dashboard/{name}").render(**context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def _parse_id(raw: str, what: str) -> int:
    """A positive integer id from a path segment, or PageNotFound naming what was asked for."""
    if not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise PageNotFound(f"{what} ids are positive whole numbers; {raw!r} is not one")
    return int(raw)


def _lookup(raw: str, what: str, fetch):
    """Parse a path id and read it with `fetch(id)`, or PageNotFound naming what is missing."""
    ident = _parse_id(raw, what)
    try:
        return ident, fetch(ident)
    except NotFound:
        raise PageNotFound(f"there is no {what} {ident}") from None


def _not_found(session, settings, message: str) -> HTMLResponse:
    return _render("error.html", status_code=404, status=_status(session, settings), active=None,
                   title="Not found", message=message)


def _bad_request(session, settings, message: str) -> HTMLResponse:
    return _render("error.html", status_code=400, status=_status(session, settings), active=None,
                   title="Bad request", message=message)


def _whole_number(raw: str | None, name: str, default: int) -> int:
    """A query parameter that must be a whole number >= 0, or BadRequest naming it."""
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"{name} must be a whole number of 0 or more, got {raw!r}")
    return int(raw)


@router.get("/", response_class=HTMLResponse)
def leaderboard_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    token = leaderboard_token(session)
    rows = leaderboard_rows(leaderboard(session))
    latest = list_matches(session, state="done", limit=LATEST_MATCHES).items
    return _render(
        "leaderboard.html", status=_status(session, settings), active="leaderboard", rows=rows, token=token,
        latest=latest,
        lineages=sorted({r["lineage"] for r in rows}), kinds=sorted({r["kind"] for r in rows}),
        total_games=sum(r["games"] for r in rows) // 2,
    )


@router.get("/fragments/leaderboard", response_class=HTMLResponse)
def leaderboard_fragment(session: SessionDep, since: str | None = None) -> Response:
    """The leaderboard's rows; 204 when nothing changed since the page's token `since`."""
    token = leaderboard_token(session)
    if since == token:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    return _render("fragment_leaderboard.html", rows=leaderboard_rows(leaderboard(session)), token=token)


@router.get("/fragments/status", response_class=HTMLResponse)
def status_fragment(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return _render("fragment_status.html", status=_status(session, settings))


@router.get("/head-to-head", response_class=HTMLResponse)
def head_to_head_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    matrix = head_to_head_matrix(session)
    return _render(
        "head_to_head.html", status=_status(session, settings), active="head-to-head",
        matrix={"names": matrix.names, "ids": matrix.ids, "cells": matrix.cells},
        pairs=len(matrix.cells), total_games=sum(c[2] + c[3] + c[4] for c in matrix.cells),
    )


@router.get("/opponents/{snapshot_id}", response_class=HTMLResponse)
def opponent_page(snapshot_id: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    try:
        ident, opponent = _lookup(snapshot_id, "opponent", lambda i: opponent_detail(session, i))
    except PageNotFound as error:
        return _not_found(session, settings, str(error))
    series = rating_series(session, ident)
    return _render(
        "opponent.html", status=_status(session, settings), active=None, opponent=opponent,
        weights_url=f"/api/opponents/{ident}/weights" if opponent.sha256 else None,
        history={"games": series.games, "time": series.time, "mu": series.mu, "sigma": series.sigma},
        matches=recent_matches(session, ident, series), versus=versus(session, ident),
    )


@router.get("/matches/{match_id}", response_class=HTMLResponse)
def match_page(match_id: str, session: SessionDep, settings: SettingsDep, game: str | None = None) -> HTMLResponse:
    try:
        ident, detail = _lookup(match_id, "match", lambda i: get_match(session, i))
        heading, games = match_view(detail)
        if game is not None:
            wanted = int(game) if game.isdigit() and len(game) < 10 else None
            selected = next((g for g in games if g["index"] == wanted), None)
            if selected is None:
                known = ", ".join(str(g["index"]) for g in games) or "none"
                raise PageNotFound(f"match {ident} has no game {game!r} (its games: {known})")
        else:
            selected = next((g for g in games if g["has_record"]), None)
    except PageNotFound as error:
        return _not_found(session, settings, str(error))
    record = get_game_record(session, selected["id"]) if selected and selected["has_record"] else None
    return _render("match.html", status=_status(session, settings), active=None, match=heading,
                   games=games, selected=selected, record=record)


@router.get("/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(agent_id: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    try:
        _, lineage = _lookup(agent_id, "agent", lambda i: lineage_detail(session, i))
    except PageNotFound as error:
        return _not_found(session, settings, str(error))
    return _render("agent.html", status=_status(session, settings), active=None, agent=lineage,
                   metrics=training_curves(lineage), checkpoints=lineage.checkpoints,
                   checkpoint_ratings=checkpoint_ratings(lineage))


@router.get("/matches", response_class=HTMLResponse)
def matches_page(session: SessionDep, settings: SettingsDep, opponent: str | None = None, state: str | None = None,
                 offset: str | None = None, limit: str | None = None) -> HTMLResponse:
    """Every match, newest first, a page at a time; `opponent` (a snapshot id) and `state` filter."""
    snapshot_id = None
    try:
        start = _whole_number(offset, "offset", 0)
        size = _whole_number(limit, "limit", MATCHES_PER_PAGE)
        state = state or None
        if state is not None and state not in STATE_NAMES:
            raise BadRequest(f"state must be one of {', '.join(STATE_NAMES)}, got {state!r}")
        if opponent:
            if not opponent.isdigit() or len(opponent) > 18 or int(opponent) < 1:
                raise BadRequest(f"opponent must be an opponent's id (a positive whole number), got {opponent!r}")
            snapshot_id = int(opponent)
        page = list_matches(session, snapshot_id=snapshot_id, state=STATE_NAMES[state] if state else None,
                            offset=start, limit=size)
    except (BadRequest, InvalidInput) as error:
        return _bad_request(session, settings, str(error))
    except NotFound:
        return _not_found(session, settings, f"there is no opponent {snapshot_id}")
    filters = {k: v for k, v in (("opponent", snapshot_id), ("state", state)) if v is not None}

    def link(at: int) -> str:
        query = {**filters, "offset": at} if at else dict(filters)
        if size != MATCHES_PER_PAGE:
            query["limit"] = size
        return "/matches" + (f"?{urlencode(query)}" if query else "")

    total = page.total
    last = max(0, (total - 1) // size * size)
    pager = {
        "first": link(0) if start > 0 else None, "newer": link(max(0, start - size)) if start > 0 else None,
        "older": link(start + size) if start + size < total else None,
        "oldest": link(last) if start + size < total else None,
        "from": start + 1 if page.items else 0, "to": start + len(page.items), "total": total,
    }
    return _render("matches.html", status=_status(session, settings), active="matches", page=page, pager=pager,
                   shown_state=SHOWN_STATE, opponent=snapshot_id, state=state, states=list(STATE_NAMES),
                   choices=snapshot_names(session), limit=size, default_limit=MATCHES_PER_PAGE)


@router.get("/agents", response_class=HTMLResponse)
def agents_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Every agent lineage: snapshots, best rating, latest training step, when metrics last came."""
    return _render("agents.html", status=_status(session, settings), active="agents",
                   lineages=lineages(session))
