"""The SQLite record of sessions, participants, votes, submissions and consensus (the embedded default).

Writes are jobs (`sqlite_jobs.py`) queued on the single Writer, returning futures that resolve after
commit; reads are here, on a connection per thread, and see only committed data (WAL lets them run
beside the writer). Shaping both backends share is in `shaping.py`.
"""

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..domain.session import SessionRecord, SessionState
from . import sqlite_jobs as jobs
from .errors import StorageError
from .interface import Pending
from .migrations import migrations
from .shaping import (
    ANY_VERSION,
    MODERATION_PAGE,
    moderation_page,
    record_from_row,
    session_record,
    session_row,
    session_state,
)
from .writer import Writer


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
        return self.write(jobs.set_setting, key, value)

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
        return self.write(jobs.create_session, title, service, plan_id, plan_source, groups, question_ids)

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
        return self.write(jobs.save_state, code, previous, state)

    # participants

    def join(self, code: str, token: str | None, name: str, group: str) -> Pending:
        return self.write(jobs.join, code, token, name, group)

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
        return self.write(jobs.remove_participant, code, participant_id)

    # votes

    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending:
        """Store a vote (replacing the participant's earlier vote in the round); result: (qid, round, stored)."""
        return self.write(jobs.answer_once, jobs.VOTE_SQL, code, participant_id, message_id, qid, value)

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
        return self.write(jobs.submit_once, code, participant_id, message_id, qid, text)

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
        return self.write(jobs.moderate, code, submission_id, status)

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
        return self.write(jobs.save_record, code, record, version)

    def records(self, code: str) -> dict[str, dict]:
        rows = self._rows("select * from consensus_records where session_code = ?", (code,))
        return {row["kind"]: record_from_row(row) for row in rows}


# Write jobs: each runs on the writer thread inside a transaction.
