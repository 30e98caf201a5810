"""The write jobs whose SQL is the same in SQLite and PostgreSQL, written once with `?` placeholders.

A job is given the writer's handle: a sqlite-utils `Database` or a `pg_writer.Transaction`;
`_execute` speaks to either (PostgreSQL's placeholders are `%s`); where the two dialects differ in a
fragment (the state's compare-and-set), the backend's job module passes its `Dialect`. The jobs each
backend writes its own way (a vote, a record) stay in `sqlite_jobs.py` and `pg_jobs.py`.
A job that changes a session returns the typed event it committed (`domain/events.py`).
"""

import json
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from ..domain.answers import refuse_newcomers, removed_phone, unknown_participant, unknown_submission
from ..domain.commands import Command
from ..domain.events import Joined, Moderated, Removed, StateChanged
from ..domain.session import SessionState, stale_state
from ..vocabulary import CODE_LENGTH
from .interface import Stored
from .shaping import CODE_ALPHABET, now


@dataclass(frozen=True)
class Dialect:
    """What one SQL dialect writes its own way in the jobs written once here."""

    same: str  # the comparison that holds when both sides are equal or both null
    listed: str  # a condition on `id`: it is one of the ids given as one parameter
    ids: Callable[[list[int]], Any]  # those ids as that parameter


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


def join(tx: Any, code: str, token: str | None, name: str, group: str) -> Stored:
    """A phone joins: a known token comes back (renamed or regrouped if asked), a newcomer is admitted
    unless the room refuses newcomers."""
    if token:
        row = _execute(tx, "select id, token, name, group_name, removed_at from participants"
                           " where session_code = ? and token = ?", (code, token)).fetchone()
        if row and row[4]:
            raise removed_phone()
        if row:
            return rejoin(tx, row[:4], name, group)
    # Counted only when a room size caps the room: the count reads every participant, once a join.
    session = _execute(tx, "select joining_locked, ended, room_size, case when room_size > 0 then"
                           " (select count(*) from participants p where p.session_code = s.code"
                           " and p.removed_at is null) else 0 end from sessions s where code = ?",
                       (code,)).fetchone()
    if session:  # an unknown session is refused by the schema
        refuse_newcomers(bool(session[0]), bool(session[1]), session[2], session[3])
    token = secrets.token_urlsafe(18)
    inserted = _execute(tx, "insert into participants (session_code, token, name, group_name, joined_at)"
                            " values (?, ?, ?, ?, ?) returning id", (code, token, name, group, now())).fetchone()
    return _joined(inserted[0], token, name, group)


def rejoin(tx: Any, row: tuple, name: str, group: str) -> Stored:
    """A returning participant (`row`: id, token, name, group), renamed or regrouped if asked."""
    participant_id, token, old_name, old_group = row
    name, group = name or old_name, group or old_group
    if (name, group) != (old_name, old_group):
        _execute(tx, "update participants set name = ?, group_name = ? where id = ?", (name, group, participant_id))
    return _joined(participant_id, token, name, group)


def _joined(participant_id: int, token: str, name: str, group: str) -> Stored:
    """What a join settles with: the participant, and the event."""
    return Stored({"id": participant_id, "token": token, "name": name, "group": group},
                  Joined(participant_id, group))


def remove_participant(tx: Any, code: str, participant_id: int) -> Removed:
    cursor = _execute(tx, "update participants set removed_at = coalesce(removed_at, ?)"
                          " where session_code = ? and id = ?", (now(), code, participant_id))
    if cursor.rowcount == 0:
        raise unknown_participant(participant_id)
    _execute(tx, "update submissions set status = 'rejected' where participant_id = ? and status = 'pending'",
             (participant_id,))
    return Removed(participant_id)


def moderate(tx: Any, code: str, submission_id: int, status: str) -> Moderated:
    cursor = _execute(tx, "update submissions set status = ? where session_code = ? and id = ?",
                      (status, code, submission_id))
    if cursor.rowcount == 0:
        raise unknown_submission(submission_id)
    return Moderated(submission_id, status)


def save_state(tx: Any, code: str, previous: SessionState, state: SessionState,
               attendance: Mapping[tuple[str, int], Collection[int]], dialect: Dialect,
               command: Command | None = None) -> StateChanged:
    """Store a new state and, in the same transaction, who was present for each round it closes.

    Compare-and-set: each changed row is written only where it still holds `previous`; otherwise the
    job refuses with `stale_state` and writes nothing."""
    if state.current_step != previous.current_step:
        _one_row(_execute(tx, "update sessions set current_step = ? where code = ? and current_step = ?",
                          (state.current_step, code, previous.current_step)))
    if (state.joining_locked, state.room_size, state.ended) != (previous.joining_locked, previous.room_size,
                                                                  previous.ended):
        _one_row(_execute(
            tx, "update sessions set joining_locked = ?, room_size = ?, ended = ?"
            " where code = ? and joining_locked = ? and room_size = ? and ended = ?",
            (int(state.joining_locked), state.room_size, int(state.ended), code,
             int(previous.joining_locked), previous.room_size, int(previous.ended))))
    for qid, question in state.questions.items():
        before = previous.questions.get(qid)
        if before is not None and before != question:
            _one_row(_execute(
                tx, "update questions set status = ?, round = ?, revealed = ?, closes_at = ?"
                " where session_code = ? and question_id = ? and status = ? and round = ? and revealed = ?"
                f" and closes_at {dialect.same} ?",
                (question.status, question.round, int(question.revealed), question.closes_at, code, qid,
                 before.status, before.round, int(before.revealed), before.closes_at)))
    for (qid, round_), present in attendance.items():
        _keep_presence(tx, code, qid, round_, dialect.listed, dialect.ids(sorted(present)))
    return StateChanged(command.name, command.question) if command else StateChanged()


def _keep_presence(tx: Any, code: str, qid: str, round_: int, listed: str, present: Any) -> None:
    """Who was present for a closing round: those seen, and whoever voted in it."""
    _execute(tx, "delete from round_presence where session_code = ? and question_id = ? and round = ?",
             (code, qid, round_))
    _execute(tx, "insert into round_presence (session_code, question_id, round, participant_id, group_name)"
                 " select ?, ?, ?, id, group_name from participants"
                 f" where session_code = ? and ({listed} or id in"
                 "  (select participant_id from votes where session_code = ? and question_id = ? and round = ?))",
             (code, qid, round_, code, present, code, qid, round_))


def _one_row(cursor: Any) -> None:
    if cursor.rowcount != 1:
        raise stale_state()
