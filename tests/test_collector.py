"""The lifespan task that keeps long-lived objects out of the garbage collector's walks, and sweeps
what closed sockets left frozen."""

import asyncio
import gc
import weakref

from workshop.live import collector
from workshop.live.collector import SWEEP_DEPARTURES, Churn, keep_frozen


async def test_objects_alive_when_it_runs_are_frozen_and_still_freed_when_dropped():
    async def scenario() -> tuple[int, int]:
        gc.unfreeze()
        task = asyncio.create_task(keep_frozen(Churn(), 0.01))
        held = [[n] for n in range(1000)]
        await asyncio.sleep(0.05)
        frozen = gc.get_freeze_count()
        del held
        after = gc.get_freeze_count()
        task.cancel()
        return frozen, after

    frozen, after = await scenario()
    gc.unfreeze()
    assert frozen >= 1000
    assert after <= frozen - 1000  # dropped frozen objects are freed by reference counting


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


async def test_a_frozen_cycle_is_swept_once_enough_sockets_have_closed():
    churn = Churn()
    task = asyncio.create_task(keep_frozen(churn, 0.01))
    try:
        node = Node()
        gone = weakref.ref(node)
        await asyncio.sleep(0.05)  # frozen while "its socket" was open
        del node
        gc.collect()
        await asyncio.sleep(0.05)
        assert gone() is not None, "a frozen cycle is left alone while few sockets have closed"
        for _ in range(SWEEP_DEPARTURES):
            churn.opened()
            churn.left()
        await asyncio.sleep(0.05)
        assert gone() is None, "the sweep did not collect the frozen cycle"
    finally:
        task.cancel()
        gc.unfreeze()


async def test_a_due_sweep_waits_for_a_second_without_messages_unless_twice_due():
    churn = Churn()
    task = asyncio.create_task(keep_frozen(churn, 0.1))

    def depart(count: int) -> None:
        for _ in range(count):
            churn.opened()
            churn.left()

    async def busy(seconds: float) -> None:  # phones keep sending
        for _ in range(int(seconds / 0.01)):
            churn.heard += 1
            await asyncio.sleep(0.01)

    try:
        node = Node()
        gone = weakref.ref(node)
        await asyncio.sleep(0.25)
        del node
        depart(SWEEP_DEPARTURES)
        await busy(0.5)
        assert gone() is not None, "a sweep fell while phones were sending"
        depart(SWEEP_DEPARTURES)
        await busy(0.5)
        assert gone() is None, "twice the departures did not force the sweep"
    finally:
        task.cancel()
        gc.unfreeze()


def count_counts(monkeypatch) -> list[int]:
    """Record each count of the frozen set."""
    counted: list[int] = []
    real_count = gc.get_freeze_count
    monkeypatch.setattr(gc, "get_freeze_count", lambda: counted.append(1) or real_count())
    return counted


async def test_the_frozen_set_is_never_counted_while_phones_send(monkeypatch):
    # Counting walks the whole frozen set: tens of milliseconds in a full hall, a pause every phone feels.
    counted = count_counts(monkeypatch)
    churn = Churn()
    task = asyncio.create_task(keep_frozen(churn, 0.02))
    try:
        await asyncio.sleep(0)
        started = len(counted)
        for _ in range(30):  # phones keep sending
            churn.heard += 1
            await asyncio.sleep(0.01)
        assert len(counted) == started, "the frozen set was counted while phones were sending"
        await asyncio.sleep(0.1)
        assert len(counted) > started, "a quiet second no longer checks the backstop"
    finally:
        task.cancel()
        gc.unfreeze()


async def test_a_quiet_room_is_counted_at_most_once_per_backstop_interval(monkeypatch):
    counted = count_counts(monkeypatch)
    monkeypatch.setattr(collector, "BACKSTOP_EVERY", 0.2)
    task = asyncio.create_task(keep_frozen(Churn(), 0.01))
    try:
        await asyncio.sleep(0.5)  # about 50 quiet ticks
        assert 2 <= len(counted) <= 5
    finally:
        task.cancel()
        gc.unfreeze()


async def test_a_room_that_grew_is_not_swept_by_the_backstop_but_garbage_in_a_steady_room_is(monkeypatch):
    swept = []
    real_sweep = collector.sweep
    monkeypatch.setattr(collector, "sweep", lambda: swept.append(1) or real_sweep())
    monkeypatch.setattr(collector, "BACKSTOP_EVERY", 0.0)
    churn = Churn()
    task = asyncio.create_task(keep_frozen(churn, 0.01))
    try:
        await asyncio.sleep(0.03)
        for _ in range(100):  # a hall joins: what its sockets hold is alive
            churn.opened()
        held = [[n] for n in range(3 * gc.get_freeze_count())]
        await asyncio.sleep(0.1)
        assert swept == [], "the backstop swept a room that had only grown"
        garbage = [Node() for _ in range(3 * gc.get_freeze_count())]  # cycles, as left by something else
        del garbage
        await asyncio.sleep(0.1)
        assert swept, "the backstop missed a frozen set that doubled in a room of the same size"
        del held
    finally:
        task.cancel()
        gc.unfreeze()
