"""Progress for people: a tqdm line on a terminal, plain time-stamped log lines otherwise.

tqdm with `disable=None` stays silent off a terminal (in a container, under `league up`, in CI), so
messages then go to stdout as lines; on a terminal they are written above the progress line.
"""

from __future__ import annotations

import time

from tqdm import tqdm


class ProgressLog:
    """`say(message)` logs a line; `advance(n, postfix)` moves the counter (terminal only)."""

    def __init__(self, desc: str, unit: str):
        self.bar = tqdm(total=None, desc=desc, unit=unit, disable=None, dynamic_ncols=True)

    @property
    def on_terminal(self) -> bool:
        return not self.bar.disable

    def say(self, message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        if self.on_terminal:
            self.bar.write(line)
        else:
            print(line, flush=True)

    def advance(self, n: int, postfix: str = "") -> None:
        if self.on_terminal:
            self.bar.update(max(0, n))
            if postfix:
                self.bar.set_postfix_str(postfix[:80])

    def close(self) -> None:
        self.bar.close()
