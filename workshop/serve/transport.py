"""The socket transport: uvicorn's websockets-sansio protocol, with two changes for a full hall.

Reads: uvicorn pauses reading after every frame and resumes once the app has taken it, two
epoll_ctl system calls and a loop callback for every vote, a fifth of the server's CPU in a full
hall (BENCHMARKS.md). Here a socket is paused only once UNREAD_LIMIT frames wait unread, and
resumed, as before, when the app has taken them all; a phone that floods the server still cannot
make it hold more than a handful of messages (each at most the server's maximum message size).

Writes: a peer that stops reading (a phone put in a pocket with the page open) fills its socket's
buffers; uvicorn would then make every send to it wait, and the broadcast waiting on it would stall
the room. Here a send that finds the write buffer over its high-water mark cuts the connection off
instead: what one socket holds is bounded, and a phone that comes back reconnects and gets a full
snapshot.

Control frames: uvicorn answers every ping with a pong written straight to the transport, whether
or not the peer reads, and never pauses reading for them: a peer sending pings and reading nothing
made the server buffer every pong, hundreds of MiB in seconds. Here pings and pongs take from a
budget per connection (`limits.control_budget`); a peer over it is closed with 1008, and one whose
ping finds the write buffer over its high-water mark is cut off, as a send would cut it off.

Connections: `GuardedHttpProtocol`, uvicorn's h11 protocol with the rules of `connections.py`: a
connection whose request head is not complete within the header timeout is closed (uvicorn's own
timeout covers only the pause between kept-alive requests, so an idle or trickling client would
hold its descriptor forever), connections are counted per client address, and TCP_NODELAY is set
(the listening socket is made without IPPROTO_TCP, so asyncio does not set it, and each kept-alive
response would wait ~40 ms for the client's delayed ACK).
"""

import asyncio
import json
import socket
from collections.abc import Callable
from functools import partial

from starlette.requests import HTTPConnection
from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame

from .. import metrics
from ..vocabulary import CLOSE_CODES
from ..web.auth import FacilitatorAuth
from ..web.limits import TokenBucket, control_budget
from .connections import Census

UNREAD_LIMIT = 4
CLOSE_GRACE = 2.0  # seconds a closing connection may take to flush its close frame before it is aborted
POLICY_VIOLATION = CLOSE_CODES["policy_violation"]

Headers = list[tuple[bytes, bytes]]
FacilitatorCheck = Callable[[Headers], bool]


class SocketProtocol(WebSocketsSansIOProtocol):
    release: Callable[[], None] | None = None  # set by the HTTP protocol that upgraded the connection
    control: TokenBucket | None = None  # made at the first control frame

    def handle_ping(self) -> None:
        if self._control_frame_allowed():
            super().handle_ping()

    def handle_pong(self, event: Frame) -> None:
        if self._control_frame_allowed():
            super().handle_pong(event)

    def _control_frame_allowed(self) -> bool:
        if self.close_sent or self.transport.is_closing():
            return False
        if self.control is None:
            self.control = control_budget()
        if not self.control.take():
            self.logger.info("closing a socket that sent too many pings or pongs")
            self._fail(POLICY_VIOLATION, "too many control frames")
            return False
        if not self.writable.is_set():
            self.logger.info("dropping a socket whose peer sends pings and has stopped reading")
            self.transport.abort()
            return False
        return True

    def _fail(self, code: int, reason: str) -> None:
        """Close at once, as uvicorn's keepalive timeout does, and abort if the peer does not take the close."""
        self.conn.fail(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()
        self.loop.call_later(CLOSE_GRACE, self.transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.release is not None:
            self.release()
            self.release = None

    def send_receive_event_to_app(self) -> None:
        paused = self.read_paused
        self.read_paused = True  # uvicorn pauses reading only when it is not paused already
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = paused
        if not self.read_paused and self.queue.qsize() >= UNREAD_LIMIT:
            self.read_paused = True
            self.transport.pause_reading()

    async def send(self, message: ASGISendEvent) -> None:
        if not self.writable.is_set() and not self.disconnected:
            self.logger.info("dropping a socket whose peer has stopped reading")
            self.transport.abort()  # connection_lost follows and fails this send as a disconnect
        await super().send(message)


def guarded_http(census: Census, is_facilitator: FacilitatorCheck) -> type[H11Protocol]:
    """The HTTP protocol class for one server, counting its connections in `census`."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,),
                {"census": census, "is_facilitator": staticmethod(is_facilitator)})


def facilitator_check(auth: "FacilitatorAuth") -> FacilitatorCheck:
    """Whether a request head carries the facilitator key, as the app's `FacilitatorAuth` sees it."""
    return lambda headers: auth.status(HTTPConnection({"type": "http", "headers": headers})) == "ok"


class GuardedHttpProtocol(H11Protocol):
    census: Census
    is_facilitator: FacilitatorCheck

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._between_requests = True
        self._app = self.app
        set_nodelay(transport, self.census.limits.nodelay)
        self._admission = self.census.admit(id(transport), self.client[0] if self.client else "")
        if self._admission == "refused":
            metrics.REFUSALS.labels("connection", "too_many_connections").inc()
            transport.abort()  # before reading a byte: a flood costs one accept each
            return
        self._start_head_timer()
        self.census.idle(id(transport), transport.abort)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._between_requests:
            self._start_head_timer()  # the first bytes of the next kept-alive request
        super().data_received(data)

    def _should_upgrade(self) -> bool:
        # uvicorn calls this once a request's head is complete, before it picks the app to run.
        self._cancel_head_timer()
        self._between_requests = False
        self.census.busy(id(self.transport))
        if self._admission == "probation" and not self.is_facilitator(self.headers):
            self.app = too_many_connections
            return False
        self.app = self._app
        return super()._should_upgrade()

    def handle_websocket_upgrade(self, event: object) -> None:
        super().handle_websocket_upgrade(event)  # type: ignore[arg-type]
        socket_protocol = self.transport.get_protocol()
        if isinstance(socket_protocol, SocketProtocol):
            socket_protocol.release = partial(self.census.release, id(self.transport))

    def on_response_complete(self) -> None:
        self._between_requests = True
        super().on_response_complete()
        if not self.transport.is_closing():
            self.census.idle(id(self.transport), self.transport.abort)  # kept alive, waiting for a request

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self.census.release(id(self.transport))
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.census.limits.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.abort()


def set_nodelay(transport: asyncio.BaseTransport, on: bool) -> None:
    connection = transport.get_extra_info("socket")
    if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(on))


async def too_many_connections(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """The answer to a request on probation without the facilitator key."""
    metrics.REFUSALS.labels("http", "too_many_connections").inc()
    body = json.dumps({"error": "too_many_connections",
                       "message": "too many connections from this address; close some and retry"}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"retry-after", b"5"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
