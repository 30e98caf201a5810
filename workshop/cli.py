"""The `workshop` command: a thin layer over the library."""

import argparse
import errno
import faulthandler
import io
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from . import logformat
from .config import Settings
from .startup import START_WAIT

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .web.connections import Census, ConnectionLimits
from .domain.plan_library import PlanLibrary
from .domain.plans import default_plans_dir

MAX_MESSAGE = 64 * 1024
# seconds SIGTERM waits for open requests and sockets before closing them; the writer then drains
# regardless, so no acknowledged vote depends on it, and a stuck connection cannot hold a shutdown
GRACEFUL_SHUTDOWN = 10


class CommandError(Exception):
    """A refusal the command reports as one line on standard error, with no traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except CommandError as error:
        print(f"workshop {args.command}: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workshop", description="Run a customer-introduced variability workshop.")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the server for a meeting")
    serve.add_argument("--db", help="SQLite database file (default: workshop.db here) or a postgresql:// URL")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--plans", type=Path, help="a folder of your own session plans")
    serve.add_argument("--public-url", help="the address phones should use, e.g. http://192.168.1.20:8000")
    serve.add_argument("--key", help="facilitator key (default: WORKSHOP_KEY, else one kept in the database)")
    serve.add_argument("--broker", help="a redis:// URL shared by several processes on one PostgreSQL --db, "
                                        "so each sees the others' live changes (default: WORKSHOP_BROKER)")
    serve.add_argument("--header-timeout", type=float, metavar="SECONDS",
                       help="close a connection whose request head is not complete in time (default 5)")
    serve.add_argument("--max-per-address", type=int, metavar="N",
                       help="open connections from one address before only the facilitator is served "
                            "(default 256; the room size set in a console raises it)")
    serve.add_argument("--trusted-proxies", metavar="ADDRESSES",
                       help="comma-separated addresses or networks of your reverse proxies, whose "
                            "X-Forwarded-For names the client (default: WORKSHOP_TRUSTED_PROXIES, else none)")
    serve.add_argument("--start-wait", type=float, metavar="SECONDS",
                       help="how long to keep trying PostgreSQL and Redis at start before giving up "
                            f"(default: WORKSHOP_START_WAIT, else {START_WAIT:g})")
    serve.add_argument("--key-file", type=Path, metavar="PATH",
                       help="write the facilitator address (with its key) to this file, readable by you "
                            "only, instead of printing it (default: WORKSHOP_KEY_FILE)")
    serve.add_argument("--metrics", metavar="HOST:PORT",
                       help="serve Prometheus metrics at http://HOST:PORT/metrics, a listener of its own that "
                            "needs no key: keep it on a private address (default: WORKSHOP_METRICS, else off)")
    serve.add_argument("--log-format", choices=logformat.FORMATS,
                       help="log lines as text, or as one JSON object each (default: WORKSHOP_LOG_FORMAT, else text)")
    serve.set_defaults(run=_serve, command="serve")

    export = commands.add_parser("export", help="export a session's consensus records")
    export.add_argument("code", help="the session's six-character code")
    export.add_argument("--format", required=True, metavar="FORMAT", help=_formats_help())
    export.add_argument("--db", help="SQLite database file (default: workshop.db here) or a postgresql:// URL")
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(run=_export, command="export")

    rotate = commands.add_parser("rotate-key", help="replace the facilitator key kept in the database")
    rotate.add_argument("--db", help="SQLite database file (default: workshop.db here) or a postgresql:// URL")
    rotate.set_defaults(run=_rotate_key, command="rotate-key")

    plans = commands.add_parser("plans", help="list the session plans and report invalid ones")
    plans.add_argument("--plans", type=Path, help="a folder of your own session plans")
    plans.add_argument("--db", help="the database beside whose `plans` folder saved plans are (without --plans)")
    plans.set_defaults(run=_plans, command="plans")
    return parser


def _formats_help() -> str:
    from .exports import FORMATS

    described = [f"{item.key} ({', '.join(filter(None, (item.about, 'needs -o' if item.binary else '')))})"
                 if item.about or item.binary else item.key for item in FORMATS]
    return f"{', '.join(described[:-1])} or {described[-1]}"


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    plan_dirs = (default_plans_dir(), args.plans) if getattr(args, "plans", None) else None
    return Settings.from_env(db=getattr(args, "db", None), plan_dirs=plan_dirs, **extra)


def _raise_open_file_limit() -> None:
    # Every phone holds a socket: a meeting hall needs more than the usual 1024 descriptors.
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass


def _serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be from 0 to 65535 (got {args.port})")
    limits = _connection_limits(args)
    args.trusted = trusted_proxies(args.trusted_proxies or os.environ.get("WORKSHOP_TRUSTED_PROXIES", ""))
    args.wait = _start_wait(args)
    args.metrics = metrics_address(args.metrics or os.environ.get("WORKSHOP_METRICS", ""))
    args.log_format = _log_format(args.log_format or os.environ.get("WORKSHOP_LOG_FORMAT") or "text")
    args.key_file = args.key_file or (Path(os.environ["WORKSHOP_KEY_FILE"]) if os.environ.get("WORKSHOP_KEY_FILE")
                                      else None)
    _raise_open_file_limit()
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 PID` prints every thread's stack: what a stuck server is doing
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    listener = _listen(args.host, args.port)
    try:
        return _run_server(args, listener, limits)
    finally:
        listener.close()


def _run_server(args: argparse.Namespace, listener: socket.socket, limits: "ConnectionLimits") -> int:
    import uvicorn

    from .web.connections import Census
    from .web.transport import SocketProtocol, facilitator_check, guarded_http

    port = listener.getsockname()[1]
    address = _reachable_address(args.host)
    given_url = args.public_url or os.environ.get("WORKSHOP_PUBLIC_URL")
    settings = _settings(args, key=args.key, public_url=given_url or f"http://{address}:{port}", broker=args.broker)
    if problem := settings.problem():
        raise CommandError(problem)
    logformat.configure(args.log_format)
    # One server per SQLite file; PostgreSQL is built for several processes sharing one record.
    lock = None if settings.db_url else _hold_database(settings.db_path)  # noqa: F841 -- held until exit
    _wait_for_services(settings, args.wait)
    app = _open_app(settings)
    _start_listening(listener)
    census = Census(limits, app.state.rooms.expected_phones)
    _serve_metrics(args.metrics, app, census)
    _announce(settings, app.state.store.location, app.state.auth.key, port, public_url_given=bool(given_url),
              key_file=args.key_file)
    _warn_about_forwarding(args.trusted)
    http = guarded_http(census, facilitator_check(app.state.auth))
    # Forwarded headers are believed only from the listed proxies (uvicorn's default would trust
    # 127.0.0.1, or FORWARDED_ALLOW_IPS): nothing else may name its own client address.
    config = uvicorn.Config(app, http=http, ws=SocketProtocol, ws_max_size=MAX_MESSAGE,
                            ws_per_message_deflate=False, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
                            proxy_headers=bool(args.trusted), forwarded_allow_ips=args.trusted,
                            log_config=None if args.log_format == "json" else uvicorn.config.LOGGING_CONFIG)
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def _connection_limits(args: argparse.Namespace) -> "ConnectionLimits":
    from .web.connections import ConnectionLimits

    try:
        limits = ConnectionLimits.from_env(header_timeout=args.header_timeout, per_address=args.max_per_address)
    except ValueError as error:
        raise CommandError(f"a WORKSHOP_* connection setting is not a number: {error}") from None
    if problem := limits.problem():
        raise CommandError(problem)
    return limits


def trusted_proxies(value: str) -> list[str]:
    """The addresses and networks in a comma-separated list, or CommandError naming the first bad one."""
    import ipaddress

    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        if entry == "*":
            raise CommandError("--trusted-proxies '*' would let any client name its own address; "
                               "list your proxies' addresses or networks (e.g. 10.0.0.0/8)")
        try:
            ipaddress.ip_network(entry, strict=False) if "/" in entry else ipaddress.ip_address(entry)
        except ValueError:
            raise CommandError(f"--trusted-proxies: {entry!r} is not an IP address or network") from None
    return entries


def metrics_address(value: str) -> tuple[str, int] | None:
    """HOST:PORT (or [IPv6]:PORT) for the metrics listener, None for none, or CommandError."""
    if not value:
        return None
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CommandError(f"--metrics must be HOST:PORT, e.g. 127.0.0.1:9100 (got {value!r})")
    return host.strip("[]"), int(port)


def _log_format(value: str) -> str:
    if value not in logformat.FORMATS:
        raise CommandError(f"WORKSHOP_LOG_FORMAT must be one of {', '.join(logformat.FORMATS)} (got {value!r})")
    return value


def _serve_metrics(address: tuple[str, int] | None, app: "Starlette", census: "Census") -> None:
    from .web.metrics import serve_metrics

    if address is None:
        return
    try:
        port = serve_metrics(address[0], address[1], app.state, census)
    except OSError as error:
        raise CommandError(f"cannot serve metrics on {address[0]} port {address[1]}: "
                           f"{error.strerror or error}") from None
    print(f"Metrics on http://{address[0]}:{port}/metrics", flush=True)


def _start_wait(args: argparse.Namespace) -> float:
    given = args.start_wait if args.start_wait is not None else os.environ.get("WORKSHOP_START_WAIT")
    try:
        wait = float(given) if given is not None and given != "" else START_WAIT
    except ValueError:
        raise CommandError(f"WORKSHOP_START_WAIT must be a number of seconds (got {given!r})") from None
    if not wait >= 0:
        raise CommandError(f"--start-wait must be 0 seconds or more (got {wait:g})")
    return wait


def _warn_about_forwarding(trusted: list[str]) -> None:
    if os.environ.get("FORWARDED_ALLOW_IPS") and not trusted:
        logging.getLogger("workshop").warning(
            "FORWARDED_ALLOW_IPS is not read: set WORKSHOP_TRUSTED_PROXIES (or --trusted-proxies) to your "
            "proxy's address; until then every client is counted by the address it connects from")
    elif trusted:
        logging.getLogger("workshop").info("client addresses are taken from X-Forwarded-For when the request "
                                           "comes from %s", ", ".join(trusted))


def _wait_for_services(settings: Settings, seconds: float) -> None:
    from .startup import ServiceUnavailable, wait_for_postgres, wait_for_redis

    try:
        if settings.db_url:
            wait_for_postgres(settings.db_url, seconds)
        if settings.broker:
            wait_for_redis(settings.broker, seconds)
    except ServiceUnavailable as error:
        raise CommandError(str(error)) from None


def _listen(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise CommandError(f"port {port} is already in use on {host}; pass another --port") from None
        raise CommandError(f"cannot listen on {host} port {port}: {error.strerror or error}") from None
    # Bound only: until the record is open (which may mean waiting for PostgreSQL), connections are
    # refused, so a balancer moves on to another process instead of queueing phones behind this one.
    return listener


def _start_listening(listener: socket.socket) -> None:
    try:
        listener.listen(2048)  # connections made before uvicorn has started wait in the backlog
    except OSError as error:
        port = listener.getsockname()[1]
        raise CommandError(f"cannot listen on port {port}: {error.strerror or error}") from None


def _hold_database(db_path: Path) -> BinaryIO | None:
    from .store.lock import DatabaseInUse, hold_database

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
    import sqlite3

    from .store.schema import SchemaTooNew
    from .web.app import create_app

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


def _reachable_address(host: str) -> str:
    """The address phones on the same network can use to reach this machine."""
    if host not in ("0.0.0.0", "::", ""):
        return host
    return _routed_address() or _named_address() or "127.0.0.1"


def _routed_address() -> str | None:
    # Connecting a UDP socket sends nothing; it only asks the OS which local address it would route
    # from. 192.0.2.1 is a documentation address (TEST-NET-1) that no one answers.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith(("127.", "0.")) else address


def _named_address() -> str | None:
    try:
        candidates = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return None
    addresses = [str(sockaddr[0]) for *_, sockaddr in candidates]
    return next((address for address in addresses if not address.startswith("127.")), None)


def _announce(settings: Settings, record: str, key: str, port: int, public_url_given: bool = False,
              key_file: Path | None = None) -> None:
    base = (settings.public_url or "").rstrip("/")
    print(f"variability-workshop is running. Record: {record}", flush=True)
    if key_file is None:
        print(f"Facilitator (keep this private): {base}/?key={key}", flush=True)
    else:
        _write_key_file(key_file, f"{base}/?key={key}\n")
        print(f"Facilitator address (with its key) written to {key_file}, readable by its owner only", flush=True)
    print(f"Phones join at: {base}/join (or scan this QR code)", flush=True)
    print(join_qr(f"{base}/join", colour=sys.stdout.isatty() and os.name != "nt"), flush=True)
    # An address given with --public-url is the facilitator's choice (a tunnel, a proxy): no warning.
    if not public_url_given and ("://127." in base or "://localhost" in base):
        print("Phones cannot reach this address: pass --public-url http://YOUR-LAN-ADDRESS:PORT", flush=True)
    print(f"Listening on port {port}", flush=True)


def _write_key_file(path: Path, text: str) -> None:
    # Created 0600; an existing file is narrowed to 0600 before the key goes in.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
    except OSError as error:
        raise CommandError(f"cannot write the key file {path}: {error.strerror or error}") from None


def join_qr(url: str, colour: bool = False) -> str:
    """A QR code for `url` as text, two modules per line (half blocks), with its quiet zone.

    The light modules are the printed blocks, so the code reads right on a dark terminal; with
    `colour` each line is drawn white on black, so it also scans on a light-themed terminal.
    """
    import segno

    buffer = io.StringIO()
    segno.make(url, error="m").terminal(out=buffer, compact=True)
    lines = buffer.getvalue().rstrip("\n").split("\n")
    if colour:
        lines = [f"\x1b[97;40m{line}\x1b[0m" for line in lines]
    return "\n".join(lines)


def _export(args: argparse.Namespace) -> int:
    from .domain.refusal import Refusal
    from .exports import EXPORT_FORMATS, render_export
    from .exports.formats import BY_KEY
    from .exports.target import TargetError, check_target
    from .store import open_store
    from .store.store import Store
    from .store.writer import StorageError

    settings = _settings(args)
    if args.format not in EXPORT_FORMATS:
        raise CommandError(f"unknown format {args.format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if BY_KEY[args.format].binary and args.output is None:
        raise CommandError(f"{args.format} is a binary format; write it to a file with -o FILE")
    if settings.db_url is None and not settings.db_path.is_file():
        raise CommandError(f"no database at {settings.db_path}")
    try:
        target = check_target(args.output, settings.db_path) if args.output else None
    except TargetError as error:
        raise CommandError(str(error)) from None
    try:
        # An export changes nothing, not even the schema.
        store = open_store(settings.db_url) if settings.db_url else Store.open_read_only(settings.db_path)
    except (StorageError, sqlite3.Error) as error:
        raise CommandError(f"cannot read {settings.db}: {error}") from None
    try:
        body, _ = render_export(store, args.code, args.format)
    except Refusal:
        raise CommandError(f"no session with code {args.code!r} in {store.location}") from None
    except sqlite3.Error as error:
        raise CommandError(f"cannot read {settings.db_path}: {error}") from None
    finally:
        store.close()
    _write_export(body.encode("utf-8") if isinstance(body, str) else body, target)
    return 0


def _write_export(data: bytes, target: Path | None) -> None:
    from .exports.target import write_target

    try:
        if target is not None:
            write_target(target, data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    except OSError as error:
        if target is None:
            # Standard output is broken; point it elsewhere so the exit does not fail on it again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise CommandError(f"cannot write {target or 'standard output'}: {error.strerror or error}") from None


def _rotate_key(args: argparse.Namespace) -> int:
    from .store import open_store
    from .store.schema import SchemaTooNew
    from .web.auth import KEY_SETTING, new_key

    settings = _settings(args)
    if settings.db_url is None and not settings.db_path.is_file():
        # A mistyped path must not create a fresh database with a key nobody's server uses.
        raise CommandError(f"no database at {settings.db_path}")
    try:
        store = open_store(settings.db)
    except SchemaTooNew as error:
        raise CommandError(str(error)) from None
    store.start()
    key = new_key()
    try:
        store.set_setting(KEY_SETTING, key).result()
    finally:
        store.close()
    print(f"New facilitator key: {key}")
    print("Open the facilitator URL with ?key=NEW_KEY; browsers holding the old key are signed out.")
    if settings.key:
        print("Note: WORKSHOP_KEY is set, and a server started with it uses that key instead.", file=sys.stderr)
    return 0


def _plans(args: argparse.Namespace) -> int:
    settings = _settings(args)
    # The plans the server offers: the shipped ones and the folder the plans page saves into.
    plans, errors = PlanLibrary(settings.plan_dirs, settings.own_plans_dir).plans()
    for plan in plans.values():
        print(f"{plan.id}\t{plan.title}\t{len(plan.steps)} steps, {len(plan.questions)} questions")
    for error in errors:
        print(f"invalid: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
