"""Child processes in their own process groups: start, watch, restart, and stop with nothing left behind.

Each child runs in a new session (`start_new_session=True`), so its process group holds it and
everything it spawns, and a Ctrl-C on the terminal reaches only the supervisor, which decides the
order of shutdown. Stopping sends SIGTERM to each group, waits up to a timeout, then SIGKILLs what is
left of the group, and finally checks `/proc` that no process of any group survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class ChildSpec:
    """What to run for one child."""

    name: str
    """Short unique name, used in messages and for the log file `<log_dir>/<name>.log`."""
    argv: list[str] | Callable[[], list[str]]
    """The command line, or a function giving it at each (re)start."""
    env: dict[str, str] | None = None
    """Environment (None: the supervisor's own)."""
    restart: bool = True
    """Start it again when it exits while the supervisor is running."""
    max_restarts: int = 5
    """Give up restarting after this many restarts (a child that keeps crashing is reported)."""
    stop_signal: int = signal.SIGTERM
    """The signal that asks it to stop (e.g. SIGINT for a program that saves on KeyboardInterrupt)."""


@dataclass
class Child:
    """A running (or finished) child."""

    spec: ChildSpec
    process: subprocess.Popen
    log: IO[bytes] | None
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    exit_reported: bool = False

    @property
    def pgid(self) -> int:
        return self.process.pid  # a new session's leader: its pid is its process group id


def processes_in_group(pgid: int) -> list[int]:
    """Pids of live (non-zombie) processes whose process group is `pgid`, read from /proc."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
        except OSError:
            continue
        # the command name is in parentheses and may itself contain spaces or parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in {"Z", "X"}:
            pids.append(int(entry))
    return pids


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    """Starts children, restarts those that die, stops them all in a chosen order."""

    def __init__(self, log_dir: Path | None, *, say: Callable[[str], None] = print):
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.children: dict[str, Child] = {}
        self.say = say
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path | None:
        return None if self.log_dir is None else self.log_dir / f"{name}.log"

    def start(self, spec: ChildSpec) -> Child:
        """Start `spec` in a new session, its output appended to its log file."""
        if spec.name in self.children and self.children[spec.name].process.poll() is None:
            raise ValueError(f"child {spec.name!r} is already running")
        log_path = self.log_path(spec.name)
        log = open(log_path, "ab") if log_path is not None else None  # noqa: SIM115 (closed in _reap)
        process = subprocess.Popen(
            spec.argv() if callable(spec.argv) else spec.argv,
            env=spec.env,
            stdin=subprocess.DEVNULL,
            stdout=log if log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        previous = self.children.get(spec.name)
        child = Child(spec, process, log, restarts=previous.restarts if previous else 0)
        self.children[spec.name] = child
        return child

    def check(self) -> list[str]:
        """Restart children that exited (where allowed); return a message for each exit seen."""
        messages = []
        for name, child in list(self.children.items()):
            code = child.process.poll()
            if code is None or child.exit_reported:
                continue
            self._reap(child)
            where = f" (log: {self.log_path(name)})" if self.log_dir else ""
            if child.spec.restart and child.restarts < child.spec.max_restarts:
                child.restarts += 1
                messages.append(f"{name} exited with code {code}; restarting ({child.restarts}){where}")
                self.start(child.spec)
            else:
                child.exit_reported = True
                messages.append(f"{name} exited with code {code}{where}")
        return messages

    def running(self) -> list[str]:
        return [name for name, child in self.children.items() if child.process.poll() is None]

    def stop(self, names: Iterable[str] | None = None, *, timeout: float = 15.0) -> list[str]:
        """Stop the named children (default: all, newest first) and wait for their whole groups.

        Each child's `stop_signal` (SIGTERM by default) to its group, up to `timeout` seconds of grace,
        then SIGKILL. Returns the names of
        children that had to be killed.
        """
        names = list(names) if names is not None else list(reversed(self.children))
        chosen = [self.children[name] for name in names if name in self.children]
        for child in chosen:
            _signal_group(child.pgid, child.spec.stop_signal)
        deadline = time.monotonic() + timeout
        killed = []
        for child in chosen:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                killed.append(child.spec.name)
                _signal_group(child.pgid, signal.SIGKILL)
                child.process.wait()
            # the leader is gone; grandchildren in its group may linger: give them the same treatment
            group_deadline = time.monotonic() + max(1.0, deadline - time.monotonic())
            while processes_in_group(child.pgid) and time.monotonic() < group_deadline:
                time.sleep(0.05)
            if processes_in_group(child.pgid):
                _signal_group(child.pgid, signal.SIGKILL)
                wait_until = time.monotonic() + 5.0
                while processes_in_group(child.pgid) and time.monotonic() < wait_until:
                    time.sleep(0.05)
            self._reap(child)
            child.spec.restart = False
        return killed

    def leftovers(self) -> list[int]:
        """Pids still alive in any child's process group (empty after a clean `stop`)."""
        return [pid for child in self.children.values() for pid in processes_in_group(child.pgid)]

    @staticmethod
    def _reap(child: Child) -> None:
        if child.log is not None and not child.log.closed:
            child.log.close()
