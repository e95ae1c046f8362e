"""Remote agents in the league: their snapshots, whether they are online, and the gateway's claims.

A remote snapshot is `(agent, version)` of kind `remote`, named `"{agent}@{version}"`, made the
first time its owner's program connects (a new version is a new snapshot with a fresh rating).
Only the lineage's owner (or an admin) connects as it, as for registering. The agent gateway says
which of them it holds a connection for (`set_presence`, and every claim): a remote snapshot is
online while the gateway keeps saying so, and goes offline by itself `remote_online_seconds` after it
stops (a gateway that died). Matchmaking pairs remote snapshots only while online.

The gateway claims only jobs it can play (`claim_remote_jobs`): one side among the snapshots it asks
for, every remote side connected to it. A connected snapshot without an open match is given one in the
same claim (placement against a basic opponent first, then its best pairing by rating), so a newly
connected agent plays at once even when the league's queue is full of other matches.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from league.core.db import write_transaction
from league.core.errors import Conflict, InvalidInput
from league.core.jobs import _check_worker, dead_letter, expire_leases, lease_matches, touch_worker
from league.core.kinds import BUILTIN_KINDS
from league.core.kinds.remote import NAME as REMOTE_KIND
from league.core.matchmaking import OPEN_STATES, insert_match, placement_rng, pool_candidates
from league.core.models import Match, Snapshot, utcnow
from league.core.pairing import pair_values
from league.core.remote_pool import drop_offline_remote, online_since, remote_ids
from league.core.remote_schemas import RemoteAgentInfo, RemoteConnected
from league.core.schemas import JobAssignment
from league.core.settings import Settings
from league.core.snapshots import (
    add_snapshot_row,
    check_name,
    current_game_version,
    get_or_create_agent,
    to_info,
)
from league.core.tournament_deadline import forfeit_overdue
from league.core.users import Actor

WHAT = "connect remote agents into it"


def connect_remote(session: Session, *, agent: str, version: str, by: Actor | None) -> RemoteConnected:
    """The remote snapshot `"{agent}@{version}"`, made now if new (the lineage too, owned by `by`'s
    user). `Forbidden` when the lineage belongs to another user; `Conflict` when the name is taken by a
    snapshot that is not this lineage's remote one."""
    agent = check_name("agent name", agent)
    version = check_name("version", version)
    name = f"{agent}@{version}"
    with write_transaction(session):
        lineage = get_or_create_agent(session, agent, by, what=WHAT)
        snapshot = session.scalar(select(Snapshot).where(Snapshot.name == name))
        created = snapshot is None
        if snapshot is None:
            snapshot = add_snapshot_row(session, lineage, name=name, kind=REMOTE_KIND, step=0,
                                        config={"version": version}, notes="remote agent", weights=None,
                                        game_version=current_game_version())
        elif snapshot.kind != REMOTE_KIND or snapshot.agent_id != lineage.id:
            raise Conflict(f"snapshot {name!r} exists and is not a remote agent of lineage {agent!r}; "
                           "choose another version")
        elif not snapshot.active:
            raise Conflict(f"remote agent {name!r} is retired; re-activate it (PATCH /api/opponents/"
                           f"{snapshot.id}) or connect with another version")
        return RemoteConnected(snapshot=to_info(snapshot), user=lineage.owner.name, created=created)


def _remote_rows(session: Session, ids: Sequence[int]) -> list[Snapshot]:
    ids = sorted(set(ids))
    rows = list(session.scalars(select(Snapshot).where(Snapshot.id.in_(ids)).with_for_update(of=Snapshot))) if ids else []
    wrong = sorted(set(ids) - {s.id for s in rows if s.kind == REMOTE_KIND})
    if wrong:
        raise InvalidInput(f"not remote snapshots: {wrong}")
    return rows


def _mark(session: Session, online: Sequence[int], offline: Sequence[int], now: datetime) -> None:
    for snapshot in _remote_rows(session, online):
        snapshot.online, snapshot.last_seen_at = True, now
    for snapshot in _remote_rows(session, offline):
        snapshot.online = False


def set_presence(session: Session, *, online: Sequence[int] = (), offline: Sequence[int] = (),
                 settings: Settings | None = None, now: datetime | None = None) -> list[RemoteAgentInfo]:
    """The gateway's word: it holds a connection for `online`, none any more for `offline` (remote
    snapshot ids; `InvalidInput` for any other). League matches queued for a snapshot that went offline
    and never started are removed. Returns the snapshots named, as they are now."""
    settings, now = settings or Settings(), now or utcnow()
    with write_transaction(session):
        _mark(session, online, offline, now)
        drop_offline_remote(session, now, settings.remote_online_seconds)
        rows = session.scalars(select(Snapshot).where(Snapshot.id.in_(set(online) | set(offline)))
                               .order_by(Snapshot.id))
        return [_info(s, now, settings) for s in rows]


