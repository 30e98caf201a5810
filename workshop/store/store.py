"""All SQL lives here: the record of sessions, participants, votes, submissions and consensus.

Writes are queued on the single Writer and return futures that resolve after commit; reads use a
connection per thread and see only committed data (WAL lets them run beside the writer).
"""

import json
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..domain.refusal import Refusal
from ..domain.session import SessionRecord, SessionState
from ..vocabulary import CODE_LENGTH
from .errors import StorageError
from .interface import Pending
from .migrations import migrations
from .shaping import (
    ANY_VERSION,
    MODERATION_PAGE,
    check_pending,
    check_version,
    moderation_page,
    record_from_row,
    record_to_row,
    session_record,
    session_row,
    session_state,
)
from .writer import Writer

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on phones


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._local = threading.local()
        if not read_only:
            self._prepare()
        self.writer = Writer(self._connect, self.path)

    @classmethod
    def open_read_only(cls, path: str | Path) -> "Store":
        """A store that only reads: no migration, no writer, and the file is opened read-only.

        Raises StorageError if the file's schema is older than this version's (a server run upgrades it).
        """
        store = cls(path, read_only=True)
        pending = migrations.pending(store.reader)
        if pending:
            store.close()
            raise StorageError(f"{path} was last written by an older version ({len(pending)} schema steps behind);"
                               " run `workshop serve` on it once to bring it up to date")
        return store

    def _connect(self) -> Database:
        if self.read_only:
            uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
            return Database(sqlite3.connect(uri, uri=True, check_same_thread=False))
        db = Database(self.path)
        db.conn.execute("PRAGMA busy_timeout = 5000")
        db.conn.execute("PRAGMA synchronous = FULL")
        db.conn.execute("PRAGMA foreign_keys = ON")
        return db

    def _prepare(self) -> None:
        db = self._connect()
        try:
            db.enable_wal()
            check = db.conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise RuntimeError(f"{self.path} failed its integrity check: {check}")
            migrations.apply(db)
        finally:
            db.close()

    @property
    def location(self) -> str:
        return str(Path(self.path).resolve())

    def start(self) -> None:
        self.writer.start()

    def ping(self) -> None:
        """Answer a trivial query on a connection of its own (callable from any thread)."""
        try:
            db = Database(self.path)
            try:
                db.execute("select count(*) from settings").fetchone()
            finally:
                db.close()
        except sqlite3.Error as error:
            raise StorageError(f"the database could not be read: {error}") from None

    def close(self) -> None:
        if not self.read_only:
            self.writer.stop()
        reader = getattr(self._local, "db", None)
        if reader is not None:
            reader.close()
            self._local.db = None

    @property
    def reader(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def _rows(self, sql: str, params: tuple = ()) -> list[dict]:
        # Fetch everything at once: a half-read cursor would pin an old snapshot of the database.
        return list(self.reader.query(sql, params))

    def _one(self, sql: str, params: tuple = ()) -> dict | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def write(self, fn: Any, *args: Any) -> Pending:
        """Queue a write job `fn(db, *args)`; see Writer.submit."""
        if self.read_only:
            raise StorageError(f"{self.path} is open read-only")
        return self.writer.submit(fn, *args)

    # settings

    def setting(self, key: str) -> str | None:
        row = self._one("select value from settings where key = ?", (key,))
        return row["value"] if row else None

    def set_setting(self, key: str, value: str) -> Pending:
        return self.write(_set_setting, key, value)

    def setting_or_default(self, key: str, default: str) -> str:
        """The stored setting, storing `default` first if there is none (for start-up, before the writer runs)."""
        db = self._connect()
        try:
            with db.atomic():
                db.execute("insert into settings (key, value) values (?, ?) on conflict(key) do nothing",
                           (key, default))
            return db.execute("select value from settings where key = ?", (key,)).fetchone()[0]
        finally:
            db.close()

    # sessions

    def create_session(self, title: str, service: str, plan_id: str, plan_source: dict,
                       groups: list[str], question_ids: list[str]) -> Pending:
        return self.write(_create_session, title, service, plan_id, plan_source, groups, question_ids)

    def session(self, code: str) -> dict | None:
        return session_row(self._one("select * from sessions where code = ?", (code,)))

    def session_record(self, code: str) -> SessionRecord | None:
        """The read model of one session, with its plan as it was when the session was created."""
        row = self.session(code)
        return None if row is None else session_record(row, self.session_state(row["code"]))

    def list_sessions(self) -> list[dict]:
        return list(self._rows(
            "select s.code, s.title, s.service, s.plan_id, s.created_at,"
            " (select count(*) from participants p where p.session_code = s.code) as participants"
            " from sessions s order by s.created_at desc"
        ))

    def session_state(self, code: str) -> SessionState:
        session = self._one("select current_step, joining_locked, room_size, ended from sessions where code = ?",
                            (code,))
        return session_state(session, self._rows(
            "select question_id, status, round, revealed, closes_at from questions where session_code = ?", (code,)))

    def timed_sessions(self) -> list[str]:
        """Codes of the sessions with a countdown running on an open question."""
        return [row["session_code"] for row in self._rows(
            "select distinct session_code from questions where status = 'open' and closes_at is not null")]

    def save_state(self, code: str, previous: SessionState, state: SessionState) -> Pending:
        return self.write(_save_state, code, previous, state)

    # participants

    def join(self, code: str, token: str | None, name: str, group: str) -> Pending:
        return self.write(_join, code, token, name, group)

    def participant_by_token(self, code: str, token: str) -> dict | None:
        return self._one("select * from participants where session_code = ? and token = ?", (code, token))

    def participant_count(self, code: str) -> int:
        """Participants who joined and were not removed."""
        rows = self._rows("select count(*) as n from participants where session_code = ? and removed_at is null",
                          (code,))
        return int(rows[0]["n"])

    def recent_people(self, code: str, limit: int) -> list[dict]:
        """The latest `limit` participants still in the room, newest first."""
        return list(self._rows(
            "select id, name, group_name as 'group' from participants"
            " where session_code = ? and removed_at is null order by id desc limit ?", (code, limit)))

    def participants(self, code: str) -> list[dict]:
        return list(self._rows(
            "select id, name, group_name, joined_at, removed_at from participants where session_code = ?"
            " order by id", (code,)))

    def remove_participant(self, code: str, participant_id: int) -> Pending:
        """Take a participant out of the room: their votes leave the figures but stay in the record."""
        return self.write(_remove_participant, code, participant_id)

    # votes

    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending:
        """Store a vote (replacing the participant's earlier vote in the round); result: (qid, round, stored)."""
        return self.write(_answer_once, VOTE_SQL, code, participant_id, message_id, qid, value)

    def ballot(self, code: str, participant_id: int) -> dict[str, dict]:
        """The participant's vote in the current round of every question, by question id."""
        rows = self._rows(
            "select v.question_id, v.round, v.value from votes v join questions q"
            " on q.session_code = v.session_code and q.question_id = v.question_id and q.round = v.round"
            " where v.session_code = ? and v.participant_id = ?", (code, participant_id))
        return {row["question_id"]: {"round": row["round"], "value": row["value"]} for row in rows}

    def votes(self, code: str, qid: str, round_: int) -> dict[int, str]:
        """Every counted vote of one round (removed participants' votes are not): participant id -> value."""
        return {row["participant_id"]: row["value"] for row in self._rows(
            "select v.participant_id, v.value from votes v join participants p on p.id = v.participant_id"
            " where v.session_code = ? and v.question_id = ? and v.round = ? and p.removed_at is null",
            (code, qid, round_))}

    def groups_of(self, code: str) -> dict[int, str]:
        """Each participant's group: participant id -> group name."""
        return {row["id"]: row["group_name"] for row in self._rows(
            "select id, group_name from participants where session_code = ?", (code,))}

    def all_votes(self, code: str) -> list[dict]:
        return list(self._rows(
            "select v.question_id, v.round, v.participant_id, p.group_name, v.value, v.voted_at,"
            " p.removed_at is not null as removed"
            " from votes v join participants p on p.id = v.participant_id"
            " where v.session_code = ? order by v.question_id, v.round, v.voted_at", (code,)))

    # submissions

    def submit_text(self, code: str, participant_id: int, message_id: str, qid: str,
                    text: str) -> Pending:
        return self.write(_submit_once, code, participant_id, message_id, qid, text)

    def moderation(self, code: str) -> dict:
        """What a console is sent of the submissions: every approved one, the oldest page of pending ones,
        the latest page of rejected ones, and counts, so a flood of texts never floods the console."""
        base = ("select s.id, s.question_id, s.round, s.text, s.status, s.created_at, p.name, p.group_name"
                " from submissions s join participants p on p.id = s.participant_id where s.session_code = ?")
        approved = self._rows(base + " and s.status = 'approved' order by s.id", (code,))
        pending = self._rows(base + " and s.status = 'pending' order by s.id limit ?", (code, MODERATION_PAGE))
        rejected = self._rows(base + " and s.status = 'rejected' order by s.id desc limit ?", (code, MODERATION_PAGE))
        counts = self._rows("select question_id, round, status, count(*) as n from submissions"
                            " where session_code = ? group by question_id, round, status", (code,))
        return moderation_page(approved, pending, rejected, counts)

    def moderate(self, code: str, submission_id: int, status: str) -> Pending:
        return self.write(_moderate, code, submission_id, status)

    def submissions(self, code: str, status: str | None = None) -> list[dict]:
        sql = ("select s.id, s.question_id, s.round, s.text, s.status, s.created_at, p.name, p.group_name"
               " from submissions s join participants p on p.id = s.participant_id"
               " where s.session_code = ?")
        params: tuple = (code,)
        if status:
            sql += " and s.status = ?"
            params += (status,)
        return list(self._rows(sql + " order by s.id", params))

    # consensus records

    def save_record(self, code: str, record: dict, version: str | None | object = ANY_VERSION) -> Pending:
        """Store the kind's record. With `version` (the `recorded_at` the caller's copy was read at, or None
        for no record yet), refuse with `stale_record` if the stored record is not that one any more."""
        return self.write(_save_record, code, record, version)

    def records(self, code: str) -> dict[str, dict]:
        rows = self._rows("select * from consensus_records where session_code = ?", (code,))
        return {row["kind"]: record_from_row(row) for row in rows}


# Write jobs: each runs on the writer thread inside a transaction.

def _set_setting(db: Database, key: str, value: str) -> None:
    db.execute("insert into settings (key, value) values (?, ?)"
               " on conflict(key) do update set value = excluded.value", (key, value))


def _new_code(db: Database) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not db.execute("select 1 from sessions where code = ?", (code,)).fetchone():
            return code


def _create_session(db: Database, title: str, service: str, plan_id: str, plan_source: dict,
                    groups: list[str], question_ids: list[str]) -> str:
    code = _new_code(db)
    db.execute(
        "insert into sessions (code, title, service, plan_id, plan_json, groups_json, created_at)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        (code, title, service, plan_id, json.dumps(plan_source), json.dumps(groups), now()))
    db.conn.executemany(
        "insert into questions (session_code, question_id) values (?, ?)",
        [(code, qid) for qid in question_ids])
    return code


def _save_state(db: Database, code: str, previous: SessionState, state: SessionState) -> None:
    if state.current_step != previous.current_step:
        db.execute("update sessions set current_step = ? where code = ?", (state.current_step, code))
    if (state.joining_locked, state.room_size, state.ended) != (previous.joining_locked, previous.room_size,
                                                                  previous.ended):
        db.execute("update sessions set joining_locked = ?, room_size = ?, ended = ? where code = ?",
                   (int(state.joining_locked), state.room_size, int(state.ended), code))
    for qid, question in state.questions.items():
        if previous.questions.get(qid) != question:
            db.execute(
                "update questions set status = ?, round = ?, revealed = ?, closes_at = ?"
                " where session_code = ? and question_id = ?",
                (question.status, question.round, int(question.revealed), question.closes_at, code, qid))


def _join(db: Database, code: str, token: str | None, name: str, group: str) -> dict:
    if token:
        row = db.execute("select id, token, name, group_name, removed_at from participants"
                         " where session_code = ? and token = ?", (code, token)).fetchone()
        if row and row[4]:
            raise Refusal("removed", "the facilitator has removed this phone from the session")
        if row:
            return _rejoin(db, row[:4], name, group)
    if db.execute("select joining_locked from sessions where code = ?", (code,)).fetchone()[0]:
        raise Refusal("joining_locked", "the facilitator has closed this session to new phones")
    token = secrets.token_urlsafe(18)
    cursor = db.execute(
        "insert into participants (session_code, token, name, group_name, joined_at) values (?, ?, ?, ?, ?)",
        (code, token, name, group, now()))
    return {"id": cursor.lastrowid, "token": token, "name": name, "group": group}


def _rejoin(db: Database, row: tuple, name: str, group: str) -> dict:
    participant_id, token, old_name, old_group = row
    name, group = name or old_name, group or old_group
    if (name, group) != (old_name, old_group):
        db.execute("update participants set name = ?, group_name = ? where id = ?",
                   (name, group, participant_id))
    return {"id": participant_id, "token": token, "name": name, "group": group}


def _open_round(db: Database, code: str, qid: str) -> int:
    row = db.execute("select status, round from questions where session_code = ? and question_id = ?",
                     (code, qid)).fetchone()
    if row is None:
        raise Refusal("unknown_question", f"no question {qid!r} in this session")
    status, round_ = row
    if status != "open":
        raise Refusal("question_closed", f"question {qid!r} is not open for answers")
    return round_


VOTE_SQL = (
    "insert into votes (session_code, question_id, round, participant_id, value, voted_at)"
    " values (?, ?, ?, ?, ?, ?) on conflict (session_code, question_id, round, participant_id)"
    " do update set value = excluded.value, voted_at = excluded.voted_at"
)
SUBMISSION_SQL = (
    "insert into submissions (session_code, question_id, round, participant_id, text, created_at)"
    " values (?, ?, ?, ?, ?, ?)"
)


def _answer_once(db: Database, sql: str, code: str, participant_id: int, message_id: str, qid: str,
                 answer: str) -> tuple[str, int, bool]:
    """Store a vote or submission in the question's open round, unless this message id was seen before.

    Returns (question id, round, whether this call stored it)."""
    seen = db.execute("select question_id, round from messages where participant_id = ? and message_id = ?",
                      (participant_id, message_id)).fetchone()
    if seen:
        return seen[0], seen[1], False
    participant = db.execute("select removed_at from participants where id = ?", (participant_id,)).fetchone()
    if participant is not None and participant[0]:  # an unknown participant is refused by the schema
        raise Refusal("removed", "the facilitator has removed this phone from the session")
    round_ = _open_round(db, code, qid)
    db.execute(sql, (code, qid, round_, participant_id, answer, now()))
    db.execute("insert into messages (participant_id, message_id, question_id, round) values (?, ?, ?, ?)",
               (participant_id, message_id, qid, round_))
    return qid, round_, True


def _submit_once(db: Database, code: str, participant_id: int, message_id: str, qid: str,
                 text: str) -> tuple[str, int, bool]:
    waiting = db.execute(
        "select count(*), sum(participant_id = ?) from submissions"
        " where session_code = ? and question_id = ? and status = 'pending'",
        (participant_id, code, qid)).fetchone()
    check_pending(waiting[1] or 0, waiting[0])
    return _answer_once(db, SUBMISSION_SQL, code, participant_id, message_id, qid, text)


def _remove_participant(db: Database, code: str, participant_id: int) -> None:
    cursor = db.execute("update participants set removed_at = coalesce(removed_at, ?)"
                        " where session_code = ? and id = ?", (now(), code, participant_id))
    if cursor.rowcount == 0:
        raise Refusal("unknown_participant", f"no participant {participant_id} in this session")
    db.execute("update submissions set status = 'rejected' where participant_id = ? and status = 'pending'",
               (participant_id,))


def _moderate(db: Database, code: str, submission_id: int, status: str) -> None:
    cursor = db.execute("update submissions set status = ? where session_code = ? and id = ?",
                        (status, code, submission_id))
    if cursor.rowcount == 0:
        raise Refusal("unknown_submission", f"no submission {submission_id} in this session")


def _save_record(db: Database, code: str, record: dict, version: str | None | object) -> dict:
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
