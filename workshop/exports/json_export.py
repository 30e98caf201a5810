"""The JSON export: the collected session, as is."""

import json


def session_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
