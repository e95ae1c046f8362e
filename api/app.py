"""The league server's application factory: `create_app(settings) -> FastAPI`.

Creating the app upgrades the database schema (and seeds the built-in opponents) unless told not
to (`league serve --workers N` upgrades once, before it starts the workers), opens one engine for
the process (on PostgreSQL, while it serves, it hears the writes of other server processes and its
cached reads follow them: `league.core.change_notices`), installs the JSON error handlers, gzips
answers over 1 KiB for clients that accept it (weights excepted), and includes one router per
resource under `/api`, plus the dashboard's pages, `/static` when those are present, and the API
documentation at `/docs` (Swagger UI served from `/static`, so it works offline).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from api.assets import STATIC_DIR
from api.audit import AuditWrites
from api.body_limit import BodyLimitMiddleware, body_limits
from api.docs import install_docs
from api.errors import install_error_handlers, patch_openapi_errors
from api.pages import router as pages_router
from api.rate_limit import TokenBuckets
from api.read_cache import InvalidateOnWrite, ReadCache
from api.read_limit import ReadLimiter
from api.routers import ROUTERS
from api.routers.health import HealthProbe
from api.routers.opponents import document_kinds
from api.write_gate import WriteGate
from league.core.change_notices import ChangeNotices, supports_notices
from league.core.db import make_engine, make_sessionmaker
from league.core.errors import LeagueError
from league.core.game import GAME_VERSION
from league.core.migrate import upgrade
from league.core.settings import Settings
from league.core.tokens import register_bootstrap

GZIP_MINIMUM_BYTES = 1024  # smaller answers are sent as they are
# Weights are random-looking floats: compressing them costs CPU and saves little.
GZIP_SKIPPED_TYPES = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream")

DESCRIPTION = """\
The hockey league's REST API: register opponents (safetensors weights), fetch them, rate their
games with TrueSkill, and hand match jobs to workers. Reads are public; every write needs a bearer
token of the right role (admin, trainer, worker). Every error is JSON: `{"detail": "message"}`.
"""


def create_app(settings: Settings | None = None, *, upgrade_schema: bool = True) -> FastAPI:
    """The FastAPI app over the database `settings` names (default: from `LEAGUE_*` variables)."""
    settings = settings or Settings()
    database_url = settings.resolved_database_url()
    if upgrade_schema:
        upgrade(database_url)
    engine = make_engine(database_url)
    read_cache = ReadCache(ttl_s=settings.read_cache_ttl_s)
    notices = (ChangeNotices(engine, on_change=read_cache.bump, on_listening=read_cache.set_listening)
               if supports_notices(engine) else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if notices is not None:  # with the server, so an app that is only built starts no thread
            notices.start()
        yield
        if notices is not None:
            notices.stop()
        engine.dispose()

    app = FastAPI(title="Hockey league", version=GAME_VERSION, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # /docs is served from static/ (install_docs)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    with app.state.sessionmaker() as session:  # listed, and revocable, like any token (league.core.tokens)
        register_bootstrap(session, settings.admin_token)
    app.state.read_cache = read_cache
    install_error_handlers(app, LeagueError)
    app.state.health_probe = HealthProbe(app.state.sessionmaker)
    # Outermost last: gzip, then public reads take turns, then writes are authenticated and
    # rate-limited before their bodies are read, then each route's body cap, then the cache's
    # invalidation by successful writes.
    app.add_middleware(AuditWrites, sessions=app.state.sessionmaker)  # innermost: sees each route's answer
    app.add_middleware(InvalidateOnWrite, cache=read_cache, announce=notices.announce if notices else None)
    app.add_middleware(BodyLimitMiddleware, limits=body_limits(settings))
    app.add_middleware(WriteGate, sessions=app.state.sessionmaker, admin_token=settings.admin_token,
                       buckets=TokenBuckets(settings.write_rate_per_s, settings.write_burst))
    app.add_middleware(ReadLimiter, concurrency=settings.read_concurrency, queue=settings.read_queue)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6,
                       exclude_content_types=GZIP_SKIPPED_TYPES)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(pages_router)
    install_docs(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
    """Serve an OpenAPI document whose error bodies are the ones the handlers send (and that names the
    kinds of the registry as it is when the document is first asked for)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = document_kinds(patch_openapi_errors(schema))
        return app.openapi_schema

    app.openapi = openapi
