"""One open socket as the room sees it: a bounded queue of frames and a sender while any wait.

Broadcasts only put a frame on each queue and never wait on a socket, so a phone that stops reading
cannot stall the room under any ASGI server: when its queue is full it is cut off, and it catches up
from a full snapshot when it reconnects. The socket's own replies (acks, errors) go through the same
queue, so every frame leaves in the order it was produced.
"""

import asyncio
import json
import logging
from collections import deque
from typing import Protocol

from .. import metrics
from ..vocabulary import CLOSE_CODES

log = logging.getLogger(__name__)

QUEUE_LIMIT = 32  # frames waiting for one socket before it counts as too slow
TOO_SLOW = CLOSE_CODES["too_slow"]


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Subscriber:
    """A socket's frames waiting to leave. A sender task runs only while frames wait, so an idle
    socket costs a small object and an empty deque, not a task and a queue (a hall holds thousands)."""

    __slots__ = ("socket", "limit", "closed", "_frames", "_sender", "_space", "_closing")

    def __init__(self, socket: Socket, limit: int = QUEUE_LIMIT) -> None:
        self.socket = socket
        self.limit = limit
        self.closed = False
        self._frames: deque[str] = deque()
        self._sender: asyncio.Task | None = None
        self._space: asyncio.Future | None = None  # set while a reply waits for room
        self._closing: asyncio.Task | None = None

    async def send(self, message: dict) -> None:
        """Queue a reply to this socket, waiting for room if it is behind (it is this socket's own turn)."""
        while not self.closed and len(self._frames) >= self.limit:
            self._space = asyncio.get_running_loop().create_future()
            await self._space
        if not self.closed:
            self._queue(json.dumps(message))

    def offer(self, text: str) -> bool:
        """Queue a broadcast frame without waiting; False (and the socket is cut off) if it is too slow."""
        if self.closed:
            return False
        if len(self._frames) >= self.limit:
            log.info("cutting off a socket that fell %d frames behind", self.limit)
            metrics.SLOW_SOCKETS.inc()
            self.close_with(TOO_SLOW, "fell behind; reconnect")
            return False
        self._queue(text)
        return True

    def waiting(self) -> int:
        """Frames queued for this socket and not yet sent."""
        return len(self._frames)

    def close_with(self, code: int, reason: str) -> None:
        """Stop sending and close the socket with `code`, without waiting for it."""
        if self._closing is not None:
            return
        self.closed = True
        if self._sender is not None:
            self._sender.cancel()
        self._frames.clear()
        self._wake_reply()  # a reply waiting for room moves on, and its handler with it
        self._closing = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def stop(self) -> None:
        """Send what is queued (briefly), then stop the sender."""
        self.closed = True
        self._wake_reply()
        sender = self._sender
        if sender is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(sender), timeout=1)
        except (TimeoutError, asyncio.CancelledError):
            pass
        sender.cancel()

    def _queue(self, text: str) -> None:
        self._frames.append(text)
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_waiting())

    async def _send_waiting(self) -> None:
        try:
            while self._frames:
                text = self._frames.popleft()
                self._wake_reply()
                await self.socket.send_text(text)
        except Exception as error:
            log.debug("a socket failed to receive: %s", error)
            self.closed = True
            self._frames.clear()
            self._wake_reply()
        finally:
            self._sender = None

    def _wake_reply(self) -> None:
        if self._space is not None and not self._space.done():
            self._space.set_result(None)

    async def _close(self, code: int, reason: str) -> None:
        try:
            await self.socket.close(code=code, reason=reason)
        except Exception as error:
            log.debug("closing a socket (%s): %s", reason, error)
