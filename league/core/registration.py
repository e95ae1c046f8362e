"""Registering a snapshot: checked by its kind, stored once per sha256, placement queued with it.

Weights are stored by content: registering bytes whose sha256 is already stored returns the
existing snapshot with `created=False`, and so does a file whose tensors equal a stored snapshot's
of the same kind whatever its metadata (a re-saved checkpoint; `league.core.same_tensors`), with a
`message` that says which snapshot it repeats and how. Nothing is stored that its kind has not checked:
`register_snapshot` validates the bytes against the declared config through the kind registry
(`league.core.kinds`) first. Only a lineage's owner or an admin registers into it (checked before
the weights are: a refusal costs nothing); a new lineage belongs to the user who registers into it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, InvalidInput
from league.core.kinds import BUILTIN_KINDS, get_registrable_kind
from league.core.matchmaking import insert_match, placement_rng
from league.core.models import Agent, Snapshot
from league.core.same_tensors import content_digest, find_same_tensors
from league.core.schemas import Registration
from league.core.settings import Settings
from league.core.snapshots import (
    add_snapshot_row,
    check_name,
    current_game_version,
    get_or_create_agent,
    to_info,
)
from league.core.users import Actor, check_may_change

WHAT = "register snapshots into it"


def register_snapshot(
    session: Session,
    *,
    agent: str,
    kind: str = "dreamer",
    config: dict[str, Any],
    step: int,
    weights: bytes,
    notes: str = "",
    name: str | None = None,
    game_version: str | None = None,
    placement_settings: Settings | None = None,
    by: Actor | None = None,
) -> Registration:
    """Add a snapshot of lineage `agent` to the pool (the agent is created if new, owned by `by`'s user;
    `by` None is the league itself, and a new lineage then belongs to `admin`).

    With `placement_settings`, a placement match against each active basic opponent
    (`games_per_match` games, none when `placement_games` is 0) is queued in the same
    transaction: the snapshot is never stored without them.

    `name` defaults to `"{agent}@{step}"` (with a piece of the sha256 appended if that is
    taken). Identical weights are stored once: if a snapshot with the same sha256 exists, or one
    of the kind whose tensors are the same (the kind's content digest), it is returned with
    `created=False` and a `message` saying which, and nothing changes. The weights are checked by their
    kind (`league.core.kinds`) before anything is stored. Raises `InvalidInput` for a bad
    kind, step, config or empty weights, `InvalidWeights` (a kind of `InvalidInput`: 422, or
    415 for a pickle or zip) for weights that are malformed or not what the config builds,
    `Conflict` for an explicit `name` that is taken, `Forbidden` when the lineage belongs to another
    user and `by` is no admin.
    """
    policy_kind = get_registrable_kind(kind)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise InvalidInput(f"step must be an integer >= 0, got {step!r}")
    if not isinstance(config, dict):
        raise InvalidInput("config must be a JSON object")
    if not isinstance(weights, bytes | bytearray) or not weights:
        raise InvalidInput("weights must be non-empty bytes")
    if not isinstance(notes, str) or len(notes) > 10_000:
        raise InvalidInput("notes must be text of at most 10000 characters")
    agent = check_name("agent name", agent)
    lineage = session.scalar(select(Agent).where(Agent.name == agent))
    if lineage is not None:
        check_may_change(lineage, by, WHAT)
    if session.in_transaction():
        session.commit()  # end the read: the kind's checks below can take a while
    checked = policy_kind.validate(bytes(weights), config)
    sha256 = checked.sha256
    digest = content_digest(kind, checked.data, sha256)
    same, looked_at = find_same_tensors(session, kind, digest) if digest else (None, 0)  # outside the write lock
    version = game_version or current_game_version()
    with write_transaction(session):
        lineage = session.scalar(select(Agent).where(Agent.name == agent))
        if lineage is not None:  # again: it may have been made since
            check_may_change(lineage, by, WHAT)
        existing = session.scalar(select(Snapshot).where(Snapshot.weights_sha256 == sha256))
        if existing is not None:
            return Registration(snapshot=to_info(existing), created=False,
                                message=f"identical weights were registered before as {existing.name!r}")
        if digest and same is None:  # registered since the look above
            same, _ = find_same_tensors(session, kind, digest, after_id=looked_at)
        if same is not None:
            return Registration(snapshot=to_info(same), created=False, message=(
                f"the tensors equal those of {same.name!r} (id {same.id}), registered before from a file "
                "with other metadata: the same policy is one snapshot"))
        if name is not None:
            name = check_name("snapshot name", name)
            if session.scalar(select(Snapshot.id).where(Snapshot.name == name)) is not None:
                raise Conflict(f"a snapshot named {name!r} exists already")
        else:
            name = f"{agent}@{step}"
            if session.scalar(select(Snapshot.id).where(Snapshot.name == name)) is not None:
                name = f"{name}-{sha256[:8]}"
        try:
            lineage = get_or_create_agent(session, agent, by, what=WHAT)
            snapshot = add_snapshot_row(session, lineage, name=name, kind=kind, step=step, config=config,
                                        notes=notes, weights=checked, game_version=version)
        except IntegrityError as error:  # a concurrent registration of the same weights or name
            raise Conflict(f"snapshot {name!r} was registered concurrently; try again") from error
        placement = _queue_placement(session, snapshot, placement_settings) if placement_settings else []
        return Registration(snapshot=to_info(snapshot), created=True, placement_match_ids=placement)


def _queue_placement(session: Session, snapshot: Snapshot, settings: Settings) -> list[int]:
    """Inside the registration's transaction: a placement match against each active basic opponent."""
    if settings.placement_games <= 0:
        return []
    basics = session.scalars(select(Snapshot).where(Snapshot.kind.in_(BUILTIN_KINDS), Snapshot.active)
                             .order_by(Snapshot.id))
    return [insert_match(session, snapshot, basic, settings.games_per_match, "placement", placement_rng()).id
            for basic in basics]
