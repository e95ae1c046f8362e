"""The league's tables as typed SQLAlchemy 2 models.

Users own agent lineages and hold API tokens (`admin` always exists). Snapshots are immutable pool members; everything that changes as games are played lives
beside them: `Rating` (one row per snapshot, with the aggregates the leaderboard shows),
`RatingChange` (one row per rating update), `PairStats` (head-to-head counts per pair,
lower snapshot id first). A `Match` is also the job that gets it played: queued, leased to a
worker, done or failed. Its `Game` rows are planned with the match (seeds, sides, starts)
and filled in by the result; its lease belongs to the token that claimed it. Bulky bytes (weights,
game records) sit in their own tables. `AuditEntry` rows record every write: who, what, when.
A `Tournament` is a fixed schedule of matches between its participants (`TournamentParticipant`);
its matches carry its id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class User(Base):
    """A person or team of the league: owns agent lineages and holds tokens; `admin` always exists."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Agent(Base):
    """A named lineage of snapshots, e.g. one training run; `builtin` holds the basic opponents.

    It belongs to the user who first registered into it (or posted its metrics); `builtin` to `admin`.
    """

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Snapshot(Base):
    """An immutable pool member: a Dreamer checkpoint or a built-in scripted opponent."""

    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(BigInteger, default=0)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    weights_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    weights_size: Mapped[int] = mapped_column(BigInteger, default=0)
    game_version: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # kind `remote` only: the agent gateway holds a connection for it (as of `last_seen_at`)
    online: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_seen_at: Mapped[datetime | None] = mapped_column()

    agent: Mapped[Agent] = relationship(lazy="joined")


class SnapshotWeights(Base):
    """The weights bytes (safetensors) of a snapshot, kept apart so listings never load them."""

    __tablename__ = "snapshot_weights"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Rating(Base):
    """A snapshot's TrueSkill rating and result counts, updated with every rated game."""

    __tablename__ = "ratings"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    mu: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    games: Mapped[int] = mapped_column(Integer, default=0)
    wins: Mapped[int] = mapped_column(Integer, default=0)
    draws: Mapped[int] = mapped_column(Integer, default=0)
    losses: Mapped[int] = mapped_column(Integer, default=0)
    forfeits: Mapped[int] = mapped_column(Integer, default=0)
    last_played_at: Mapped[datetime | None] = mapped_column()


class RatingChange(Base):
    """One rating update of one snapshot: which game caused it, before and after."""

    __tablename__ = "rating_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"))
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"))
    mu_before: Mapped[float] = mapped_column(Float)
    sigma_before: Mapped[float] = mapped_column(Float)
    mu_after: Mapped[float] = mapped_column(Float)
    sigma_after: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_rating_changes_snapshot_id_id", "snapshot_id", "id"),)


class PairStats(Base):
    """Head-to-head counts of two snapshots; `low_id < high_id`, results from the low one's side."""

    __tablename__ = "pair_stats"
    low_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    high_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    games: Mapped[int] = mapped_column(Integer, default=0)
    low_wins: Mapped[int] = mapped_column(Integer, default=0)
    draws: Mapped[int] = mapped_column(Integer, default=0)
    high_wins: Mapped[int] = mapped_column(Integer, default=0)
    last_played_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("low_id < high_id", name="ordered"),
        Index("ix_pair_stats_high_id", "high_id"),
    )


class Match(Base):
    """A match between snapshots `a` and `b`, and the job that gets it played."""

    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_a_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), index=True)
    snapshot_b_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), index=True)
    n_games: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40), default="")
    tournament_id: Mapped[int | None] = mapped_column(ForeignKey("tournaments.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    worker: Mapped[str | None] = mapped_column(String(100))
    lease_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))  # who holds the lease
    lease_id: Mapped[str | None] = mapped_column(String(40))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    deliveries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # claims, releases included
    result_digest: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text, default="")
    game_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    # A check re-plays the games of match `verifies_match_id` (same seeds and sides) on another worker's
    # machine; it is never rated or listed (`league.core.result_checks`).
    verifies_match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    # Of a checked match: "pending" (a check is planned), "confirmed", "disputed" (a deciding check is
    # planned), "unchecked" (its check was dropped: no worker that may play it came)
    check_state: Mapped[str | None] = mapped_column(String(10))

    games: Mapped[list[Game]] = relationship(order_by="Game.index", back_populates="match")

    __table_args__ = (
        CheckConstraint("snapshot_a_id <> snapshot_b_id", name="two_snapshots"),
        CheckConstraint("state IN ('queued', 'leased', 'done', 'failed')", name="state"),
        Index("ix_matches_state_id", "state", "id"),
    )


class Tournament(Base):
    """A tournament: a fixed schedule of matches between its participants, played ahead of the league's.

    `state` is running, paused or cancelled as set; it reads as done once none of its matches is open.
    Its games are rated in the league unless `rated` is false.
    """

    __tablename__ = "tournaments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    games_per_pair: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    rated: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(10), default="running")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # past it, the games of an offline remote participant still queued are its forfeits (null: none)
    remote_deadline_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("state IN ('running', 'paused', 'cancelled')", name="state"),
        CheckConstraint("format IN ('round_robin', 'gauntlet')", name="format"),
    )


class TournamentParticipant(Base):
    """A snapshot in a tournament, in its listed order; in a gauntlet `field` members only play entrants."""

    __tablename__ = "tournament_participants"
    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournaments.id", ondelete="CASCADE"), primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    field: Mapped[bool] = mapped_column(Boolean, default=False)


class Game(Base):
    """One game of a match: planned with the match, result filled in when the match is reported."""

    __tablename__ = "games"
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    one_starting: Mapped[bool] = mapped_column(Boolean)
    a_is_player_one: Mapped[bool] = mapped_column(Boolean)
    winner: Mapped[int | None] = mapped_column(Integer)  # player one's view: +1, -1, 0 (draw)
    length: Mapped[int | None] = mapped_column(Integer)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    forfeit_side: Mapped[int | None] = mapped_column(Integer)  # 1, 2, or 0 for both
    played_at: Mapped[datetime | None] = mapped_column()
    # Whether the game changed the ratings: false until played, for an unrated tournament's games, for a
    # check's and for a worker's forfeit until a second worker confirms it (`league.core.result_checks`).
    rated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    match: Mapped[Match] = relationship(back_populates="games")

    __table_args__ = (UniqueConstraint("match_id", "index", name="uq_games_match_id_index"),)


class GameRecord(Base):
    """A game's replay record, zlib-compressed JSON."""

    __tablename__ = "game_records"
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Worker(Base):
    """A match worker, by name, and when it was last heard from."""

    __tablename__ = "workers"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    jobs_done: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(Base):
    """An API bearer token of one user: only its sha256 is stored; role is admin, trainer or worker.

    The bootstrap admin token (`LEAGUE_ADMIN_TOKEN`) has a row too, so that it can be revoked.
    """

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # a worker's results that checks decided, and how many of them two other workers outvoted
    results_checked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    results_outvoted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (CheckConstraint("role IN ('admin', 'trainer', 'worker')", name="role"),)


class AuditEntry(Base):
    """One write to the league: who (user, token, role), what (method and path, the answer's status, a
    detail), when. Writes from the command line on the server's machine have no token."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    role: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_audit_log_user_id_id", "user_id", "id"),)


class TrainingMetric(Base):
    """One training metric value of an agent lineage at a training step."""

    __tablename__ = "training_metrics"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_training_metrics_agent_id_name_step", "agent_id", "name", "step"),)
