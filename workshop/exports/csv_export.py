"""The CSV export: one row per kind, safe to open in a spreadsheet."""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("session", "kind", "status", "direction", "strategy", "notes", "dissent", "sla_input",
           "round", "n", "consensus", "agreement", "reached", "recorded_at")


def neutralise(value: object) -> object:
    """Keep a spreadsheet from running a cell as a formula; numbers stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def records_csv(data: dict) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so Excel reads the file as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in data["kinds"]:
        writer.writerow([neutralise(cell) for cell in _row(data["session"]["code"], entry)])
    return out.getvalue()


def _row(code: str, entry: dict) -> list:
    record = entry["record"] or {}
    direction = (entry.get("evidence") or {}).get("direction") or {}
    return [
        code, entry["kind"], record.get("status", "open"), record.get("direction", ""),
        record.get("strategy", ""), record.get("notes", ""), record.get("dissent", ""),
        record.get("sla_input", ""), direction.get("round", ""), direction.get("n", ""),
        _figure(direction.get("consensus")), _figure(direction.get("agreement")),
        "" if not direction else ("yes" if direction.get("reached") else "no"),
        record.get("recorded_at", ""),
    ]


def _figure(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
