"""Shared test fixtures.

Databases: `database_url` is an empty database for one test: a fresh SQLite file, and, when
`LEAGUE_TEST_POSTGRES_URL` names a PostgreSQL server (see `tests/support/pg_server.py`), also a
fresh PostgreSQL database created for the test and dropped after it. `league_db` is the
same, upgraded to the newest schema with the basic opponents seeded; `session` is a session
on it.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy.engine import make_url

from league.core.db import make_engine, make_sessionmaker
from league.core.migrate import upgrade

POSTGRES_URL = os.environ.get("LEAGUE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database for this test (SQLite file; PostgreSQL too when LEAGUE_TEST_POSTGRES_URL is set)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'league.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("LEAGUE_TEST_POSTGRES_URL is not set")
    import psycopg

    server = make_url(POSTGRES_URL)
    name = f"league_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def league_db(database_url):
    """`database_url`, upgraded to the newest schema, basic opponents seeded (the one upgrade path)."""
    upgrade(database_url)
    return database_url


@pytest.fixture
def engine(league_db):
    engine = make_engine(league_db)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session
