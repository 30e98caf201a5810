"""Each socket's bounded queue and sender: a slow socket is cut off, never waited on."""

import asyncio
import json

from workshop.live.subscribers import TOO_SLOW, Subscriber


class StuckSocket:
    """A socket whose peer has stopped reading: a send never finishes."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed_with: int | None = None
        self.unstuck = asyncio.Event()

    async def send_text(self, data: str) -> None:
        await self.unstuck.wait()
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code


async def test_frames_leave_in_order_once_the_socket_reads():
    socket = StuckSocket()
    outbox = Subscriber(socket, limit=8)
    await outbox.send({"type": "ack", "id": "1"})
    assert outbox.offer("broadcast")
    socket.unstuck.set()
    await outbox.stop()
    assert socket.sent == [json.dumps({"type": "ack", "id": "1"}), "broadcast"]


async def test_a_socket_that_stops_reading_is_cut_off_without_holding_up_the_broadcast():
    socket = StuckSocket()
    outbox = Subscriber(socket, limit=4)
    offered = [outbox.offer(f"frame {number}") for number in range(10)]  # never waits
    assert offered[:4] == [True] * 4 and offered[4:] == [False] * 6  # the queue holds four, then cut off
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert outbox.closed and socket.closed_with == TOO_SLOW
    await asyncio.wait_for(outbox.send({"type": "ack"}), 1)  # a reply after the cut-off does not hang
    await outbox.stop()
