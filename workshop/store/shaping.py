"""Pure shaping shared by both stores: rows in, the product's plain values out (no SQL here)."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime

from ..domain.plans import plan_from_dict
from ..domain.session import QuestionState, SessionRecord, SessionState

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on phones

MODERATION_PAGE = 50  # pending submissions a console is sent at once
JSON_RECORD_COLUMNS = ("evidence", "sla", "clauses", "warnings")
JSON_RECORD_DEFAULTS: tuple[object, ...] = ({}, {}, [], [])


def now() -> str:
    """The time a record is written: UTC, ISO 8601, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def session_row(row: dict | None) -> dict | None:
    if row:
        row["groups"] = json.loads(row.pop("groups_json"))
        row["plan_source"] = json.loads(row.pop("plan_json"))
    return row


def session_state(session: dict | None, question_rows: Iterable[dict]) -> SessionState:
    questions = {row["question_id"]: QuestionState(row["status"], row["round"], bool(row["revealed"]),
                                                   row["closes_at"])
                 for row in question_rows}
    if session is None:
        return SessionState(0, questions)
    return SessionState(session["current_step"], questions, bool(session["joining_locked"]),
                        session["room_size"], bool(session["ended"]))


def session_record(row: dict, state: SessionState) -> SessionRecord:
    """The read model of one session, with its plan as it was when the session was created."""
    plan = plan_from_dict(row["plan_source"], row["plan_id"], f"session {row['code']}")
    return SessionRecord(row["code"], row["title"], row["service"], row["created_at"], row["groups"], plan, state)


def moderation_page(approved: list[dict], pending: list[dict], rejected: list[dict], counts: list[dict]) -> dict:
    """Every approved submission, a page of pending and rejected ones, and counts per question and round."""
    answered: dict[str, dict[int, int]] = {}
    waiting: dict[str, int] = {}
    for row in counts:
        per_round = answered.setdefault(row["question_id"], {})
        per_round[row["round"]] = per_round.get(row["round"], 0) + row["n"]
        if row["status"] == "pending":
            waiting[row["question_id"]] = waiting.get(row["question_id"], 0) + row["n"]
    return {"items": sorted([*approved, *pending, *rejected], key=lambda item: item["id"]),
            "pending": sum(waiting.values()), "pending_by_question": waiting,
            "answered": answered}


def record_from_row(row: dict) -> dict:
    row = dict(row)
    row.pop("session_code")
    for name in JSON_RECORD_COLUMNS:
        row[name] = json.loads(row.pop(f"{name}_json"))
    return row


def record_to_row(code: str, record: dict, recorded_at: str) -> dict:
    """The columns of a consensus record as stored, its lists and objects as JSON."""
    row = {key: value for key, value in record.items() if key not in JSON_RECORD_COLUMNS}
    row.update({f"{name}_json": json.dumps(record.get(name, default))
                for name, default in zip(JSON_RECORD_COLUMNS, JSON_RECORD_DEFAULTS, strict=True)})
    row.update(session_code=code, recorded_at=recorded_at)
    return row
