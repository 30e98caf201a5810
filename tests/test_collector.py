"""The lifespan task that keeps long-lived objects out of the garbage collector's walks."""

import asyncio
import gc

from workshop.live.collector import keep_frozen


async def test_objects_alive_when_it_runs_are_frozen_and_still_freed_when_dropped():
    async def scenario() -> tuple[int, int]:
        gc.unfreeze()
        task = asyncio.create_task(keep_frozen(0.01))
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
