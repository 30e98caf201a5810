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

from . import sqlite_jobs as jobs
from .common import StoreBase
from .errors import StorageError
from .interface import Pending
from .migrations import bring_up_to_date, check_schema, migrations
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

    # participants

    # votes

    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending:
        """Store a vote (replacing the participant's earlier vote in the round); result: (qid, round, stored)."""
        return self.write(jobs.answer_once, jobs.VOTE_SQL, code, participant_id, message_id, qid, value)

    # submissions

    def submit_text(self, code: str, participant_id: int, message_id: str, qid: str,
                    text: str) -> Pending:
        return self.write(jobs.submit_once, code, participant_id, message_id, qid, text)

    # consensus records


# Write jobs: each runs on the writer thread inside a transaction.
