"""Two read caches on one PostgreSQL database, kept in step by change notices (LISTEN/NOTIFY).

Each cache stands for a server process: a notice one sends makes the other drop what it cached,
a process ignores its own, and while a listener's connection is down (its backend terminated
here) its cache serves nothing, until it has reconnected and hears notices again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import text

from api.read_cache import ReadCache
from league.core.change_notices import APPLICATION_NAME, ChangeNotices
from league.core.db import make_engine


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> float:
    """Seconds until `condition()` held; fails the test after `timeout_s`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, "timed out"
        time.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
def pg_engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("change notices are PostgreSQL's (on SQLite the server is the only writer)")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def two_processes(pg_engine):
    """Two caches, each with its own notices on one database, both listening."""
    pairs = []
    for _ in range(2):
        cache = ReadCache(ttl_s=60)
        notices = ChangeNotices(pg_engine, on_change=cache.bump, on_listening=cache.set_listening, retry_s=0.2)
        notices.start()
        pairs.append((cache, notices))
    wait_for(lambda: all(cache.listening for cache, _ in pairs))
    yield pairs
    for _, notices in pairs:
        notices.stop()


def cached(cache: ReadCache, body: bytes = b"rows") -> bytes | None:
    cache.put("leaderboard", cache.generation, body)
    return cache.get("leaderboard")


def test_a_notice_from_one_process_drops_the_other_ones_cached_reads(two_processes):
    (first, first_notices), (second, _) = two_processes
    assert cached(first) == b"rows" and cached(second) == b"rows"
    first_notices.announce()
    latency = wait_for(lambda: second.get("leaderboard") is None)
    assert latency < 5.0
    time.sleep(0.3)  # its own notice has come back by now, and is ignored
    assert first.get("leaderboard") == b"rows"
    assert cached(second, b"new rows") == b"new rows"  # caching again at the new generation


def test_while_a_listener_is_cut_off_nothing_is_cached_and_it_reconnects(two_processes, pg_engine):
    (first, first_notices), (second, second_notices) = two_processes
    assert cached(second) == b"rows"
    with pg_engine.connect() as connection:
        killed = connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE application_name = :name"),
                                    {"name": f"{APPLICATION_NAME} {second_notices.origin}"}).scalars().all()
    assert killed == [True]
    wait_for(lambda: not second.listening)
    assert second.get("leaderboard") is None  # what it cached may have been overtaken meanwhile
    wait_for(lambda: second.listening)  # reconnected by itself
    assert cached(second) == b"rows"
    first_notices.announce()
    wait_for(lambda: second.get("leaderboard") is None)
    assert first.listening and cached(first) == b"rows"


def test_an_announcement_that_cannot_reach_the_database_is_logged_not_raised(pg_engine, caplog):
    cache = ReadCache(ttl_s=60)
    unreachable = make_engine(pg_engine.url.set(port=1).render_as_string(hide_password=False))
    try:
        ChangeNotices(unreachable, on_change=cache.bump, on_listening=cache.set_listening).announce()
    finally:
        unreachable.dispose()
    assert "could not announce a change" in caplog.text
