"""The socket transport on a real uvicorn server: reads pause only when the app lags, and resume."""

import asyncio
import socket
from asyncio import selector_events

import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from workshop.web.transport import UNREAD_LIMIT, SocketProtocol

MESSAGES = 40


async def _serving(endpoint) -> tuple[uvicorn.Server, asyncio.Task, int]:
    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = uvicorn.Server(uvicorn.Config(app, ws=SocketProtocol, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    return server, task, listener.getsockname()[1]


async def _stop(server: uvicorn.Server, task: asyncio.Task) -> None:
    server.should_exit = True
    await task


def _pauses(monkeypatch) -> list[int]:
    calls: list[int] = []
    pause = selector_events._SelectorSocketTransport.pause_reading

    def counted(transport) -> None:
        calls.append(1)
        pause(transport)

    monkeypatch.setattr(selector_events._SelectorSocketTransport, "pause_reading", counted)
    return calls


async def test_a_lagging_app_pauses_reading_then_gets_every_message_in_order(monkeypatch):
    pauses = _pauses(monkeypatch)

    async def scenario() -> None:
        release = asyncio.Event()
        received: list[str] = []

        async def endpoint(websocket) -> None:
            await websocket.accept()
            await release.wait()
            for _ in range(MESSAGES):
                received.append(await websocket.receive_text())
            await websocket.send_text("done")
            await websocket.receive_text()  # stay open while the test looks at the transport

        server, task, port = await _serving(endpoint)
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as client:
            for number in range(MESSAGES):
                await client.send(str(number))
            protocol = next(iter(server.server_state.connections))
            while protocol.queue.qsize() < UNREAD_LIMIT:
                await asyncio.sleep(0.01)
            assert not protocol.transport.is_reading()  # held back while the app is not reading
            release.set()
            assert await asyncio.wait_for(client.recv(), 10) == "done"
            assert protocol.transport.is_reading()
            await client.send("bye")
        await _stop(server, task)
        assert received == [str(number) for number in range(MESSAGES)]

    await scenario()
    assert pauses


async def test_an_app_that_keeps_up_never_pauses_reading(monkeypatch):
    pauses = _pauses(monkeypatch)

    async def scenario() -> None:
        async def endpoint(websocket) -> None:
            await websocket.accept()
            for _ in range(MESSAGES):
                await websocket.send_text(await websocket.receive_text())

        server, task, port = await _serving(endpoint)
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as client:
            for number in range(MESSAGES):
                await client.send(str(number))
                assert await asyncio.wait_for(client.recv(), 10) == str(number)
        await _stop(server, task)

    await scenario()
    assert pauses == []


async def test_a_peer_that_stops_reading_is_cut_off_instead_of_stalling_the_sender():
    async def scenario() -> tuple[int, bool]:
        outcome: dict = {}

        async def endpoint(websocket) -> None:
            await websocket.accept()
            sent = 0
            try:
                while sent < 256 * 1024 * 1024:
                    await websocket.send_text("x" * 65536)
                    sent += 65536
            except WebSocketDisconnect:
                outcome["dropped"] = True
            outcome["sent"] = sent

        server, task, port = await _serving(endpoint)
        loop = asyncio.get_running_loop()
        peer = socket.socket()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        peer.setblocking(False)
        await loop.sock_connect(peer, ("127.0.0.1", port))
        await loop.sock_sendall(peer, (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        assert (await loop.sock_recv(peer, 12)).startswith(b"HTTP/1.1 101")
        # ... and never reads again.
        for _ in range(500):
            if "sent" in outcome:
                break
            await asyncio.sleep(0.01)
        finished = dict(outcome)  # before the peer goes away, which would end any send
        peer.close()
        await _stop(server, task)
        return finished.get("sent", -1), finished.get("dropped", False)

    sent, dropped = await scenario()
    assert dropped, "the sender was still waiting on a peer that does not read"
    assert 0 < sent < 64 * 1024 * 1024
