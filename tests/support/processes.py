"""Processes, ports and connections as the tests of `league up` and `league serve` see them: from /proc
and a bind attempt."""

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


def children_of(pid: int) -> list[int]:
    """Pids of the live children of `pid` (from /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def process_serving(client: socket.socket, among: list[int]) -> int | None:
    """Which of the processes `among` holds the server's end of the TCP connection `client` (IPv4,
    accepted already): the socket whose local port is the client's peer port and whose peer port is
    the client's own, looked up in /proc/net/tcp, then in each process's open files."""
    server_port, client_port = client.getpeername()[1], client.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)) == (server_port, client_port):
            inode = fields[9]
    if inode is None:
        return None
    return next((pid for pid in among if inode in _socket_inodes(pid)), None)
