"""`league user` and `league token` on the server's machine, and `league up`'s tokens, in-process.

The commands refuse to work where no league is (they used to make a fresh empty database there,
which the server never read), take their options in any order, give every token a user, retire
the bootstrap admin token without a restart and write what they change to the audit log.
`league serve` refuses a weak admin token; `league up` gives each worker a token of its own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from league.cli import main
from league.cli.up import _children, child_names, child_tokens
from league.core.audit import list_audit
from league.core.db import make_engine, make_sessionmaker
from league.core.schemas import NewToken, TokenInfo
from league.core.tokens import register_bootstrap, verify_token
from league.workers.client import LeagueClientError

BOOTSTRAP = "cli-bootstrap-admin-token-Zx8Kq2Lm9Vb4Nc7Hd3Jf6Gs1"


@pytest.fixture(autouse=True)
def _no_league_environment(monkeypatch):
    for name in ("LEAGUE_DATA_DIR", "LEAGUE_DATABASE_URL", "LEAGUE_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def league(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sessions(data_dir: Path):
    return make_sessionmaker(make_engine(f"sqlite:///{data_dir / 'league.db'}"))


def test_no_league_here_is_an_error_not_a_new_empty_database(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (("token", "create", "--user", "admin", "--role", "worker"), ("token", "list"),
                 ("user", "create", "alice"), ("user", "list")):
        code, out, err = league(capsys, *argv)
        assert code == 1 and "there is no league database at" in err and "--init" in err, (argv, err)
        assert out == ""
    assert list(tmp_path.iterdir()) == []  # no ./league-data/league.db was made
    (tmp_path / "other.db").write_bytes(b"")  # a file that is no league
    code, _, err = league(capsys, "token", "list", "--database-url", f"sqlite:///{tmp_path / 'other.db'}")
    assert code == 1 and "is not a league database" in err


def test_users_and_tokens_with_options_in_any_order(capsys, tmp_path):
    data = str(tmp_path / "d")
    assert league(capsys, "user", "create", "alice", "--data-dir", data, "--init")[0] == 0
    assert league(capsys, "user", "--data-dir", data, "create", "bob")[0] == 0
    code, out, _ = league(capsys, "token", "create", "--role", "trainer", "--data-dir", data, "--user", "alice")
    assert code == 0 and out.startswith("lg_")
    alice_token = out.strip()
    code, out, _ = league(capsys, "token", "--data-dir", data, "create", "--user", "bob", "--role", "worker",
                          "--name", "bob box")
    assert code == 0
    code, out, _ = league(capsys, "token", "list", "--user", "alice", "--data-dir", data)
    assert code == 0 and "alice" in out and "bob box" not in out
    code, _, err = league(capsys, "token", "create", "--role", "trainer", "--user", "carol", "--data-dir", data)
    assert code == 1 and "no user named 'carol'" in err
    code, _, err = league(capsys, "user", "create", "alice", "--data-dir", data)
    assert code == 1 and "exists already" in err
    code, out, _ = league(capsys, "user", "list", "--data-dir", data)
    assert [line.split()[0] for line in out.splitlines()] == ["admin", "alice", "bob"]
    with sessions(tmp_path / "d")() as session:
        assert verify_token(session, alice_token).user == "alice"
        logged = list_audit(session).items
        assert {e.role for e in logged} == {"cli"} and len(logged) == 4
        assert logged[-1].detail == "user alice" and "token create" in logged[1].action


def test_the_bootstrap_admin_is_retired_from_the_command_line(capsys, tmp_path):
    data = str(tmp_path / "d")
    assert league(capsys, "db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'd' / 'league.db'}")[0] == 0
    with sessions(tmp_path / "d")() as session:  # what the server does when it starts with the variable set
        boot = register_bootstrap(session, BOOTSTRAP)
    code, out, _ = league(capsys, "token", "list", "--data-dir", data)  # a league made by `db upgrade`: no --init
    assert code == 0 and "(settings)" in out and "bootstrap admin" in out
    code, _, err = league(capsys, "token", "revoke", str(boot.id), "--data-dir", data)
    assert code == 1 and "last active admin token" in err
    code, out, _ = league(capsys, "token", "create", "--user", "admin", "--role", "admin", "--data-dir", data)
    assert code == 0
    assert league(capsys, "token", "revoke", str(boot.id), "--data-dir", data)[0] == 0
    with sessions(tmp_path / "d")() as session:
        with pytest.raises(Exception, match="revoked"):
            verify_token(session, BOOTSTRAP, admin_token=BOOTSTRAP)
        assert verify_token(session, out.strip()).role == "admin"


def test_serve_refuses_a_weak_admin_token_and_never_prints_it(tmp_path):
    weak = "change-this-admin-token"
    done = subprocess.run([sys.executable, "-m", "league", "serve", "--data-dir", str(tmp_path), "--port", "1"],
                          env={"PATH": "/usr/bin:/bin", "LEAGUE_ADMIN_TOKEN": weak}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "LEAGUE_ADMIN_TOKEN" in done.stderr and "at least 32 characters" in done.stderr
    assert weak not in done.stderr + done.stdout and "Traceback" not in done.stderr
    assert not (tmp_path / "league.db").exists()  # stopped before it opened anything


class _Admin:
    """A stand-in for the admin's client: makes tokens, or fails for one role."""

    def __init__(self, fail_role: str | None = None):
        self.fail_role, self.made = fail_role, []

    def create_token(self, name, role, user="admin", *, replace=False):
        if role == self.fail_role:
            raise LeagueClientError("refused")
        self.made.append((name, role, user))
        info = TokenInfo(id=len(self.made), name=name, user=user, role=role, prefix="lg_x", created_at="2026-01-01T00:00:00Z",
                         revoked_at=None)
        return NewToken(token=info, plaintext=f"lg_{len(self.made)}")


