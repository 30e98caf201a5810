"""Session plans: the TOML files that list a workshop's groups, steps and questions.

A plan is validated when it is loaded; anything wrong is a `PlanError` that names the file, the step
(id and position) and the field, so an author can fix their own plan without reading this code.
"""

import copy
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import NoReturn

from .framework import KINDS_BY_ID, STRATEGIES_BY_ID

STEP_KINDS: tuple[str, ...] = ("intro", "category", "summary", "content")
QUESTION_KINDS: tuple[str, ...] = ("scale", "choice", "text")
ABSTAIN = "abstain"
DEFAULT_MIN_CONSENSUS = 0.70
DEFAULT_MIN_AGREEMENT = 0.75
DEFAULT_TEXT_LENGTH = 280
MAX_TEXT_LENGTH = 2000
MAX_SCALE_SPAN = 10
MAX_GROUP_LENGTH = 40

_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_ID_RULE = "must start with a lower-case letter or digit and hold only a-z, 0-9, '_', '.', '-'"
# Label keys are TOML keys and so always strings; only plain integers ("-2", "0", "5") are accepted.
_LABEL_KEY = re.compile(r"-?(0|[1-9][0-9]*)")

_PLAN_KEYS = frozenset({"title", "description", "groups", "consensus", "steps"})
_CONSENSUS_KEYS = frozenset({"min_consensus", "min_agreement"})
_STEP_KEYS = frozenset({
    "id", "kind", "title", "body", "category", "definition", "it_example", "everyday_example",
    "prompts", "sla_hint", "strategies", "questions",
})
_QUESTION_COMMON_KEYS = frozenset({"id", "kind", "prompt", "allow_abstain"})
_QUESTION_KEYS = {
    "scale": _QUESTION_COMMON_KEYS | {"min", "max", "labels"},
    "choice": _QUESTION_COMMON_KEYS | {"options"},
    "text": _QUESTION_COMMON_KEYS | {"max_length"},
}


# --- the plan model ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    """One answer of a choice question."""

    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """A question participants answer: a `scale` or `choice` vote, or a `text` submission."""

    id: str
    kind: str
    prompt: str
    allow_abstain: bool = True
    min: int | None = None
    max: int | None = None
    # A dict cannot be hashed, so it is left out of the hash (equality still compares it); the plan
    # never hands it out for writing: to_public copies it.
    labels: dict[int, str] = field(default_factory=dict, hash=False)
    options: tuple[Option, ...] = ()
    max_length: int = DEFAULT_TEXT_LENGTH

    def to_public(self) -> dict:
        """The question as JSON-ready data; label keys become strings."""
        public: dict = {"id": self.id, "kind": self.kind, "prompt": self.prompt,
                        "allow_abstain": self.allow_abstain}
        if self.kind == "scale":
            public.update(min=self.min, max=self.max,
                          labels={str(value): text for value, text in sorted(self.labels.items())})
        elif self.kind == "choice":
            public["options"] = [{"id": option.id, "label": option.label} for option in self.options]
        else:
            public["max_length"] = self.max_length
        return public

    def check_value(self, value: object) -> int | str:
        """Check a vote and return it normalised: an int on a scale, an option id, or "abstain".

        Raises ValueError naming what was wrong.
        """
        if self.kind == "text":
            raise ValueError(f"question {self.id!r} takes text submissions, not votes")
        if isinstance(value, str) and value == ABSTAIN:
            if not self.allow_abstain:
                raise ValueError(f"question {self.id!r} does not allow abstaining")
            return ABSTAIN
        if self.kind == "scale":
            return self._check_scale(value)
        return self._check_choice(value)

    def check_text(self, text: object) -> str:
        """Check a text submission and return it stripped; raises ValueError naming what was wrong."""
        if self.kind != "text":
            raise ValueError(f"question {self.id!r} takes votes, not text submissions")
        if not isinstance(text, str):
            raise ValueError(f"a submission to {self.id!r} must be a string")
        stripped = text.strip()
        if not stripped:
            raise ValueError(f"a submission to {self.id!r} must not be empty")
        if len(stripped) > self.max_length:
            raise ValueError(f"a submission to {self.id!r} must be at most {self.max_length} characters "
                             f"(got {len(stripped)})")
        return stripped

    def _check_scale(self, value: object) -> int:
        # bool is a subclass of int, and True must not count as a vote of 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"a vote on {self.id!r} must be an integer from {self.min} to {self.max}"
                             + (" or 'abstain'" if self.allow_abstain else ""))
        assert self.min is not None and self.max is not None
        if not self.min <= value <= self.max:
            raise ValueError(f"a vote on {self.id!r} must be from {self.min} to {self.max} (got {value})")
        return value

    def _check_choice(self, value: object) -> str:
        ids = [option.id for option in self.options]
        if not isinstance(value, str) or value not in ids:
            allowed = ", ".join(ids + ([ABSTAIN] if self.allow_abstain else []))
            raise ValueError(f"a vote on {self.id!r} must be one of: {allowed} (got {value!r})")
        return value


