"""What both record backends do alike: the reads and queued writes whose SQL is the same in SQLite and
PostgreSQL. Queries are written with `?` placeholders; a backend's `_rows` reads them in its own
dialect, and `jobs` is its module of write jobs (`sqlite_jobs`, `pg_jobs`)."""

import asyncio
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any, TypeVar

from ..domain.answers import ANY_VERSION
from ..domain.commands import Command
from ..domain.session import SessionRecord, SessionState
from . import shared_jobs
from .errors import StorageError
from .interface import Pending
from .shaping import (
    MODERATION_PAGE,
    moderation_page,
    record_from_row,
    session_record,
    session_row,
    session_state,
)

T = TypeVar("T")
AWAITED_READERS = 4  # threads per process that run the reads awaited from the event loop


class StoreBase:
    jobs: ModuleType
    writer: Any
    read_wait = 5.0  # seconds an awaited read may take before it is refused as unavailable
    write_wait = 5.0  # seconds a write may wait on a writer stuck on the database (see live.writes.committed)
    _read_threads: ThreadPoolExecutor | None = None
    _read_threads_lock = threading.Lock()

    async def awaited(self, read: Callable[..., T], *args: Any) -> T:
        """Run one of this store's reads on its reading threads, never on the event loop; a read that
        takes longer than `read_wait` (a frozen database) raises StorageError, and its thread finishes
        on its own when the database answers."""
        running = asyncio.get_running_loop().run_in_executor(self._readers_pool(), read, *args)
        try:
            return await asyncio.wait_for(running, self.read_wait)
        except TimeoutError:
            raise StorageError(f"the database did not answer within {self.read_wait:g} s") from None

    def writer_stalled(self, seconds: float) -> bool:
        """Whether the writer has waited on the database for its current batch longer than `seconds`."""
        return bool(self.writer.stalled(seconds))

    def _readers_pool(self) -> ThreadPoolExecutor:
        with self._read_threads_lock:
            if self._read_threads is None:
                self._read_threads = ThreadPoolExecutor(AWAITED_READERS, thread_name_prefix="workshop-read")
            return self._read_threads

    def _stop_reading(self) -> None:
        with self._read_threads_lock:
            threads, self._read_threads = self._read_threads, None
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)  # a thread stuck on a frozen database is left

    def _rows(self, query: str, params: tuple = ()) -> list[dict]:
        raise NotImplementedError

    def _one(self, query: str, params: tuple = ()) -> dict | None:
        rows = self._rows(query, params)
        return rows[0] if rows else None

    def write(self, fn: Any, *args: Any) -> Pending:
        raise NotImplementedError

    # reads both backends share: written for SQLite's `?`, which PostgreSQL's `_rows` turns into `%s`

    def list_sessions(self) -> list[dict]:
        return self._rows(
            "select s.code, s.title, s.service, s.plan_id, s.created_at,"
            " (select count(*) from participants p where p.session_code = s.code) as participants"
            " from sessions s order by s.created_at desc")

    def session_state(self, code: str) -> SessionState:
        session = self._one("select current_step, joining_locked, room_size, ended from sessions where code = ?",
                            (code,))
        return session_state(session, self._rows(
            "select question_id, status, round, revealed, closes_at from questions where session_code = ?", (code,)))

    def participant_count(self, code: str) -> int:
        """Participants who joined and were not removed."""
        row = self._one("select count(*) as n from participants where session_code = ? and removed_at is null",
                        (code,))
        return int(row["n"]) if row else 0

    def recent_people(self, code: str, limit: int) -> list[dict]:
        """The latest `limit` participants still in the room, newest first."""
        return self._rows(
            'select id, name, group_name as "group" from participants'
            " where session_code = ? and removed_at is null order by id desc limit ?", (code, limit))

    def participants(self, code: str) -> list[dict]:
        return self._rows(
            "select id, name, group_name, joined_at, removed_at from participants where session_code = ?"
            " order by id", (code,))

    def all_votes(self, code: str) -> list[dict]:
        return self._rows(
            "select v.question_id, v.round, v.participant_id, p.group_name, v.value, v.voted_at,"
            " p.removed_at is not null as removed"
            " from votes v join participants p on p.id = v.participant_id"
            " where v.session_code = ? order by v.question_id, v.round, v.voted_at", (code,))

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
        query = ("select s.id, s.question_id, s.round, s.text, s.status, s.created_at, p.name, p.group_name"
                 " from submissions s join participants p on p.id = s.participant_id where s.session_code = ?")
        params: tuple = (code,)
        if status:
            query += " and s.status = ?"
            params += (status,)
        return self._rows(query + " order by s.id", params)

    def start(self) -> None:
        self.writer.start()

    def setting(self, key: str) -> str | None:
        row = self._one("select value from settings where key = ?", (key,))
        return row["value"] if row else None

    def set_setting(self, key: str, value: str) -> Pending:
        return self.write(shared_jobs.set_setting, key, value)

    def keep_signin(self, token_hash: str, expires_at: float, now: float) -> Pending:
        """Keep a one-time sign-in token (its hash) until `expires_at`, dropping those expired by `now`."""
        return self.write(shared_jobs.keep_signin, token_hash, expires_at, now)

    def signin_kept(self, token_hash: str) -> bool:
        """Whether a sign-in token is kept (a read: the writer is asked only for tokens that exist)."""
        return self._one("select 1 as kept from signin_tokens where token_hash = ?", (token_hash,)) is not None

    def redeem_signin(self, token_hash: str, now: float) -> Pending:
        """Take a sign-in token out of the record; result: True if it was there and not expired, once only."""
        return self.write(shared_jobs.redeem_signin, token_hash, now)

    def create_session(self, title: str, service: str, plan_id: str, plan_source: dict,
                       groups: list[str], question_ids: list[str]) -> Pending:
        return self.write(shared_jobs.create_session, title, service, plan_id, plan_source, groups, question_ids)

    def session(self, code: str) -> dict | None:
        return session_row(self._one("select * from sessions where code = ?", (code,)))

    def session_record(self, code: str) -> SessionRecord | None:
        """The read model of one session, with its plan as it was when the session was created."""
        row = self.session(code)
        return None if row is None else session_record(row, self.session_state(row["code"]))

    def timed_sessions(self) -> list[str]:
        """Codes of the sessions with a countdown running on an open question."""
        return [row["session_code"] for row in self._rows(
            "select distinct session_code from questions where status = 'open' and closes_at is not null")]

    def save_state(self, code: str, previous: SessionState, state: SessionState,
                   attendance: Mapping[tuple[str, int], Collection[int]] | None = None,
                   command: Command | None = None) -> Pending:
        """Store a new state; `attendance` holds, for each round it closes, the participants present.
        Result: the StateChanged event, naming `command` if given."""
        return self.write(shared_jobs.save_state, code, previous, state, dict(attendance or {}), self.jobs.DIALECT,
                          command)

    def attendance(self, code: str) -> dict[tuple[str, int], dict]:
        """Who was present for each closed round, as stored when it closed: {(qid, round): {"groups":
        {participant id: group then}, "amended": True when a participant present has since been removed}}."""
        found: dict[tuple[str, int], dict] = {}
        for row in self._rows(
                "select r.question_id, r.round, r.participant_id, r.group_name, p.removed_at is not null as removed"
                " from round_presence r join participants p on p.id = r.participant_id"
                " where r.session_code = ?", (code,)):
            entry = found.setdefault((row["question_id"], row["round"]), {"groups": {}, "amended": False})
            if row["removed"]:
                entry["amended"] = True
            else:
                entry["groups"][row["participant_id"]] = row["group_name"]
        return found

    def join(self, code: str, token: str | None, name: str, group: str) -> Pending:
        return self.write(shared_jobs.join, code, token, name, group)

    def participant_by_token(self, code: str, token: str) -> dict | None:
        return self._one("select * from participants where session_code = ? and token = ?", (code, token))

    def remove_participant(self, code: str, participant_id: int) -> Pending:
        """Take a participant out of the room: their votes leave the figures but stay in the record."""
        return self.write(shared_jobs.remove_participant, code, participant_id)

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

    def moderate(self, code: str, submission_id: int, status: str) -> Pending:
        return self.write(shared_jobs.moderate, code, submission_id, status)

    def save_record(self, code: str, record: dict, version: str | None | object = ANY_VERSION) -> Pending:
        """Store the kind's record. With `version` (the `recorded_at` the caller's copy was read at, or None
        for no record yet), refuse with `stale_record` if the stored record is not that one any more."""
        return self.write(self.jobs.save_record, code, record, version)

    def records(self, code: str) -> dict[str, dict]:
        rows = self._rows("select * from consensus_records where session_code = ?", (code,))
        return {row["kind"]: record_from_row(row) for row in rows}
