"""Settings for one server: where the record lives, which plans it offers, how phones reach it."""

import os
from dataclasses import dataclass, field
from pathlib import Path

from .domain.plans import default_plans_dir


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("workshop.db")
    plan_dirs: tuple[Path, ...] = field(default_factory=lambda: (default_plans_dir(),))
    public_url: str | None = None  # the address phones use; None: the address the browser used
    key: str | None = None  # the facilitator key; None: generated once and kept in the database

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Settings from WORKSHOP_* variables, with explicit values (e.g. command-line flags) on top."""
        values: dict[str, object] = {}
        if os.environ.get("WORKSHOP_DB"):
            values["db_path"] = Path(os.environ["WORKSHOP_DB"])
        if os.environ.get("WORKSHOP_PLANS"):
            values["plan_dirs"] = (default_plans_dir(), Path(os.environ["WORKSHOP_PLANS"]))
        if os.environ.get("WORKSHOP_PUBLIC_URL"):
            values["public_url"] = os.environ["WORKSHOP_PUBLIC_URL"]
        if os.environ.get("WORKSHOP_KEY"):
            values["key"] = os.environ["WORKSHOP_KEY"]
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)
