"""Session plans: the TOML files that list a workshop's groups, steps and questions.

A plan is validated when it is loaded; anything wrong is a `PlanError` that names the file, the step
(id and position) and the field, so an author can fix their own plan without reading this code.
The plan's parts are in `plan_model`, the checks in `plan_checks`.
"""

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from .plan_checks import plan_from_dict
from .plan_model import MAX_PLAN_BYTES, Option, Plan, PlanError, Question, Step, StrategyTactics
from .plan_toml import plan_from_toml

__all__ = ["Option", "Plan", "PlanError", "Question", "Step", "StrategyTactics", "default_plans_dir",
           "discover_plans", "load_plan", "plan_from_dict", "plan_from_toml", "read_plan_file"]

# --- files and folders -----------------------------------------------------------------------------

def load_plan(path: Path) -> Plan:
    """Read and validate one plan file; its id is the file's stem. Raises PlanError."""
    path = Path(path)
    return plan_from_toml(read_plan_file(path), path.stem, str(path))


def read_plan_file(path: Path) -> str:
    """A plan file's text, refused (PlanError) when it is not a regular UTF-8 file of at most 1 MiB."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer; the file type is checked on the open
    # descriptor, so a file swapped after a check cannot slip through.
    name = str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise PlanError(name, f"cannot be read: {error.strerror or error}") from error
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise PlanError(name, "is not a regular file")
        try:
            data = handle.read(MAX_PLAN_BYTES + 1)
        except OSError as error:
            raise PlanError(name, f"cannot be read: {error.strerror or error}") from error
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(name, f"is larger than {MAX_PLAN_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PlanError(name, "is not UTF-8 text") from error


def default_plans_dir() -> Path:
    """The folder of shipped plans: the installed package's `workshop/sessions`, else the checkout's `sessions`."""
    package = Path(__file__).resolve().parents[1] / "sessions"
    checkout = Path(__file__).resolve().parents[2] / "sessions"
    return package if package.is_dir() or not checkout.is_dir() else checkout


def discover_plans(folders: Sequence[Path]) -> tuple[dict[str, Plan], list[PlanError]]:
    """Load every `*.toml` in each folder, in order; a later folder's plan replaces an earlier one with
    the same id. Invalid files (and missing folders) are returned as errors, never raised."""
    plans: dict[str, Plan] = {}
    errors: list[PlanError] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            errors.append(PlanError(str(folder), "is not a folder"))
            continue
        try:
            # Hidden names are editor lock and backup files, not plans. Anything else named *.toml
            # that is not a folder is loaded, so a FIFO or device is reported rather than skipped.
            paths = sorted(p for p in folder.glob("*.toml") if not p.name.startswith(".") and not p.is_dir())
        except OSError as error:
            errors.append(PlanError(str(folder), f"cannot be listed: {error.strerror or error}"))
            continue
        for path in paths:
            try:
                plan = load_plan(path)
            except PlanError as error:
                errors.append(error)
                continue
            plans[plan.id] = plan
    return plans, errors
