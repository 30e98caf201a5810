"""The PostgreSQL writer tells a stalled database from a long batch: a write waits at most the store's
bound on a writer whose statement the database does not answer, never on one that keeps committing."""

import threading
import time

from workshop.store import open_store


def _sleeps(tx, count: int, seconds: float) -> None:
    for _ in range(count):
        tx.execute("select pg_sleep(%s)", (seconds,))


def _stalled_while(store, count: int, seconds: float) -> list[bool]:
    """Run one job of `count` statements of `seconds` each; what writer_stalled said meanwhile, asked
    with the PostgreSQL store's own bound (1 s)."""
    seen: list[bool] = []
    done = threading.Event()
    pending = store.write(_sleeps, count, seconds)
    pending.add_done_callback(lambda _: done.set())
    while not done.wait(0.05):
        seen.append(store.writer_stalled(store.write_wait))
    pending.result()
    return seen


def test_a_batch_whose_statements_keep_being_answered_is_never_stalled(postgres_url):
    store = open_store(postgres_url)
    store.start()
    try:
        started = time.monotonic()
        seen = _stalled_while(store, 40, 0.05)  # 2 s in all, each statement answered within 0.05 s
        assert time.monotonic() - started > 2 * store.write_wait - 0.1 and len(seen) > 10
        assert not any(seen)
    finally:
        store.close()


def test_a_statement_the_database_does_not_answer_stalls_the_writer(postgres_url):
    store = open_store(postgres_url)
    store.start()
    try:
        seen = _stalled_while(store, 1, 2.0)  # one statement unanswered for 2 s
        assert not seen[0] and any(seen)
    finally:
        store.close()
