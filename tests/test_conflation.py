"""Changes to a room become at most one broadcast per interval, and phones hear of it when asked."""

import asyncio

from workshop.live.conflation import BROADCAST_INTERVAL, Conflation


async def test_a_burst_of_changes_is_one_broadcast_that_reaches_phones_if_any_change_asked():
    flushed: list[bool] = []

    async def flush(to_phones: bool) -> None:
        flushed.append(to_phones)

    conflation = Conflation(flush)
    for number in range(100):
        conflation.changed(phones=number == 50)
    await asyncio.sleep(BROADCAST_INTERVAL * 3)
    assert flushed == [True]
    conflation.changed()
    await asyncio.sleep(BROADCAST_INTERVAL * 3)
    assert flushed == [True, False]


async def test_now_broadcasts_at_once_and_drops_the_scheduled_one():
    flushed: list[bool] = []

    async def flush(to_phones: bool) -> None:
        flushed.append(to_phones)

    conflation = Conflation(flush)
    conflation.changed()
    conflation.changed(phones=True, now=True)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert flushed == [True]
    await asyncio.sleep(BROADCAST_INTERVAL * 3)
    assert flushed == [True]
