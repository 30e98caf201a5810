"""The JSON export: the collected session in the documented schema (docs/export-schema.md)."""

import json


def session_json(data: dict) -> str:
    """The export as JSON text; raw votes stay in the audit formats (votes CSV, XLSX)."""
    document = {key: value for key, value in data.items() if key != "votes"}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
