"""The opponent pool: register snapshots (safetensors weights), list, fetch, retire, sample.

An opponent is a league snapshot. The upload is read with its size capped; the league core
checks the bytes by their kind (`league.core.kinds`) before anything is stored; identical
weights return the existing opponent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep, TrainerDep
from api.errors import AUTH_RESPONSES, ERROR_RESPONSES, UPLOAD_RESPONSES
from api.params import MAX_ID, NAME_PATTERN, IdPath, Limit, NameQuery, Offset
from api.read_cache import invalidates_reads
from api.uploads import iter_upload, read_capped
from league.core import leaderboard as ratings
from league.core import snapshots
from league.core.errors import InvalidInput
from league.core.kinds import KINDS, registrable_kinds
from league.core.registration import register_snapshot
from league.core.sampling import sample_opponents
from league.core.schemas import (
    Opponent,
    OpponentChoice,
    Page,
    RatingChangeInfo,
    Registered,
    SnapshotInfo,
    SnapshotKind,
)

router = APIRouter(prefix="/api/opponents", tags=["opponents"], responses=ERROR_RESPONSES)
META_MAX_BYTES = 1 << 20  # metadata sent as a file part: a config is a few KiB


class RegisterMeta(BaseModel):
    """The `meta` part of a registration: which lineage, what config, which training step."""

    model_config = ConfigDict(extra="forbid", strict=True)

    agent: str = Field(pattern=NAME_PATTERN, description="lineage name, e.g. the training run")
    kind: str = Field("dreamer", max_length=40, description=(
        f"snapshot kind, one of {', '.join(registrable_kinds())} (built-in kinds are not registered)"))
    config: dict[str, Any] = Field(default_factory=dict, description="the config the weights were built with (none for onnx)")
    step: int = Field(ge=0, le=MAX_ID, description="training step of the snapshot")
    notes: str = Field("", max_length=10_000)
    name: str | None = Field(None, pattern=NAME_PATTERN, description='default "{agent}@{step}"')


class OpponentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    active: bool = Field(description="false retires the opponent (no new matches), true re-activates it")


def _parse_meta(raw: str) -> RegisterMeta:
    try:
        return RegisterMeta.model_validate_json(raw)
    except ValidationError as error:
        problems = [{**e, "loc": ("body", "meta", *e["loc"])} for e in error.errors(include_url=False)]
        raise RequestValidationError(problems) from None


async def _read_meta_file(upload: UploadFile) -> str:
    """The text of a `meta` sent as a file part (capped: metadata is a few KiB)."""
    data = await upload.read(META_MAX_BYTES + 1)
    if len(data) > META_MAX_BYTES:
        raise InvalidInput(f"the meta file is larger than {META_MAX_BYTES // 1024} KiB (expected a small JSON object)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the meta file is not UTF-8 text (expected JSON)") from None


REGISTRATION_PARTS = ("meta", "weights")


def _check_parts(form: FormData) -> None:
    """One `meta` part and one `weights` part, nothing else: a second `meta` is refused, never taken
    instead of the first."""
    names = [name for name, _ in form.multi_items()]
    for part in REGISTRATION_PARTS:
        if names.count(part) > 1:
            raise InvalidInput(f"a registration has one `{part}` part; this one has {names.count(part)}")
    unknown = sorted(set(names) - set(REGISTRATION_PARTS))
    if unknown:
        raise InvalidInput(f"a registration has only the parts meta and weights; unknown: {', '.join(unknown)}")


def _standing(session, info: SnapshotInfo) -> Opponent:
    row = ratings.leaderboard_row(session, info.id)
    return Opponent(
        **info.model_dump(), rank=row.rank if info.active else None, mu=row.mu, sigma=row.sigma, score=row.score,
        provisional=row.provisional, games=row.games, wins=row.wins, draws=row.draws, losses=row.losses,
        forfeits=row.forfeits,
    )


@router.post(
    "",
    dependencies=[Depends(invalidates_reads)],
    status_code=201,
    response_model=Registered,
    responses={200: {"model": Registered, "description": "Identical weights were registered before"},
               **AUTH_RESPONSES, **UPLOAD_RESPONSES},
)
async def register_opponent(
    http: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    caller: TrainerDep,
    meta: Annotated[UploadFile | str, Form(description=(
        "JSON: agent, kind, config, step, notes (and optionally name); a string field "
        "(`-F 'meta={...}'`) or a file part (`-F meta=@meta.json`)"))],
    weights: Annotated[UploadFile, File(description="the weights, a .safetensors file")],
):
    """Register an opponent: weights (checked by their kind) plus JSON metadata (needs a trainer token).

    Returns 201 with its id and sha256, or 200 with the existing opponent for identical weights; 403 when
    the lineage belongs to another user (only its owner or an admin registers into it).
    """
    _check_parts(await http.form())
    parsed = _parse_meta(meta if isinstance(meta, str) else await _read_meta_file(meta))
    data = await read_capped(iter_upload(weights), settings.upload_max_bytes)
    registration = await run_in_threadpool(
        register_snapshot, session, agent=parsed.agent, kind=parsed.kind, config=parsed.config,
        step=parsed.step, weights=data, notes=parsed.notes, name=parsed.name, placement_settings=settings,
        by=caller.actor,
    )
    info = registration.snapshot
    http.state.audit_detail = f"snapshot {info.id} ({info.name})" + ("" if registration.created else ", known")
    if not registration.created:
        response.status_code = 200
    # a registered kind carries weights, so the snapshot has their sha256
    return Registered(id=info.id, sha256=info.sha256 or "", created=registration.created, opponent=info,
                      message=registration.message)


@router.get("", response_model=Page[SnapshotInfo])
def list_opponents(
    session: SessionDep,
    offset: Offset = 0,
    limit: Limit = 100,
    agent: NameQuery = None,
    kind: Annotated[SnapshotKind | None, Query(description="only this kind")] = None,
    active: Annotated[bool | None, Query(description="only active (true) or retired (false) ones")] = None,
):
    """Opponents, newest first, filtered by agent (lineage name), kind and active flag; paginated."""
    return snapshots.list_snapshots(session, agent=agent, kind=kind, active=active, offset=offset, limit=limit)


@router.get("/sample", response_model=list[OpponentChoice])
def sample(
    session: SessionDep,
    learner: Annotated[int, Query(ge=1, le=MAX_ID, description="the learner's own snapshot id")],
    n: Annotated[int, Query(ge=1, le=1000, description="how many opponents to draw (with replacement)")] = 8,
    strategy: Annotated[Literal["pfsp_hard", "pfsp_even", "uniform"], Query(
        description="pfsp_hard favours opponents the learner loses to, pfsp_even those it is level with")
    ] = "pfsp_hard",
):
    """Opponents for a trainer: prioritised fictitious self-play over the active pool."""
    return sample_opponents(session, learner, n, mode=strategy.removeprefix("pfsp_"))


@router.get("/{opponent_id:int}", response_model=Opponent)
def get_opponent(session: SessionDep, opponent_id: IdPath):
    """One opponent with its rating, provisional flag, games and W/D/L."""
    return _standing(session, snapshots.get_snapshot(session, opponent_id))


@router.get(
    "/{opponent_id:int}/weights",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
              "description": "The exact bytes registered; `ETag` is their sha256"},
        304: {"description": "Not modified: the `If-None-Match` ETag matches"},
    },
)
def get_opponent_weights(request: Request, session: SessionDep, opponent_id: IdPath):
    """The opponent's safetensors weights, byte for byte; honours `If-None-Match` (ETag = sha256)."""
    info = snapshots.get_snapshot(session, opponent_id)
    etag = f'"{info.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"}
    if info.sha256 and _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    data = snapshots.get_weights(session, opponent_id)
    headers["Content-Disposition"] = attachment_disposition(f"{info.name}.safetensors")
    return Response(content=data, media_type="application/octet-stream", headers=headers)


