"""Awaiting the store's writes from the event loop, bounded against a writer stuck on the database."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..store.errors import StorageError


async def committed(future: "Future | asyncio.Future", within: float | None = None,
                    stalled: Callable[[], bool] = lambda: True, late: Callable[[Any], None] | None = None) -> Any:
    """Await a store write from the event loop. With `within`: every `within` seconds without an
    answer, ask `stalled()` (is the writer stuck on the database, rather than busy with a long queue?)
    and if so raise StorageError. A write refused so may still commit once the database answers:
    `late` then gets its result, so what depends on the commit still follows it."""
    waited = future if isinstance(future, asyncio.Future) else asyncio.wrap_future(future)
    if within is None:
        return await waited
    while True:
        try:
            return await asyncio.wait_for(asyncio.shield(waited), within)
        except TimeoutError:
            if stalled():
                break
    waited.add_done_callback(lambda done: _settled_late(done, late))
    raise StorageError(f"the database did not answer within {within:g} s")


def _settled_late(done: asyncio.Future, late: Callable[[Any], None] | None) -> None:
    if done.cancelled() or done.exception() is not None:  # retrieved: refused or failed, nothing to follow
        return
    if late is not None:
        late(done.result())
