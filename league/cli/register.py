"""`league register FILE --agent NAME`: upload a policy to a league server as a new snapshot.

The kind follows from the file: `.onnx` is an ONNX policy (no config), `.safetensors` is a Dreamer
checkpoint whose config (and step, unless `--step` is given) come from the `.json` beside it. The
server is `--server` or `LEAGUE_SERVER_URL`, the token (a trainer's) `--token` or `LEAGUE_TOKEN`.
The server checks the file before it stores it and says why when it refuses.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.workers.client import LeagueClient, LeagueClientError, RetryPolicy
from league.workers.settings import WorkerSettings


def configure(parser: argparse.ArgumentParser) -> None:
    settings = read_settings(WorkerSettings)
    parser.add_argument("file", type=Path, help="an .onnx policy, or a Dreamer .safetensors with its .json")
    parser.add_argument("--agent", required=True, help="the lineage the snapshot belongs to, e.g. my-sac")
    parser.add_argument("--step", type=int, default=None,
                        help="training step of the snapshot (default: the checkpoint's, else 0)")
    parser.add_argument("--notes", default="", help="free text shown with the snapshot")
    parser.add_argument("--name", default=None, help='snapshot name (default "AGENT@STEP")')
    parser.add_argument("--server", default=settings.server_url,
                        help="league server URL, e.g. http://127.0.0.1:8000 (env LEAGUE_SERVER_URL)")
    parser.add_argument("--token", default=settings.token, help="trainer bearer token (env LEAGUE_TOKEN)")


def _dreamer_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text())
    except FileNotFoundError:
        raise CommandError(f"{path} has no {sidecar.name} beside it (the config it was trained with)") from None
    except (OSError, ValueError) as error:
        raise CommandError(f"{sidecar}: cannot read it as JSON ({error})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        raise CommandError(f"{sidecar}: expected a JSON object with a 'config' object")
    return meta


def registration(args: argparse.Namespace) -> tuple[dict[str, Any], bytes]:
    """The `meta` and the bytes to upload for `args.file`."""
    path: Path = args.file
    if args.step is not None and args.step < 0:
        raise CommandError(f"--step must be at least 0, got {args.step}")
    if path.suffix == ".onnx":
        kind, config, step = "onnx", {}, args.step
    elif path.suffix == ".safetensors":
        sidecar = _dreamer_sidecar(path)
        kind, config = sidecar.get("kind", "dreamer"), sidecar["config"]
        step = args.step if args.step is not None else sidecar.get("step")
    else:
        raise CommandError(f"{path}: the kind follows from the file name; use an .onnx or a .safetensors file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    meta: dict[str, Any] = {"agent": args.agent, "kind": kind, "config": config,
                            "step": int(step) if isinstance(step, int) and step >= 0 else 0, "notes": args.notes}
    if args.name:
        meta["name"] = args.name
    return meta, data


def run(args: argparse.Namespace) -> int:
    if not args.server:
        raise CommandError("no server: pass --server URL or set LEAGUE_SERVER_URL")
    if not args.token:
        raise CommandError("no token: pass --token or set LEAGUE_TOKEN (a trainer token: league token create "
                           "--role trainer)")
    meta, data = registration(args)
    try:
        with LeagueClient(args.server, args.token, retry=RetryPolicy(attempts=3)) as client:
            registered = client.register_opponent(meta, data)
    except (LeagueClientError, ValueError) as error:
        raise CommandError(str(error)) from None
    snapshot = registered.opponent
    verb = "registered" if registered.created else "already registered as"
    print(f"{verb} {snapshot.name} (id {snapshot.id}, kind {snapshot.kind}, sha256 {registered.sha256[:12]})")
    print(f"its page: {args.server.rstrip('/')}/opponents/{snapshot.id}")
    return 0
