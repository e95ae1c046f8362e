"""Processes and ports as the tests of `league up` see them: from /proc and a bind attempt."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def processes_with_data_dir(data_dir: Path) -> list[int]:
    """Pids of live processes whose environment names `data_dir` as LEAGUE_DATA_DIR (from /proc)."""
    marker = f"LEAGUE_DATA_DIR={data_dir}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state not in ("Z", "X"):
            found.append(int(entry))
    return found


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `host:port` now (TIME_WAIT is no obstacle, as for uvicorn)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True
