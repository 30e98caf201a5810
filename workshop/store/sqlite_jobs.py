"""The SQLite writer's jobs: each runs inside the writer's batch transaction, given its connection.

They are the only code that changes the SQLite record; `Store` queues them and reads what they wrote.
"""

import json

from sqlite_utils import Database

from ..domain.answers import (
    ANY_VERSION,
    check_answer,
    check_pending,
    check_version,
    removed_phone,
)
from ..domain.events import RecordSaved, Submitted, Voted
from .interface import Answer, Stored
from .shaping import (
    now,
    record_from_row,
    record_to_row,
)
from .shared_jobs import Dialect

DIALECT = Dialect(same="is", listed="id in (select value from json_each(?))", ids=json.dumps)


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
                answer: str) -> Answer:
    """Store a vote or submission in the question's open round, unless this message id was seen before."""
    seen = db.execute("select question_id, round from messages where participant_id = ? and message_id = ?",
                      (participant_id, message_id)).fetchone()
    if seen:
        return Answer(seen[0], seen[1])
    participant = db.execute("select removed_at, group_name from participants where id = ?",
                             (participant_id,)).fetchone()
    if participant is not None and participant[0]:  # an unknown participant is refused by the schema
        raise removed_phone()
    round_ = _open_round(db, code, qid)
    db.execute(sql, (code, qid, round_, participant_id, answer, now()))
    db.execute("insert into messages (participant_id, message_id, question_id, round) values (?, ?, ?, ?)",
               (participant_id, message_id, qid, round_))
    if sql == SUBMISSION_SQL:
        return Answer(qid, round_, Submitted(participant_id, qid, round_))
    return Answer(qid, round_, Voted(participant_id, qid, round_, answer, participant[1] if participant else ""))


def submit_once(db: Database, code: str, participant_id: int, message_id: str, qid: str,
                text: str) -> Answer:
    waiting = db.execute(
        "select count(*), sum(participant_id = ?) from submissions"
        " where session_code = ? and question_id = ? and status = 'pending'",
        (participant_id, code, qid)).fetchone()
    check_pending(waiting[1] or 0, waiting[0])
    return answer_once(db, SUBMISSION_SQL, code, participant_id, message_id, qid, text)


def save_record(db: Database, code: str, record: dict, version: str | None | object) -> Stored:
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
    return Stored(record_from_row(row), RecordSaved(record["kind"]))