def attachment_disposition(filename: str) -> str:
    """`Content-Disposition` for a download of any name: an ASCII `filename` for old clients and the
    exact name as UTF-8 in `filename*` (RFC 6266 and RFC 5987); a header is Latin-1, so a name
    like `Ωmega` must never go in as it is."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-@") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def document_kinds(schema: dict[str, Any]) -> dict[str, Any]:
    """Name the registry's kinds as the values the `kind` filter of `GET /api/opponents` takes (the core
    refuses any other with 422; the registry is read when the document is made, so a kind added to it
    needs no change here)."""
    for parameter in schema.get("paths", {}).get("/api/opponents", {}).get("get", {}).get("parameters", []):
        if parameter.get("name") == "kind" and parameter.get("in") == "query":
            parameter["schema"] = {"anyOf": [{"type": "string", "enum": sorted(KINDS)}, {"type": "null"}],
                                   "title": "Kind"}
    return schema


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


@router.patch("/{opponent_id:int}", response_model=SnapshotInfo, responses=AUTH_RESPONSES,
              dependencies=[Depends(invalidates_reads)])
def patch_opponent(session: SessionDep, caller: TrainerDep, opponent_id: IdPath, patch: OpponentPatch):
    """Retire (`{"active": false}`) or re-activate (`{"active": true}`) an opponent: its lineage's owner or an
    admin (403 for anyone else; the built-in opponents: admins only)."""
    return snapshots.set_active(session, opponent_id, patch.active, by=caller.actor)


@router.get("/{opponent_id:int}/ratings", response_model=list[RatingChangeInfo])
def get_rating_history(
    session: SessionDep,
    opponent_id: IdPath,
    since_id: Annotated[int, Query(ge=0, le=MAX_ID, description="only changes after the one with this `id`")] = 0,
    limit: Annotated[int, Query(ge=1, le=100_000, description="at most this many changes")] = 10_000,
):
    """The opponent's rating history, oldest first: mu and sigma before and after each rated game.

    Each change has an `id`; pass the last one seen as `since_id` to get the next page.
    """
    return ratings.rating_history(session, opponent_id, since_id=since_id, limit=limit)

