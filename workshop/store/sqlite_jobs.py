"""The SQLite writer's jobs: each runs inside the writer's batch transaction, given its connection.

They are the only code that changes the SQLite record; `Store` queues them and reads what they wrote.
"""

import json
import secrets
import sqlite3
from collections.abc import Collection, Mapping

from sqlite_utils import Database

from ..domain.answers import (
    ANY_VERSION,
    check_answer,
    check_pending,
    check_version,
    refuse_newcomers,
    removed_phone,
)
from ..domain.session import SessionState, stale_state
from .shaping import (
    now,
    record_from_row,
    record_to_row,
)
from .shared_jobs import rejoin


def save_state(db: Database, code: str, previous: SessionState, state: SessionState,
               attendance: Mapping[tuple[str, int], Collection[int]]) -> None:
    """Store a new state and, in the same transaction, who was present for each round it closes.

    Compare-and-set: each changed row is written only where it still holds `previous`; otherwise the
    job refuses with `stale_state` and writes nothing."""
    if state.current_step != previous.current_step:
        _one_row(db.execute("update sessions set current_step = ? where code = ? and current_step = ?",
                            (state.current_step, code, previous.current_step)))
    if (state.joining_locked, state.room_size, state.ended) != (previous.joining_locked, previous.room_size,
                                                                  previous.ended):
        _one_row(db.execute(
            "update sessions set joining_locked = ?, room_size = ?, ended = ?"
            " where code = ? and joining_locked = ? and room_size = ? and ended = ?",
            (int(state.joining_locked), state.room_size, int(state.ended), code,
             int(previous.joining_locked), previous.room_size, int(previous.ended))))
    for qid, question in state.questions.items():
        before = previous.questions.get(qid)
        if before is not None and before != question:
            _one_row(db.execute(
                "update questions set status = ?, round = ?, revealed = ?, closes_at = ?"
                " where session_code = ? and question_id = ?"
                " and status = ? and round = ? and revealed = ? and closes_at is ?",
                (question.status, question.round, int(question.revealed), question.closes_at, code, qid,
                 before.status, before.round, int(before.revealed), before.closes_at)))
    for (qid, round_), present in attendance.items():
        db.execute("delete from round_presence where session_code = ? and question_id = ? and round = ?",
                   (code, qid, round_))
        db.execute("insert into round_presence (session_code, question_id, round, participant_id, group_name)"
                   " select ?, ?, ?, id, group_name from participants"
                   " where session_code = ? and (id in (select value from json_each(?)) or id in"
                   "  (select participant_id from votes where session_code = ? and question_id = ? and round = ?))",
                   (code, qid, round_, code, json.dumps(sorted(present)), code, qid, round_))


def _one_row(cursor: sqlite3.Cursor) -> None:
    if cursor.rowcount != 1:
        raise stale_state()


def join(db: Database, code: str, token: str | None, name: str, group: str) -> dict:
    if token:
        row = db.execute("select id, token, name, group_name, removed_at from participants"
                         " where session_code = ? and token = ?", (code, token)).fetchone()
        if row and row[4]:
            raise removed_phone()
        if row:
            return rejoin(db, row[:4], name, group)
    locked, ended, room_size, joined = db.execute(
        "select joining_locked, ended, room_size, (select count(*) from participants p"
        " where p.session_code = s.code and p.removed_at is null) from sessions s where code = ?", (code,)).fetchone()
    refuse_newcomers(bool(locked), bool(ended), room_size, joined)
    token = secrets.token_urlsafe(18)
    cursor = db.execute(
        "insert into participants (session_code, token, name, group_name, joined_at) values (?, ?, ?, ?, ?)",
        (code, token, name, group, now()))
    return {"id": cursor.lastrowid, "token": token, "name": name, "group": group}



def _open_round(db: Database, code: str, qid: str) -> int:
    row = db.execute("select status, round from questions where session_code = ? and question_id = ?",
                     (code, qid)).fetchone()
    check_answer(qid, row[0] if row else None, removed=False)
    return int(row[1])


VOTE_SQL = (
    "insert into votes (session_code, question_id, round, participant_id, value, voted_at)"
    " values (?, ?, ?, ?, ?, ?) on conflict (session_code, question_id, round, participant_id)"
    " do update set value = excluded.value, voted_at = excluded.voted_at"
)
SUBMISSION_SQL = (
    "insert into submissions (session_code, question_id, round, participant_id, text, created_at)"
    " values (?, ?, ?, ?, ?, ?)"
)


def answer_once(db: Database, sql: str, code: str, participant_id: int, message_id: str, qid: str,
                 answer: str) -> tuple[str, int, bool]:
    """Store a vote or submission in the question's open round, unless this message id was seen before.

    Returns (question id, round, whether this call stored it)."""
    seen = db.execute("select question_id, round from messages where participant_id = ? and message_id = ?",
                      (participant_id, message_id)).fetchone()
    if seen:
        return seen[0], seen[1], False
    participant = db.execute("select removed_at from participants where id = ?", (participant_id,)).fetchone()
    if participant is not None and participant[0]:  # an unknown participant is refused by the schema
        raise removed_phone()
    round_ = _open_round(db, code, qid)
    db.execute(sql, (code, qid, round_, participant_id, answer, now()))
    db.execute("insert into messages (participant_id, message_id, question_id, round) values (?, ?, ?, ?)",
               (participant_id, message_id, qid, round_))
    return qid, round_, True


def submit_once(db: Database, code: str, participant_id: int, message_id: str, qid: str,
                 text: str) -> tuple[str, int, bool]:
    waiting = db.execute(
        "select count(*), sum(participant_id = ?) from submissions"
        " where session_code = ? and question_id = ? and status = 'pending'",
        (participant_id, code, qid)).fetchone()
    check_pending(waiting[1] or 0, waiting[0])
    return answer_once(db, SUBMISSION_SQL, code, participant_id, message_id, qid, text)




def save_record(db: Database, code: str, record: dict, version: str | None | object) -> dict:
    if version is not ANY_VERSION:
        found = db.execute("select recorded_at from consensus_records where session_code = ? and kind = ?",
                           (code, record["kind"])).fetchone()
        check_version(found[0] if found else None, version)
    row = record_to_row(code, record, now())
    columns = ", ".join(row)
    placeholders = ", ".join("?" for _ in row)
    updates = ", ".join(f"{column} = excluded.{column}" for column in row if column not in ("session_code", "kind"))
    db.execute(f"insert into consensus_records ({columns}) values ({placeholders})"
               f" on conflict (session_code, kind) do update set {updates}", tuple(row.values()))
    return record_from_row(row)