@dataclass(frozen=True)
class StrategyTactics:
    """One of the four strategies, with the tactics that fit a particular kind of variability."""

    id: str
    tactics: tuple[str, ...]

    def to_public(self) -> dict:
        """The strategy with its name and family from the framework, and its tactics."""
        strategy = STRATEGIES_BY_ID[self.id]
        return {"id": self.id, "name": strategy.name, "family": strategy.family,
                "tactics": list(self.tactics)}


@dataclass(frozen=True)
class Step:
    """One step of the agenda; `index` is its position in the plan, from 0."""

    index: int
    id: str
    kind: str
    title: str
    body: str = ""
    category: str | None = None
    definition: str = ""
    it_example: str = ""
    everyday_example: str = ""
    prompts: tuple[str, ...] = ()
    sla_hint: str = ""
    strategies: tuple[StrategyTactics, ...] = ()
    questions: tuple[Question, ...] = ()

    def to_public(self) -> dict:
        """Every field as JSON-ready data."""
        return {
            "index": self.index, "id": self.id, "kind": self.kind, "title": self.title,
            "body": self.body, "category": self.category, "definition": self.definition,
            "it_example": self.it_example, "everyday_example": self.everyday_example,
            "prompts": list(self.prompts), "sla_hint": self.sla_hint,
            "strategies": [strategy.to_public() for strategy in self.strategies],
            "questions": [question.to_public() for question in self.questions],
        }


