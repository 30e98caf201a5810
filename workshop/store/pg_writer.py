"""The PostgreSQL writer: one thread, one connection, jobs committed in batches (group commit).

It keeps the SQLite writer's contract: a job's future settles only after its batch's COMMIT has
returned (with PostgreSQL's default synchronous_commit, after the WAL is flushed), a job that fails
after writing leaves nothing behind while the rest of its batch commits, and a batch the database
could not take is refused as a whole with StorageError. A lost connection is replaced before the
next batch, so the writer recovers by itself once PostgreSQL is back.
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Any

import psycopg

from .. import metrics
from .errors import StorageError
from .writer import Writer, _Job, _settle_batch

log = logging.getLogger(__name__)


class Transaction:
    """The writer's connection as write jobs see it.

    It counts the rows each statement changed, so a job that refuses after changing something is
    known to need rolling back on its own (PostgreSQL has no cheap total_changes like SQLite).
    A job function may carry a `together(tx, [args, ...]) -> [(ok, value), ...]` attribute: the writer
    then runs consecutive jobs of that function in one call, which must write nothing for a job it
    reports as refused, and raise (sending the batch to savepoints) on any database error."""

    def __init__(self, connection: psycopg.Connection, answered: Callable[[], None] = lambda: None) -> None:
        self.connection = connection
        self.changes = 0
        self._answered = answered  # told each time the database answers a statement

    def execute(self, sql: Any, params: Sequence | dict | None = None) -> psycopg.Cursor:
        cursor = self.connection.execute(sql, params)
        self._count(cursor)
        return cursor

    def executemany(self, sql: Any, params: Iterable[Sequence]) -> None:
        cursor = self.connection.cursor()
        cursor.executemany(sql, params)
        self._count(cursor)

    def _count(self, cursor: psycopg.Cursor) -> None:
        self._answered()
        if cursor.rowcount > 0 and not (cursor.statusmessage or "").startswith("SELECT"):
            self.changes += cursor.rowcount


class PostgresWriter(Writer):
    def __init__(self, connect: Callable[[], psycopg.Connection]) -> None:
        super().__init__(connect)
        self._thread.name = "workshop-postgres-writer"

    def _run(self) -> None:
        connection = self._reconnect(None)
        self._ready.set()
        try:
            while True:
                batch, stop = self._take_batch()
                if batch:
                    connection = self._commit_or_refuse(connection, batch)
                if stop:
                    break
        finally:
            if connection is not None:
                connection.close()
            self._fail_leftovers()

    def _answered(self) -> None:
        # A batch whose statements keep being answered is not stalled, however long it runs: 512
        # joins took over a second when a join storm held the event loop (and the GIL), and every
        # write waiting on them was refused as if the database were frozen.
        self._busy_since = time.monotonic()

    def _reconnect(self, connection: psycopg.Connection | None) -> psycopg.Connection | None:
        if connection is not None and not connection.closed and not connection.broken:
            return connection
        if connection is not None:
            connection.close()
        try:
            return self._connect()
        except psycopg.Error as error:
            log.error("THE DATABASE IS UNREACHABLE: %s", error)
            return None

    def _commit_or_refuse(self, connection: psycopg.Connection | None,
                          batch: list[_Job]) -> psycopg.Connection | None:
        started = time.perf_counter()
        connection = self._reconnect(connection)
        try:
            if connection is None:
                raise psycopg.OperationalError("no connection to the database")
            outcomes = self._commit(Transaction(connection, self._answered), batch)
        except psycopg.Error as error:
            _roll_back_quietly(connection)
            log.error("THE DATABASE COULD NOT BE WRITTEN, %d writes refused: %s", len(batch), error)
            metrics.BATCHES_REFUSED.labels("postgresql").inc()
            refusal = StorageError(f"the database could not be written: {error}")
            _settle_batch([(job, False, refusal) for job in batch])
            return connection
        self.batches += 1
        metrics.committed("postgresql", len(batch), started)
        _settle_batch(outcomes)
        return connection

    def _commit(self, tx: Transaction, batch: list[_Job]) -> list[tuple[_Job, bool, Any]]:
        try:
            return _run_batch(tx, batch, _run_job)
        except _NeedsSavepoints:
            # A job failed after writing, or PostgreSQL aborted the transaction on an error: run the
            # batch again with each job in its own savepoint, so only that job is lost.
            tx.execute("ROLLBACK")
            return _run_batch(tx, batch, _run_job_in_savepoint)


class _NeedsSavepoints(Exception):
    """A job failed part-way through its writes; its batch must run again job by job in savepoints."""


def _run_batch(tx: Transaction, batch: list[_Job], run: Callable) -> list[tuple[_Job, bool, Any]]:
    tx.execute("BEGIN")
    outcomes = _run_together(tx, batch) if run is _run_job else [run(tx, job) for job in batch]
    tx.execute("COMMIT")
    return outcomes


def _run_together(tx: Transaction, batch: list[_Job]) -> list[tuple[_Job, bool, Any]]:
    """Run the batch in order; a run of jobs of the same kind that can go together (votes) goes as one
    pipelined statement list, one network round trip for all of them instead of one each."""
    outcomes: list[tuple[_Job, bool, Any]] = []
    for fn, same in groupby(batch, key=lambda job: job.fn):
        jobs = list(same)
        together = getattr(fn, "together", None)
        if together is None or len(jobs) == 1:
            outcomes += [_run_job(tx, job) for job in jobs]
            continue
        try:
            results = together(tx, [job.args for job in jobs])
        except psycopg.Error:
            raise _NeedsSavepoints() from None
        outcomes += [(job, ok, value) for job, (ok, value) in zip(jobs, results)]
    return outcomes


def _run_job(tx: Transaction, job: _Job) -> tuple[_Job, bool, Any]:
    changes = tx.changes
    try:
        return job, True, job.fn(tx, *job.args)
    except psycopg.Error:
        raise _NeedsSavepoints() from None
    except Exception as error:  # the job's own refusal, handed back to its caller
        if tx.changes != changes:
            raise _NeedsSavepoints() from None
        return job, False, error


def _run_job_in_savepoint(tx: Transaction, job: _Job) -> tuple[_Job, bool, Any]:
    tx.execute("SAVEPOINT job")
    try:
        value = job.fn(tx, *job.args)
    except psycopg.Error as error:
        _undo_savepoint(tx)  # raises in turn if the connection itself is lost: the batch is refused
        log.error("THE DATABASE COULD NOT BE WRITTEN: %s", error)
        return job, False, StorageError(f"the database could not be written: {error}")
    except Exception as error:
        _undo_savepoint(tx)
        return job, False, error
    tx.execute("RELEASE SAVEPOINT job")
    return job, True, value


def _undo_savepoint(tx: Transaction) -> None:
    tx.execute("ROLLBACK TO SAVEPOINT job")
    tx.execute("RELEASE SAVEPOINT job")


def _roll_back_quietly(connection: psycopg.Connection | None) -> None:
    if connection is None or connection.closed or connection.broken:
        return
    try:
        connection.execute("ROLLBACK")
    except psycopg.Error:
        connection.close()  # replaced before the next batch
