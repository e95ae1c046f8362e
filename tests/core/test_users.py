"""Users, ownership, token users, the bootstrap admin's retirement and the audit log, on real databases.

Ownership reproduces what a trainer of another user could do before: retire someone else's
snapshot and the basic opponents, register into someone else's lineage (becoming its
`latest_self`), post metrics into it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from league.core.audit import list_audit, record_write
from league.core.db import make_engine, make_sessionmaker
from league.core.errors import Conflict, Forbidden, InvalidInput, InvalidToken, NotFound
from league.core.jobs import claim_job
from league.core.lineages import lineages, user_detail
from league.core.metrics import read_metrics, record_metrics
from league.core.migrate import upgrade
from league.core.models import Match
from league.core.registration import register_snapshot
from league.core.settings import Settings, check_admin_token
from league.core.snapshots import get_snapshot, latest_snapshot, list_snapshots, set_active
from league.core.tokens import create_token, list_tokens, register_bootstrap, revoke_token, verify_token
from league.core.users import Actor, create_user, get_user, list_users
from tests.support.league_helpers import TINY_CONFIG, add_dreamer, dump_database, tiny_weights

ALICE = Actor(user="alice", is_admin=False)
BOB = Actor(user="bob", is_admin=False)
ADMIN = Actor(user="admin", is_admin=True)
BOOTSTRAP = "bootstrap-admin-for-core-tests-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


@pytest.fixture
def two_users(session):
    create_user(session, "alice")
    create_user(session, "bob")
    return session


def _register(session, agent, by, step=1):
    return register_snapshot(session, agent=agent, config=TINY_CONFIG, step=step, weights=tiny_weights(), by=by)


def test_users_have_unique_plain_names_and_admin_always_exists(session):
    assert [u.name for u in list_users(session)] == ["admin"]
    assert create_user(session, "alice").name == "alice" and get_user(session, "alice").id
    with pytest.raises(Conflict, match="exists"):
        create_user(session, "alice")
    for bad in ("", "a/b", "al ice", "-x", "é", "x" * 41, "a\n"):
        with pytest.raises(InvalidInput, match="user name"):
            create_user(session, bad)
    with pytest.raises(NotFound, match="league user create"):
        get_user(session, "nobody")


def test_every_token_belongs_to_a_user(two_users):
    session = two_users
    made = create_token(session, "alice laptop", "trainer", "alice")
    assert made.token.user == "alice" and verify_token(session, made.plaintext).user == "alice"
    assert create_token(session, "ci", "worker").token.user == "admin"  # the league's own, by default
    with pytest.raises(NotFound, match="no user named 'carol'"):
        create_token(session, "x", "trainer", "carol")
    assert [t.name for t in list_tokens(session, user="alice")] == ["alice laptop"]


def test_replacing_a_token_revokes_the_earlier_one_of_that_name(two_users):
    session = two_users
    first = create_token(session, "compose match-worker c1", "worker", "alice")
    other = create_token(session, "compose match-worker c2", "worker", "alice")
    second = create_token(session, "compose match-worker c1", "worker", "alice", replace=True)
    with pytest.raises(InvalidToken, match="revoked"):
        verify_token(session, first.plaintext)
    assert verify_token(session, second.plaintext).id == second.token.id
    assert verify_token(session, other.plaintext).id == other.token.id  # another name: untouched


def test_a_lineage_belongs_to_who_first_registered_into_it(two_users):
    session = two_users
    mine = _register(session, "alice-run", ALICE).snapshot
    assert mine.owner == "alice" and get_snapshot(session, mine.id).owner == "alice"
    assert _register(session, "alice-run", ALICE, step=2).snapshot.owner == "alice"
    assert _register(session, "alice-run", ADMIN, step=3).snapshot.owner == "alice"  # an admin may; owner stays
    assert add_dreamer(session, "league-run").owner == "admin"  # the league itself (no actor)
    assert {lineage.name: lineage.owner for lineage in lineages(session)}["builtin"] == "admin"
    detail = user_detail(session, "alice")
    assert [a.name for a in detail.agents] == ["alice-run"] and detail.agents[0].best is not None
    assert user_detail(session, "bob").agents == []


def test_another_user_cannot_register_into_a_lineage(two_users):
    session = two_users
    _register(session, "alice-run", ALICE, step=100)
    before = dump_database(session)
    with pytest.raises(Forbidden, match="'alice-run' belongs to 'alice'"):
        register_snapshot(session, agent="alice-run", config=TINY_CONFIG, step=999999, weights=tiny_weights(),
                          name="alice-run@latest", by=BOB)
    assert dump_database(session) == before
    assert latest_snapshot(session, "alice-run").step == 100  # not bob's step 999999 as its latest_self


def test_the_ownership_check_comes_before_the_weights_are_checked(two_users):
    session = two_users
    _register(session, "alice-run", ALICE)
    with pytest.raises(Forbidden):  # not InvalidWeights: a refused registration costs no checking
        register_snapshot(session, agent="alice-run", config=TINY_CONFIG, step=1, weights=b"not weights", by=BOB)


def test_only_the_owner_or_an_admin_retires_and_reactivates(two_users):
    session = two_users
    mine = _register(session, "alice-run", ALICE).snapshot
    basics = [s.id for s in list_snapshots(session, kind="basic_weak").items + list_snapshots(
        session, kind="basic_strong").items]
    before = dump_database(session)
    with pytest.raises(Forbidden, match="belongs to 'alice'"):
        set_active(session, mine.id, False, by=BOB)
    for basic in basics:
        with pytest.raises(Forbidden, match="only an admin"):
            set_active(session, basic, False, by=BOB)
        with pytest.raises(Forbidden, match="only an admin"):
            set_active(session, basic, False, by=ALICE)
    assert dump_database(session) == before
    assert not set_active(session, mine.id, False, by=ALICE).active
    assert set_active(session, mine.id, True, by=ADMIN).active
    assert not set_active(session, basics[0], False, by=ADMIN).active


def test_only_the_owner_or_an_admin_posts_metrics(two_users):
    session = two_users
    record_metrics(session, "alice-run", [{"step": 1, "values": {"loss": 1.0}}], by=ALICE)
    with pytest.raises(Forbidden, match="post its metrics"):
        record_metrics(session, "alice-run", [{"step": 2, "values": {"loss": 9.0}}], by=BOB)
    assert [p.value for p in read_metrics(session, "alice-run")] == [1.0]
    record_metrics(session, "alice-run", [{"step": 3, "values": {"loss": 0.5}}], by=ADMIN)
    record_metrics(session, "bob-run", [{"step": 1, "values": {"loss": 2.0}}], by=BOB)  # a new lineage: bob's
    assert {lineage.name: lineage.owner for lineage in lineages(session)}["bob-run"] == "bob"
    with pytest.raises(Forbidden, match="only an admin"):
        record_metrics(session, "builtin", [{"step": 1, "values": {"loss": 0.0}}], by=BOB)


def test_the_bootstrap_admin_is_retired_without_a_restart(session):
    boot = register_bootstrap(session, BOOTSTRAP)
    assert register_bootstrap(session, BOOTSTRAP).id == boot.id  # once
    assert verify_token(session, BOOTSTRAP, admin_token=BOOTSTRAP).id == boot.id
    with pytest.raises(Conflict, match="last active admin token"):
        revoke_token(session, boot.id)
    real = create_token(session, "the real admin", "admin")
    revoke_token(session, boot.id)
    with pytest.raises(InvalidToken, match="revoked"):  # the variable is still set: refused all the same
        verify_token(session, BOOTSTRAP, admin_token=BOOTSTRAP)
    assert register_bootstrap(session, BOOTSTRAP).revoked_at is not None  # a restart does not revive it
    assert verify_token(session, real.plaintext).role == "admin"
    with pytest.raises(Conflict, match="last active admin token"):
        revoke_token(session, real.token.id)


def test_a_bootstrap_token_gets_its_row_on_first_use(session):
    info = verify_token(session, BOOTSTRAP, admin_token=BOOTSTRAP)
    assert (info.role, info.user, info.prefix) == ("admin", "admin", "(settings)") and info.id > 0
    with pytest.raises(InvalidToken):
        verify_token(session, BOOTSTRAP + "x", admin_token=BOOTSTRAP)


@pytest.mark.parametrize("weak", ["a", "change-this-admin-token", "a" * 64, "ab" * 20, "admin-secret-for-tests"])
def test_a_weak_admin_token_is_refused(weak, tmp_path):
    with pytest.raises(ValueError, match="at least 32 characters"):
        check_admin_token(weak)
    with pytest.raises(ValueError, match="admin token") as refused:
        Settings(data_dir=tmp_path, admin_token=weak)
    assert "32 characters" in str(refused.value)


def test_a_strong_admin_token_is_accepted(tmp_path):
    import secrets

    for token in (secrets.token_urlsafe(32), secrets.token_hex(32), BOOTSTRAP):
        assert Settings(data_dir=tmp_path, admin_token=token).admin_token == token
    assert Settings(data_dir=tmp_path, admin_token=None).admin_token is None  # no bootstrap admin at all


def test_the_audit_log_pages_newest_first(two_users):
    session = two_users
    for k in range(5):
        record_write(session, action=f"POST /api/x/{k}", status=201, role="trainer", user="alice" if k % 2 else "bob")
    record_write(session, action="league user create", status=0, role="cli")
    page = list_audit(session, limit=2)
    assert page.total == 6 and [e.action for e in page.items] == ["league user create", "POST /api/x/4"]
    assert page.items[0].user is None and page.items[0].role == "cli"
    assert [e.action for e in list_audit(session, user="alice").items] == ["POST /api/x/3", "POST /api/x/1"]
    assert list_audit(session, offset=5, limit=10).items[0].action == "POST /api/x/0"


def test_an_existing_league_migrates_to_users_owned_by_admin(database_url):
    """A league of the schema before users: its lineages and tokens become `admin`'s, leased jobs go back."""
    upgrade(database_url, "0001", seed=False)
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:  # no explicit ids: PostgreSQL's sequences must stay right
            now = "2026-01-01 00:00:00"
            connection.execute(text("INSERT INTO agents (name, created_at) VALUES ('old-run', :t), ('other', :t)"),
                               {"t": now})
            for name, agent, kind in (("old-run@1", "old-run", "basic_weak"), ("other@1", "other", "basic_strong")):
                connection.execute(text(
                    "INSERT INTO snapshots (name, agent_id, kind, step, config, notes, weights_size, game_version, "
                    "active, created_at) SELECT :name, id, :kind, 1, '{}', '', 0, 'v', true, :t FROM agents "
                    "WHERE name = :agent"), {"name": name, "agent": agent, "kind": kind, "t": now})
            connection.execute(text(
                "INSERT INTO api_tokens (name, role, token_hash, prefix, created_at) "
                "VALUES ('old worker', 'worker', :h, 'lg_old', :t)"), {"h": "0" * 64, "t": now})
            connection.execute(text(
                "INSERT INTO matches (snapshot_a_id, snapshot_b_id, n_games, reason, state, worker, lease_id, "
                "attempts, error, created_at) SELECT a.id, b.id, 2, 'x', 'leased', 'w', 'L', 1, '', :t "
                "FROM snapshots a, snapshots b WHERE a.name = 'old-run@1' AND b.name = 'other@1'"), {"t": now})
        upgrade(database_url)
        with make_sessionmaker(engine)() as session:
            assert {lineage.name: lineage.owner for lineage in lineages(session)} == {
                "old-run": "admin", "other": "admin", "builtin": "admin"}
            assert [(t.name, t.user) for t in list_tokens(session)] == [("old worker", "admin")]
            match = session.scalars(select(Match)).one()
            assert (match.state, match.worker, match.lease_id, match.attempts) == ("queued", None, None, 0)
            token_id = list_tokens(session)[0].id
            assert claim_job(session, "w2", token_id=token_id).job_id == match.id
    finally:
        engine.dispose()
