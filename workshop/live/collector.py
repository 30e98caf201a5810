"""Keep Python's garbage collector off the long-lived objects of a full hall.

Every connected phone holds a chain of coroutines waiting for its next message, made afresh after
each vote. With thousands of phones, the collector's generations fill with these chains while votes
flow, and a single young-generation pass over them paused the room for about 100 ms at 10,000
phones, in this server and in the raw baseline alike (BENCHMARKS.md). Freezing once a second moves
what is alive into the collector's permanent generation, which it never walks; those objects are
still freed as usual when the last reference to them goes. The price is that a reference cycle
made of objects that were frozen is never collected: measured over a 10,000-phone run, the frozen
set grew by a few hundred objects.
"""

import asyncio
import gc

FREEZE_EVERY = 1.0  # seconds


async def keep_frozen(interval: float = FREEZE_EVERY) -> None:
    """Freeze the objects alive now, every `interval` seconds, until cancelled (a lifespan task)."""
    while True:
        await asyncio.sleep(interval)
        gc.freeze()  # cheap: it moves the generations' lists, it does not walk them
