"""`workshop serve`: bind the port, wait for the services, open the app and run uvicorn on the socket."""

import faulthandler
import logging
import os
import signal
import socket
import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .. import logformat
from ..config import Settings
from ..errors import CommandError
from ..protocol import MAX_MESSAGE
from .announce import announce
from .connections import Census, ConnectionLimits
from .listen import bind, raise_open_file_limit, reachable_address, start_listening
from .options import ServeOptions, connection_limits

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

# seconds SIGTERM waits for open requests and sockets before closing them; the writer then drains
# regardless, so no acknowledged vote depends on it, and a stuck connection cannot hold a shutdown
GRACEFUL_SHUTDOWN = 10
log = logging.getLogger("workshop")


def serve(flags: Mapping[str, object]) -> int:
    """Run the server the command's flags (and WORKSHOP_* variables) describe until it is stopped."""
    options = ServeOptions.from_flags(flags)
    limits = connection_limits(flags)
    raise_open_file_limit()
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID` prints every thread's stack: what a stuck server is doing
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    listener = bind(options.host, options.port)
    try:
        return _run(flags, options, listener, limits)
    finally:
        listener.close()


def _run(flags: Mapping[str, object], options: ServeOptions, listener: socket.socket,
         limits: ConnectionLimits) -> int:
    import uvicorn

    port = listener.getsockname()[1]
    settings = Settings.from_flags(flags)
    public_url_given = settings.public_url is not None
    if not public_url_given:
        settings = replace(settings, public_url=f"http://{reachable_address(options.host)}:{port}")
    if problem := settings.problem():
        raise CommandError(problem)
    logformat.configure(options.log_format)
    # One server per SQLite file; PostgreSQL is built for several processes sharing one record.
    lock = None if settings.db_url else _hold_database(settings.db_path)  # noqa: F841 -- held until exit
    _wait_for_services(settings, options.start_wait)
    app = _open_app(settings)
    start_listening(listener)
    census = Census(limits, app.state.rooms.expected_phones)
    _serve_metrics(options.metrics, app, census)
    announce(settings, app.state.store.location, app.state.auth.key, port, public_url_given=public_url_given,
             key_file=options.key_file)
    _warn_about_forwarding(options.trusted_proxies)
    uvicorn.Server(uvicorn_config(app, census, options)).run(sockets=[listener])
    return 0


def uvicorn_config(app: "Starlette", census: Census, options: ServeOptions) -> "uvicorn.Config":
    """uvicorn's settings for the app: the guarded HTTP and socket protocols, and whom to believe."""
    import uvicorn

    from .transport import SocketProtocol, facilitator_check, guarded_http

    http = guarded_http(census, facilitator_check(app.state.auth))
    trusted = list(options.trusted_proxies)
    # Forwarded headers are believed only from the listed proxies (uvicorn's default would trust
    # 127.0.0.1, or FORWARDED_ALLOW_IPS): nothing else may name its own client address.
    return uvicorn.Config(app, http=http, ws=SocketProtocol, ws_max_size=MAX_MESSAGE,
                          ws_per_message_deflate=False, log_level="warning", lifespan="on",
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
                          proxy_headers=bool(trusted), forwarded_allow_ips=trusted,
                          log_config=None if options.log_format == "json" else uvicorn.config.LOGGING_CONFIG)


def _serve_metrics(address: tuple[str, int] | None, app: "Starlette", census: Census) -> None:
    from .metrics import serve_metrics

    if address is None:
        return
    try:
        port = serve_metrics(address[0], address[1], app.state, census)
    except OSError as error:
        raise CommandError(f"cannot serve metrics on {address[0]} port {address[1]}: "
                           f"{error.strerror or error}") from None
    print(f"Metrics on http://{address[0]}:{port}/metrics", flush=True)


def _warn_about_forwarding(trusted: tuple[str, ...]) -> None:
    if os.environ.get("FORWARDED_ALLOW_IPS") and not trusted:  # uvicorn's variable, which is not read here
        log.warning("FORWARDED_ALLOW_IPS is not read: set WORKSHOP_TRUSTED_PROXIES (or --trusted-proxies) to "
                    "your proxy's address; until then every client is counted by the address it connects from")
    elif trusted:
        log.info("client addresses are taken from X-Forwarded-For when the request comes from %s", ", ".join(trusted))


def _wait_for_services(settings: Settings, seconds: float) -> None:
    from .startup import ServiceUnavailable, wait_for_postgres, wait_for_redis

    try:
        if settings.db_url:
            wait_for_postgres(settings.db_url, seconds)
        if settings.broker:
            wait_for_redis(settings.broker, seconds)
    except ServiceUnavailable as error:
        raise CommandError(str(error)) from None


def _hold_database(db_path: Path) -> BinaryIO | None:
    from ..store.lock import DatabaseInUse, hold_database

    if not db_path.parent.is_dir():
        raise CommandError(f"folder {db_path.parent} for the database does not exist")
    try:
        return hold_database(db_path)
    except DatabaseInUse as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write in {db_path.parent} (the database's folder): "
                           f"{error.strerror or error}") from None


def _open_app(settings: Settings) -> "Starlette":
    from ..store.schema import SchemaTooNew
    from ..web.app import create_app

    try:
        return create_app(settings)
    except SchemaTooNew as error:
        raise CommandError(str(error)) from None
    except (sqlite3.Error, OSError) as error:
        raise CommandError(f"cannot open the database {settings.db_path}: {error}") from None
    except Exception as error:
        if settings.db_url is None or type(error).__module__.split(".")[0] != "psycopg":
            raise
        raise CommandError(_postgres_problem(settings.db_url, error)) from None


def _postgres_problem(url: str, error: Exception) -> str:
    """One line for a PostgreSQL error at start (migrations, the key), with what to do for the usual one."""
    from .startup import first_line, masked

    where = masked(url)
    if getattr(error, "sqlstate", None) == "42501":  # insufficient_privilege, e.g. CREATE in schema public
        return (f"the database role cannot create the tables in {where}: {first_line(error)}; make the role "
                "the database's owner or GRANT CREATE ON SCHEMA public to it (README, 'Running past one machine')")
    return f"cannot prepare the database {where}: {first_line(error)}"
