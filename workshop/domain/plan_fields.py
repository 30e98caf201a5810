"""Reading one field of a plan's TOML: each reader checks the type and bounds, and a failure names the
file, the step and the field's path."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NoReturn

from .plan_model import MAX_LIST_ITEMS, MAX_SHORT_TEXT, PlanError

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]*")
ID_RULE = "must start with a lower-case letter or digit and hold only a-z, 0-9, '_', '.', '-'"


@dataclass(frozen=True)
class Where:
    file: str
    step: str | None = None
    prefix: str = ""

    def at(self, part: str) -> "Where":
        return replace(self, prefix=join_path(self.prefix, part))

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        path = join_path(self.prefix, key) if key is not None else self.prefix
        raise PlanError(self.file, message, self.step, path or None)


def join_path(prefix: str, part: str) -> str:
    if not prefix or part.startswith("["):
        return prefix + part
    return f"{prefix}.{part}"


def check_keys(table: dict, allowed: frozenset[str], where: Where, what: str) -> None:
    for key in table:
        if key not in allowed:
            where.fail(f"unknown key {shown(key)} in {what} (allowed: {', '.join(sorted(allowed))})",
                       shown(key)[1:-1])


def shown(text: str, limit: int = 60) -> str:
    # A hostile key or id may be huge; an error message quotes only its start.
    return repr(text if len(text) <= limit else text[:limit] + "...")


def read_string(table: dict, key: str, where: Where, *, required: bool = False,
            limit: int = MAX_SHORT_TEXT) -> str:
    if key not in table:
        if required:
            where.fail("is required", key)
        return ""
    value = table[key]
    if not isinstance(value, str):
        where.fail("must be a string", key)
    if len(value) > limit:
        where.fail(f"must be at most {limit} characters (got {len(value)})", key)
    if required and not value.strip():
        where.fail("must not be empty", key)
    return value.strip()


def read_strings(table: dict, key: str, where: Where, limit: int = MAX_LIST_ITEMS) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        where.fail("must be a list of strings", key)
    if len(value) > limit:
        where.fail(f"may hold at most {limit} items (got {len(value)})", key)
    for position, item in enumerate(value):
        if not item.strip():
            where.fail("must not be empty", f"{key}[{position}]")
        if len(item) > MAX_SHORT_TEXT:
            where.fail(f"must be at most {MAX_SHORT_TEXT} characters (got {len(item)})", f"{key}[{position}]")
    return tuple(item.strip() for item in value)


def read_integer(table: dict, key: str, where: Where, default: int | None = None) -> int:
    if key not in table:
        if default is None:
            where.fail("is required", key)
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        where.fail("must be an integer", key)
    return value


def read_boolean(table: dict, key: str, where: Where, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        where.fail("must be true or false", key)
    return value


def read_fraction(table: dict, key: str, where: Where, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        where.fail("must be a number", key)
    # Written so that NaN fails too.
    if not 0 <= value <= 1:
        where.fail(f"must be from 0 to 1 (got {value})", key)
    return float(value)


def read_identifier(table: dict, key: str, where: Where) -> str:
    value = read_string(table, key, where, required=True)
    if not ID_PATTERN.fullmatch(table[key]):
        where.fail(f"{ID_RULE} (got {table[key]!r})", key)
    return value


def read_one_of(table: dict, key: str, allowed: Sequence[str], where: Where) -> str:
    value = read_string(table, key, where, required=True)
    if table[key] not in allowed:
        where.fail(f"must be one of: {', '.join(allowed)} (got {table[key]!r})", key)
    return value


def read_tables(table: dict, key: str, where: Where, limit: int) -> list[dict]:
    value = table.get(key, [])
    if not isinstance(value, list):
        where.fail("must be a list of tables", key)
    if len(value) > limit:
        where.fail(f"may hold at most {limit} items (got {len(value)})", key)
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            where.fail("must be a table", f"{key}[{position}]")
    return value
