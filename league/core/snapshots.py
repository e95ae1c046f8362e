"""Agents and snapshots: look up, list, retire and re-activate pool members.

A snapshot is immutable once registered (`league.core.registration`). The built-in basic
opponents are seeded into every league (see `seed_builtin_snapshots`), owned by `admin`. Only a
lineage's owner or an admin retires or re-activates its snapshots (`league.core.users`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import InvalidInput, NotFound
from league.core.game import GAME_VERSION
from league.core.kinds import BUILTIN_KINDS, ValidatedWeights, get_kind
from league.core.models import Agent, Rating, Snapshot, SnapshotWeights
from league.core.rating import initial_skill
from league.core.schemas import Page, SnapshotInfo
from league.core.users import BUILTIN_AGENT, Actor, check_may_change, owner_for_new_lineage

MAX_PAGE = 500
NAME_MAX = 100


def current_game_version() -> str:
    return GAME_VERSION


def to_info(snapshot: Snapshot) -> SnapshotInfo:
    return SnapshotInfo(
        id=snapshot.id, name=snapshot.name, agent=snapshot.agent.name, owner=snapshot.agent.owner.name,
        kind=snapshot.kind, step=snapshot.step,
        config=snapshot.config, notes=snapshot.notes, sha256=snapshot.weights_sha256, size=snapshot.weights_size,
        game_version=snapshot.game_version, active=snapshot.active, created_at=snapshot.created_at,
    )


def check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidInput(f"offset must be >= 0, got {offset}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")


def check_name(what: str, name: str) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_MAX or any(c in name for c in "\n\r\t"):
        raise InvalidInput(f"{what} must be 1 to {NAME_MAX} printable characters on one line")
    return name


def get_or_create_agent(session: Session, name: str, by: Actor | None = None, *,
                        what: str = "change its snapshots") -> Agent:
    """The agent lineage called `name`, created if new for `by`'s user (inside the caller's
    transaction); `Forbidden` when it exists and `by` may not `what` (see `league.core.users`)."""
    name = check_name("agent name", name)
    agent = session.scalar(select(Agent).where(Agent.name == name))
    if agent is None:
        agent = Agent(name=name, owner=owner_for_new_lineage(session, by))
        session.add(agent)
        session.flush()
    else:
        check_may_change(agent, by, what)
    return agent


def find_agent(session: Session, name: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.name == name))
    if agent is None:
        raise NotFound(f"no agent named {name!r}")
    return agent


def load_snapshot(session: Session, snapshot_id: int, *, for_update: bool = False) -> Snapshot:
    query = select(Snapshot).where(Snapshot.id == snapshot_id)
    snapshot = session.scalar(query.with_for_update(of=Snapshot) if for_update else query)
    if snapshot is None:
        raise NotFound(f"no snapshot with id {snapshot_id}")
    return snapshot


def add_snapshot_row(session: Session, agent: Agent, *, name: str, kind: str, step: int, config: dict,
                  notes: str, weights: ValidatedWeights | None, game_version: str) -> Snapshot:
    snapshot = Snapshot(
        name=name, agent_id=agent.id, kind=kind, step=step, config=config, notes=notes,
        weights_sha256=weights.sha256 if weights is not None else None,
        weights_size=len(weights.data) if weights is not None else 0, game_version=game_version,
    )
    snapshot.agent = agent
    session.add(snapshot)
    session.flush()
    if weights is not None:
        session.add(SnapshotWeights(snapshot_id=snapshot.id, data=weights.data))
    skill = initial_skill()
    session.add(Rating(snapshot_id=snapshot.id, mu=skill.mu, sigma=skill.sigma))
    return snapshot


def seed_builtin_snapshots(session: Session, game_version: str | None = None) -> list[SnapshotInfo]:
    """Make sure the built-in basic opponents are pool members (idempotent); returns them."""
    version = game_version or current_game_version()
    with write_transaction(session):
        agent = get_or_create_agent(session, BUILTIN_AGENT)
        found = []
        for kind in BUILTIN_KINDS:
            snapshot = session.scalar(select(Snapshot).where(Snapshot.kind == kind))
            if snapshot is None:
                snapshot = add_snapshot_row(session, agent, name=kind, kind=kind, step=0, config={},
                                         notes=f"built-in {kind.replace('_', ' ')} opponent", weights=None,
                                         game_version=version)
            found.append(to_info(snapshot))
        return found


def get_snapshot(session: Session, snapshot_id: int) -> SnapshotInfo:
    """The snapshot with `snapshot_id`; `NotFound` if there is none."""
    return to_info(load_snapshot(session, snapshot_id))


def get_snapshot_by_name(session: Session, name: str) -> SnapshotInfo:
    snapshot = session.scalar(select(Snapshot).where(Snapshot.name == name))
    if snapshot is None:
        raise NotFound(f"no snapshot named {name!r}")
    return to_info(snapshot)


def list_snapshots(
    session: Session,
    *,
    agent: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[SnapshotInfo]:
    """Snapshots, newest first, filtered by agent name, kind and active flag."""
    check_page(offset, limit)
    if kind is not None:
        get_kind(kind)  # an unknown kind is a mistake (InvalidInput), not an empty page
    query = select(Snapshot)
    if agent is not None:
        query = query.where(Snapshot.agent_id == find_agent(session, agent).id)
    if kind is not None:
        query = query.where(Snapshot.kind == kind)
    if active is not None:
        query = query.where(Snapshot.active == active)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Snapshot.id.desc()).offset(offset).limit(limit)).all()
    return Page(items=[to_info(s) for s in rows], total=total, offset=offset, limit=limit)


def latest_snapshot(session: Session, agent: str) -> SnapshotInfo:
    """The newest active snapshot of lineage `agent` (highest step, then newest)."""
    snapshot = session.scalar(
        select(Snapshot).where(Snapshot.agent_id == find_agent(session, agent).id, Snapshot.active)
        .order_by(Snapshot.step.desc(), Snapshot.id.desc()).limit(1)
    )
    if snapshot is None:
        raise NotFound(f"agent {agent!r} has no active snapshot")
    return to_info(snapshot)


def set_active(session: Session, snapshot_id: int, active: bool, by: Actor | None = None) -> SnapshotInfo:
    """Retire (`active=False`: no new matches, off the default leaderboard) or re-activate a snapshot.

    `Forbidden` unless `by` owns its lineage or is an admin (a built-in opponent: only an admin).
    """
    with write_transaction(session):
        snapshot = load_snapshot(session, snapshot_id, for_update=True)
        check_may_change(snapshot.agent, by, "retire or re-activate its snapshots")
        snapshot.active = bool(active)
        return to_info(snapshot)


def get_weights(session: Session, snapshot_id: int) -> bytes:
    """The weights bytes of a snapshot; `NotFound` for an unknown snapshot or a built-in one."""
    snapshot = load_snapshot(session, snapshot_id)
    data = session.scalar(select(SnapshotWeights.data).where(SnapshotWeights.snapshot_id == snapshot.id))
    if data is None:
        raise NotFound(f"snapshot {snapshot.name!r} ({snapshot.kind}) has no weights")
    return data
