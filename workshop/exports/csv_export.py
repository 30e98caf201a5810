"""The CSV exports: one row per kind with its headline figures, and the raw votes for audit.

Both are UTF-8 with a byte order mark (so Excel reads them as UTF-8) and safe to open in a
spreadsheet: a cell that would run as a formula is prefixed with an apostrophe.
"""

import csv
import io
from collections.abc import Iterable

from .brief import basis, status_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
COLUMNS = ("session", "kind", "kind_name", "status", "direction", "strategy", "strategy_name", "notes",
           "dissent", "sla_input", "round", "rounds", "n", "abstain", "mean", "median", "iqr",
           "consensus", "agreement", "reached", "group_gap", "impact_mean", "strategy_leader",
           "strategy_share", "examples", "recorded_at")
VOTE_COLUMNS = ("question", "round", "participant", "group", "value", "voted_at", "removed")


def neutralise(value: object) -> object:
    """Keep a spreadsheet from running a cell as a formula; numbers stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def headline(code: str, entry: dict) -> dict:
    """A kind's record and headline figures as one flat row (numbers as numbers, None when missing)."""
    record = entry["record"] or {}
    direction = basis(entry, "direction") or {}
    impact = basis(entry, "impact") or {}
    strategy = basis(entry, "strategy") or {}
    question = entry["questions"].get("direction")
    return {
        "session": code, "kind": entry["kind"], "kind_name": entry["name"], "status": status_of(entry),
        "direction": record.get("direction"), "strategy": record.get("strategy"),
        "strategy_name": record.get("strategy_name"), "notes": record.get("notes"),
        "dissent": record.get("dissent"), "sla_input": record.get("sla_input"),
        "round": direction.get("round"), "rounds": len(question["rounds"]) if question else None,
        "n": direction.get("n"), "abstain": direction.get("abstain"), "mean": direction.get("mean"),
        "median": direction.get("median"), "iqr": direction.get("iqr"),
        "consensus": direction.get("consensus"), "agreement": direction.get("agreement"),
        "reached": direction.get("reached") if direction else None,
        "group_gap": direction.get("group_gap"), "impact_mean": impact.get("mean"),
        "strategy_leader": strategy.get("leader"), "strategy_share": strategy.get("agreement"),
        "examples": len(entry["examples"]), "recorded_at": record.get("recorded_at"),
    }


def records_csv(data: dict) -> str:
    """One row per kind: the record and the headline figures it rests on."""
    code = data["session"]["code"]
    rows = ([_text(key, value) for key, value in headline(code, entry).items()] for entry in data["kinds"])
    return _csv(COLUMNS, rows)


def votes_csv(data: dict) -> str:
    """Every vote of every round, by pseudonymous participant (P1, P2, ...), for audit."""
    rows = ([vote[key] for key in VOTE_COLUMNS] for vote in data["votes"])
    return _csv(VOTE_COLUMNS, rows)


def _csv(columns: Iterable[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()


def _text(key: str, value: object) -> object:
    """A headline figure as spreadsheet text: fractions to 3 places, means to 2, others as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        places = 3 if key in ("consensus", "agreement", "strategy_share") else 2
        return f"{value:.{places}f}".rstrip("0").rstrip(".") if key in ("median", "iqr") else f"{value:.{places}f}"
    return value
