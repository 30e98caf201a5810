"""Awaiting the store's writes from the event loop, bounded against a writer stuck on the database.

Every vote waits here, so the bound costs one future and one callback a write: the deadlines of all
the writes waiting on a loop are kept in one heap, checked by one watchdog task, instead of a timer,
a shield and a timeout task for each (which doubled the event loop's work per vote).
"""

import asyncio
import heapq
import itertools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ..store.errors import StorageError


async def committed(future: "Future | asyncio.Future", within: float | None = None,
                    stalled: Callable[[], bool] = lambda: True, late: Callable[[Any], None] | None = None) -> Any:
    """Await a store write from the event loop. With `within`: every `within` seconds without an
    answer, ask `stalled()` (is the writer stuck on the database, rather than busy with a long queue?)
    and if so raise StorageError. A write refused so may still commit once the database answers:
    `late` then gets its result, so what depends on the commit still follows it."""
    if within is None:
        return await (future if isinstance(future, asyncio.Future) else asyncio.wrap_future(future))
    loop = asyncio.get_running_loop()
    waiting = _Waiting(loop.create_future(), within, stalled, late)
    if isinstance(future, asyncio.Future):
        future.add_done_callback(waiting.settle)
    else:
        future.add_done_callback(lambda done: loop.call_soon_threadsafe(waiting.settle, done))
    if not waiting.answer.done():
        _watchdog(loop).watch(waiting, loop.time() + within)
    return await waiting.answer


@dataclass(eq=False)
class _Waiting:
    """One write being awaited: `answer` is what the waiter awaits, settled by the write or by the
    watchdog, whichever comes first."""

    answer: asyncio.Future
    within: float
    stalled: Callable[[], bool]
    late: Callable[[Any], None] | None
    refused: bool = False

    def settle(self, done: "Future | asyncio.Future") -> None:
        if self.refused:
            self._followed_late(done)
        elif self.answer.done():  # the waiter was cancelled: nothing awaits the answer
            return
        elif done.cancelled():
            self.answer.cancel()
        elif (error := done.exception()) is not None:
            self.answer.set_exception(error)
        else:
            self.answer.set_result(done.result())

    def refuse(self) -> None:
        self.refused = True
        self.answer.set_exception(StorageError(f"the database did not answer within {self.within:g} s"))

    def _followed_late(self, done: "Future | asyncio.Future") -> None:
        if done.cancelled() or done.exception() is not None:  # refused or failed: nothing to follow
            return
        if self.late is not None:
            self.late(done.result())


class _Watchdog:
    """The deadlines of the writes waiting on one loop, checked by one task while any wait."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._deadlines: list[tuple[float, int, _Waiting]] = []
        self._order = itertools.count()  # breaks ties between equal deadlines
        self._task: asyncio.Task | None = None

    def watch(self, waiting: _Waiting, deadline: float) -> None:
        heapq.heappush(self._deadlines, (deadline, next(self._order), waiting))
        if self._task is None:
            self._task = self._loop.create_task(self._run(), name="workshop-write-watchdog")

    async def _run(self) -> None:
        try:
            while self._deadlines:
                deadline, _, waiting = self._deadlines[0]
                if waiting.answer.done():
                    heapq.heappop(self._deadlines)
                elif (delay := deadline - self._loop.time()) > 0:
                    await asyncio.sleep(min(delay, CHECK_EVERY))
                else:
                    heapq.heappop(self._deadlines)
                    self._expired(waiting)
        finally:
            self._task = None
            _WATCHDOGS.pop(self._loop, None)

    def _expired(self, waiting: _Waiting) -> None:
        if waiting.stalled():
            waiting.refuse()
        else:  # a long queue, not a stuck database: wait another round
            self.watch(waiting, self._loop.time() + waiting.within)


CHECK_EVERY = 0.25  # seconds: a deadline pushed ahead of the one slept on is seen at most this late

_WATCHDOGS: dict[asyncio.AbstractEventLoop, _Watchdog] = {}


def _watchdog(loop: asyncio.AbstractEventLoop) -> _Watchdog:
    found = _WATCHDOGS.get(loop)
    if found is None:
        found = _WATCHDOGS[loop] = _Watchdog(loop)
    return found
