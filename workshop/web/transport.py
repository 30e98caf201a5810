"""The socket transport: uvicorn's websockets-sansio protocol, pausing reads only when the app lags.

uvicorn pauses reading after every frame and resumes once the app has taken it: two epoll_ctl
system calls and a loop callback for every vote, a fifth of the server's CPU in a full hall
(BENCHMARKS.md). Here a socket is paused only once UNREAD_LIMIT frames wait unread, and resumed,
as before, when the app has taken them all; a phone that floods the server still cannot make it
hold more than a handful of messages (each at most the server's maximum message size).
"""

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
