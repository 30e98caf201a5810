"""Keep Python's garbage collector off the long-lived objects of a full hall, and still collect what
the sockets that closed left behind.

Every connected phone holds a chain of coroutines waiting for its next message, made afresh after
each vote. With thousands of phones, the collector's generations fill with these chains while votes
flow, and a single young-generation pass over them paused the room for about 100 ms at 10,000
phones, in this server and in the raw baseline alike (BENCHMARKS.md). Freezing once a second moves
what is alive into the collector's permanent generation, which it never walks; those objects are
still freed as usual when the last reference to them goes.

A reference cycle made of frozen objects, though, is never collected: a socket that was open through
a freeze leaves its cycles in the permanent generation when it closes, and a soak of reconnects grew
the server without bound. So the frozen set is swept (unfrozen, collected in full, frozen again)
once enough sockets have closed since the last sweep: at least `SWEEP_DEPARTURES`, and at least
`SWEEP_SHARE` of those still open, so that a sweep, whose cost follows the objects alive, is spread
over as many departures. A sweep waits for a second in which no phone sent a message, so it does not
fall in a burst of votes, unless twice as many have closed by then. As a backstop for garbage from
anywhere else, the frozen set is also swept when, in such a quiet second, it is found to have doubled
since the last sweep (counting it walks it, so it is never counted while votes flow, and at most
every `BACKSTOP_EVERY`). A room that grew since then holds more that is alive, not garbage: its
count becomes the reference instead, so a hall that has just joined is not swept (a full collection,
about a second at 5,000 phones) in the first quiet second before its first vote.
"""

import asyncio
import gc
from dataclasses import dataclass

FREEZE_EVERY = 1.0  # seconds
SWEEP_DEPARTURES = 1000  # sockets closed before a sweep, at the least
SWEEP_SHARE = 0.5  # of the sockets open now: a bigger hall, whose sweep takes longer, sweeps less often
SWEEP_GROWTH = 2.0  # or the frozen set grew this many times over since the last sweep
BACKSTOP_EVERY = 30.0  # seconds between counts of the frozen set, at the most


@dataclass
class Churn:
    """Sockets open now and sockets closed so far, as the socket handlers count them."""

    open: int = 0
    closed: int = 0
    heard: int = 0  # messages from phones

    def opened(self) -> None:
        self.open += 1

    def left(self) -> None:
        self.open -= 1
        self.closed += 1


def sweep() -> int:
    """Collect everything, frozen or not, then freeze what is left; return how many objects that is."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@dataclass
class _Reference:
    """What the next sweep is judged against: the frozen set's size when last counted and the sockets
    open and closed by then; and the messages heard by the last tick, to tell a quiet second."""

    frozen: int
    open: int
    closed: int
    heard: int
    counted_at: float = float("-inf")  # loop time of the last count


async def keep_frozen(churn: Churn, interval: float = FREEZE_EVERY) -> None:
    """Freeze the objects alive now, every `interval` seconds, and sweep when due, until cancelled
    (a lifespan task)."""
    gc.freeze()  # not a sweep: a full collection at start would walk whatever the process already holds
    loop = asyncio.get_running_loop()
    reference = _Reference(gc.get_freeze_count(), churn.open, churn.closed, churn.heard)
    while True:
        await asyncio.sleep(interval)
        gc.freeze()  # cheap: it moves the generations' lists, it does not walk them
        quiet, reference.heard = churn.heard == reference.heard, churn.heard
        due = (churn.closed - reference.closed) / max(SWEEP_DEPARTURES, SWEEP_SHARE * churn.open)
        if (due >= 1 and quiet) or due >= 2:
            _sweep(churn, reference, loop.time())
        elif quiet and loop.time() - reference.counted_at >= BACKSTOP_EVERY:
            _backstop(churn, reference, loop.time())


def _sweep(churn: Churn, reference: _Reference, now: float) -> None:
    reference.frozen, reference.counted_at = sweep(), now
    reference.open, reference.closed = churn.open, churn.closed


def _backstop(churn: Churn, reference: _Reference, now: float) -> None:
    # Counting walks all of the frozen set (about 80 ms at 5,000 phones), hence only in a quiet second.
    frozen, reference.counted_at = gc.get_freeze_count(), now
    if churn.open > reference.open:  # phones joined: what they hold is alive, not garbage
        reference.frozen, reference.open = frozen, churn.open
    elif frozen > reference.frozen * SWEEP_GROWTH:
        _sweep(churn, reference, now)
