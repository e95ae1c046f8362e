"""The HTTP client every worker uses to talk to the league server.

One `LeagueClient` per process. It sends the bearer token, uses explicit timeouts, retries with
exponential backoff and jitter, and turns HTTP failures into a small hierarchy of exceptions whose
messages are fit to print to a user:

- connection failures (the request never reached the server) are retried for every call;
- read timeouts, dropped connections and 5xx answers are retried only for idempotent calls
  (GET, heartbeat, result reports, opponent registration: the server de-duplicates those);
- 4xx answers are never retried: they raise (`league.workers.client_errors`) `AuthenticationError` (401), `PermissionDenied` (403),
  `NotFound` (404), `Conflict` (409) or `RequestRejected` (any other 4xx).

Every answer is validated with the wire model the server declares for it (`league.core.schemas`),
and each method returns that model; an answer of another shape raises `UnexpectedAnswer`, which
names the endpoint.

`check_compatible()` compares the server's `/api/health` with this installation: a worker must play by
the same game rules as the server rates by.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from league.core.schemas import (
    BatchOutcome,
    Claim,
    ClaimedJobs,
    Health,
    JobAssignment,
    JobStats,
    LeaderboardRow,
    MatchSummary,
    MetricsStored,
    NewToken,
    Opponent,
    OpponentChoice,
    Page,
    Registered,
    ReportOutcome,
    SnapshotInfo,
    TokenInfo,
)
from league.hockey.version import GAME_VERSION
from league.workers.client_errors import (  # the errors its calls raise, importable from here too
    AuthenticationError,
    Conflict,
    IncompatibleServer,
    LeagueClientError,
    NotFound,
    PermissionDenied,
    RequestRejected,
    ServerError,
    ServerUnreachable,
    UnexpectedAnswer,
)

T = TypeVar("T")

USER_AGENT = "hockey-league-worker/1"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=60.0, pool=5.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried."""

    attempts: int = 5
    """Tries in all (the first one included)."""
    base_delay: float = 0.5
    """Seconds before the first retry; doubles each time."""
    max_delay: float = 8.0
    """Cap on the wait between two tries."""

    def delay(self, retry_index: int) -> float:
        """Seconds to wait before retry number `retry_index` (0-based), with jitter in [50 %, 100 %]."""
        return min(self.max_delay, self.base_delay * (2**retry_index)) * random.uniform(0.5, 1.0)


def normalise_base_url(url: str) -> str:
    """`url` without a trailing slash or `/api`; `ValueError` unless it is an http(s) URL."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"server URL must start with http:// or https://, got {url!r}")
    if url.endswith("/api"):
        url = url[: -len("/api")]
    return url


def _detail_text(detail: Any) -> str:
    """The server's `detail` as one readable line (FastAPI validation errors are a list)."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict) and "msg" in item:
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return json.dumps(detail) if detail is not None else ""


def _problems(error: ValidationError, most: int = 3) -> str:
    """The first few problems of a failed validation as one line, e.g. "job.lease_id: Field required"."""
    parts = [f"{'.'.join(str(part) for part in e['loc']) or 'the answer'}: {e['msg']}"
             for e in error.errors()[:most]]
    more = error.error_count() - most
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


_LEADERBOARD = TypeAdapter(list[LeaderboardRow])
_CHOICES = TypeAdapter(list[OpponentChoice])
_OPPONENT_PAGE = TypeAdapter(Page[SnapshotInfo])
_MATCH_PAGE = TypeAdapter(Page[MatchSummary])