def test_league_up_gives_every_worker_and_trainer_a_token_of_its_own(tmp_path):
    args = argparse.Namespace(trainers=2, match_workers=3, trainer_preset="debug", register_every=None,
                              trainer_args="")
    admin = _Admin()
    tokens, ids = child_tokens(admin, "ADMIN", child_names(args))
    assert sorted(ids) == [1, 2, 3, 4, 5] and len(set(tokens.values())) == 5
    assert ("league up match-worker-2", "worker", "admin") in admin.made
    assert ("league up trainer-1", "trainer", "admin") in admin.made
    specs = _children(args, "http://127.0.0.1:1", {"LEAGUE_ADMIN_TOKEN": "ADMIN", "PATH": "/bin"}, tmp_path, tokens)
    assert [spec.name for spec in specs] == ["trainer-1", "trainer-2", "match-worker-1", "match-worker-2",
                                            "match-worker-3"]
    assert len({spec.env["LEAGUE_TOKEN"] for spec in specs}) == 5  # each its own
    assert all("LEAGUE_ADMIN_TOKEN" not in spec.env for spec in specs)
    fallback, _ = child_tokens(_Admin(fail_role="worker"), "ADMIN", child_names(args))
    assert fallback["match-worker-1"] == "ADMIN" and fallback["trainer-1"] != "ADMIN"


def test_a_container_makes_its_own_token_over_http_and_replaces_its_old_one(capsys, tmp_path, monkeypatch):
    """What each compose worker runs at start: `league token create --server ... --replace`."""
    import httpx

    from tests.support.live_server import running_server

    with running_server(tmp_path / "league", BOOTSTRAP) as server:
        argv = ("token", "create", "--server", server.url, "--user", "admin", "--role", "worker",
                "--name", "compose match-worker c1", "--replace")
        code, _, err = league(capsys, *argv)
        assert code == 1 and "LEAGUE_ADMIN_TOKEN" in err  # it needs the admin token
        monkeypatch.setenv("LEAGUE_ADMIN_TOKEN", BOOTSTRAP)
        first = league(capsys, *argv)[1].strip()
        second = league(capsys, *argv)[1].strip()
        assert first.startswith("lg_") and second.startswith("lg_") and first != second

        def claim(token):
            return httpx.post(f"{server.url}/api/jobs/claim", headers={"Authorization": f"Bearer {token}"},
                              timeout=30).status_code

        assert (claim(first), claim(second)) == (401, 200)  # the restarted container's old token is gone
        listed = httpx.get(f"{server.url}/api/tokens", headers={"Authorization": f"Bearer {BOOTSTRAP}"},
                           timeout=30).json()
        assert [t["name"] for t in listed].count("compose match-worker c1") == 1
