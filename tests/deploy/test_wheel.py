"""The built wheel holds what the server needs: installed alone in a fresh venv, it upgrades and serves.

The wheel is built from a clean copy of the source tree (nothing left over from earlier builds),
installed with `--no-deps` into a new venv created by `python -m venv`; a `.pth` file lends it
the third-party packages of the venv running the tests, which has no `league`, `agents` or `api`
of its own (the project is installed editable there, through a finder that a `.pth` path entry
does not load). So the league's code, migrations, templates and static files can only come from
the wheel. From a directory outside the repository, `league db upgrade` and `league serve` run,
and `/`, a static file and `/api/health` are fetched over real HTTP.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
HEAD = max(p.name[:4] for p in (ROOT / "migrations" / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
CODE = ("league", "agents", "api")
# Folder of the source tree -> where the wheel carries it (pyproject.toml, [tool.setuptools.package-dir]).
DATA = {"migrations": "league/core/migrations", "templates": "api/templates", "static": "api/static"}
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def _run(command: list, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _source_files() -> dict[str, Path]:
    """Path in the wheel -> file of the source tree, for everything the wheel must hold."""
    wanted = {}
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            if "__pycache__" not in path.parts:
                wanted[path.relative_to(ROOT).as_posix()] = path
    for folder, inside in DATA.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                wanted[f"{inside}/{path.relative_to(ROOT / folder).as_posix()}"] = path
    return wanted


def test_every_package_of_the_tree_is_in_the_distribution():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for folder in CODE for init in (ROOT / folder).rglob("__init__.py")
    }
    missing = sorted(on_disk - listed)
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {missing}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a clean copy of the source tree."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for folder in (*CODE, *DATA):
        shutil.copytree(ROOT / folder, source / folder, ignore=SKIPPED)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "--wheel-dir", work / "dist", source], cwd=work)
    (built,) = (work / "dist").glob("hockey_league-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_the_code_migrations_templates_and_static_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        wanted = _source_files()
        missing = sorted(set(wanted) - names)
        assert not missing, f"the wheel lacks {missing}"
        for inside in ("league/core/migrations/env.py", "api/templates/dashboard/base.html",
                       "api/static/css/dashboard.css"):
            assert archive.read(inside) == wanted[inside].read_bytes()
    assert not [name for name in names if name.split("/")[0] in {"tests", "migrations", "templates", "static"}]


@pytest.mark.slow
def test_installed_wheel_upgrades_and_serves_the_dashboard(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
         cwd=tmp_path)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path).strip())
    (site / "third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # after installing: pip sees only the wheel

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("LEAGUE_", "PYTHON", "VIRTUAL_ENV"))}
    env["LEAGUE_DATA_DIR"] = str(outside / "data")
    where = _run([python, "-c", "import league.core.migrate, api.assets; "
                  "print(league.core.migrate.migrations_dir()); print(api.assets.STATIC_DIR)"], cwd=outside, env=env)
    for line in where.split():
        assert Path(line).is_relative_to(site), f"{line} is not in the fresh venv {site}"

    league = venv / "bin" / "league"
    assert f"database at revision {HEAD}" in _run([league, "db", "upgrade"], cwd=outside, env=env)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([league, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=outside,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        health = None
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"{url}/api/health", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        log_text = (tmp_path / "serve.log").read_text(errors="replace")
        assert health is not None and health.status_code == 200, log_text
        assert health.json()["schema_version"] == HEAD

        page = httpx.get(f"{url}/", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "/static/css/dashboard.css?v=" in page.text  # the template ran, the static file was found
        assert "basic" in page.text.lower()  # the seeded opponents are on the leaderboard
        css = httpx.get(f"{url}/static/css/dashboard.css", timeout=10)
        assert css.status_code == 200
        assert css.content == (ROOT / "static" / "css" / "dashboard.css").read_bytes()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
