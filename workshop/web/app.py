"""The application, assembled in one factory from an explicit routes table."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..config import Settings
from ..domain.plan_library import PlanLibrary
from ..live.broker import Broker
from ..live.collector import Churn, keep_frozen
from ..live.rooms import Rooms
from ..resources import TEMPLATES, shipped
from ..store import open_store
from ..vocabulary import vocabulary
from . import api, health, pages, plans_api, plans_pages, signin, sockets
from .auth import FacilitatorAuth, cookie_name, key_source, server_identity, sign_out_on_rotation
from .errors import EXCEPTION_HANDLERS
from .guard import FacilitatorGuard
from .headers import SecurityHeaders
from .limits import MessageLimits, join_limit, wrong_code_limit

log = logging.getLogger("workshop")


def public_routes() -> list[BaseRoute]:
    """What anyone on the network may reach: the phone's pages and socket, and the static files."""
    return [
        Route("/healthz", health.alive),
        Route("/readyz", health.ready),
        Route("/join", pages.join_form),
        Route("/login", signin.login, methods=["POST"]),
        Route("/j/{code}", pages.phone),
        Route("/j/{code}/qr.svg", pages.join_qr),
        WebSocketRoute("/ws/{code}", sockets.participant_socket),
        Mount("/static", StaticFiles(directory=shipped("static")), name="static"),
    ]


def facilitator_routes() -> list[BaseRoute]:
    """Everything else: the facilitator's pages, API and sockets, all behind the facilitator guard."""
    return [
        Route("/", pages.home),
        Route("/s/{code}/facilitate", pages.console),
        Route("/s/{code}/present", pages.present),
        Route("/s/{code}/report", pages.report),
        Route("/plans", plans_pages.plans_page),
        Route("/plans/{plan_id}/edit", plans_pages.editor_page),
        Route("/api/plans", plans_api.list_plans, methods=["GET"]),
        Route("/api/plans", plans_api.create_plan, methods=["POST"]),
        # Before the plan routes: a plan's id holds no ".", so no plan is hidden by it.
        Route("/api/plans/schema.json", plans_api.schema, methods=["GET"]),
        Route("/api/plans/{plan_id}.toml", plans_api.download_plan, methods=["GET"]),
        Route("/api/plans/{plan_id}", plans_api.get_plan, methods=["GET"]),
        Route("/api/plans/{plan_id}", plans_api.put_plan, methods=["PUT"]),
        Route("/api/plans/{plan_id}", plans_api.delete_plan, methods=["DELETE"]),
        Route("/api/plans/{plan_id}/check", plans_api.check_plan, methods=["POST"]),
        Route("/api/sessions", api.list_sessions, methods=["GET"]),
        Route("/api/sessions", api.create_session, methods=["POST"]),
        Route("/api/sessions/{code}", api.get_session),
        Route("/api/sessions/{code}/commands", api.run_command, methods=["POST"]),
        Route("/api/sessions/{code}/people", api.find_people_in_room),
        Route("/api/sessions/{code}/results/{qid}", api.get_results),
        Route("/api/sessions/{code}/consensus", api.get_consensus),
        Route("/api/sessions/{code}/consensus/{kind}", api.put_consensus, methods=["PUT"]),
        Route("/api/sessions/{code}/consensus/{kind}/check", api.check_consensus, methods=["POST"]),
        Route("/api/sessions/{code}/export.{fmt}", api.export),
        WebSocketRoute("/ws/{code}/control", sockets.control_socket),
        WebSocketRoute("/ws/{code}/present", sockets.present_socket),
    ]


def routes() -> list[BaseRoute]:
    # The guarded mount comes last and matches every other path, so a route added to
    # `facilitator_routes` is protected without anything else to remember.
    return [*public_routes(), Mount("", routes=facilitator_routes(), middleware=[Middleware(FacilitatorGuard)])]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Start the writer, the broker and the chores; stop them in reverse when the server stops."""
    store, broker = app.state.store, app.state.broker
    app.state.loop = asyncio.get_running_loop()  # where a metrics scrape reads the live figures
    store.start()
    if broker is not None:
        await broker.start()
    app.state.rooms.resume_countdowns()
    chores = [asyncio.create_task(keep_frozen(app.state.churn)),
              asyncio.create_task(sign_out_on_rotation(app.state.auth, app.state.rooms))]
    try:
        yield
    finally:
        for chore in chores:
            chore.cancel()
        app.state.rooms.stop_countdowns()
        if broker is not None:
            await broker.close()
        store.close()
        log.info("the writer has drained and the record %s is closed", store.location)


def create_app(settings: Settings) -> Starlette:
    """Build the app for one database; the writer runs for the app's lifespan."""
    if problem := settings.problem():
        raise ValueError(problem)
    store = open_store(settings.db)
    broker = Broker(settings.broker) if settings.broker else None
    plan_library = PlanLibrary(settings.plan_dirs, settings.own_plans_dir)
    plans, plan_errors = plan_library.plans()
    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.settings = settings
    app.state.auth = FacilitatorAuth(key_source(store, settings.key), cookie_name(server_identity(store)),
                                     store=None if settings.key else store)
    app.state.store = store
    app.state.broker = broker
    app.state.rooms = Rooms(store, broker)
    app.state.signin_tokens = signin.SignInTokens(store)
    app.state.join_limit = join_limit(broker)
    app.state.message_limits = MessageLimits(broker)
    app.state.wrong_codes = wrong_code_limit(broker)
    app.state.plan_library = plan_library
    app.state.churn = Churn()  # sockets opened and closed, for the collector's sweeps
    app.state.plans = plans
    app.state.plan_errors = plan_errors
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    app.state.templates.env.globals["vocabulary"] = vocabulary()  # every page hands it to its scripts
    return app
