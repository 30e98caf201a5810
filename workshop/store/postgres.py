"""The record in PostgreSQL, for several app processes sharing one database.

The same public surface and semantics as the SQLite Store (see interface.RecordStore): writes are
jobs (`pg_jobs.py`) run by one writer thread per process with group commit and settle after COMMIT; reads take a
connection from a small pool and see only committed data. Uniqueness (one vote per participant per
question per round, message ids counted once) lives in the schema, so it holds across processes.
"""

import logging
import threading
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from . import pg_jobs as jobs
from .common import StoreBase
from .errors import StorageError
from .interface import Pending
from .pg_migrations import apply_migrations
from .pg_writer import PostgresWriter

CONNECT_TIMEOUT = 2  # seconds: an unreachable database is reported, not waited on
READ_TIMEOUT = 3  # seconds a read waits for a pooled connection before it is refused
READERS = 4

log = logging.getLogger(__name__)


class PostgresStore(StoreBase):
    jobs = jobs
    # Every read and write is a network round trip: a database that does not answer within a second
    # is reported as unavailable rather than waited on (the phones' outbox resends).
    read_wait = 1.0
    write_wait = 1.0

    def __init__(self, url: str) -> None:
        self.url = url
        self._readers: ConnectionPool | None = None
        self._readers_lock = threading.Lock()
        with self._connect() as connection:
            applied = apply_migrations(connection, self.location)
        if applied:
            log.info("applied migrations %s to %s", ", ".join(applied), self.location)
        self.writer = PostgresWriter(self._connect)

    @property
    def location(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                               application_name="workshop")

    def _pool(self) -> ConnectionPool:
        with self._readers_lock:
            if self._readers is None:
                self._readers = ConnectionPool(
                    self.url, min_size=1, max_size=READERS, timeout=READ_TIMEOUT, open=True,
                    name="workshop-readers",
                    kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT,
                            "application_name": "workshop"})
            return self._readers

    def close(self) -> None:
        self._stop_reading()
        self.writer.stop()
        with self._readers_lock:
            readers, self._readers = self._readers, None
        if readers is not None:
            readers.close()

    def ping(self) -> None:
        # A connection of its own: a health probe must not wait behind busy readers for READ_TIMEOUT.
        try:
            with self._connect() as connection:
                connection.execute("select 1")
        except psycopg.Error as error:
            raise StorageError(f"the database could not be read: {error}") from None

    def _rows(self, query: str, params: tuple = ()) -> list[dict]:
        query = query.replace("?", "%s")  # the queries both backends share are written for SQLite
        try:
            try:
                return self._read(query, params)
            except psycopg.OperationalError as error:
                if isinstance(error, PoolTimeout):
                    raise
                # After a PostgreSQL restart the idle pooled connections are all dead: replace them
                # and read once more, rather than fail one read per stale connection.
                self._pool().check()
                return self._read(query, params)
        except (psycopg.Error, PoolTimeout) as error:
            raise StorageError(f"the database could not be read: {error}") from None

    def _read(self, query: str, params: tuple) -> list[dict]:
        with self._pool().connection() as connection:
            return cast(list[dict], connection.execute(query, params).fetchall())  # rows come as dicts

    def write(self, fn: Any, *args: Any) -> Pending:
        """Queue a write job `fn(tx, *args)` (tx: pg_writer.Transaction); see Writer.submit."""
        return self.writer.submit(fn, *args)

    # settings

    def setting_or_default(self, key: str, default: str) -> str:
        """The stored setting, storing `default` first if there is none (for start-up, before the writer runs)."""
        with self._connect() as connection:
            connection.execute("insert into settings (key, value) values (%s, %s) on conflict (key) do nothing",
                               (key, default))
            row = connection.execute("select value from settings where key = %s", (key,)).fetchone()
            return str(cast(tuple, row)[0])  # inserted just above

    # sessions

    # participants

    # votes

    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending:
        """Store a vote (replacing the participant's earlier vote in the round); result: (qid, round, stored)."""
        return self.write(jobs.vote, code, participant_id, message_id, qid, value)

    # submissions

    def submit_text(self, code: str, participant_id: int, message_id: str, qid: str,
                    text: str) -> Pending:
        return self.write(jobs.submission, code, participant_id, message_id, qid, text)

    # consensus records


# Write jobs: each runs on the writer thread inside a transaction.
