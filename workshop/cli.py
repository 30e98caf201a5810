"""The `workshop` command: a thin layer over the library."""

import argparse
import io
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import Settings
from .domain.plans import default_plans_dir, discover_plans

MAX_MESSAGE = 64 * 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workshop", description="Run a customer-introduced variability workshop.")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the server for a meeting")
    serve.add_argument("--db", type=Path, help="SQLite database file (default: workshop.db here)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--plans", type=Path, help="a folder of your own session plans")
    serve.add_argument("--public-url", help="the address phones should use, e.g. http://192.168.1.20:8000")
    serve.add_argument("--key", help="facilitator key (default: WORKSHOP_KEY, else one kept in the database)")
    serve.set_defaults(run=_serve)

    export = commands.add_parser("export", help="export a session's consensus records")
    export.add_argument("code", help="the session's six-character code")
    export.add_argument("--format", required=True, metavar="FORMAT",
                        help="json, csv, votes.csv (every vote, for audit), xlsx (needs -o), "
                             "md (the SLA-input brief) or html (the printable report)")
    export.add_argument("--db", type=Path, help="SQLite database file (default: workshop.db here)")
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(run=_export)

    rotate = commands.add_parser("rotate-key", help="replace the facilitator key kept in the database")
    rotate.add_argument("--db", type=Path, help="SQLite database file (default: workshop.db here)")
    rotate.set_defaults(run=_rotate_key)

    plans = commands.add_parser("plans", help="list the session plans and report invalid ones")
    plans.add_argument("--plans", type=Path, help="a folder of your own session plans")
    plans.set_defaults(run=_plans)
    return parser


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    plan_dirs = (default_plans_dir(), args.plans) if getattr(args, "plans", None) else None
    return Settings.from_env(db_path=getattr(args, "db", None), plan_dirs=plan_dirs, **extra)


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
    import uvicorn

    _raise_open_file_limit()

    from .web.app import create_app
    from .web.transport import SocketProtocol

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(2048)  # connections made before the server has started wait in the backlog
    port = listener.getsockname()[1]
    address = _reachable_address(args.host)
    given_url = args.public_url or os.environ.get("WORKSHOP_PUBLIC_URL")
    settings = _settings(args, key=args.key, public_url=given_url or f"http://{address}:{port}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_app(settings)
    _announce(settings, app.state.auth.key, port, public_url_given=bool(given_url))
    config = uvicorn.Config(app, ws=SocketProtocol, ws_max_size=MAX_MESSAGE,
                            ws_per_message_deflate=False, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])
    return 0


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
    return next((sockaddr[0] for *_, sockaddr in candidates if not sockaddr[0].startswith("127.")), None)


def _announce(settings: Settings, key: str, port: int, public_url_given: bool = False) -> None:
    base = settings.public_url.rstrip("/")
    print(f"variability-workshop is running. Record: {settings.db_path.resolve()}", flush=True)
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
    from .store.store import Store

    settings = _settings(args)
    if args.format not in EXPORT_FORMATS:
        print(f"workshop export: unknown format {args.format!r}; use one of {', '.join(EXPORT_FORMATS)}",
              file=sys.stderr)
        return 2
    if args.format in BINARY_FORMATS and args.output is None:
        print(f"workshop export: {args.format} is a binary format; write it to a file with -o FILE",
              file=sys.stderr)
        return 2
    if not settings.db_path.exists():
        print(f"workshop export: no database at {settings.db_path}", file=sys.stderr)
        return 2
    store = Store.open_read_only(settings.db_path)  # an export changes nothing, not even the schema
    try:
        body, _ = render_export(store, args.code, args.format)
    except Refusal:
        print(f"workshop export: no session with code {args.code!r} in {settings.db_path}", file=sys.stderr)
        return 2
    finally:
        store.close()
    data = body.encode("utf-8") if isinstance(body, str) else body
    if args.output:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _rotate_key(args: argparse.Namespace) -> int:
    from .store.store import Store
    from .web.auth import KEY_SETTING, new_key

    settings = _settings(args)
    store = Store(settings.db_path)
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
    plans, errors = discover_plans(settings.plan_dirs)
    for plan in plans.values():
        print(f"{plan.id}\t{plan.title}\t{len(plan.steps)} steps, {len(plan.questions)} questions")
    for error in errors:
        print(f"invalid: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
