"""A plan as TOML text and back.

Reading goes through the same checks as a plan file loaded at start-up, so an upload or an edit is
refused with the message the server would print for that file. Writing keeps what it can of the text
the plan was last stored as: comments, layout and the order of keys survive an edit of some values.
"""

import json
import re
import tomllib
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, InlineTable, Table

from .plan_checks import plan_from_dict
from .plan_model import MAX_DEPTH, MAX_PLAN_BYTES, Plan, PlanError

# Tables written inline, as people write them by hand: labels = { "1" = "Low", "5" = "High" }.
_INLINE_TABLES = frozenset({"labels", "decision_sides"})
_STEP_LABEL = re.compile(r"#(\d+)\)?$")


def plan_from_toml(text: str, plan_id: str, name: str) -> Plan:
    """Parse and validate a plan's TOML text; errors name `name` as a plan file's errors name its path."""
    if len(text.encode("utf-8")) > MAX_PLAN_BYTES:
        raise PlanError(name, f"is larger than {MAX_PLAN_BYTES // 1024} KiB")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message carries the position, e.g. "(at line 3, column 7)".
        raise PlanError(name, f"invalid TOML: {error}") from error
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise PlanError(name, f"tables and arrays may nest at most {MAX_DEPTH} deep") from None
    return plan_from_dict(data, plan_id, name)


def plan_to_toml(data: dict, name: str, previous: str | None = None) -> str:
    """TOML text for validated plan data; with `previous` (the text it replaces), edited in place.

    `name` names the plan in errors. Raises PlanError when the data is not a valid plan or does not
    survive the trip through TOML.
    """
    plan_from_dict(data, "plan", name)
    document = _previous_document(previous)
    if document is not None:
        _merge(document, data)
        text = tomlkit.dumps(document)
        if _same_data(text, data):
            return text
    # A layout the merge could not keep (or no previous text): written afresh.
    text = tomlkit.dumps(_document(data))
    if not _same_data(text, data):
        raise PlanError(name, "cannot be written as TOML without changing it")
    return text


def _same_data(text: str, data: dict) -> bool:
    # JSON tells true from 1 and 1.0 from 1, which == does not.
    return json.dumps(tomllib.loads(text), sort_keys=True) == json.dumps(data, sort_keys=True)


def _same(old: Any, value: Any) -> bool:
    plain = old.unwrap() if hasattr(old, "unwrap") else old
    return json.dumps(plain, sort_keys=True) == json.dumps(value, sort_keys=True)


def error_path(error: PlanError) -> str | None:
    """Where in the plan's data an error is, as the editor names its fields: `steps[0].questions[1].max`."""
    step = _STEP_LABEL.search(error.step or "")
    prefix = f"steps[{int(step.group(1)) - 1}]" if step else ""
    if not error.field:
        return prefix or None
    return f"{prefix}.{error.field}" if prefix and not error.field.startswith("[") else prefix + error.field


# --- writing -------------------------------------------------------------------------------------

def _previous_document(previous: str | None) -> tomlkit.TOMLDocument | None:
    if previous is None:
        return None
    try:
        return tomlkit.parse(previous)
    except Exception:  # a file that tomllib read but tomlkit cannot is written afresh
        return None


def _document(data: dict) -> tomlkit.TOMLDocument:
    document = tomlkit.document()
    for key, value in data.items():
        document[key] = _item(key, value)
    return document


def _item(key: str, value: Any) -> Any:
    """A tomlkit value laid out as the shipped plans are: long text on several lines, steps as [[steps]]."""
    if isinstance(value, str):
        # TOML drops a newline right after the opening quotes, so such text stays on one line.
        return tomlkit.string(value, multiline="\n" in value and not value.startswith(("\n", "\r")))
    if isinstance(value, dict):
        table: Table | InlineTable = tomlkit.inline_table() if key in _INLINE_TABLES else tomlkit.table()
        for inner_key, inner in value.items():
            table[inner_key] = _item(inner_key, inner)
        return table
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        tables = tomlkit.aot()
        for item in value:
            tables.append(_item(key, item) if key not in _INLINE_TABLES else item)
        return tables
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_item(key, item) for item in value)
        array.multiline(sum(len(str(item)) for item in value) > 80)
        return array
    return value


def _merge(target: Container | Table | InlineTable, data: dict) -> None:
    """Make `target` hold `data`, keeping every untouched value as it was written (with its comments)."""
    for key in [key for key in target if key not in data]:
        del target[key]
    for key, value in data.items():
        old = target.get(key) if key in target else None
        if old is not None and _same(old, value):
            continue
        if isinstance(value, dict) and isinstance(old, Table | InlineTable):
            _merge(old, value)
        elif isinstance(value, list) and isinstance(old, AoT) and _same_ids(old, value):
            for table, item in zip(old, value):
                _merge(table, item)
        elif isinstance(value, list) and isinstance(old, AoT):
            target[key] = _merged_tables(key, old, value)
        else:
            target[key] = _item(key, value)


def _same_ids(old: AoT, values: list) -> bool:
    """The same tables in the same order (by `id`, or by position where there is none): edited in place."""
    return (len(old) == len(values) and all(isinstance(value, dict) for value in values)
            and [table.get("id") for table in old] == [value.get("id") for value in values])


def _merged_tables(key: str, old: AoT, values: list) -> Any:
    """An array of tables in the new order; a table whose `id` was there before keeps its comments."""
    if not all(isinstance(value, dict) for value in values) or not values:
        return _item(key, values)
    by_id = {table.get("id"): table for table in old if isinstance(table.get("id"), str)}
    merged = tomlkit.aot()
    for position, value in enumerate(values):
        table = by_id.pop(value.get("id"), None) if isinstance(value.get("id"), str) else None
        if table is None and position < len(old) and "id" not in value:
            table = old[position]
        if table is None:
            merged.append(_item(key, value))
        else:
            _merge(table, value)
            merged.append(table)
    return merged
