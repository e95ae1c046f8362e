"""`GET /api/health`: the server is up, its database answers, and which schema and game it runs."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SessionDep
from api.errors import ErrorBody
from league.core.game import GAME_VERSION
from league.core.schemas import Health

router = APIRouter(prefix="/api", tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": ErrorBody, "description": "The database cannot be reached"}},
)
def health(session: SessionDep):
    """Whether the server and its database are up, the schema revision and the game version."""
    try:
        session.execute(text("SELECT 1"))
        revision = MigrationContext.configure(session.connection()).get_current_revision()
    except SQLAlchemyError as error:
        return JSONResponse(
            status_code=503, content={"detail": f"the database cannot be reached: {type(error).__name__}"}
        )
    return Health(status="ok", database="ok", schema_version=revision, game_version=GAME_VERSION)
