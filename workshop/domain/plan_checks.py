"""Validation of session plans: every failure names the file, the step and the field."""

import copy
import re
from dataclasses import dataclass, field

from .figures import check_sides
from .framework import DIRECTION_SIDES, KINDS_BY_ID, STRATEGIES_BY_ID
from .plan_fields import (
    ID_PATTERN,
    ID_RULE,
    Where,
    check_keys,
    read_boolean,
    read_fraction,
    read_identifier,
    read_integer,
    read_one_of,
    read_string,
    read_strings,
    read_tables,
    shown,
)
from .plan_model import (
    ABSTAIN,
    DEFAULT_MIN_AGREEMENT,
    DEFAULT_MIN_CONSENSUS,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_MIN_VOTES,
    DEFAULT_QUORUM,
    DEFAULT_TEXT_LENGTH,
    MAX_DEPTH,
    MAX_GROUP_LENGTH,
    MAX_GROUPS,
    MAX_LONG_TEXT,
    MAX_MIN_GROUP_SIZE,
    MAX_MIN_VOTES,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_QUESTIONS_PER_STEP,
    MAX_SCALE_SPAN,
    MAX_SHORT_TEXT,
    MAX_STEPS,
    MAX_TEXT_LENGTH,
    QUESTION_KINDS,
    STEP_KINDS,
    Option,
    Plan,
    Question,
    Step,
    StrategyTactics,
)

# The keys each table may hold; plan_schema builds the JSON Schema's properties from these same sets.
# Label keys are TOML keys and so always strings; only plain integers ("-2", "0", "5") are accepted.
LABEL_KEY = re.compile(r"-?(0|[1-9][0-9]*)")

PLAN_KEYS = frozenset({"title", "description", "groups", "consensus", "steps", "min_group_size"})
CONSENSUS_KEYS = frozenset({"min_consensus", "min_agreement", "min_votes", "quorum"})
STEP_KEYS = frozenset({
    "id", "kind", "title", "body", "projector_text", "category", "definition", "it_example", "everyday_example",
    "prompts", "sla_hint", "strategies", "questions",
})
STRATEGY_KEYS = frozenset({"id", "tactics"})
QUESTION_COMMON_KEYS = frozenset({"id", "kind", "prompt", "allow_abstain"})
QUESTION_KEYS = {
    "scale": QUESTION_COMMON_KEYS | {"min", "max", "labels", "decision_sides"},
    "choice": QUESTION_COMMON_KEYS | {"options"},
    "text": QUESTION_COMMON_KEYS | {"max_length"},
}
OPTION_KEYS = frozenset({"id", "label"})


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
    where = Where(source_name)
    if not isinstance(data, dict):
        where.fail("a plan must be a table")
    _check_depth(data, where)
    check_keys(data, PLAN_KEYS, where, "the plan")
    title = read_string(data, "title", where, required=True)
    description = read_string(data, "description", where, limit=MAX_LONG_TEXT)
    groups = _groups(data, where)
    min_consensus, min_agreement, min_votes, quorum = _thresholds(data, where)
    return Plan(id=plan_id, title=title, description=description, groups=groups,
                min_consensus=min_consensus, min_agreement=min_agreement,
                steps=_steps(data, where), source=copy.deepcopy(data), min_votes=min_votes, quorum=quorum,
                min_group_size=_min_group_size(data, where))


def _min_group_size(data: dict, where: Where) -> int:
    size = read_integer(data, "min_group_size", where, DEFAULT_MIN_GROUP_SIZE)
    if not 1 <= size <= MAX_MIN_GROUP_SIZE:
        where.fail(f"must be from 1 to {MAX_MIN_GROUP_SIZE} (got {size})", "min_group_size")
    return size


def _groups(data: dict, where: Where) -> tuple[str, ...]:
    if "groups" not in data:
        where.fail("is required", "groups")
    groups = read_strings(data, "groups", where, MAX_GROUPS)
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


def _thresholds(data: dict, where: Where) -> tuple[float, float, int, float]:
    consensus = data.get("consensus", {})
    if not isinstance(consensus, dict):
        where.fail("must be a table", "consensus")
    inner = where.at("consensus")
    check_keys(consensus, CONSENSUS_KEYS, inner, "consensus")
    min_votes = read_integer(consensus, "min_votes", inner, DEFAULT_MIN_VOTES)
    if not 1 <= min_votes <= MAX_MIN_VOTES:
        inner.fail(f"must be from 1 to {MAX_MIN_VOTES} (got {min_votes})", "min_votes")
    return (read_fraction(consensus, "min_consensus", inner, DEFAULT_MIN_CONSENSUS),
            read_fraction(consensus, "min_agreement", inner, DEFAULT_MIN_AGREEMENT),
            min_votes, read_fraction(consensus, "quorum", inner, DEFAULT_QUORUM))


