"""The import contract of pyproject.toml holds for the tree and refuses wrong-way imports.

Each case copies `league/`, `agents/`, `api/` and pyproject.toml into a temporary directory, plants
one import against the layers into a copy of a module, and runs `lint-imports` there (it reads the
copy: the directory it runs in comes first on its path). The unmodified copy passes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (module file, planted code, the import lint-imports must name, the contract it breaks)
WRONG_WAY = [
    ("league/hockey/version.py", "import api.app\n", "league.hockey.version -> api.app",
     "layers: command line > server | workers > core > agent > game"),
    ("league/hockey/version.py", "def _later():\n    import agents.config\n", "league.hockey.version -> agents.config",
     "the game imports nothing of ours"),
    ("agents/config.py", "import league.core.db\n", "agents.config -> league.core.db",
     "layers: command line > server | workers > core > agent > game"),
    ("api/params.py", "import league.hockey.constants\n", "api.params -> league.hockey.constants",
     "the server reaches the agent only through the core"),
    ("league/workers/display.py", "import sqlalchemy\n", "league.workers.display -> sqlalchemy",
     "workers are HTTP clients: never the database"),
    ("league/workers/display.py", "import api.params\n", "league.workers.display -> api.params",
     "layers: command line > server | workers > core > agent > game"),
]


def copy_of_the_tree(destination: Path) -> Path:
    for package in ("league", "agents", "api"):
        shutil.copytree(ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_the_unmodified_tree_keeps_every_contract(tmp_path):
    done = lint_imports(copy_of_the_tree(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout, done.stdout


@pytest.mark.parametrize(("module", "code", "reported", "contract"), WRONG_WAY,
                         ids=[case[2] for case in WRONG_WAY])
def test_a_wrong_way_import_breaks_the_contract(tmp_path, module, code, reported, contract):
    tree = copy_of_the_tree(tmp_path)
    with open(tree / module, "a") as planted:
        planted.write("\n\n" + code)
    done = lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert reported in done.stdout, done.stdout
    assert f"{contract} BROKEN" in done.stdout, done.stdout