def _info(snapshot: Snapshot, now: datetime, settings: Settings) -> RemoteAgentInfo:
    online = bool(snapshot.online and snapshot.last_seen_at is not None
                  and snapshot.last_seen_at >= online_since(now, settings.remote_online_seconds))
    return RemoteAgentInfo(snapshot=to_info(snapshot), online=online, last_seen_at=snapshot.last_seen_at)


def list_remote(session: Session, *, settings: Settings | None = None, now: datetime | None = None
                ) -> list[RemoteAgentInfo]:
    """Every active remote snapshot, online ones first, then by id."""
    settings, now = settings or Settings(), now or utcnow()
    rows = session.scalars(select(Snapshot).where(Snapshot.kind == REMOTE_KIND, Snapshot.active)
                           .order_by(Snapshot.id))
    infos = [_info(s, now, settings) for s in rows]
    return sorted(infos, key=lambda info: (not info.online, info.snapshot.id))


def online_remote_ids(session: Session, *, settings: Settings | None = None, now: datetime | None = None
                      ) -> set[int]:
    """Ids of the remote snapshots online now (for the dashboard's marks)."""
    settings, now = settings or Settings(), now or utcnow()
    return set(session.scalars(select(Snapshot.id).where(
        Snapshot.kind == REMOTE_KIND, Snapshot.online,
        Snapshot.last_seen_at >= online_since(now, settings.remote_online_seconds))))


def _open_counts(session: Session, ids: Sequence[int]) -> dict[int, int]:
    sides = union_all(
        select(Match.snapshot_a_id.label("sid")).where(Match.state.in_(OPEN_STATES)),
        select(Match.snapshot_b_id.label("sid")).where(Match.state.in_(OPEN_STATES)),
    ).subquery()
    return dict(session.execute(select(sides.c.sid, func.count()).where(sides.c.sid.in_(ids))
                                .group_by(sides.c.sid)).all())


def _give_a_match(session: Session, snapshot_id: int, settings: Settings, rng: random.Random) -> int | None:
    """Queue one league match for `snapshot_id`: against a basic opponent while it has played fewer than
    `placement_games` (the weak one first), then against the opponent of best pairing value."""
    candidates = pool_candidates(session, settings)
    me = next((c for c in candidates if c.id == snapshot_id), None)
    others = [c for c in candidates if c.id != snapshot_id]
    if me is None or not others:
        return None
    basics = sorted((c for c in others if c.kind in BUILTIN_KINDS), key=lambda c: c.kind != "basic_weak")
    if basics and me.games < settings.placement_games:
        opponent, reason = basics[0] if me.games < settings.games_per_match else basics[-1], "placement"
    else:
        pool = [me, *others]
        values = pair_values(np.array([c.mu for c in pool]), np.array([c.sigma for c in pool]))[0, 1:]
        opponent, reason = others[int(np.argmax(values))], "rating"
    a, b = session.get_one(Snapshot, snapshot_id), session.get_one(Snapshot, opponent.id)
    return insert_match(session, a, b, settings.games_per_match, reason, rng).id


def claim_remote_jobs(session: Session, worker: str, *, play_for: Sequence[int], connected: Sequence[int] = (),
                      count: int = 1, settings: Settings | None = None, now: datetime | None = None,
                      rng: random.Random | None = None, token_id: int | None = None) -> list[JobAssignment]:
    """Lease to the gateway `worker` up to `count` queued jobs with a side in `play_for` and every remote
    side in `play_for` or `connected` (the snapshots it holds connections for; both are marked online).
    A snapshot of `play_for` with no open match is given one first. Leases work as in `league.core.jobs`."""
    worker, settings, now = _check_worker(worker), settings or Settings(), now or utcnow()
    if not isinstance(count, int) or not 1 <= count <= 64:
        raise InvalidInput(f"count must be 1 to 64, got {count!r}")
    play_for, allowed = sorted(set(play_for)), sorted(set(play_for) | set(connected))
    with write_transaction(session):
        touch_worker(session, worker, now)
        _mark(session, allowed, (), now)
        expire_leases(session, now, settings.max_attempts)
        dead_letter(session, now, settings.max_deliveries)
        drop_offline_remote(session, now, settings.remote_online_seconds)
        forfeit_overdue(session, now, settings.remote_online_seconds)
        open_counts = _open_counts(session, play_for)
        for snapshot_id in play_for:
            if not open_counts.get(snapshot_id):
                _give_a_match(session, snapshot_id, settings, rng or placement_rng())
        remote = remote_ids()
        fits = and_(
            or_(Match.snapshot_a_id.in_(play_for), Match.snapshot_b_id.in_(play_for)),
            or_(Match.snapshot_a_id.not_in(remote), Match.snapshot_a_id.in_(allowed)),
            or_(Match.snapshot_b_id.not_in(remote), Match.snapshot_b_id.in_(allowed)),
        )
        return lease_matches(session, fits, count, worker, token_id, now, settings)
