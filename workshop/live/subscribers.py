"""One open socket as the room sees it: a bounded queue of frames and its own sender task.

Broadcasts only put a frame on each queue and never wait on a socket, so a phone that stops reading
cannot stall the room under any ASGI server: when its queue is full it is cut off, and it catches up
from a full snapshot when it reconnects. The socket's own replies (acks, errors) go through the same
queue, so every frame leaves in the order it was produced.
"""

import asyncio
import json
import logging
from typing import Protocol

from ..vocabulary import CLOSE_CODES

log = logging.getLogger(__name__)

QUEUE_LIMIT = 32  # frames waiting for one socket before it counts as too slow
TOO_SLOW = CLOSE_CODES["too_slow"]


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Subscriber:
    def __init__(self, socket: Socket, limit: int = QUEUE_LIMIT) -> None:
        self.socket = socket
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limit)
        self._task: asyncio.Task | None = None
        self._closing: asyncio.Task | None = None
        self.closed = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._send_forever())

    async def send(self, message: dict) -> None:
        """Queue a reply to this socket, waiting for room if it is behind (it is this socket's own turn)."""
        if not self.closed:
            await self._queue.put(json.dumps(message))

    def offer(self, text: str) -> bool:
        """Queue a broadcast frame without waiting; False (and the socket is cut off) if it is too slow."""
        if self.closed:
            return False
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            log.info("cutting off a socket that fell %d frames behind", self._queue.maxsize)
            self.close_with(TOO_SLOW, "fell behind; reconnect")
            return False
        return True

    def close_with(self, code: int, reason: str) -> None:
        """Stop sending and close the socket with `code`, without waiting for it."""
        if self._closing is not None:
            return
        self.closed = True
        if self._task is not None:
            self._task.cancel()
        while not self._queue.empty():  # frees a reply waiting for room, so its handler moves on
            self._queue.get_nowait()
            self._queue.task_done()
        self._closing = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def stop(self) -> None:
        """Send what is queued (briefly), then stop the sender."""
        self.closed = True
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout=1)
        except (TimeoutError, asyncio.CancelledError):
            pass
        self._task.cancel()

    async def _send_forever(self) -> None:
        while True:
            text = await self._queue.get()
            try:
                await self.socket.send_text(text)
            except Exception as error:
                log.debug("a socket failed to receive: %s", error)
                self.closed = True
                return
            finally:
                self._queue.task_done()

    async def _close(self, code: int, reason: str) -> None:
        try:
            await self.socket.close(code=code, reason=reason)
        except Exception as error:
            log.debug("closing a socket (%s): %s", reason, error)
