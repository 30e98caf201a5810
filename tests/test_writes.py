"""Awaiting the store's writes: answers pass through, a stalled writer is refused within its bound,
a write that commits after its refusal is still followed, and a long queue is waited out."""

import asyncio
import threading
import time
from concurrent.futures import Future

import pytest

from workshop.live.writes import committed
from workshop.store.errors import StorageError


def settle_later(future: Future, seconds: float, result: object = None, error: Exception | None = None) -> None:
    def settle() -> None:
        time.sleep(seconds)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    threading.Thread(target=settle, daemon=True).start()


async def test_an_answer_from_the_writer_thread_passes_through():
    pending: Future = Future()
    settle_later(pending, 0.01, ("q1", 2))
    assert await committed(pending, 1.0, lambda: True) == ("q1", 2)


async def test_an_answer_already_given_passes_through_at_once():
    done: Future = Future()
    done.set_result(7)
    assert await committed(done, 1.0, lambda: True) == 7


async def test_a_refusal_passes_through_with_its_own_error():
    pending: Future = Future()
    settle_later(pending, 0.01, error=ValueError("refused"))
    with pytest.raises(ValueError, match="refused"):
        await committed(pending, 1.0, lambda: True)


async def test_a_stalled_writer_is_refused_after_the_bound_and_a_late_commit_is_followed():
    pending: Future = Future()
    followed: list[object] = []
    started = time.monotonic()
    with pytest.raises(StorageError, match="did not answer within 0.2 s"):
        await committed(pending, 0.2, lambda: True, followed.append)
    assert 0.18 < time.monotonic() - started < 0.6
    pending.set_result("late")
    await asyncio.sleep(0.05)
    assert followed == ["late"]


async def test_a_refused_write_that_then_fails_is_not_followed():
    pending: Future = Future()
    followed: list[object] = []
    with pytest.raises(StorageError):
        await committed(pending, 0.1, lambda: True, followed.append)
    pending.set_exception(ValueError("never written"))
    await asyncio.sleep(0.05)
    assert followed == []


async def test_a_writer_busy_with_a_long_queue_is_waited_out():
    pending: Future = Future()
    settle_later(pending, 0.45, "committed")
    asked: list[float] = []
    assert await committed(pending, 0.1, lambda: asked.append(time.monotonic()) or False) == "committed"
    assert len(asked) >= 3  # asked again every bound, never refused


async def test_a_short_bound_is_kept_behind_a_long_one():
    long_wait: Future = Future()
    short_wait: Future = Future()
    waiter = asyncio.ensure_future(committed(long_wait, 5.0, lambda: True))
    await asyncio.sleep(0)
    started = time.monotonic()
    with pytest.raises(StorageError):
        await committed(short_wait, 0.1, lambda: True)
    assert time.monotonic() - started < 0.5
    long_wait.set_result(None)
    assert await waiter is None


async def test_thousands_of_waits_on_asyncio_futures_each_get_their_own_answer():
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in range(2000)]
    waiters = [asyncio.ensure_future(committed(future, 1.0, lambda: True)) for future in futures]
    await asyncio.sleep(0)
    for number, future in enumerate(futures):
        future.set_result(number)
    assert await asyncio.gather(*waiters) == list(range(2000))


async def test_a_cancelled_waiter_leaves_the_write_alone():
    pending: Future = Future()
    waiter = asyncio.ensure_future(committed(pending, 1.0, lambda: True))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not pending.cancelled()
    pending.set_result("written")  # settles quietly: nothing awaits it
    await asyncio.sleep(0.01)
