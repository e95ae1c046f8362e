"""Opponent weights on local disk, named by their sha256: downloaded once, verified every time.

A match worker plays the same snapshots again and again; the trainer samples them again and again.
The cache keeps each snapshot's exact bytes as `<sha256>.safetensors` in one directory. Files are
written atomically (a temporary file, then `os.replace`), so several workers may share a directory.
A file whose bytes no longer match its name is dropped and fetched again; bytes from the server
that do not match the sha256 it announced are refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class WeightsMismatch(Exception):
    """The bytes the server sent do not hash to the sha256 it announced for that snapshot."""


class WeightsCache:
    """`get(snapshot_id, sha256)` returns the weights, from disk or fetched with `fetch(snapshot_id)`."""

    def __init__(self, directory: Path | str, fetch: Callable[[int], bytes], *, max_bytes: int | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fetch = fetch
        self.max_bytes = max_bytes
        self.hits = 0
        self.downloads = 0

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256 or ""):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.directory / f"{sha256}.safetensors"

    def get(self, snapshot_id: int, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = None
        if data is not None:
            if hashlib.sha256(data).hexdigest() == sha256:
                self.hits += 1
                os.utime(path)  # most recently used: kept longest when trimming
                return data
            path.unlink(missing_ok=True)  # damaged on disk: fetch again
        data = self.fetch(snapshot_id)
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise WeightsMismatch(
                f"snapshot {snapshot_id}: downloaded weights hash to {actual[:12]}..., "
                f"the server announced {sha256[:12]}..."
            )
        self._write(path, data)
        self.downloads += 1
        self.trim()
        return data

    def _write(self, path: Path, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def trim(self) -> None:
        """Delete least recently used files until the cache fits `max_bytes` (if set)."""
        if self.max_bytes is None:
            return
        files = sorted(self.directory.glob("*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for file in files:
            total += file.stat().st_size
            if total > self.max_bytes:
                file.unlink(missing_ok=True)