def _steps(data: dict, where: Where) -> tuple[Step, ...]:
    if "steps" not in data:
        where.fail("is required: a plan needs at least one step", "steps")
    tables = read_tables(data, "steps", where, MAX_STEPS)
    if not tables:
        where.fail("must hold at least one step", "steps")
    seen = _Seen()
    steps = tuple(_step(table, index, where.file, seen) for index, table in enumerate(tables))
    if len(seen.questions) > MAX_QUESTIONS:
        where.fail(f"a plan may hold at most {MAX_QUESTIONS} questions (got {len(seen.questions)})", "steps")
    return steps


def _check_depth(data: dict, where: Where) -> None:
    # Iterative, so that a hostile nesting cannot exhaust the stack here or in later copies.
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            where.fail(f"tables and arrays may nest at most {MAX_DEPTH} deep")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _step_label(raw_id: object, index: int) -> str:
    if isinstance(raw_id, str) and raw_id:
        return f"{shown(raw_id)} (#{index + 1})"
    return f"#{index + 1}"


def _step(table: dict, index: int, file: str, seen: _Seen) -> Step:
    where = Where(file, _step_label(table.get("id"), index))
    check_keys(table, STEP_KEYS, where, "a step")
    step_id = read_identifier(table, "id", where)
    if step_id in seen.steps:
        where.fail(f"duplicate step id {step_id!r} (also step {seen.steps[step_id]})", "id")
    seen.steps[step_id] = where.step or ""
    kind = read_one_of(table, "kind", STEP_KINDS, where)
    return Step(
        index=index, id=step_id, kind=kind,
        title=read_string(table, "title", where, required=True),
        body=read_string(table, "body", where, limit=MAX_LONG_TEXT),
        projector_text=read_string(table, "projector_text", where),
        category=_category(table, kind, where, seen),
        definition=read_string(table, "definition", where, limit=MAX_LONG_TEXT),
        it_example=read_string(table, "it_example", where, limit=MAX_LONG_TEXT),
        everyday_example=read_string(table, "everyday_example", where, limit=MAX_LONG_TEXT),
        prompts=read_strings(table, "prompts", where),
        sla_hint=read_string(table, "sla_hint", where, limit=MAX_LONG_TEXT),
        strategies=_strategies(table, where),
        questions=tuple(
            _question(item, where.at(f"questions[{position}]"), seen)
            for position, item in enumerate(read_tables(table, "questions", where, MAX_QUESTIONS_PER_STEP))),
    )


def _category(table: dict, kind: str, where: Where, seen: _Seen) -> str | None:
    if kind != "category":
        if "category" in table:
            where.fail(f"is only allowed on steps of kind 'category' (this one is {kind!r})", "category")
        return None
    category = read_one_of(table, "category", tuple(KINDS_BY_ID), where)
    if category in seen.categories:
        where.fail(f"category {category!r} already has a step: {seen.categories[category]}", "category")
    seen.categories[category] = where.step or ""
    return category


def _strategies(table: dict, where: Where) -> tuple[StrategyTactics, ...]:
    result: list[StrategyTactics] = []
    for position, item in enumerate(read_tables(table, "strategies", where, len(STRATEGIES_BY_ID))):
        at = where.at(f"strategies[{position}]")
        check_keys(item, STRATEGY_KEYS, at, "a strategy")
        strategy_id = read_one_of(item, "id", tuple(STRATEGIES_BY_ID), at)
        if any(existing.id == strategy_id for existing in result):
            at.fail(f"duplicate strategy {strategy_id!r}", "id")
        tactics = read_strings(item, "tactics", at)
        if not tactics:
            at.fail("must list at least one tactic", "tactics")
        result.append(StrategyTactics(strategy_id, tactics))
    return tuple(result)


def _question(item: dict, where: Where, seen: _Seen) -> Question:
    kind = read_one_of(item, "kind", QUESTION_KINDS, where)
    check_keys(item, QUESTION_KEYS[kind], where, f"a {kind} question")
    question_id = read_identifier(item, "id", where)
    if question_id in seen.questions:
        earlier = seen.questions[question_id]
        place = "earlier in this step" if earlier == where.step else f"also in step {earlier}"
        where.fail(f"duplicate question id {question_id!r} ({place})", "id")
    seen.questions[question_id] = where.step or ""
    prompt = read_string(item, "prompt", where, required=True)
    allow_abstain = read_boolean(item, "allow_abstain", where, True)
    parts = {"scale": _scale_parts, "choice": _choice_parts, "text": _text_parts}[kind](item, where)
    return Question(id=question_id, kind=kind, prompt=prompt, allow_abstain=allow_abstain, **parts)


