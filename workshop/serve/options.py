"""The serve command's own options and connection limits, read from the table of settings."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config import START_WAIT, given
from ..errors import CommandError
from .connections import ConnectionLimits


@dataclass(frozen=True)
class ServeOptions:
    """How `workshop serve` listens and starts; each field is a row of config.SETTINGS (part "start")."""

    host: str = "0.0.0.0"
    port: int = 8000
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For is believed
    start_wait: float = START_WAIT
    key_file: Path | None = None
    metrics: tuple[str, int] | None = None  # the metrics listener's address
    log_format: str = "text"

    @classmethod
    def from_flags(cls, flags: Mapping[str, object]) -> "ServeOptions":
        """The options from the command's flags over their WORKSHOP_* variables; CommandError if one is bad."""
        try:
            values = given("start", flags)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if "trusted_proxies" in values:
            values["trusted_proxies"] = tuple(values["trusted_proxies"])
        options = cls(**values)
        if problem := options.problem():
            raise CommandError(problem)
        return options

    def problem(self) -> str | None:
        """What is wrong with these options, or None."""
        if not 0 <= self.port <= 65535:
            return f"--port must be from 0 to 65535 (got {self.port})"
        if not self.start_wait >= 0:
            return f"--start-wait must be 0 seconds or more (got {self.start_wait:g})"
        return None


def connection_limits(flags: Mapping[str, object]) -> ConnectionLimits:
    """The connection limits from the command's flags over their WORKSHOP_* variables, or CommandError."""
    try:
        limits = ConnectionLimits.from_env(**{name: flags.get(name) for name in ("header_timeout", "per_address")})
    except ValueError as error:
        raise CommandError(f"a WORKSHOP_* connection setting is not a number: {error}") from None
    if problem := limits.problem():
        raise CommandError(problem)
    return limits
