"""The process supervisor behind `league up`: real child processes, checked through /proc."""

from __future__ import annotations

import sys
import textwrap
import time

from league.cli.supervisor import ChildSpec, Supervisor, processes_in_group

# A child that starts a grandchild in its own process group and then sleeps.
PARENT_WITH_GRANDCHILD = textwrap.dedent(
    """
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print("ready", flush=True)
    time.sleep(600)
    """
)

# A child that ignores SIGTERM (must be SIGKILLed after the grace period).
STUBBORN = textwrap.dedent(
    """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(600)
    """
)


def _wait_for_log(path, text, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_stop_leaves_no_process_of_any_group(tmp_path):
    supervisor = Supervisor(tmp_path / "logs", say=lambda _: None)
    children = [supervisor.start(ChildSpec(f"c{i}", [sys.executable, "-c", PARENT_WITH_GRANDCHILD])) for i in range(2)]
    for i in range(2):
        _wait_for_log(tmp_path / "logs" / f"c{i}.log", "ready")
    # each group holds the child and its grandchild
    assert all(len(processes_in_group(child.pgid)) == 2 for child in children)
    killed = supervisor.stop(timeout=10)
    assert killed == []  # SIGTERM sufficed
    assert supervisor.leftovers() == []
    assert all(processes_in_group(child.pgid) == [] for child in children)


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    supervisor = Supervisor(tmp_path / "logs", say=lambda _: None)
    supervisor.start(ChildSpec("stubborn", [sys.executable, "-c", STUBBORN]))
    _wait_for_log(tmp_path / "logs" / "stubborn.log", "ready")
    started = time.monotonic()
    killed = supervisor.stop(timeout=1.0)
    assert killed == ["stubborn"]
    assert time.monotonic() - started < 8
    assert supervisor.leftovers() == []


def test_a_crashed_child_is_restarted_then_given_up(tmp_path):
    supervisor = Supervisor(tmp_path / "logs", say=lambda _: None)
    spec = ChildSpec("crasher", [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"], max_restarts=2)
    supervisor.start(spec)
    messages: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any("code 3 (log" in m for m in messages):
        messages += supervisor.check()
        time.sleep(0.05)
    assert [m.split(";")[0].split(" (log")[0] for m in messages] == ["crasher exited with code 3"] * 3
    assert "restarting (1)" in messages[0] and "restarting (2)" in messages[1]
    assert supervisor.children["crasher"].restarts == 2
    assert (tmp_path / "logs" / "crasher.log").read_text().count("boom") == 3
    assert supervisor.running() == []
    supervisor.stop(timeout=1)
    assert supervisor.leftovers() == []


def test_stop_follows_the_given_order_and_skips_unknown_names(tmp_path):
    supervisor = Supervisor(None, say=lambda _: None)
    for name in ("server", "worker"):
        supervisor.start(ChildSpec(name, [sys.executable, "-c", "import time; time.sleep(600)"]))
    supervisor.stop(["worker", "nobody"], timeout=5)
    assert supervisor.running() == ["server"]
    supervisor.stop(timeout=5)
    assert supervisor.running() == [] and supervisor.leftovers() == []
