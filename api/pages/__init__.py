"""The web dashboard: server-rendered pages over the league core.

`router` serves the pages (leaderboard, opponent with rating comparison, a pair of opponents,
head-to-head, all matches, match with replay, agent lineages, training with runs compared, a
user's agents, remote agents online and the games in play) and two small HTML fragments the leaderboard refreshes itself from. Templates live in
`templates/dashboard/` (Jinja2, autoescape on: every name is shown as text); scripts and
styles under `static/` (vendored, no CDN). Page data for scripts travels as JSON in
`<script type="application/json">` blocks. Unknown or malformed ids get an HTML 404 page,
malformed query parameters an HTML 400 page naming the parameter.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.pages.curves import curve_charts
from api.pages.display import (
    REASON_HELP,
    REASON_NAMES,
    SHOWN_REASON,
    SHOWN_STATE,
    STATE_NAMES,
    checkpoint_ratings,
    compared_ratings,
    leaderboard_rows,
    match_view,
    rating_scale,
)
from api.pages.live import router as live_router
from api.pages.ratings_view import rating_facts
from api.pages.rendering import (  # the render and parameter helpers every page uses
    MAX_COMPARED,
    BadRequest,
    PageNotFound,
    bad_request_page,
    digits,
    id_list,
    lookup,
    not_found_page,
    parse_id,
    render,
    status_line,
    whole_number,
)
from api.pages.tournament_views import crosstable_heatmap, progress_percent
from api.pages.yardstick_view import with_yardstick, yardstick_cells
from league.core.errors import InvalidInput, NotFound
from league.core.kinds import registrable_kinds
from league.core.leaderboard import head_to_head_matrix, leaderboard, leaderboard_token
from league.core.lineages import lineage_curves, lineage_detail, lineages, user_detail
from league.core.matches import get_game_record, get_match, list_matches
from league.core.remote import list_remote, online_remote_ids
from league.core.standings import (
    opponent_detail,
    pair_standing,
    rating_comparison,
    rating_series,
    recent_matches,
    snapshot_names,
    versus,
)
from league.core.tournament_results import tournament_detail
from league.core.tournaments import list_tournaments
from league.core.yardstick import basic_records

LATEST_MATCHES = 8  # finished matches listed under the leaderboard
MATCHES_PER_PAGE = 50  # default page size of /matches
PAIR_MATCHES = 50  # matches listed on a pair's page

router = APIRouter(tags=["dashboard"], include_in_schema=False)
router.include_router(live_router)


@router.get("/", response_class=HTMLResponse)
def leaderboard_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    token = leaderboard_token(session)
    board = leaderboard(session)
    rows = with_yardstick(leaderboard_rows(board), basic_records(session))
    latest = list_matches(session, state="done", limit=LATEST_MATCHES).items
    return render(
        "leaderboard.html", status=status_line(session, settings), active="leaderboard", rows=rows, token=token,
        latest=latest, scale=rating_scale(board),
        lineages=sorted({r["lineage"] for r in rows}), kinds=sorted({r["kind"] for r in rows}),
        total_games=sum(r["games"] for r in rows) // 2, online=online_remote_ids(session, settings=settings),
    )


@router.get("/fragments/leaderboard", response_class=HTMLResponse)
def leaderboard_fragment(session: SessionDep, settings: SettingsDep, since: str | None = None) -> Response:
    """The leaderboard's rows; 204 when nothing changed since the page's token `since`."""
    token = leaderboard_token(session)
    if since == token:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    board = leaderboard(session)
    rows = with_yardstick(leaderboard_rows(board), basic_records(session))
    return render("fragment_leaderboard.html", rows=rows, scale=rating_scale(board), token=token,
                   online=online_remote_ids(session, settings=settings))


@router.get("/fragments/status", response_class=HTMLResponse)
def status_fragment(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return render("fragment_status.html", status=status_line(session, settings))


@router.get("/head-to-head", response_class=HTMLResponse)
def head_to_head_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    matrix = head_to_head_matrix(session)
    return render(
        "head_to_head.html", status=status_line(session, settings), active="head-to-head",
        matrix={"names": matrix.names, "ids": matrix.ids, "cells": matrix.cells},
        pairs=len(matrix.cells), total_games=sum(c[2] + c[3] + c[4] for c in matrix.cells),
    )


@router.get("/opponents/{snapshot_id}", response_class=HTMLResponse)
def opponent_page(snapshot_id: str, session: SessionDep, settings: SettingsDep,
                  compare: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """An opponent's standing and record; `?compare=ID` (repeatable) adds others to its rating chart."""
    try:
        ident, opponent = lookup(snapshot_id, "opponent", lambda i: opponent_detail(session, i))
        others = id_list(compare, "compare", exclude=ident)
        compared = rating_comparison(session, others)
    except PageNotFound as error:
        return not_found_page(session, settings, str(error))
    except BadRequest as error:
        return bad_request_page(session, settings, str(error))
    except NotFound as error:
        return not_found_page(session, settings, f"cannot compare: {error}")
    series = rating_series(session, ident)
    history = {"id": ident, "name": opponent.name, "games": series.games, "time": series.time, "mu": series.mu,
               "sigma": series.sigma}
    return render(
        "opponent.html", status=status_line(session, settings), active=None, opponent=opponent,
        weights_url=f"/api/opponents/{ident}/weights" if opponent.sha256 else None,
        history=history, compared=compared_ratings(compared), choices=snapshot_names(session),
        max_compared=MAX_COMPARED,
        matches=recent_matches(session, ident, series), versus=versus(session, ident),
        yardstick=yardstick_cells(basic_records(session, [ident]).get(ident)),
    )


