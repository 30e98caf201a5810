"""The socket transport on a real uvicorn server: reads pause only when the app lags, and resume."""

import asyncio
import socket
from asyncio import selector_events

import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

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


def test_a_lagging_app_pauses_reading_then_gets_every_message_in_order(monkeypatch):
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

    asyncio.run(scenario())
    assert pauses


def test_an_app_that_keeps_up_never_pauses_reading(monkeypatch):
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

    asyncio.run(scenario())
    assert pauses == []
