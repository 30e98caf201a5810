"""The write jobs whose SQL is the same in SQLite and PostgreSQL, written once with `?` placeholders.

A job is given the writer's handle: a sqlite-utils `Database` or a `pg_writer.Transaction`;
`_execute` speaks to either (PostgreSQL's placeholders are `%s`). The jobs each backend writes its own
way (a vote, a join, the state's compare-and-set, a record) stay in `sqlite_jobs.py` and `pg_jobs.py`.
"""

import json
import secrets
from typing import Any

from sqlite_utils import Database

from ..domain.answers import unknown_participant, unknown_submission
from ..vocabulary import CODE_LENGTH
from .shaping import CODE_ALPHABET, now


def _execute(tx: Any, query: str, params: tuple = ()) -> Any:
    if isinstance(tx, Database):
        return tx.execute(query, params)
    return tx.execute(query.replace("?", "%s"), params)


def _execute_many(tx: Any, query: str, rows: list[tuple]) -> None:
    if isinstance(tx, Database):
        tx.conn.executemany(query, rows)
    else:
        tx.executemany(query.replace("?", "%s"), rows)


def set_setting(tx: Any, key: str, value: str) -> None:
    _execute(tx, "insert into settings (key, value) values (?, ?)"
                 " on conflict (key) do update set value = excluded.value", (key, value))


def keep_signin(tx: Any, token_hash: str, expires_at: float, now: float) -> None:
    _execute(tx, "delete from signin_tokens where expires_at <= ?", (now,))
    _execute(tx, "insert into signin_tokens (token_hash, expires_at) values (?, ?)", (token_hash, expires_at))


def redeem_signin(tx: Any, token_hash: str, now: float) -> bool:
    # One statement takes the token out and says whether it was there: a second redemption (on
    # PostgreSQL, another process's, which waits for the first's row lock) finds the row gone.
    row = _execute(tx, "delete from signin_tokens where token_hash = ? returning expires_at",
                   (token_hash,)).fetchone()
    return row is not None and row[0] > now


def _new_code(tx: Any) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not _execute(tx, "select 1 from sessions where code = ?", (code,)).fetchone():
            return code


def create_session(tx: Any, title: str, service: str, plan_id: str, plan_source: dict,
                   groups: list[str], question_ids: list[str]) -> str:
    code = _new_code(tx)
    _execute(tx, "insert into sessions (code, title, service, plan_id, plan_json, groups_json, created_at)"
                 " values (?, ?, ?, ?, ?, ?, ?)",
             (code, title, service, plan_id, json.dumps(plan_source), json.dumps(groups), now()))
    _execute_many(tx, "insert into questions (session_code, question_id) values (?, ?)",
                  [(code, qid) for qid in question_ids])
    return code


def rejoin(tx: Any, row: tuple, name: str, group: str) -> dict:
    """A returning participant (`row`: id, token, name, group), renamed or regrouped if asked."""
    participant_id, token, old_name, old_group = row
    name, group = name or old_name, group or old_group
    if (name, group) != (old_name, old_group):
        _execute(tx, "update participants set name = ?, group_name = ? where id = ?", (name, group, participant_id))
    return {"id": participant_id, "token": token, "name": name, "group": group}


def remove_participant(tx: Any, code: str, participant_id: int) -> None:
    cursor = _execute(tx, "update participants set removed_at = coalesce(removed_at, ?)"
                          " where session_code = ? and id = ?", (now(), code, participant_id))
    if cursor.rowcount == 0:
        raise unknown_participant(participant_id)
    _execute(tx, "update submissions set status = 'rejected' where participant_id = ? and status = 'pending'",
             (participant_id,))


def moderate(tx: Any, code: str, submission_id: int, status: str) -> None:
    cursor = _execute(tx, "update submissions set status = ? where session_code = ? and id = ?",
                      (status, code, submission_id))
    if cursor.rowcount == 0:
        raise unknown_submission(submission_id)