@router.get("/opponents/{a_id}/vs/{b_id}", response_class=HTMLResponse)
def pair_page(a_id: str, b_id: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Two opponents side by side: their record against each other, ratings and matches with replays."""
    try:
        a = parse_id(a_id, "opponent")
        b = parse_id(b_id, "opponent")
        if a == b:
            raise BadRequest(f"a pair needs two different opponents, got {a} twice")
        pair = pair_standing(session, a, b)
    except PageNotFound as error:
        return not_found_page(session, settings, str(error))
    except BadRequest as error:
        return bad_request_page(session, settings, str(error))
    except NotFound as error:
        return not_found_page(session, settings, f"cannot pair them: {error}")
    matches = list_matches(session, snapshot_id=a, versus=b, limit=PAIR_MATCHES)
    return render(
        "pair.html", status=status_line(session, settings), active=None, pair=pair, matches=matches,
        shown_state=SHOWN_STATE, shown_reason=SHOWN_REASON, choices=snapshot_names(session),
        compared=compared_ratings(rating_comparison(session, [a, b])),
    )


@router.get("/pair", response_class=HTMLResponse)
def pair_choice(session: SessionDep, settings: SettingsDep, a: str | None = None, b: str | None = None) -> Response:
    """`/pair?a=ID&b=ID` sends the reader to the pair's page `/opponents/{a}/vs/{b}`."""
    for name, value in (("a", a), ("b", b)):
        if not value or not digits(value) or len(value) > 18 or int(value) < 1:
            return bad_request_page(session, settings, f"{name} must be an opponent's id (a positive whole number), "
                                                   f"got {value!r}")
    return RedirectResponse(f"/opponents/{int(a)}/vs/{int(b)}", status_code=303)


@router.get("/matches/{match_id}", response_class=HTMLResponse)
def match_page(match_id: str, session: SessionDep, settings: SettingsDep, game: str | None = None) -> HTMLResponse:
    try:
        ident, detail = lookup(match_id, "match", lambda i: get_match(session, i))
        heading, games = match_view(detail)
        if game is not None:
            wanted = int(game) if digits(game) and len(game) < 10 else None
            selected = next((g for g in games if g["index"] == wanted), None)
            if selected is None:
                known = ", ".join(str(g["index"]) for g in games) or "none"
                raise PageNotFound(f"match {ident} has no game {game!r} (its games: {known})")
        else:
            selected = next((g for g in games if g["has_record"]), None)
    except PageNotFound as error:
        return not_found_page(session, settings, str(error))
    record = get_game_record(session, selected["id"]) if selected and selected["has_record"] else None
    return render("match.html", status=status_line(session, settings), active=None, match=heading,
                   games=games, selected=selected, record=record)


@router.get("/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(agent_id: str, session: SessionDep, settings: SettingsDep,
               compare: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """A lineage's training curves, grouped and named, and its checkpoints; `?compare=ID` (repeatable)
    draws other runs' curves on the same charts."""
    try:
        ident, lineage = lookup(agent_id, "agent", lambda i: lineage_detail(session, i))
        others = id_list(compare, "compare", exclude=ident)
    except PageNotFound as error:
        return not_found_page(session, settings, str(error))
    except BadRequest as error:
        return bad_request_page(session, settings, str(error))
    every = {summary.id: summary for summary in lineages(session)}
    unknown = [i for i in others if i not in every]
    if unknown:
        return not_found_page(session, settings, f"cannot compare: there is no agent {unknown[0]}")
    runs = [(ident, lineage.name, lineage.metrics)]
    runs += [(i, every[i].name, lineage_curves(session, i)) for i in others]
    steps = {c.step for c in lineage.checkpoints}
    records = basic_records(session, [c.id for c in lineage.checkpoints])
    return render("agent.html", status=status_line(session, settings), active=None, agent=lineage,
                   builtin=every[ident].builtin, curves=curve_charts(runs), compared=others,
                   runs={i: s.name for i, s in every.items()}, max_compared=MAX_COMPARED,
                   run_choices=[s for s in every.values() if s.metrics_posted_at is not None and s.id != ident],
                   checkpoints=lineage.checkpoints, checkpoint_chart=len(steps) > 1,
                   yardsticks={c.id: yardstick_cells(records.get(c.id)) for c in lineage.checkpoints},
                   checkpoint_ratings=checkpoint_ratings(lineage))


@router.get("/matches", response_class=HTMLResponse)
def matches_page(session: SessionDep, settings: SettingsDep, opponent: str | None = None, state: str | None = None,
                 offset: str | None = None, limit: str | None = None, versus: str | None = None,
                 reason: str | None = None) -> HTMLResponse:
    """Every match, newest first, a page at a time; `opponent` (a snapshot id), with `versus` (another)
    the pair's matches, `state` and `reason` filter."""
    snapshot_id = other_id = None
    try:
        reason = reason or None
        if reason is not None and reason not in REASON_NAMES:
            raise BadRequest(f"reason must be one of {', '.join(REASON_NAMES)}, got {reason!r}")
        if versus:
            if not digits(versus) or len(versus) > 18 or int(versus) < 1:
                raise BadRequest(f"versus must be an opponent's id (a positive whole number), got {versus!r}")
            if not opponent:
                raise BadRequest("versus needs opponent: the matches between two opponents")
            other_id = int(versus)
        start = whole_number(offset, "offset", 0)
        size = whole_number(limit, "limit", MATCHES_PER_PAGE)
        state = state or None
        if state is not None and state not in STATE_NAMES:
            raise BadRequest(f"state must be one of {', '.join(STATE_NAMES)}, got {state!r}")
        if opponent:
            if not digits(opponent) or len(opponent) > 18 or int(opponent) < 1:
                raise BadRequest(f"opponent must be an opponent's id (a positive whole number), got {opponent!r}")
            snapshot_id = int(opponent)
        page = list_matches(session, snapshot_id=snapshot_id, versus=other_id,
                            state=STATE_NAMES[state] if state else None,
                            reason=REASON_NAMES[reason] if reason else None, offset=start, limit=size)
    except (BadRequest, InvalidInput) as error:
        return bad_request_page(session, settings, str(error))
    except NotFound as error:
        missing = other_id if str(error).endswith(f" {other_id}") else snapshot_id
        return not_found_page(session, settings, f"there is no opponent {missing}")
    filters = {k: v for k, v in (("opponent", snapshot_id), ("versus", other_id), ("state", state),
                                 ("reason", reason)) if v is not None}

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
    return render("matches.html", status=status_line(session, settings), active="matches", page=page, pager=pager,
                   shown_state=SHOWN_STATE, opponent=snapshot_id, versus=other_id, state=state,
                   states=list(STATE_NAMES), reason=reason, reasons=REASON_HELP, shown_reason=SHOWN_REASON,
                   choices=snapshot_names(session), limit=size, default_limit=MATCHES_PER_PAGE)


@router.get("/users/{name}", response_class=HTMLResponse)
def user_page(name: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """A user and the lineages it owns, with their best snapshots and ratings."""
    try:
        user = user_detail(session, name)
    except NotFound:
        return not_found_page(session, settings, f"there is no user {name!r}")
    return render("user.html", status=status_line(session, settings), active=None, user=user)


@router.get("/agents", response_class=HTMLResponse)
def agents_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Every agent lineage: snapshots, best rating, latest training step, when metrics last came."""
    return render("agents.html", status=status_line(session, settings), active="agents",
                   lineages=lineages(session))


@router.get("/upload", response_class=HTMLResponse)
def upload_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """A form that registers an opponent through `POST /api/opponents` (the token is typed in, not kept)."""
    return render("upload.html", status=status_line(session, settings), active="upload", kinds=registrable_kinds(),
                   max_bytes=settings.upload_max_bytes)


@router.get("/ratings", response_class=HTMLResponse)
def ratings_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """How ratings work: TrueSkill game by game, the conservative score, draws, matchmaking, the yardstick."""
    return render("ratings.html", status=status_line(session, settings), active=None, **rating_facts(settings))


@router.get("/tournaments", response_class=HTMLResponse)
def tournaments_page(session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Every tournament, newest first, with its progress."""
    return render("tournaments.html", status=status_line(session, settings), active="tournaments",
                   tournaments=list_tournaments(session))


@router.get("/tournaments/{tournament_id}", response_class=HTMLResponse)
def tournament_page(tournament_id: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """A tournament: progress, standings with strength estimates, crosstable heatmap, every match's replay."""
    try:
        _ident, detail = lookup(tournament_id, "tournament", lambda i: tournament_detail(session, i))
    except PageNotFound as error:
        return not_found_page(session, settings, str(error))
    names = {row.snapshot_id: row.name for row in detail.standings}
    remote = {agent.snapshot.id for agent in list_remote(session, settings=settings)}
    return render("tournament.html", status=status_line(session, settings), active="tournaments", tournament=detail,
                   percent=progress_percent(detail), matrix=crosstable_heatmap(detail), names=names,
                   has_remote=bool(remote & set(names)))
