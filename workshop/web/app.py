"""The application, assembled in one factory from an explicit routes table."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..config import Settings
from ..domain.plans import discover_plans
from ..live.collector import keep_frozen
from ..live.room import Rooms
from ..resources import TEMPLATES, shipped
from ..store import open_store
from ..store.errors import StorageError
from . import api, health, pages, sockets
from .auth import FacilitatorAuth, key_source
from .errors import ApiError, api_error_handler
from .headers import SecurityHeaders
from .limits import JoinLimit

log = logging.getLogger("workshop")


def routes() -> list:
    return [
        Route("/healthz", health.alive),
        Route("/readyz", health.ready),
        Route("/", pages.home),
        Route("/join", pages.join_form),
        Route("/j/{code}", pages.phone),
        Route("/j/{code}/qr.svg", pages.join_qr),
        Route("/s/{code}/facilitate", pages.console),
        Route("/s/{code}/present", pages.present),
        Route("/s/{code}/report", pages.report),
        Route("/api/plans", api.list_plans),
        Route("/api/sessions", api.list_sessions, methods=["GET"]),
        Route("/api/sessions", api.create_session, methods=["POST"]),
        Route("/api/sessions/{code}", api.get_session),
        Route("/api/sessions/{code}/commands", api.run_command, methods=["POST"]),
        Route("/api/sessions/{code}/results/{qid}", api.get_results),
        Route("/api/sessions/{code}/consensus", api.get_consensus),
        Route("/api/sessions/{code}/consensus/{kind}", api.put_consensus, methods=["PUT"]),
        Route("/api/sessions/{code}/export.{fmt}", api.export),
        WebSocketRoute("/ws/{code}", sockets.participant_socket),
        WebSocketRoute("/ws/{code}/control", sockets.control_socket),
        Mount("/static", StaticFiles(directory=shipped("static")), name="static"),
    ]


async def storage_failed(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"error": "unavailable", "message": f"{error}; nothing was recorded"}, status_code=503)


async def not_found(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"error": "not_found", "message": f"nothing at {request.url.path}"}, status_code=404)


async def method_not_allowed(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"error": "method_not_allowed",
                         "message": f"{request.method} is not allowed on {request.url.path}"}, status_code=405)


def create_app(settings: Settings) -> Starlette:
    """Build the app for one database; the writer runs for the app's lifespan."""
    store = open_store(settings.db)
    plans, plan_errors = discover_plans(settings.plan_dirs)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store.start()
        freezer = asyncio.create_task(keep_frozen())
        try:
            yield
        finally:
            freezer.cancel()
            store.close()
            log.info("the writer has drained and the record %s is closed", store.location)

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={ApiError: api_error_handler, StorageError: storage_failed,
                            404: not_found, 405: method_not_allowed},
    )
    app.state.settings = settings
    app.state.auth = FacilitatorAuth(key_source(store, settings.key))
    app.state.store = store
    app.state.rooms = Rooms(store)
    app.state.join_limit = JoinLimit()
    app.state.plans = plans
    app.state.plan_errors = plan_errors
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    return app