def _scale_parts(item: dict, where: Where) -> dict:
    low = read_integer(item, "min", where)
    high = read_integer(item, "max", where)
    if high <= low:
        where.fail(f"must be greater than min (min is {low}, max is {high})", "max")
    if high - low > MAX_SCALE_SPAN:
        where.fail(f"the scale may span at most {MAX_SCALE_SPAN} (min is {low}, max is {high})", "max")
    return {"min": low, "max": high, "labels": _labels(item, low, high, where),
            "sides": _sides(item, low, high, where)}


def _sides(item: dict, low: int, high: int, where: Where) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The decisions a scale's points stand for; a -2..+2 `.direction` scale gets less/same/more."""
    if "decision_sides" not in item:
        is_direction = str(item.get("id", "")).endswith(".direction") and (low, high) == (-2, 2)
        return DIRECTION_SIDES if is_direction else ()
    raw = item["decision_sides"]
    if not isinstance(raw, dict) or len(raw) < 2:
        where.fail('must be a table of at least two decisions, like { less = [-2, -1], same = [0] }',
                   "decision_sides")
    sides = []
    for name, points in raw.items():
        path = f"decision_sides.{name}"
        if not ID_PATTERN.fullmatch(name):
            where.fail(f"{ID_RULE} (got {name!r})", path)
        if (not isinstance(points, list) or not points
                or not all(isinstance(point, int) and not isinstance(point, bool) for point in points)):
            where.fail("must be a non-empty list of whole numbers", path)
        sides.append((name, tuple(points)))
    try:
        check_sides(sides, low, high)
    except ValueError as error:
        where.fail(str(error), "decision_sides")
    return tuple(sides)


def _labels(item: dict, low: int, high: int, where: Where) -> dict[int, str]:
    raw = item.get("labels", {})
    if not isinstance(raw, dict):
        where.fail('must be a table like { "1" = "Low", "5" = "High" }', "labels")
    labels: dict[int, str] = {}
    for key, text in raw.items():
        path = f'labels."{key}"'
        if not isinstance(key, str) or not LABEL_KEY.fullmatch(key):
            where.fail(f"label keys must be whole numbers written as strings, like \"1\" (got {key!r})", path)
        if not low <= int(key) <= high:
            where.fail(f"is outside the scale {low}..{high}", path)
        if not isinstance(text, str) or not text.strip():
            where.fail("must be a non-empty string", path)
        if len(text) > MAX_SHORT_TEXT:
            where.fail(f"must be at most {MAX_SHORT_TEXT} characters (got {len(text)})", path)
        labels[int(key)] = text.strip()
    return dict(sorted(labels.items()))


def _choice_parts(item: dict, where: Where) -> dict:
    tables = read_tables(item, "options", where, MAX_OPTIONS)
    if len(tables) < 2:
        where.fail(f"a choice question needs at least 2 options (got {len(tables)})", "options")
    options: list[Option] = []
    for position, table in enumerate(tables):
        at = where.at(f"options[{position}]")
        check_keys(table, OPTION_KEYS, at, "an option")
        option_id = read_identifier(table, "id", at)
        # A vote of "abstain" must stay unambiguous.
        if option_id == ABSTAIN:
            at.fail(f"{ABSTAIN!r} is reserved for abstaining", "id")
        if any(option.id == option_id for option in options):
            at.fail(f"duplicate option id {option_id!r}", "id")
        options.append(Option(option_id, read_string(table, "label", at, required=True)))
    return {"options": tuple(options), "families": strategy_families(tuple(option.id for option in options))}


def strategy_families(option_ids: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A choice among the framework's strategies is judged by family (reduce or accommodate) as well."""
    if not option_ids or not all(option in STRATEGIES_BY_ID for option in option_ids):
        return ()
    families: dict[str, list[str]] = {}
    for option in option_ids:
        families.setdefault(STRATEGIES_BY_ID[option].family, []).append(option)
    return tuple((family, tuple(options)) for family, options in families.items()) if len(families) > 1 else ()


def _text_parts(item: dict, where: Where) -> dict:
    max_length = read_integer(item, "max_length", where, DEFAULT_TEXT_LENGTH)
    if not 1 <= max_length <= MAX_TEXT_LENGTH:
        where.fail(f"must be from 1 to {MAX_TEXT_LENGTH} (got {max_length})", "max_length")
    return {"max_length": max_length}
