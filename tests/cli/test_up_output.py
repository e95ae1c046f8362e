"""`league up` stops cleanly whatever became of its stdout: a pipe that the same Ctrl-C closed
(`league up | cat`), a pipe closed early (`| head -n 1`), a closed stdout, a file.

Each case runs the real command line through bash in its own process group, waits until the server
answers and a match worker runs, then sends SIGINT to the whole group, as a terminal's Ctrl-C does.
Afterwards no process of the league is left, the port is free again, and nothing raised.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time

import httpx
import pytest

from league.cli.up import LEAGUE
from tests.support.live_server import free_port
from tests.support.processes import port_is_free, processes_with_data_dir

pytestmark = pytest.mark.slow

# how stdout is connected, and the children besides the server
CASES = {
    "pipe closed by the same ctrl-c": ("| cat > {out}", ["--trainers", "1", "--trainer-preset", "debug"]),
    "pipe closed early": ("| head -n 1 > {out}", []),
    "stdout closed": (">&-", []),
    "stdout a file": ("> {out}", []),
}


def _league_ready(url: str, data_dir) -> bool:
    try:
        httpx.get(f"{url}/api/health", timeout=2).raise_for_status()
    except httpx.HTTPError:
        return False
    return (data_dir / "logs" / "match-worker-1.log").exists()


@pytest.mark.parametrize("case", list(CASES))
def test_ctrl_c_stops_everything_whatever_stdout_is(tmp_path, case):
    redirect, extra = CASES[case]
    data_dir, port = tmp_path / "league-data", free_port()
    url = f"http://127.0.0.1:{port}"
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    up = [*LEAGUE, "up", "--port", str(port), "--match-workers", "1", "--trainers", "0", *extra,
          "--status-every", "0.5", "--checkpoints", str(tmp_path / "no-checkpoints")]
    command = f"{shlex.join(up)} 2> {shlex.quote(str(err))} {redirect.format(out=shlex.quote(str(out)))}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAGUE_")}
    env.update(LEAGUE_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    shell = subprocess.Popen(["bash", "-c", command], env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not _league_ready(url, data_dir):
            assert shell.poll() is None, f"league up ended early: {err.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"the league did not start: {err.read_text(errors='replace')}"
            time.sleep(0.5)
        time.sleep(2)  # a few status lines: a closed pipe has been written to by now
        assert len(processes_with_data_dir(data_dir)) >= 3  # league up, the server, the match worker
        os.killpg(shell.pid, signal.SIGINT)
        shell.wait(timeout=120)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
        left = processes_with_data_dir(data_dir)
        for pid in left:  # leave nothing behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
    errors = err.read_text(errors="replace")
    assert left == [], f"processes left after Ctrl-C: {left}\n{errors}"
    assert port_is_free(port)
    assert "Traceback" not in errors and "BrokenPipeError" not in errors and "Exception ignored" not in errors, errors
    if case == "stdout a file":
        assert "stopped; no process left" in out.read_text()
    if case.startswith("pipe"):
        assert "league data in" in out.read_text()  # the pipe did carry the first lines
