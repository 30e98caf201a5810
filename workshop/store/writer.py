"""The single writer: one thread owns the write connection and commits jobs in small batches.

Every write in the process goes through here, so SQLite never sees two writers, and a burst of votes
shares a handful of fsyncs (group commit). A job's future resolves only after its batch has
committed, which is what lets a socket acknowledge a vote as durable.
"""

import asyncio
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from .. import metrics
from .errors import StorageError, WriterStopped

MAX_BATCH = 512

log = logging.getLogger(__name__)


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple
    future: "Future | asyncio.Future" = field(default_factory=Future)
    loop: asyncio.AbstractEventLoop | None = None  # set when the caller awaits from an event loop


class Writer:
    def __init__(self, connect: Callable[[], Any], path: str | None = None) -> None:
        """`path` is the database file: before each batch the writer checks it is still the file it has
        open, since SQLite would go on committing into a deleted or replaced file, and lose it all."""
        self._connect = connect
        self._path = path
        self._files = _Files(path)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="workshop-writer", daemon=True)
        self._stopped = threading.Event()
        self._ready = threading.Event()
        self.batches = 0
        self._busy_since: float | None = None  # when the batch being written was taken; None while idle

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def submit(self, fn: Callable[..., Any], *args: Any) -> "Future | asyncio.Future":
        """Queue `fn(db, *args)` to run inside a transaction; the future holds its result after commit.

        Called from an event loop, the future is an asyncio one, and a whole batch is settled with a
        single wake-up of the loop; called from any other thread, it is a concurrent.futures.Future.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            job = _Job(fn, args)
        else:
            job = _Job(fn, args, loop.create_future(), loop)
        if self._stopped.is_set():
            _settle([(job, False, WriterStopped("the database writer has stopped"))])
        else:
            self._jobs.put(job)
        return job.future

    def stop(self) -> None:
        """Drain what is queued, commit it, and stop the thread."""
        if not self._stopped.is_set():
            self._stopped.set()
            if self._thread.ident is None:  # never started: only reads were made
                return
            self._jobs.put(None)
            self._thread.join()

    def _run(self) -> None:
        db = self._connect()
        db.execute("select count(*) from sqlite_master")  # opens the write-ahead log too
        self._files.remember()
        self._ready.set()
        try:
            while True:
                batch, stop = self._take_batch()
                if batch:
                    self._commit_batch(db, batch)
                if stop:
                    break
        finally:
            self._fold_log(db)
            db.close()
            self._fail_leftovers()

    def _fold_log(self, db: Database) -> None:
        """Copy the write-ahead log into the database file, so that once the server has stopped the
        file alone holds every commit (a copy of it is a whole backup), even while other threads'
        readers keep the log open."""
        if lost := self._files.lost():
            log.warning("the write-ahead log was not copied in: %s", lost)  # it would go into a file no one can open
            return
        try:
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as error:
            log.warning("the write-ahead log could not be copied into %s: %s; it stays beside it", self._path, error)
            return
        if busy:
            log.warning("a reader kept the write-ahead log from being copied into %s; it stays beside it", self._path)

    def stalled(self, seconds: float) -> bool:
        """Whether the batch being written has waited on the database for longer than `seconds` (a
        frozen database, not a long queue: a writer that keeps committing batches is not stalled)."""
        busy = self._busy_since
        return busy is not None and time.monotonic() - busy > seconds

    def _take_batch(self) -> tuple[list[_Job], bool]:
        self._busy_since = None
        first = self._jobs.get()
        self._busy_since = time.monotonic()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _commit_batch(self, db: Database, batch: list[_Job]) -> None:
        started = time.perf_counter()
        lost = self._files.lost()
        if lost:
            log.error("THE DATABASE FILE IS GONE, %d writes refused: %s", len(batch), lost)
            refusal = StorageError(f"the database file is gone ({lost})")
            _settle_batch([(job, False, refusal) for job in batch])
            return
        try:
            try:
                outcomes = self._run_batch(db, batch, _run_job)
            except _NeedsSavepoints:
                # A job failed after writing part of its work: run the batch again with each job
                # in its own savepoint, so that job leaves nothing behind and the rest still commits.
                db.rollback()
                outcomes = self._run_batch(db, batch, _run_job_in_savepoint)
        except sqlite3.Error as error:
            db.rollback()
            log.error("THE DATABASE COULD NOT BE WRITTEN, %d writes refused: %s", len(batch), error)
            metrics.BATCHES_REFUSED.labels("sqlite").inc()
            refusal = StorageError(f"the database could not be written: {error}")
            _settle_batch([(job, False, refusal) for job in batch])
            return
        self.batches += 1
        metrics.committed("sqlite", len(batch), started)
        _settle_batch(outcomes)

    @staticmethod
    def _run_batch(db: Database, batch: list[_Job], run: Callable) -> list[tuple[_Job, bool, Any]]:
        db.execute("BEGIN IMMEDIATE")
        outcomes = [run(db, job) for job in batch]
        db.execute("COMMIT")
        return outcomes

    def _fail_leftovers(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                _settle_batch([(job, False, WriterStopped("the database writer has stopped"))])


class _Files:
    """The database file and its write-ahead log, as they were when the writer opened them."""

    def __init__(self, path: str | None) -> None:
        self._paths = [path, f"{path}-wal"] if path else []
        self._known: dict[str, tuple[int, int]] = {}

    def remember(self) -> None:
        for path in self._paths:
            identity = _identity(path)
            if identity is not None:
                self._known[path] = identity

    def lost(self) -> str | None:
        """Why the files at the paths are no longer the ones open, or None. One stat per file."""
        for path, known in self._known.items():
            identity = _identity(path)
            if identity is None:
                return f"{path} was deleted"
            if identity != known:
                return f"{path} was replaced by another file"
        return None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


class _NeedsSavepoints(Exception):
    """A job failed part-way through its writes; its batch must run again job by job in savepoints."""


def _run_job(db: Database, job: _Job) -> tuple[_Job, bool, Any]:
    # Most jobs refuse before writing anything (a closed question, a resent message id), so a
    # savepoint per job is only paid for when a job fails after it has changed something.
    changes = db.conn.total_changes
    try:
        return job, True, job.fn(db, *job.args)
    except sqlite3.Error:
        raise _NeedsSavepoints() from None
    except Exception as error:  # the job's own refusal, handed back to its caller
        if db.conn.total_changes != changes:
            raise _NeedsSavepoints() from None
        return job, False, error


def _run_job_in_savepoint(db: Database, job: _Job) -> tuple[_Job, bool, Any]:
    db.execute("SAVEPOINT job")
    try:
        value = job.fn(db, *job.args)
    except sqlite3.Error as error:
        db.execute("ROLLBACK TO SAVEPOINT job")
        db.execute("RELEASE SAVEPOINT job")
        log.error("THE DATABASE COULD NOT BE WRITTEN: %s", error)
        return job, False, StorageError(f"the database could not be written: {error}")
    except Exception as error:
        db.execute("ROLLBACK TO SAVEPOINT job")
        db.execute("RELEASE SAVEPOINT job")
        return job, False, error
    db.execute("RELEASE SAVEPOINT job")
    return job, True, value


def _settle_batch(outcomes: list[tuple[_Job, bool, Any]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop | None, list] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, settled in by_loop.items():
        if loop is None:
            _settle(settled)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(_settle, settled)


def _settle(outcomes: list[tuple[_Job, bool, Any]]) -> None:
    for job, ok, value in outcomes:
        if job.future.done():  # an awaiting caller may have been cancelled (its socket closed)
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)