_STATUS_ERRORS: dict[int, type[LeagueClientError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}
_STATUS_HINTS = {
    401: "the server refused the token (check --token or the token environment variable)",
    403: "the token's role may not do this",
}


class LeagueClient:
    """A league server at `base_url` (e.g. `http://127.0.0.1:8000`), with an optional bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = normalise_base_url(base_url)
        self.token = token or None
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        headers = {"User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers)

    # -- plumbing -------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LeagueClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        ok: Iterable[int] = (200, 201, 204),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request, retrying as described in the module docstring; return the response.

        `idempotent` defaults to True for GET/HEAD/PUT/DELETE. A status outside `ok` raises.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
        ok = set(ok)
        last_problem = ""
        for attempt in range(self.retry.attempts):
            if attempt:
                self._sleep(self.retry.delay(attempt - 1))
            try:
                response = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                last_problem = f"cannot connect to {self.base_url} ({type(error).__name__}: {error})"
                continue  # the request never left: safe to retry whatever it was
            except httpx.TransportError as error:
                last_problem = f"connection to {self.base_url} failed ({type(error).__name__}: {error})"
                if idempotent:
                    continue
                raise ServerUnreachable(f"{method} {path}: {last_problem}") from None
            if response.status_code in ok:
                return response
            if response.status_code >= 500:
                last_problem = f"server error {response.status_code}: {self._detail(response)}"
                if idempotent:
                    continue
                raise ServerError(f"{method} {path}: {last_problem}", status_code=response.status_code)
            raise self._client_error(method, path, response)
        if last_problem.startswith("server error"):
            raise ServerError(f"{method} {path}: {last_problem} (after {self.retry.attempts} tries)")
        raise ServerUnreachable(f"{last_problem} (after {self.retry.attempts} tries)")

    @staticmethod
    def _detail(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()[:200] or response.reason_phrase
        if isinstance(body, dict) and "detail" in body:
            return _detail_text(body["detail"])
        return json.dumps(body)[:200]

    def _client_error(self, method: str, path: str, response: httpx.Response) -> LeagueClientError:
        status = response.status_code
        detail = self._detail(response)
        hint = _STATUS_HINTS.get(status)
        message = f"{method} {path}: {status} {detail}" + (f" ({hint})" if hint else "")
        error_type = _STATUS_ERRORS.get(status, RequestRejected)
        return error_type(message, status_code=status, detail=detail)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise IncompatibleServer(
                f"{method} {path}: the answer is not JSON; is {self.base_url} a league server?"
            ) from None

    def _answer(self, parse: Callable[[Any], T], method: str, path: str, **kwargs: Any) -> T:
        """The JSON answer of `method path`, validated by `parse` (a wire model's validator)."""
        body = self._json(method, path, **kwargs)
        try:
            return parse(body)
        except ValidationError as error:
            raise UnexpectedAnswer(
                f"{method} {path}: the answer is not what a league server of this version sends "
                f"({_problems(error)}); is {self.base_url} such a server?",
                endpoint=f"{method} {path}",
            ) from None

    # -- health and compatibility ---------------------------------------------------------------

    def health(self) -> Health:
        """`GET /api/health`: status, database, schema and game version."""
        return self._answer(Health.model_validate, "GET", "/api/health")

    def check_compatible(self, game_version: str | None = None) -> Health:
        """Raise `IncompatibleServer` unless the server rates games of this installation's game version.

        Returns the health answer. `game_version` defaults to `league.hockey.GAME_VERSION`.
        """
        try:
            health = self.health()
        except NotFound:
            raise IncompatibleServer(
                f"{self.base_url} has no /api/health: is it a league server?", status_code=404
            ) from None
        if game_version is None:
            game_version = GAME_VERSION
        if health.game_version != game_version:
            raise IncompatibleServer(
                f"the server at {self.base_url} plays game version {health.game_version}, this worker plays "
                f"{game_version}: install the same version of the league on both machines"
            )
        return health

    # -- match jobs -----------------------------------------------------------------------------

    # The server knows the worker by this client's token (its name is the worker's name): a lease is
    # held by the token that claimed it, and only that token may heartbeat, report or release it.

    def claim_job(self) -> JobAssignment | None:
        """`POST /api/jobs/claim`: lease the next match job to this token, or None when the queue is empty."""
        return self._answer(Claim.model_validate, "POST", "/api/jobs/claim").job

    def heartbeat(self, job_id: int, lease_id: str) -> JobAssignment:
        """`POST /api/jobs/{id}/heartbeat`: extend the lease; `Conflict`/`NotFound` when it is lost."""
        return self._answer(JobAssignment.model_validate, "POST", f"/api/jobs/{job_id}/heartbeat",
                            json={"lease_id": lease_id}, idempotent=True)

    def report_result(self, job_id: int, result: dict[str, Any]) -> ReportOutcome:
        """`POST /api/jobs/{id}/result` (idempotent on the server: a repeat counts once)."""
        return self._answer(ReportOutcome.model_validate, "POST", f"/api/jobs/{job_id}/result", json=result,
                            idempotent=True)

    def release_job(self, job_id: int, lease_id: str) -> MatchSummary:
        """`POST /api/jobs/{id}/release`: give the job back to the queue now (not counted as an attempt)."""
        return self._answer(MatchSummary.model_validate, "POST", f"/api/jobs/{job_id}/release",
                            json={"lease_id": lease_id})

    def claim_jobs(self, count: int) -> list[JobAssignment]:
        """`POST /api/jobs/claim-batch`: lease up to `count` jobs to this token at once (empty when none)."""
        return self._answer(ClaimedJobs.model_validate, "POST", "/api/jobs/claim-batch", json={"count": count}).jobs

    def report_results(self, results: list[dict[str, Any]]) -> BatchOutcome:
        """`POST /api/jobs/results`: several results, each `{"job_id", "lease_id", "games"}`; an outcome per
        job (idempotent on the server per job: a repeat counts once, so the whole post is retried)."""
        return self._answer(BatchOutcome.model_validate, "POST", "/api/jobs/results", json={"results": results},
                            idempotent=True)

    def heartbeats(self, leases: list[tuple[int, str]]) -> BatchOutcome:
        """`POST /api/jobs/heartbeats`: extend several leases; an outcome per job (409/404 for a lost one)."""
        return self._answer(BatchOutcome.model_validate, "POST", "/api/jobs/heartbeats",
                            json={"leases": [{"job_id": j, "lease_id": lease} for j, lease in leases]},
                            idempotent=True)

    # -- opponents ------------------------------------------------------------------------------

    def register_opponent(self, meta: dict[str, Any], weights: bytes | None = None) -> Registered:
        """`POST /api/opponents`: register a snapshot; identical weights return the existing one."""
        files: dict[str, tuple[str | None, str | bytes, str]] = {"meta": (None, json.dumps(meta), "application/json")}
        if weights is not None:
            files["weights"] = ("weights.safetensors", weights, "application/octet-stream")
        return self._answer(Registered.model_validate, "POST", "/api/opponents", files=files, idempotent=True)

    def get_opponent(self, opponent_id: int) -> Opponent:
        """`GET /api/opponents/{id}`: the opponent with its rating and results."""
        return self._answer(Opponent.model_validate, "GET", f"/api/opponents/{opponent_id}")

    def list_opponents(self, **filters: Any) -> Page[SnapshotInfo]:
        """`GET /api/opponents` with filters such as agent, kind, active, limit, offset."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self._answer(_OPPONENT_PAGE.validate_python, "GET", "/api/opponents", params=params)

    def set_opponent_active(self, opponent_id: int, active: bool) -> SnapshotInfo:
        """`PATCH /api/opponents/{id}`: retire (False) or re-activate (True) an opponent (trainer token)."""
        return self._answer(SnapshotInfo.model_validate, "PATCH", f"/api/opponents/{opponent_id}",
                            json={"active": active}, idempotent=True)

    def opponent_weights(self, opponent_id: int) -> bytes:
        """`GET /api/opponents/{id}/weights`: the exact bytes that were registered."""
        return self.request("GET", f"/api/opponents/{opponent_id}/weights").content

    def sample_opponents(self, learner: int | None, n: int = 8,
                         strategy: str = "pfsp_hard") -> list[OpponentChoice]:
        """`GET /api/opponents/sample`: opponents for a trainer's next games."""
        params: dict[str, Any] = {"n": n, "strategy": strategy}
        if learner is not None:
            params["learner"] = learner
        return self._answer(_CHOICES.validate_python, "GET", "/api/opponents/sample", params=params)

    # -- reads for people and progress displays -------------------------------------------------

    def leaderboard(self) -> list[LeaderboardRow]:
        """`GET /api/leaderboard`: rows ranked by mu - 3 sigma."""
        return self._answer(_LEADERBOARD.validate_python, "GET", "/api/leaderboard")

    def job_stats(self) -> JobStats:
        """`GET /api/jobs/stats`: jobs per state and the workers seen lately."""
        return self._answer(JobStats.model_validate, "GET", "/api/jobs/stats")

    def list_matches(self, **filters: Any) -> Page[MatchSummary]:
        """`GET /api/matches` with filters (opponent, state) and pagination (offset, limit)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self._answer(_MATCH_PAGE.validate_python, "GET", "/api/matches", params=params)

    # -- training metrics -----------------------------------------------------------------------

    def post_metrics(self, agent: int | str, metrics: list[dict[str, Any]]) -> MetricsStored:
        """`POST /api/agents/{agent}/metrics`: a batch of `{"step": int, "values": {name: float}}`."""
        path = f"/api/agents/{quote(str(agent), safe='')}/metrics"
        return self._answer(MetricsStored.model_validate, "POST", path, json={"metrics": metrics})

    # -- tokens (admin) -------------------------------------------------------------------------

    def create_token(self, name: str, role: str, user: str = "admin", *, replace: bool = False) -> NewToken:
        """`POST /api/tokens` (admin): a new token of `user`; its `plaintext` is in the answer only. With
        `replace`, the user's active tokens of the same name and role are revoked first."""
        body = {"name": name, "role": role, "user": user} | ({"replace": True} if replace else {})
        return self._answer(NewToken.model_validate, "POST", "/api/tokens", json=body)

    def revoke_token(self, token_id: int) -> TokenInfo:
        """`POST /api/tokens/{id}/revoke` (admin)."""
        path = f"/api/tokens/{token_id}/revoke"
        return self._answer(TokenInfo.model_validate, "POST", path, idempotent=True)
