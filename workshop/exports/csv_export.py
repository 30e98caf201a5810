"""The CSV exports: one row per kind with its headline figures, and the raw votes for audit.

Both are UTF-8 with a byte order mark (so Excel reads them as UTF-8) and safe to open in a
spreadsheet: a cell that would run as a formula is prefixed with an apostrophe.
"""

import csv
import io
from collections.abc import Iterable

from .brief import basis, sla_clauses, status_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
COLUMNS = ("session", "kind", "kind_name", "status", "direction", "strategy", "strategy_name", "warnings",
           "notes", "dissent", "sla_input", "sla", "clauses", "owner", "due", "round", "rounds", "n", "present",
           "abstain", "quorum_needed", "mean", "median", "iqr", "consensus", "agreement", "reached", "verdict",
           "certainty", "interval_low", "interval_high", "small_room", "amended", "group_gap",
           "impact_mean", "strategy_leader", "strategy_share", "examples", "example_texts", "dissent_texts",
           "recorded_at")
LIST_SEPARATOR = " | "
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
    filled = record.get("sla") or {}
    return {
        "session": code, "kind": entry["kind"], "kind_name": entry["name"], "status": status_of(entry),
        "direction": record.get("direction"), "strategy": record.get("strategy"),
        "strategy_name": record.get("strategy_name"),
        "warnings": _joined(warning["message"] for warning in record.get("warnings", [])),
        "notes": record.get("notes"), "dissent": record.get("dissent"), "sla_input": record.get("sla_input"),
        "sla": _joined(f"{label}: {text}" for label, text in sla_clauses(entry)) if filled else None,
        "clauses": _joined(record.get("clauses") or []), "owner": record.get("owner") or None,
        "due": record.get("due") or None,
        "round": direction.get("round"), "rounds": len(question["rounds"]) if question else None,
        "n": direction.get("n"), "present": _present(direction, entry), "abstain": direction.get("abstain"),
        "mean": direction.get("mean"), "median": direction.get("median"), "iqr": direction.get("iqr"),
        "consensus": direction.get("consensus"), "agreement": direction.get("agreement"),
        "quorum_needed": direction.get("quorum_needed"),
        "reached": direction.get("reached") if direction else None, "verdict": direction.get("verdict"),
        "certainty": direction.get("certainty"), **_interval(direction),
        "small_room": direction.get("small_room"), "amended": direction.get("amended"),
        "group_gap": direction.get("group_gap"), "impact_mean": impact.get("mean"),
        "strategy_leader": strategy.get("leader"),
        "strategy_share": strategy.get("leader_share", strategy.get("agreement")),
        "examples": len(entry["examples"]),
        "example_texts": _joined(example["text"] for example in entry["examples"]),
        "dissent_texts": _joined(entry.get("dissent_texts", [])),
        "recorded_at": record.get("recorded_at"),
    }


def _interval(figures: dict) -> dict:
    low, high = ((figures.get("interval") or {}).get("agreement") or (None, None))
    return {"interval_low": low, "interval_high": high}


def _joined(texts: Iterable[str]) -> str | None:
    return LIST_SEPARATOR.join(texts) or None


def _present(direction: dict, entry: dict) -> int | None:
    """N of "n of N present voted": as stored with the figures (exports fill in those who joined)."""
    return direction.get("present") if direction else None


def records_csv(data: dict) -> str:
    """One row per kind: the record and the headline figures it rests on."""
    code = data["session"]["code"]
    rows = ([_text(key, row[key]) for key in COLUMNS] for row in (headline(code, entry) for entry in data["kinds"]))
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
        places = 3 if key in ("consensus", "agreement", "strategy_share", "interval_low", "interval_high") else 2
        return f"{value:.{places}f}".rstrip("0").rstrip(".") if key in ("median", "iqr") else f"{value:.{places}f}"
    return value
