"""One router per resource, all under `/api`; `ROUTERS` lists them in the order they are included."""

from api.routers import (
    audit,
    health,
    jobs,
    leaderboard,
    matches,
    metrics,
    opponents,
    remote,
    tokens,
    tournaments,
    users,
)

ROUTERS = [health.router, opponents.router, leaderboard.router, matches.router, jobs.router, metrics.router,
    tokens.router, users.router, audit.router, tournaments.router,
    remote.router]
