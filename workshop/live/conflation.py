"""Bursts of changes to a room become at most one broadcast per interval (live tallies ~10/s)."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from .background import Background

BROADCAST_INTERVAL = 0.1  # seconds


class Conflation:
    """Calls `flush(to_phones)` once per interval after changes; `to_phones` if any change asked for it."""

    def __init__(self, flush: Callable[[bool], Coroutine[Any, Any, None]]) -> None:
        self._flush = flush
        self._pending: asyncio.TimerHandle | None = None
        self._to_phones = False
        self._running = Background("a broadcast failed")
        self._in_flight = False
        self._again = False

    def changed(self, phones: bool = False, now: bool = False) -> None:
        self._to_phones = self._to_phones or phones
        if now:
            if self._pending is not None:
                self._pending.cancel()
            self._pending = None
            self._start()
        elif self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(BROADCAST_INTERVAL, self._start)

    def _start(self) -> None:
        self._pending = None
        if self._in_flight:  # a broadcast awaiting its reads: the next starts once it is sent
            self._again = True
            return
        to_phones, self._to_phones = self._to_phones, False
        self._in_flight = True
        self._running.start(self._one_flush(to_phones))

    async def _one_flush(self, to_phones: bool) -> None:
        try:
            await self._flush(to_phones)
        finally:
            self._in_flight = False
            if self._again:
                self._again = False
                self._start()
