"""A token bucket per API token: how many writes each token may send, and how fast.

A bucket holds up to `burst` writes and refills at `rate_per_s`; a write takes one, and when
none is left the answer is 429 with the seconds until the next one in `Retry-After`. Buckets are
kept per token (by its sha256), in the server's memory: a restart refills them all.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    """One bucket of `burst` writes refilled at `rate_per_s` per key."""

    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (writes left, when counted)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one write from `key`'s bucket: 0.0 when it may go ahead, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            left, counted = self._buckets.get(key, (float(self.burst), now))
            left = min(float(self.burst), left + (now - counted) * self.rate_per_s)
            if left >= 1.0:
                self._buckets[key] = (left - 1.0, now)
                return 0.0
            self._buckets[key] = (left, now)
            return (1.0 - left) / self.rate_per_s

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """`Retry-After` for a wait: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait_s)))
