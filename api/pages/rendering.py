"""What every dashboard page uses: the template environment and rendering, the league's status
line, HTML error pages, and the parsing of ids and whole numbers from paths and query strings (a
malformed one is an HTML 400 or 404 that names it, never a server error)."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.assets import STATIC_DIR, TEMPLATES_DIR
from api.pages.display import ago, filesize, stamp
from league.core.errors import NotFound
from league.core.game import GAME_VERSION
from league.core.rating import PROVISIONAL_SIGMA
from league.core.status import league_status

MAX_COMPARED = 6  # other opponents (or runs) drawn in one comparison chart


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
    env.filters["stamp"] = stamp
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


def status_line(session, settings) -> dict[str, Any]:
    status = league_status(session, worker_seen_seconds=settings.worker_seen_seconds)
    return {**_versions(), **status.model_dump()}


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _environment().get_template(f"dashboard/{name}").render(**context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def digits(raw: str) -> bool:
    """Whether `raw` is ASCII digits only: `str.isdigit` also takes other scripts' digits ('١' is 1)."""
    return raw.isascii() and raw.isdigit()


def parse_id(raw: str, what: str) -> int:
    """A positive integer id from a path segment, or PageNotFound naming what was asked for."""
    if not digits(raw) or len(raw) > 18 or int(raw) < 1:
        raise PageNotFound(f"{what} ids are positive whole numbers; {raw!r} is not one")
    return int(raw)


def lookup(raw: str, what: str, fetch):
    """Parse a path id and read it with `fetch(id)`, or PageNotFound naming what is missing."""
    ident = parse_id(raw, what)
    try:
        return ident, fetch(ident)
    except NotFound:
        raise PageNotFound(f"there is no {what} {ident}") from None


def not_found_page(session, settings, message: str) -> HTMLResponse:
    return render("error.html", status_code=404, status=status_line(session, settings), active=None,
                   title="Not found", message=message)


def bad_request_page(session, settings, message: str) -> HTMLResponse:
    return render("error.html", status_code=400, status=status_line(session, settings), active=None,
                   title="Bad request", message=message)


def id_list(raw: list[str] | None, name: str, *, exclude: int) -> list[int]:
    """Ids from a repeated query parameter (`?compare=3&compare=7`), each once, `exclude` left out;
    BadRequest naming the parameter for a malformed one or more than MAX_COMPARED."""
    ids: list[int] = []
    for value in raw or []:
        if value == "":
            continue
        if not digits(value) or len(value) > 18 or int(value) < 1:
            raise BadRequest(f"{name} must be ids (positive whole numbers), got {value!r}")
        if int(value) != exclude and int(value) not in ids:
            ids.append(int(value))
    if len(ids) > MAX_COMPARED:
        raise BadRequest(f"{name} takes at most {MAX_COMPARED} ids, got {len(ids)}")
    return ids


def whole_number(raw: str | None, name: str, default: int) -> int:
    """A query parameter that must be a whole number >= 0, or BadRequest naming it."""
    if raw is None or raw == "":
        return default
    if not digits(raw) or len(raw) > 18:
        raise BadRequest(f"{name} must be a whole number of 0 or more, got {raw!r}")
    return int(raw)
