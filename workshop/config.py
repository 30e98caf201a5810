"""Settings for one server: where the record lives, which plans it offers, how phones reach it.

Every setting is one row of `SETTINGS`: its flag, its WORKSHOP_* variable, how its text reads, its
default and what README says of it. `Settings` (the record, the plans, the addresses), the
connection limits (`serve.connections.ConnectionLimits`), the serve command's own options
(`serve.options.ServeOptions`) and the command line's flags are all read from it, and README's table
of settings is checked against `markdown_table()` (tests/test_settings.py).
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .domain.plans import default_plans_dir
from .store import POSTGRES_SCHEMES

Part = Literal["server", "connections", "start"]
KEY_SETTING = "facilitator_key"  # the key generated on first run is kept in the record under this name
LOG_FORMATS = ("text", "json")
START_WAIT = 60.0  # seconds; long enough for PostgreSQL's first start in a fresh volume
DB_HELP = "SQLite database file (default: workshop.db here) or a postgresql:// URL"


@dataclass(frozen=True)
class Setting:
    """One setting: where it is given and how its text reads."""

    name: str  # the field it fills: of Settings ("server"), ConnectionLimits or ServeOptions ("start")
    part: Part
    about: str  # README's words for it
    default: str  # README's words for its default
    flag: str | None = None
    variable: str | None = None
    help: str = ""  # the flag's --help
    metavar: str | None = None
    flag_type: Callable[[str], Any] | None = None  # argparse reads the flag (a bad one: argparse's usage line)
    read: Callable[[str], Any] = str  # the variable's text (or an untyped flag's) as a value; ValueError if bad
    choices: tuple[str, ...] | None = None
    commands: tuple[str, ...] = ("serve",)
    command_help: Mapping[str, str] = field(default_factory=dict)  # another --help in another command

    @property
    def shown(self) -> str:
        """The flag as README writes it, with what it takes."""
        takes = self.metavar or ("\\|".join(self.choices) if self.choices else "")
        return f"`{f'{self.flag} {takes}'.strip()}`" if self.flag else ""


def _read_switch(text: str) -> bool:
    return text not in ("0", "false", "no", "off")


def _read_seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"WORKSHOP_START_WAIT must be a number of seconds (got {text!r})") from None


def _read_log_format(text: str) -> str:
    if text not in LOG_FORMATS:
        raise ValueError(f"WORKSHOP_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)} (got {text!r})")
    return text


def read_trusted_proxies(text: str) -> list[str]:
    """The addresses and networks in a comma-separated list; ValueError names the first bad one."""
    import ipaddress

    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    for entry in entries:
        if entry == "*":
            raise ValueError("--trusted-proxies '*' would let any client name its own address; "
                             "list your proxies' addresses or networks (e.g. 10.0.0.0/8)")
        try:
            ipaddress.ip_network(entry, strict=False) if "/" in entry else ipaddress.ip_address(entry)
        except ValueError:
            raise ValueError(f"--trusted-proxies: {entry!r} is not an IP address or network") from None
    return entries


def read_metrics_address(text: str) -> tuple[str, int] | None:
    """HOST:PORT (or [IPv6]:PORT) for the metrics listener, None for none; ValueError if malformed."""
    if not text:
        return None
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--metrics must be HOST:PORT, e.g. 127.0.0.1:9100 (got {text!r})")
    return host.strip("[]"), int(port)


SETTINGS: tuple[Setting, ...] = (
    # The record, the plans and the addresses: `Settings`.
    Setting("db", "server", "where the record lives: a SQLite file or a `postgresql://` URL", "`workshop.db` here",
            "--db", "WORKSHOP_DB", DB_HELP, "DB", commands=("serve", "export", "rotate-key", "plans"),
            command_help={"plans": "the database beside whose `plans` folder saved plans are (without --plans)"}),
    Setting("plans", "server", "a folder of your own session plans (the plans page saves there)",
            "`plans` beside the database", "--plans", "WORKSHOP_PLANS", "a folder of your own session plans",
            "FOLDER", flag_type=Path, read=Path, commands=("serve", "plans")),
    Setting("public_url", "server", "the address phones use (a proxy's, a tunnel's)", "this machine's address",
            "--public-url", "WORKSHOP_PUBLIC_URL", "the address phones should use, e.g. http://192.168.1.20:8000",
            "URL"),
    Setting("key", "server", "the facilitator key", f"generated once, kept in the database (`{KEY_SETTING}`)",
            "--key", "WORKSHOP_KEY", "facilitator key (default: WORKSHOP_KEY, else one kept in the database)", "KEY"),
    Setting("broker", "server", "Redis shared by several processes on one PostgreSQL record", "none: one process",
            "--broker", "WORKSHOP_BROKER", "a redis:// URL shared by several processes on one PostgreSQL --db, "
            "so each sees the others' live changes (default: WORKSHOP_BROKER)", "URL"),
    # The serve command's own: `ServeOptions`.
    Setting("host", "start", "address to listen on", "every interface (0.0.0.0)", "--host",
            help="address to listen on (default: every interface)", metavar="ADDRESS"),
    Setting("port", "start", "port to listen on", "8000 (0 picks a free one)", "--port",
            help="port (default 8000; 0 picks a free one)", metavar="PORT", flag_type=int),
    Setting("trusted_proxies", "start", "proxies whose `X-Forwarded-For` is believed", "none",
            "--trusted-proxies", "WORKSHOP_TRUSTED_PROXIES", "comma-separated addresses or networks of your "
            "reverse proxies, whose X-Forwarded-For names the client (default: WORKSHOP_TRUSTED_PROXIES, else none)",
            "ADDRESSES", read=read_trusted_proxies),
    Setting("start_wait", "start", "how long to wait for PostgreSQL and Redis at start", f"{START_WAIT:g}",
            "--start-wait", "WORKSHOP_START_WAIT", "how long to keep trying PostgreSQL and Redis at start before "
            f"giving up (default: WORKSHOP_START_WAIT, else {START_WAIT:g})", "SECONDS", float, _read_seconds),
    Setting("key_file", "start", "write the facilitator address to a file instead of the log", "(printed)",
            "--key-file", "WORKSHOP_KEY_FILE", "write the facilitator address (with its key) to this file, "
            "readable by you only, instead of printing it (default: WORKSHOP_KEY_FILE)", "PATH", Path, Path),
    Setting("metrics", "start", "Prometheus metrics on a listener of their own", "off", "--metrics",
            "WORKSHOP_METRICS", "serve Prometheus metrics at http://HOST:PORT/metrics, a listener of its own that "
            "needs no key: keep it on a private address (default: WORKSHOP_METRICS, else off)", "HOST:PORT",
            read=read_metrics_address),
    Setting("log_format", "start", "log lines as text or JSON", "text", "--log-format", "WORKSHOP_LOG_FORMAT",
            "log lines as text, or as one JSON object each (default: WORKSHOP_LOG_FORMAT, else text)",
            read=_read_log_format, choices=LOG_FORMATS),
    # The connection limits: `ConnectionLimits` (README, "Connection limits").
    Setting("header_timeout", "connections", "time for a request's head", "5", "--header-timeout",
            "WORKSHOP_HEADER_TIMEOUT", "close a connection whose request head is not complete in time (default 5)",
            "SECONDS", float, float),
    Setting("per_address", "connections", "connections per address", "256, or 2 × the expected room sizes",
            "--max-per-address", "WORKSHOP_MAX_PER_ADDRESS", "open connections from one address before only the "
            "facilitator is served (default 256; the room size set in a console raises it)", "N", int, int),
    Setting("total", "connections", "connections in all", "descriptor limit less 64",
            variable="WORKSHOP_MAX_CONNECTIONS", read=int),
    Setting("reserve", "connections", "of those, kept for the facilitator", "32",
            variable="WORKSHOP_FACILITATOR_RESERVE", read=int),
    Setting("nodelay", "connections", "TCP_NODELAY on connections", "1 (0 only to measure, `bench/keepalive.py`)",
            variable="WORKSHOP_TCP_NODELAY", read=_read_switch),
)


def given(part: Part, flags: Mapping[str, object], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The values of one part's settings that were given: a flag's, else its variable's (neither None nor
    empty), read; what neither gives is left out, for the defaults to fill. A bad text raises ValueError."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.part != part:
            continue
        flag = flags.get(setting.name)
        if flag is not None and flag != "":
            values[setting.name] = setting.read(flag) if isinstance(flag, str) else flag
        elif setting.variable and environ.get(setting.variable):
            values[setting.name] = setting.read(environ[setting.variable])
    return values


def markdown_table() -> str:
    """README's table of settings, made from `SETTINGS`."""
    rows = ["| setting | flag | variable | default |", "|---|---|---|---|"]
    rows += [f"| {item.about} | {item.shown} | {f'`{item.variable}`' if item.variable else ''} | {item.default} |"
             for item in SETTINGS]
    return "\n".join(rows)


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("workshop.db")
    db_url: str | None = None  # a postgresql:// URL: the record lives there instead of in db_path
    plan_dirs: tuple[Path, ...] = field(default_factory=lambda: (default_plans_dir(),))
    public_url: str | None = None  # the address phones use; None: the address the browser used
    key: str | None = None  # the facilitator key; None: generated once and kept in the database
    broker: str | None = None  # a redis:// URL: live changes fan out to the other processes through it

    @property
    def db(self) -> str | Path:
        """Where the record lives, as open_store takes it: the PostgreSQL URL if set, else the file."""
        return self.db_url or self.db_path

    @property
    def own_plans_dir(self) -> Path:
        """Where the facilitator's own plans are saved: the `--plans` folder, else `plans` beside the database."""
        if self.plan_dirs and self.plan_dirs[-1] != default_plans_dir():
            return self.plan_dirs[-1]
        return self.db_path.parent / "plans"

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from WORKSHOP_* variables, with explicit values (e.g. command-line flags) on top: the
        settings' names (`db`, `plans`, ...) or the fields themselves (`plan_dirs`)."""
        values = given("server", overrides)
        if "db" in values:
            values.update(db_values(str(values.pop("db"))))
        if "plans" in values:
            values["plan_dirs"] = (default_plans_dir(), Path(values.pop("plans")))
        values.update({name: value for name, value in overrides.items()
                       if value is not None and name not in ("db", "plans")})
        return cls(**values)

    @classmethod
    def from_flags(cls, flags: Mapping[str, object]) -> "Settings":
        """Settings from a command's flags (those it has of `SETTINGS`' server part) over the variables."""
        return cls.from_env(**{item.name: flags.get(item.name) for item in SETTINGS if item.part == "server"})

    def problem(self) -> str | None:
        """What cannot work in these settings, or None."""
        if self.broker and not self.db_url:
            return ("--broker shares a session between several processes, which needs a PostgreSQL --db"
                    " (a SQLite file is served by one process only)")
        if self.broker and not self.broker.startswith(("redis://", "rediss://", "unix://")):
            return f"--broker must be a redis:// URL (got {self.broker!r})"
        return None


def db_values(target: str) -> dict[str, object]:
    """Settings for a --db / WORKSHOP_DB value: a postgresql:// URL or a SQLite file path."""
    if target.startswith(POSTGRES_SCHEMES):
        return {"db_url": target}
    return {"db_path": Path(target)}
