"""Session plans: the TOML files that list a workshop's groups, steps and questions.

A plan is validated when it is loaded; anything wrong is a `PlanError` that names the file, the step
(id and position) and the field, so an author can fix their own plan without reading this code.
The plan's parts are in `plan_model`, the checks in `plan_checks`.
"""

import tomllib
from collections.abc import Sequence
from pathlib import Path

from .plan_checks import plan_from_dict
from .plan_model import Option, Plan, PlanError, Question, Step, StrategyTactics

__all__ = ["Option", "Plan", "PlanError", "Question", "Step", "StrategyTactics", "default_plans_dir",
           "discover_plans", "load_plan", "plan_from_dict"]

# --- files and folders -----------------------------------------------------------------------------

def load_plan(path: Path) -> Plan:
    """Read and validate one plan file; its id is the file's stem. Raises PlanError."""
    path = Path(path)
    name = str(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message carries the position, e.g. "(at line 3, column 7)".
        raise PlanError(name, f"invalid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise PlanError(name, "is not UTF-8 text") from error
    except OSError as error:
        raise PlanError(name, f"cannot be read: {error.strerror or error}") from error
    return plan_from_dict(data, path.stem, name)


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
        # Hidden names are editor lock and backup files, not plans.
        for path in sorted(p for p in folder.glob("*.toml") if p.is_file() and not p.name.startswith(".")):
            try:
                plan = load_plan(path)
            except PlanError as error:
                errors.append(error)
                continue
            plans[plan.id] = plan
    return plans, errors
