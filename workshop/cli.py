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

from .config import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .web.connections import ConnectionLimits
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
                            "(default 256)")
    serve.set_defaults(run=_serve, command="serve")

    export = commands.add_parser("export", help="export a session's consensus records")
    export.add_argument("code", help="the session's six-character code")
    export.add_argument("--format", required=True, metavar="FORMAT",
                        help="json, csv, votes.csv (every vote, for audit), xlsx (needs -o), "
                             "md (the SLA-input brief), docx (the brief for Word, needs -o) "
                             "or html (the printable report)")
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
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # One server per SQLite file; PostgreSQL is built for several processes sharing one record.
    lock = None if settings.db_url else _hold_database(settings.db_path)  # noqa: F841 -- held until exit
    app = _open_app(settings)
    _announce(settings, app.state.store.location, app.state.auth.key, port, public_url_given=bool(given_url))
    http = guarded_http(Census(limits), facilitator_check(app.state.auth))
    config = uvicorn.Config(app, http=http, ws=SocketProtocol, ws_max_size=MAX_MESSAGE,
                            ws_per_message_deflate=False, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN)
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
    listener.listen(2048)  # connections made before the server has started wait in the backlog
    return listener


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

    from .web.app import create_app

    try:
        return create_app(settings)
    except (sqlite3.Error, OSError) as error:
        raise CommandError(f"cannot open the database {settings.db_path}: {error}") from None


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


def _announce(settings: Settings, record: str, key: str, port: int, public_url_given: bool = False) -> None:
    base = (settings.public_url or "").rstrip("/")
    print(f"variability-workshop is running. Record: {record}", flush=True)
    print(f"Facilitator (keep this private): {base}/?key={key}", flush=True)
    print(f"Phones join at: {base}/join (or scan this QR code)", flush=True)
    print(join_qr(f"{base}/join", colour=sys.stdout.isatty() and os.name != "nt"), flush=True)
    # An address given with --public-url is the facilitator's choice (a tunnel, a proxy): no warning.
    if not public_url_given and ("://127." in base or "://localhost" in base):
        print("Phones cannot reach this address: pass --public-url http://YOUR-LAN-ADDRESS:PORT", flush=True)
    print(f"Listening on port {port}", flush=True)


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
    from .exports import BINARY_FORMATS, EXPORT_FORMATS, render_export
    from .exports.target import TargetError, check_target
    from .store import open_store
    from .store.store import Store
    from .store.writer import StorageError

    settings = _settings(args)
    if args.format not in EXPORT_FORMATS:
        raise CommandError(f"unknown format {args.format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if args.format in BINARY_FORMATS and args.output is None:
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
    from .web.auth import KEY_SETTING, new_key

    settings = _settings(args)
    if settings.db_url is None and not settings.db_path.is_file():
        # A mistyped path must not create a fresh database with a key nobody's server uses.
        raise CommandError(f"no database at {settings.db_path}")
    store = open_store(settings.db)
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
