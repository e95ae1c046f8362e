"""Engines, sessions and write transactions for SQLite and PostgreSQL with the same code.

SQLite gets WAL, a busy timeout, foreign keys and `synchronous=NORMAL` on every connection;
pysqlite's own transaction handling is switched off so that this module decides how a
transaction begins: `BEGIN` for reads, `BEGIN IMMEDIATE` inside `write_transaction`, so a
read-modify-write never loses an update to a concurrent writer. PostgreSQL needs none of
this; service functions lock the rows they modify with `SELECT ... FOR UPDATE` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "league_write"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(database_url: str, **kwargs) -> Engine:
    """An engine for `database_url`; on SQLite the file's folder is created and the pragmas set."""
    if not is_sqlite(database_url):
        return create_engine(database_url, pool_pre_ping=True, **kwargs)
    database = make_url(database_url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_sessionmaker(engine_or_url: Engine | str) -> sessionmaker[Session]:
    """A session factory; `expire_on_commit=False` so returned objects stay readable after commit."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run a read-modify-write transaction on `session`; commit on success, roll back on error.

    An open (read) transaction of the session is committed first, so the write transaction
    starts fresh: on SQLite with `BEGIN IMMEDIATE`, which takes the write lock before the
    first read and makes concurrent writers queue up instead of overwriting each other.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={_WRITE_OPTION: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
