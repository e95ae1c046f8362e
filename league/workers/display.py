"""Progress for people: a live counter line on a terminal, plain time-stamped log lines otherwise.

On a terminal (tqdm's `disable=None` test of the counter's stream, stderr by default) messages are
written above one counter line, "games played: 8,896 games, 3.2 games/s"; off a terminal (in a
container, under `league up`, in CI) the counter stays silent and messages go out as lines.

Output never stops the program: a stream that breaks (a closed pipe after `league up | head` or a
Ctrl-C that also ended `| tee`), is closed, or cannot be written, silences this log and nothing
more, so the caller can still stop its children. A broken pipe is replaced by /dev/null, so the
interpreter's last flush at exit does not fail on it either.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable
from typing import IO

from tqdm import tqdm


def counted(n: int, unit: str) -> str:
    """'1 game', '8,896 games'."""
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def rate_text(n: int, seconds: float, unit: str) -> str:
    """'3.2 games/s' (or per minute, for slow counts) for `n` in `seconds`; '' before any time passed."""
    if seconds <= 0:
        return ""
    per_second = n / seconds
    if 0 < per_second < 0.1:
        return f"{per_second * 60:.1f} {unit}s/min"
    return f"{per_second:.1f} {unit}s/s"


def discard_if_broken(stream: IO[str] | None) -> None:
    """Point `stream`'s file descriptor at /dev/null when it is a pipe nobody reads any more."""
    try:
        fd = stream.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    if any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0)):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


class ProgressLog:
    """`say(message)` logs a line; `advance(n, postfix)` moves the counter (terminal only).

    `unit` is singular ("game"); the counter shows how many in all and the rate since
    `start_count` (or since it was made), so counts from before a restart do not inflate the rate.
    `stream` takes the messages (default stdout), `file` the counter (default stderr); `terminal`
    None asks tqdm whether `file` is a terminal. `clock` is for tests."""

    def __init__(self, desc: str, unit: str, *, stream: IO[str] | None = None, file: IO[str] | None = None,
                 terminal: bool | None = None, clock: Callable[[], float] = time.monotonic):
        self.desc, self.unit = desc, unit
        self.stream = stream
        self.clock = clock
        self.count = 0
        self.counted_from = 0
        self.started = clock()
        self.postfix = ""
        self.broken = False
        self.closed = False
        self.bar = tqdm(total=None, desc=self._line(), bar_format="{desc}", file=file, leave=False,
                        disable=None if terminal is None else not terminal, dynamic_ncols=True)

    @property
    def on_terminal(self) -> bool:
        return not self.bar.disable

    def _out(self) -> IO[str] | None:
        return self.stream if self.stream is not None else sys.stdout

    def say(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        out = self._out()
        if out is None or self.broken:  # stdout was closed before we started, or broke since
            return
        try:
            if self.on_terminal and not self.closed:
                with self.bar.external_write_mode(file=out):
                    out.write(line + "\n")
                    out.flush()
            else:
                out.write(line + "\n")
                out.flush()
        except (OSError, ValueError, AttributeError):
            self._broke()

    def start_count(self, n: int) -> None:
        """Count on from `n` (e.g. the games rated before this start): the rate counts only what follows."""
        self.count = self.counted_from = max(0, n)
        self.started = self.clock()
        self._refresh()

    def advance(self, n: int, postfix: str = "") -> None:
        self.count += max(0, n)
        if postfix:
            self.postfix = postfix[:80]
        self._refresh()

    def _line(self) -> str:
        parts = [counted(self.count, self.unit)]
        rate = rate_text(self.count - self.counted_from, self.clock() - self.started, self.unit)
        if rate:
            parts.append(rate)
        if self.postfix:
            parts.append(self.postfix)
        return f"{self.desc}: " + ", ".join(parts)

    def _refresh(self) -> None:
        if not self.on_terminal or self.closed or self.broken:
            return
        try:
            self.bar.set_description_str(self._line())
        except (OSError, ValueError, AttributeError):
            self._broke()

    def _broke(self) -> None:
        """Stop writing: the messages' or the counter's stream is gone."""
        self.broken = True
        self.bar.disable = True
        for stream in (self._out(), getattr(self.bar, "fp", None), sys.stdout, sys.stderr):
            discard_if_broken(stream)

    def close(self) -> None:
        """Take the counter line off the screen; later messages are plain lines."""
        if self.closed:
            return
        self.closed = True
        try:
            self.bar.close()
        except (OSError, ValueError, AttributeError):
            self._broke()
