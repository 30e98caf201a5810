"""Settings for one server: where the record lives, which plans it offers, how phones reach it."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .domain.plans import default_plans_dir
from .store import POSTGRES_SCHEMES


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
        """Settings from WORKSHOP_* variables, with explicit values (e.g. command-line flags) on top."""
        values: dict[str, Any] = {}
        if os.environ.get("WORKSHOP_DB"):
            values.update(db_values(os.environ["WORKSHOP_DB"]))
        if os.environ.get("WORKSHOP_PLANS"):
            values["plan_dirs"] = (default_plans_dir(), Path(os.environ["WORKSHOP_PLANS"]))
        if os.environ.get("WORKSHOP_PUBLIC_URL"):
            values["public_url"] = os.environ["WORKSHOP_PUBLIC_URL"]
        if os.environ.get("WORKSHOP_KEY"):
            values["key"] = os.environ["WORKSHOP_KEY"]
        if os.environ.get("WORKSHOP_BROKER"):
            values["broker"] = os.environ["WORKSHOP_BROKER"]
        if overrides.get("db") is not None:
            values.pop("db_url", None)
            values.pop("db_path", None)
            values.update(db_values(str(overrides["db"])))
        values.update({name: value for name, value in overrides.items() if value is not None and name != "db"})
        return cls(**values)

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
