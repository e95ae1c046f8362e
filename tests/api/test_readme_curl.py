"""The README's curl example of an upload (`-F meta=@meta.json -F weights=@...`), run as it is written
against a real `league serve`, with the committed checkpoint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import running_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")]

REPO = Path(__file__).resolve().parents[2]
ADMIN = "readme-curl-admin-token-0123456789abcdefghijklmn"
MARKER = "<!-- upload-example:"


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    after = text[text.index(MARKER):]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)


def test_the_readme_upload_example_registers_the_checkpoint(tmp_path):
    script = readme_example()
    assert "-F meta=@meta.json" in script and "http://127.0.0.1:8000/api/opponents" in script
    work = tmp_path / "work"
    work.mkdir()
    (work / "checkpoints").symlink_to(REPO / "checkpoints")
    with running_server(tmp_path / "league", ADMIN) as server:
        env = {**os.environ, "LEAGUE_TOKEN": ADMIN, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        done = subprocess.run(["bash", "-e", "-c", script.replace("http://127.0.0.1:8000", server.url)],
                              cwd=work, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        answer = httpx.Response(200, content=done.stdout).json()
        assert answer["created"] is True and answer["opponent"]["name"].startswith("my-dreamer@"), done.stdout
        listed = httpx.get(f"{server.url}/api/opponents", params={"agent": "my-dreamer"}).json()
        assert listed["total"] == 1
