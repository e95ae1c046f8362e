"""One router per resource, all under `/api`; `ROUTERS` lists them in the order they are included."""

from api.routers import health, leaderboard, opponents

ROUTERS = [health.router, opponents.router, leaderboard.router]
