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

from ..domain.session import SessionState
from . import sqlite_jobs as jobs
from .common import StoreBase
from .errors import StorageError
from .interface import Pending
from .migrations import bring_up_to_date, check_schema, migrations
from .shaping import (
    MODERATION_PAGE,
    moderation_page,
    session_state,
)
from .writer import Writer


class Store(StoreBase):
    jobs = jobs
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
        try:
            check_schema(store.reader, str(path))
        except StorageError:
            store.close()
            raise
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
            bring_up_to_date(db, self.path)
        finally:
            db.close()

    @property
    def location(self) -> str:
        return str(Path(self.path).resolve())

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
        self._stop_reading()
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

    def write(self, fn: Any, *args: Any) -> Pending:
        """Queue a write job `fn(db, *args)`; see Writer.submit."""
        if self.read_only:
            raise StorageError(f"{self.path} is open read-only")
        return self.writer.submit(fn, *args)

    # settings

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

    # participants

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

    # votes

    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending:
        """Store a vote (replacing the participant's earlier vote in the round); result: (qid, round, stored)."""
        return self.write(jobs.answer_once, jobs.VOTE_SQL, code, participant_id, message_id, qid, value)

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


# Write jobs: each runs on the writer thread inside a transaction.