@dataclass(frozen=True)
class Plan:
    """A validated session plan; `source` is the parsed TOML it was built from."""

    id: str
    title: str
    description: str
    groups: tuple[str, ...]
    min_consensus: float
    min_agreement: float
    steps: tuple[Step, ...]
    source: dict = field(compare=False, hash=False, repr=False)

    def question(self, qid: str) -> Question | None:
        """The question with this id, or None."""
        found = self._index.get(qid)
        return found[1] if found else None

    def step_of(self, qid: str) -> Step | None:
        """The step that holds the question with this id, or None."""
        found = self._index.get(qid)
        return found[0] if found else None

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, in step order."""
        return tuple(question for step in self.steps for question in step.questions)

    def category_step(self, kind: str) -> Step | None:
        """The step on this kind of variability, or None."""
        return next((step for step in self.steps if step.category == kind), None)

    def to_public(self) -> dict:
        """The plan as JSON-ready data (without its source)."""
        return {"id": self.id, "title": self.title, "description": self.description,
                "groups": list(self.groups), "min_consensus": self.min_consensus,
                "min_agreement": self.min_agreement,
                "steps": [step.to_public() for step in self.steps]}

    # Votes look questions up by id on every message; cached_property writes to the instance dict
    # directly, so it works on a frozen dataclass without touching eq or hash.
    @cached_property
    def _index(self) -> dict[str, tuple[Step, Question]]:
        return {question.id: (step, question) for step in self.steps for question in step.questions}


class PlanError(ValueError):
    """An invalid plan. `step` reads like "'arrival' (#2)" (position from 1), `field` like "questions[1].max"."""

    def __init__(self, file: str, message: str, step: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.message = message
        self.step = step
        self.field = field
        where = [part for part in (step and f"step {step}", field and f"field '{field}'") if part]
        super().__init__(f"{file}: " + "".join(f"{part}, " for part in where[:-1])
                         + (f"{where[-1]}: " if where else "") + message)

    def __reduce__(self) -> tuple:
        # The default reduce would call __init__ with the formatted text only.
        return (PlanError, (self.file, self.message, self.step, self.field))


# --- reading values, each failure naming where it happened --------------------------------------

@dataclass(frozen=True)
class _Where:
    file: str
    step: str | None = None
    prefix: str = ""

    def at(self, part: str) -> "_Where":
        return replace(self, prefix=_join(self.prefix, part))

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        path = _join(self.prefix, key) if key is not None else self.prefix
        raise PlanError(self.file, message, self.step, path or None)


def _join(prefix: str, part: str) -> str:
    if not prefix or part.startswith("["):
        return prefix + part
    return f"{prefix}.{part}"


def _check_keys(table: dict, allowed: frozenset[str], where: _Where, what: str) -> None:
    for key in table:
        if key not in allowed:
            where.fail(f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})", str(key))


def _string(table: dict, key: str, where: _Where, *, required: bool = False) -> str:
    if key not in table:
        if required:
            where.fail("is required", key)
        return ""
    value = table[key]
    if not isinstance(value, str):
        where.fail("must be a string", key)
    if required and not value.strip():
        where.fail("must not be empty", key)
    return value.strip()


def _strings(table: dict, key: str, where: _Where) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        where.fail("must be a list of strings", key)
    for position, item in enumerate(value):
        if not item.strip():
            where.fail("must not be empty", f"{key}[{position}]")
    return tuple(item.strip() for item in value)


def _integer(table: dict, key: str, where: _Where, default: int | None = None) -> int:
    if key not in table:
        if default is None:
            where.fail("is required", key)
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        where.fail("must be an integer", key)
    return value


def _boolean(table: dict, key: str, where: _Where, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        where.fail("must be true or false", key)
    return value


def _fraction(table: dict, key: str, where: _Where, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        where.fail("must be a number", key)
    # Written so that NaN fails too.
    if not 0 <= value <= 1:
        where.fail(f"must be from 0 to 1 (got {value})", key)
    return float(value)


def _identifier(table: dict, key: str, where: _Where) -> str:
    value = _string(table, key, where, required=True)
    if not _ID_PATTERN.fullmatch(table[key]):
        where.fail(f"{_ID_RULE} (got {table[key]!r})", key)
    return value


def _one_of(table: dict, key: str, allowed: Sequence[str], where: _Where) -> str:
    value = _string(table, key, where, required=True)
    if table[key] not in allowed:
        where.fail(f"must be one of: {', '.join(allowed)} (got {table[key]!r})", key)
    return value


def _tables(table: dict, key: str, where: _Where) -> list[dict]:
    value = table.get(key, [])
    if not isinstance(value, list):
        where.fail("must be a list of tables", key)
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            where.fail("must be a table", f"{key}[{position}]")
    return value


# --- the parts of a plan -------------------------------------------------------------------------

@dataclass
class _Seen:
    """Ids already used in the plan, each mapped to the step that used it."""

    steps: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)


def plan_from_dict(data: dict, plan_id: str, source_name: str) -> Plan:
    """Validate parsed plan data (a TOML document as a dict) and build the plan.

    `source_name` names the plan in errors (a file path, or e.g. "session ABC123"). Raises PlanError.
    """
    where = _Where(source_name)
    if not isinstance(data, dict):
        where.fail("a plan must be a table")
    _check_keys(data, _PLAN_KEYS, where, "the plan")
    title = _string(data, "title", where, required=True)
    description = _string(data, "description", where)
    groups = _groups(data, where)
    min_consensus, min_agreement = _thresholds(data, where)
    return Plan(id=plan_id, title=title, description=description, groups=groups,
                min_consensus=min_consensus, min_agreement=min_agreement,
                steps=_steps(data, where), source=copy.deepcopy(data))


def _groups(data: dict, where: _Where) -> tuple[str, ...]:
    if "groups" not in data:
        where.fail("is required", "groups")
    groups = _strings(data, "groups", where)
    if not groups:
        where.fail("must list at least one group", "groups")
    seen: set[str] = set()
    for position, group in enumerate(groups):
        if len(group) > MAX_GROUP_LENGTH:
            where.fail(f"must be at most {MAX_GROUP_LENGTH} characters", f"groups[{position}]")
        # "IT" and "it" would look like one group on a phone, so they may not both exist.
        if group.casefold() in seen:
            where.fail(f"duplicate group {group!r}", f"groups[{position}]")
        seen.add(group.casefold())
    return groups


def _thresholds(data: dict, where: _Where) -> tuple[float, float]:
    consensus = data.get("consensus", {})
    if not isinstance(consensus, dict):
        where.fail("must be a table", "consensus")
    inner = where.at("consensus")
    _check_keys(consensus, _CONSENSUS_KEYS, inner, "consensus")
    return (_fraction(consensus, "min_consensus", inner, DEFAULT_MIN_CONSENSUS),
            _fraction(consensus, "min_agreement", inner, DEFAULT_MIN_AGREEMENT))


def _steps(data: dict, where: _Where) -> tuple[Step, ...]:
    if "steps" not in data:
        where.fail("is required: a plan needs at least one step", "steps")
    tables = _tables(data, "steps", where)
    if not tables:
        where.fail("must hold at least one step", "steps")
    seen = _Seen()
    return tuple(_step(table, index, where.file, seen) for index, table in enumerate(tables))


def _step_label(raw_id: object, index: int) -> str:
    if isinstance(raw_id, str) and raw_id:
        return f"{raw_id!r} (#{index + 1})"
    return f"#{index + 1}"


def _step(table: dict, index: int, file: str, seen: _Seen) -> Step:
    where = _Where(file, _step_label(table.get("id"), index))
    _check_keys(table, _STEP_KEYS, where, "a step")
    step_id = _identifier(table, "id", where)
    if step_id in seen.steps:
        where.fail(f"duplicate step id {step_id!r} (also step {seen.steps[step_id]})", "id")
    seen.steps[step_id] = where.step or ""
    kind = _one_of(table, "kind", STEP_KINDS, where)
    return Step(
        index=index, id=step_id, kind=kind,
        title=_string(table, "title", where, required=True),
        body=_string(table, "body", where),
        category=_category(table, kind, where, seen),
        definition=_string(table, "definition", where),
        it_example=_string(table, "it_example", where),
        everyday_example=_string(table, "everyday_example", where),
        prompts=_strings(table, "prompts", where),
        sla_hint=_string(table, "sla_hint", where),
        strategies=_strategies(table, where),
        questions=tuple(_question(item, where.at(f"questions[{position}]"), seen)
                        for position, item in enumerate(_tables(table, "questions", where))),
    )


def _category(table: dict, kind: str, where: _Where, seen: _Seen) -> str | None:
    if kind != "category":
        if "category" in table:
            where.fail(f"is only allowed on steps of kind 'category' (this one is {kind!r})", "category")
        return None
    category = _one_of(table, "category", tuple(KINDS_BY_ID), where)
    if category in seen.categories:
        where.fail(f"category {category!r} already has a step: {seen.categories[category]}", "category")
    seen.categories[category] = where.step or ""
    return category


def _strategies(table: dict, where: _Where) -> tuple[StrategyTactics, ...]:
    result: list[StrategyTactics] = []
    for position, item in enumerate(_tables(table, "strategies", where)):
        at = where.at(f"strategies[{position}]")
        _check_keys(item, frozenset({"id", "tactics"}), at, "a strategy")
        strategy_id = _one_of(item, "id", tuple(STRATEGIES_BY_ID), at)
        if any(existing.id == strategy_id for existing in result):
            at.fail(f"duplicate strategy {strategy_id!r}", "id")
        tactics = _strings(item, "tactics", at)
        if not tactics:
            at.fail("must list at least one tactic", "tactics")
        result.append(StrategyTactics(strategy_id, tactics))
    return tuple(result)


def _question(item: dict, where: _Where, seen: _Seen) -> Question:
    kind = _one_of(item, "kind", QUESTION_KINDS, where)
    _check_keys(item, _QUESTION_KEYS[kind], where, f"a {kind} question")
    question_id = _identifier(item, "id", where)
    if question_id in seen.questions:
        earlier = seen.questions[question_id]
        place = "earlier in this step" if earlier == where.step else f"also in step {earlier}"
        where.fail(f"duplicate question id {question_id!r} ({place})", "id")
    seen.questions[question_id] = where.step or ""
    prompt = _string(item, "prompt", where, required=True)
    allow_abstain = _boolean(item, "allow_abstain", where, True)
    parts = {"scale": _scale_parts, "choice": _choice_parts, "text": _text_parts}[kind](item, where)
    return Question(id=question_id, kind=kind, prompt=prompt, allow_abstain=allow_abstain, **parts)


def _scale_parts(item: dict, where: _Where) -> dict:
    low = _integer(item, "min", where)
    high = _integer(item, "max", where)
    if high <= low:
        where.fail(f"must be greater than min (min is {low}, max is {high})", "max")
    if high - low > MAX_SCALE_SPAN:
        where.fail(f"the scale may span at most {MAX_SCALE_SPAN} (min is {low}, max is {high})", "max")
    return {"min": low, "max": high, "labels": _labels(item, low, high, where)}


def _labels(item: dict, low: int, high: int, where: _Where) -> dict[int, str]:
    raw = item.get("labels", {})
    if not isinstance(raw, dict):
        where.fail('must be a table like { "1" = "Low", "5" = "High" }', "labels")
    labels: dict[int, str] = {}
    for key, text in raw.items():
        path = f'labels."{key}"'
        if not isinstance(key, str) or not _LABEL_KEY.fullmatch(key):
            where.fail(f"label keys must be whole numbers written as strings, like \"1\" (got {key!r})", path)
        if not low <= int(key) <= high:
            where.fail(f"is outside the scale {low}..{high}", path)
        if not isinstance(text, str) or not text.strip():
            where.fail("must be a non-empty string", path)
        labels[int(key)] = text.strip()
    return dict(sorted(labels.items()))


def _choice_parts(item: dict, where: _Where) -> dict:
    tables = _tables(item, "options", where)
    if len(tables) < 2:
        where.fail(f"a choice question needs at least 2 options (got {len(tables)})", "options")
    options: list[Option] = []
    for position, table in enumerate(tables):
        at = where.at(f"options[{position}]")
        _check_keys(table, frozenset({"id", "label"}), at, "an option")
        option_id = _identifier(table, "id", at)
        # A vote of "abstain" must stay unambiguous.
        if option_id == ABSTAIN:
            at.fail(f"{ABSTAIN!r} is reserved for abstaining", "id")
        if any(option.id == option_id for option in options):
            at.fail(f"duplicate option id {option_id!r}", "id")
        options.append(Option(option_id, _string(table, "label", at, required=True)))
    return {"options": tuple(options)}


def _text_parts(item: dict, where: _Where) -> dict:
    max_length = _integer(item, "max_length", where, DEFAULT_TEXT_LENGTH)
    if not 1 <= max_length <= MAX_TEXT_LENGTH:
        where.fail(f"must be from 1 to {MAX_TEXT_LENGTH} (got {max_length})", "max_length")
    return {"max_length": max_length}


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
