"""A scripted HTTP server on 127.0.0.1 for the workers' tests: canned answers over real HTTP.

`script[path]` is a list of `(status, body)` answers for that path (the query string is ignored):
each request takes the next one, and the last one repeats. A `bytes` body is sent as it is (as
text/html), anything else as JSON. Every request is recorded as `(method, path, headers, body)`.
`wire(model)` is a wire model as the server would send it; `health_answer`, `match_answer` and
`outcome_answer` are typical answers of the health, release and result endpoints.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel

from league.core.schemas import Health, MatchSummary, ReportOutcome
from league.hockey.version import GAME_VERSION

CANNED_TIME = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def wire(model: BaseModel | list[BaseModel]) -> Any:
    """A wire model (or a list of them) as the JSON the server sends."""
    if isinstance(model, list):
        return [item.model_dump(mode="json") for item in model]
    return model.model_dump(mode="json")


def health_answer(game_version: str = GAME_VERSION) -> dict[str, Any]:
    """`GET /api/health` of a server at the newest schema that rates `game_version`."""
    return wire(Health(status="ok", database="ok", schema_version="head", game_version=game_version))


def _match(match_id: int, state: str, worker: str | None) -> MatchSummary:
    done = state == "done"
    return MatchSummary(id=match_id, state=state, snapshot_a_id=1, snapshot_b_id=2, snapshot_a_name="basic_weak",
                        snapshot_b_name="basic_strong", n_games=2, reason="pfsp", a_score=1.0 if done else None,
                        worker=worker, attempts=1, created_at=CANNED_TIME, started_at=CANNED_TIME,
                        finished_at=CANNED_TIME if done else None)


def match_answer(match_id: int, state: str = "done", worker: str | None = "w") -> dict[str, Any]:
    """A match summary (what a release answers) of a two-game match between snapshots 1 and 2."""
    return wire(_match(match_id, state, worker))


def outcome_answer(job_id: int, duplicate: bool = False) -> dict[str, Any]:
    """What `POST /api/jobs/{id}/result` answers once the result is counted."""
    return wire(ReportOutcome(job_id=job_id, duplicate=duplicate, match=_match(job_id, "done", "w")))


class ScriptedServer:
    """Answers each request with the next scripted (status, body) for its path; records requests."""

    def __init__(self):
        self.script: dict[str, list[tuple[int, object]]] = {}
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                path = self.path.split("?")[0]
                queue = outer.script.get(path) or [(404, {"detail": f"no route {path}"})]
                status, payload = queue.pop(0) if len(queue) > 1 else queue[0]
                if outer.delay:
                    time.sleep(outer.delay)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                kind = "text/html" if isinstance(payload, bytes) else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
