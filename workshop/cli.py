"""The `workshop` command: a thin layer over the library.

Each command's flags come from the table of settings (config.SETTINGS) and, for `export`, the table
of formats (exports.formats.FORMATS); `serve` hands its flags to workshop.serve.
"""

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .config import SETTINGS, Settings
from .domain.plan_library import PlanLibrary
from .errors import CommandError

__all__ = ["CommandError", "main"]


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
    _command(commands, "serve", "run the server for a meeting", _serve)
    export = _command(commands, "export", "export a session's consensus records", _export)
    export.add_argument("code", help="the session's six-character code")
    export.add_argument("--format", required=True, metavar="FORMAT", help=_formats_help())
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    _command(commands, "rotate-key", "replace the facilitator key kept in the database", _rotate_key)
    _command(commands, "plans", "list the session plans and report invalid ones", _plans)
    return parser


def _command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", name: str, about: str,
             run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A command with the flags the table of settings gives it."""
    command = commands.add_parser(name, help=about)
    for setting in SETTINGS:
        if setting.flag and name in setting.commands:
            typed: dict[str, Any] = {"type": setting.flag_type} if setting.flag_type else {}
            command.add_argument(setting.flag, dest=setting.name, metavar=setting.metavar, choices=setting.choices,
                                 help=setting.command_help.get(name, setting.help), **typed)
    command.set_defaults(run=run, command=name)
    return command


def _formats_help() -> str:
    from .exports import FORMATS

    described = [f"{item.key} ({', '.join(filter(None, (item.about, 'needs -o' if item.binary else '')))})"
                 if item.about or item.binary else item.key for item in FORMATS]
    return f"{', '.join(described[:-1])} or {described[-1]}"


def _serve(args: argparse.Namespace) -> int:
    from .serve.server import serve

    return serve(vars(args))


def _export(args: argparse.Namespace) -> int:
    from .exports.formats import BY_KEY
    from .exports.target import TargetError, check_target

    settings = Settings.from_flags(vars(args))
    if args.format not in BY_KEY:
        raise CommandError(f"unknown format {args.format!r}; use one of {', '.join(BY_KEY)}")
    if BY_KEY[args.format].binary and args.output is None:
        raise CommandError(f"{args.format} is a binary format; write it to a file with -o FILE")
    if settings.db_url is None and not settings.db_path.is_file():
        raise CommandError(f"no database at {settings.db_path}")
    try:
        target = check_target(args.output, settings.db_path) if args.output else None
    except TargetError as error:
        raise CommandError(str(error)) from None
    body = _render(settings, args.code, args.format)
    _write_export(body.encode("utf-8") if isinstance(body, str) else body, target)
    return 0


def _render(settings: Settings, code: str, fmt: str) -> str | bytes:
    from .domain.refusal import Refusal
    from .exports import render_export
    from .store import open_store
    from .store.store import Store
    from .store.writer import StorageError

    try:
        # An export changes nothing, not even the schema.
        store = open_store(settings.db_url) if settings.db_url else Store.open_read_only(settings.db_path)
    except (StorageError, sqlite3.Error) as error:
        raise CommandError(f"cannot read {settings.db}: {error}") from None
    try:
        return render_export(store, code, fmt)[0]
    except Refusal:
        raise CommandError(f"no session with code {code!r} in {store.location}") from None
    except sqlite3.Error as error:
        raise CommandError(f"cannot read {settings.db_path}: {error}") from None
    finally:
        store.close()


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
    from .config import KEY_SETTING
    from .store import open_store
    from .store.schema import SchemaTooNew
    from .web.auth import new_key

    settings = Settings.from_flags(vars(args))
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
    settings = Settings.from_flags(vars(args))
    # The plans the server offers: the shipped ones and the folder the plans page saves into.
    plans, errors = PlanLibrary(settings.plan_dirs, settings.own_plans_dir).plans()
    for plan in plans.values():
        print(f"{plan.id}\t{plan.title}\t{len(plan.steps)} steps, {len(plan.questions)} questions")
    for error in errors:
        print(f"invalid: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
