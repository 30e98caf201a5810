"""Awaiting the store's writes: answers pass through, a stalled writer is refused within its bound,
a write that commits after its refusal is still followed, and a long queue is waited out."""

import asyncio
import threading
import time
from concurrent.futures import Future

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


WRITES = st.lists(st.tuples(st.sampled_from([0.02, 0.05]),  # the bound
                            st.one_of(st.none(), st.floats(0, 0.08)),  # when the write settles (None: only at the end)
                            st.booleans(),  # whether it fails
                            st.booleans()),  # whether the writer says it is stalled
                  min_size=1, max_size=12)


@given(WRITES)
@settings(max_examples=30, deadline=None)
def test_every_wait_ends_with_its_own_answer_or_a_refusal_after_its_bound_and_late_commits_are_followed_once(writes):
    outcomes, followed, settled = asyncio.run(wait_for_all(writes))
    for number, (within, _, fails, stalled) in enumerate(writes):
        outcome, waited = outcomes[number]
        if isinstance(outcome, StorageError):
            assert stalled and waited >= within * 0.9, (number, writes[number], waited)
            assert followed.count(number) == (0 if fails else 1), (number, followed)
        else:
            assert outcome == (f"failed {number}" if fails else number)
            assert number not in followed  # answered in time: nothing to follow late
    assert settled == len(writes)


async def wait_for_all(writes) -> tuple[list, list[int], int]:
    loop = asyncio.get_running_loop()
    futures = [loop.create_future() for _ in writes]
    followed: list[int] = []

    def settle(number: int) -> None:
        if futures[number].done():  # settled at the end already
            return
        if writes[number][2]:
            futures[number].set_exception(ValueError(f"failed {number}"))
        else:
            futures[number].set_result(number)

    async def wait(number: int, within: float, stalled: bool) -> tuple[object, float]:
        started = loop.time()
        try:
            outcome = await committed(futures[number], within, lambda: stalled, followed.append)
        except (StorageError, ValueError) as error:
            outcome = error if isinstance(error, StorageError) else str(error)
        return outcome, loop.time() - started

    for number, (_, settles_at, _, stalled) in enumerate(writes):
        if settles_at is not None or not stalled:  # a writer that is not stuck answers in the end
            loop.call_later(settles_at if settles_at is not None else 0.1, settle, number)
    outcomes = await asyncio.gather(*(wait(number, within, stalled)
                                      for number, (within, _, _, stalled) in enumerate(writes)))
    for number, future in enumerate(futures):  # the writes never answered commit once all have waited
        if not future.done():
            settle(number)
    await asyncio.sleep(0.11)  # past every settlement still scheduled
    return outcomes, followed, sum(future.done() for future in futures)
