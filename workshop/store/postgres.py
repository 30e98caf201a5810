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

from ..domain.session import SessionRecord, SessionState
from . import pg_jobs as jobs
from .errors import StorageError
from .interface import Pending
from .pg_migrations import apply_migrations
from .pg_writer import PostgresWriter
from .shaping import (
    ANY_VERSION,
    MODERATION_PAGE,
    moderation_page,
    record_from_row,
    session_record,
    session_row,
    session_state,
)

CONNECT_TIMEOUT = 2  # seconds: an unreachable database is reported, not waited on
READ_TIMEOUT = 3  # seconds a read waits for a pooled connection before it is refused
READERS = 4

log = logging.getLogger(__name__)


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self._readers: ConnectionPool | None = None
        self._readers_lock = threading.Lock()
        with self._connect() as connection:
            applied = apply_migrations(connection)
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

    def start(self) -> None:
        self.writer.start()

    def close(self) -> None:
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

    def _one(self, query: str, params: tuple = ()) -> dict | None:
        rows = self._rows(query, params)
        return rows[0] if rows else None

    def write(self, fn: Any, *args: Any) -> Pending:
        """Queue a write job `fn(tx, *args)` (tx: pg_writer.Transaction); see Writer.submit."""
        return self.writer.submit(fn, *args)

    # settings

    def setting(self, key: str) -> str | None:
        row = self._one("select value from settings where key = %s", (key,))
        return row["value"] if row else None

    def set_setting(self, key: str, value: str) -> Pending:
        return self.write(jobs.set_setting, key, value)

    def setting_or_default(self, key: str, default: str) -> str:
        """The stored setting, storing `default` first if there is none (for start-up, before the writer runs)."""
        with self._connect() as connection:
            connection.execute("insert into settings (key, value) values (%s, %s) on conflict (key) do nothing",
                               (key, default))
            row = connection.execute("select value from settings where key = %s", (key,)).fetchone()
            return str(cast(tuple, row)[0])  # inserted just above

    # sessions

    def create_session(self, title: str, service: str, plan_id: str, plan_source: dict,
                       groups: list[str], question_ids: list[str]) -> Pending:
        return self.write(jobs.create_session, title, service, plan_id, plan_source, groups, question_ids)

    def session(self, code: str) -> dict | None:
        return session_row(self._one("select * from sessions where code = %s", (code,)))

    def session_record(self, code: str) -> SessionRecord | None:
        """The read model of one session, with its plan as it was when the session was created."""
        row = self.session(code)
        return None if row is None else session_record(row, self.session_state(row["code"]))

    def list_sessions(self) -> list[dict]:
        return self._rows(
            "select s.code, s.title, s.service, s.plan_id, s.created_at,"
            " (select count(*) from participants p where p.session_code = s.code) as participants"
            " from sessions s order by s.created_at desc")

    def session_state(self, code: str) -> SessionState:
        session = self._one("select current_step, joining_locked, room_size, ended from sessions where code = %s",
                            (code,))
        return session_state(session, self._rows(
            "select question_id, status, round, revealed, closes_at from questions where session_code = %s",
            (code,)))

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
        return self._one("select * from participants where session_code = %s and token = %s", (code, token))

    def participant_count(self, code: str) -> int:
        """Participants who joined and were not removed."""
        row = self._one("select count(*) as n from participants where session_code = %s and removed_at is null",
                        (code,))
        return int(row["n"]) if row else 0

    def participants(self, code: str) -> list[dict]:
        return self._rows(
            "select id, name, group_name, joined_at, removed_at from participants where session_code = %s"
            " order by id", (code,))

    def recent_people(self, code: str, limit: int) -> list[dict]:
        """The latest `limit` participants still in the room, newest first."""
        return self._rows(
            'select id, name, group_name as "group" from participants'
            " where session_code = %s and removed_at is null order by id desc limit %s", (code, limit))

    def remove_participant(self, code: str, participant_id: int) -> Pending:
        """Take a participant out of the room: their votes leave the figures but stay in the record."""
        return self.write(jobs.remove_participant, code, participant_id)

    # votes

    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending:
        """Store a vote (replacing the participant's earlier vote in the round); result: (qid, round, stored)."""
        return self.write(jobs.vote, code, participant_id, message_id, qid, value)

    def ballot(self, code: str, participant_id: int) -> dict[str, dict]:
        """The participant's vote in the current round of every question, by question id."""
        rows = self._rows(
            "select v.question_id, v.round, v.value from votes v join questions q"
            " on q.session_code = v.session_code and q.question_id = v.question_id and q.round = v.round"
            " where v.session_code = %s and v.participant_id = %s", (code, participant_id))
        return {row["question_id"]: {"round": row["round"], "value": row["value"]} for row in rows}

    def votes(self, code: str, qid: str, round_: int) -> dict[int, str]:
        """Every counted vote of one round (removed participants' votes are not): participant id -> value."""
        return {row["participant_id"]: row["value"] for row in self._rows(
            "select v.participant_id, v.value from votes v join participants p on p.id = v.participant_id"
            " where v.session_code = %s and v.question_id = %s and v.round = %s and p.removed_at is null",
            (code, qid, round_))}

    def groups_of(self, code: str) -> dict[int, str]:
        """Each participant's group: participant id -> group name."""
        return {row["id"]: row["group_name"] for row in self._rows(
            "select id, group_name from participants where session_code = %s", (code,))}

    def all_votes(self, code: str) -> list[dict]:
        return self._rows(
            "select v.question_id, v.round, v.participant_id, p.group_name, v.value, v.voted_at,"
            " p.removed_at is not null as removed"
            " from votes v join participants p on p.id = v.participant_id"
            " where v.session_code = %s order by v.question_id, v.round, v.voted_at", (code,))

    # submissions

    def submit_text(self, code: str, participant_id: int, message_id: str, qid: str,
                    text: str) -> Pending:
        return self.write(jobs.submission, code, participant_id, message_id, qid, text)

    def moderation(self, code: str) -> dict:
        """What a console is sent of the submissions: every approved one, the oldest page of pending ones,
        the latest page of rejected ones, and counts, so a flood of texts never floods the console."""
        base = ("select s.id, s.question_id, s.round, s.text, s.status, s.created_at, p.name, p.group_name"
                " from submissions s join participants p on p.id = s.participant_id where s.session_code = %s")
        approved = self._rows(base + " and s.status = 'approved' order by s.id", (code,))
        pending = self._rows(base + " and s.status = 'pending' order by s.id limit %s", (code, MODERATION_PAGE))
        rejected = self._rows(base + " and s.status = 'rejected' order by s.id desc limit %s",
                              (code, MODERATION_PAGE))
        counts = self._rows("select question_id, round, status, count(*) as n from submissions"
                            " where session_code = %s group by question_id, round, status", (code,))
        return moderation_page(approved, pending, rejected, counts)

    def moderate(self, code: str, submission_id: int, status: str) -> Pending:
        return self.write(jobs.moderate, code, submission_id, status)

    def submissions(self, code: str, status: str | None = None) -> list[dict]:
        query = ("select s.id, s.question_id, s.round, s.text, s.status, s.created_at, p.name, p.group_name"
                 " from submissions s join participants p on p.id = s.participant_id"
                 " where s.session_code = %s")
        params: tuple = (code,)
        if status:
            query += " and s.status = %s"
            params += (status,)
        return self._rows(query + " order by s.id", params)

    # consensus records

    def save_record(self, code: str, record: dict, version: str | None | object = ANY_VERSION) -> Pending:
        """Store the kind's record. With `version` (the `recorded_at` the caller's copy was read at, or None
        for no record yet), refuse with `stale_record` if the stored record is not that one any more."""
        return self.write(jobs.save_record, code, record, version)

    def records(self, code: str) -> dict[str, dict]:
        rows = self._rows("select * from consensus_records where session_code = %s", (code,))
        return {row["kind"]: record_from_row(row) for row in rows}


# Write jobs: each runs on the writer thread inside a transaction.
