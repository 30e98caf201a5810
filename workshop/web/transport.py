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
"""

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

UNREAD_LIMIT = 4


class SocketProtocol(WebSocketsSansIOProtocol):
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
