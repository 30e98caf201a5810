"""The transport on a real uvicorn server: reads pause only when the app lags; connections that send no
request head are shed, each address is capped, the facilitator always gets in, and TCP_NODELAY is set."""

import asyncio
import json
import socket
import time
from asyncio import selector_events
from pathlib import Path

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from servers import KEY, Server, until
from workshop.serve.connections import PROBATION_PER_ADDRESS, Census, ConnectionLimits
from workshop.serve.transport import UNREAD_LIMIT, SocketProtocol, guarded_http

MESSAGES = 40


async def _serving(endpoint) -> tuple[uvicorn.Server, asyncio.Task, int]:
    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = uvicorn.Server(uvicorn.Config(app, ws=SocketProtocol, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    await until(lambda: server.started, "the server started")
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
            await until(lambda: protocol.queue.qsize() >= UNREAD_LIMIT, "frames queued unread")
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


# --- connections: head timeout, per-address cap, facilitator reserve, TCP_NODELAY ---------------------

def _closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the server closes `connection` within `seconds` (reading and dropping what it sends)."""
    connection.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if connection.recv(65536) == b"":
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


@pytest.fixture
def connect():
    """Open a client connection from `source` to the server on `port`; all are closed after the test."""
    opened: list[socket.socket] = []

    def open_(port: int, source: str = "127.0.0.1") -> socket.socket:
        opened.append(socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0)))
        return opened[-1]

    yield open_
    for connection in opened:
        connection.close()


def _request(connection: socket.socket, path: str, key: str | None = None) -> tuple[int, bytes]:
    """One kept-alive GET on `connection`; returns the status and the body."""
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode())
    connection.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, "the server closed the connection before answering"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
                 .split(b":")[1])
    while len(body) < length:
        body += connection.recv(65536)
    return int(head.split()[1]), body


def test_idle_and_trickling_connections_are_closed_within_the_header_timeout(tmp_path, connect):
    server = Server(tmp_path, "--header-timeout", "1")
    try:
        idle = [connect(server.port) for _ in range(3)]
        trickler = connect(server.port)
        kept_alive = connect(server.port)
        assert _request(kept_alive, "/join")[0] == 200
        started = time.monotonic()
        kept_alive.sendall(b"GET /join HTTP/1.1\r\n")  # the next request, never finished
        for byte in b"GET /join HTTP/1.1\r\nHost: 127.0.0.1\r\n":  # a byte every 0.2 s: a slow loris
            try:
                trickler.sendall(bytes([byte]))
            except OSError:
                break
            if time.monotonic() - started > 1.5:
                break
            time.sleep(0.2)
        for connection in [*idle, trickler, kept_alive]:
            assert _closed_within(connection, 3), "a connection with no complete request head stayed open"
        assert time.monotonic() - started < 4
        assert _request(connect(server.port), "/join")[0] == 200  # a prompt client is served as ever
    finally:
        server.stop()


def test_an_open_socket_outlives_the_header_timeout(tmp_path):
    server = Server(tmp_path, "--header-timeout", "1")
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Long"}).json()["code"]

        async def phone() -> str:
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as socket_:
                await asyncio.sleep(2)
                await socket_.send('{"type": "join", "group": "IT"}')
                while True:
                    message = json.loads(await asyncio.wait_for(socket_.recv(), 10))
                    if message["type"] in ("welcome", "error"):
                        return message["type"]

        assert asyncio.run(phone()) == "welcome"
    finally:
        server.stop()


def _open_socket(connection: socket.socket, code: str) -> None:
    """Upgrade a raw connection to the session's phone socket (open, not yet joined): a socket in use."""
    connection.sendall(f"GET /ws/{code} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    connection.settimeout(10)
    assert connection.recv(65536).startswith(b"HTTP/1.1 101")


def test_a_flood_of_sockets_from_one_address_is_capped_and_the_facilitator_still_gets_in(tmp_path, connect):
    server = Server(tmp_path, "--max-per-address", "20", "--header-timeout", "30")
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Flooded"}).json()["code"]
        in_use = [connect(server.port, "127.0.0.2") for _ in range(20)]
        for connection in in_use:
            _open_socket(connection, code)
        flood = [connect(server.port, "127.0.0.2") for _ in range(PROBATION_PER_ADDRESS + 12)]
        open_ = [connection for connection in flood if not _closed_within(connection, 0.05)]
        # Past the cap of sockets in use, a few on probation; the rest are closed as soon as they are accepted.
        assert len(open_) == PROBATION_PER_ADDRESS
        probation = open_[-1]
        status, body = _request(probation, "/join")
        assert (status, json.loads(body)["error"]) == (503, "too_many_connections")
        assert _closed_within(probation, 5)
        deadline = time.monotonic() + 5  # the server counts the closed one out when it sees the close
        while True:
            facilitator = connect(server.port, "127.0.0.2")
            if not _closed_within(facilitator, 0.05) or time.monotonic() > deadline:
                break
        assert _request(facilitator, "/api/sessions", KEY)[0] == 200
        assert _request(connect(server.port), "/join")[0] == 200  # another address is not affected
        assert server.api("GET", "/api/sessions").status_code == 200
        assert not any(_closed_within(connection, 0.01) for connection in in_use)  # sockets in use are kept
    finally:
        server.stop()


def test_idle_connections_from_one_address_are_shed_first_so_its_phones_get_in(tmp_path, connect):
    server = Server(tmp_path, "--max-per-address", "20", "--header-timeout", "30")
    try:
        idle = [connect(server.port, "127.0.0.2") for _ in range(20)]  # sent nothing: waiting for a request
        kept_alive = connect(server.port, "127.0.0.2")
        assert _request(kept_alive, "/join")[0] == 200  # served, then kept alive and idle
        more = [connect(server.port, "127.0.0.2") for _ in range(30)]
        everyone = [*idle, kept_alive, *more]
        still_open = [connection for connection in everyone if not _closed_within(connection, 0.05)]
        assert len(still_open) <= 20  # never past the cap: the oldest idle ones made room
        assert _closed_within(idle[0], 0.05) or idle[0] not in still_open
        phone = connect(server.port, "127.0.0.2")  # a phone of the same NAT'd room
        assert _request(phone, "/join")[0] == 200
    finally:
        server.stop()


def test_the_last_connections_are_kept_for_the_facilitator(tmp_path, monkeypatch, connect):
    monkeypatch.setenv("WORKSHOP_MAX_CONNECTIONS", "30")
    monkeypatch.setenv("WORKSHOP_FACILITATOR_RESERVE", "10")
    server = Server(tmp_path, "--header-timeout", "30")
    # A flood from many addresses, one connection each, so no address reaches its own cap.
    flood = [connect(server.port, f"127.0.3.{number}") for number in range(1, 21)]
    try:
        assert not any(_closed_within(connection, 0.05) for connection in flood)
        stranger = connect(server.port, "127.0.4.1")
        status, body = _request(stranger, "/join")
        assert (status, json.loads(body)["error"]) == (503, "too_many_connections")
        assert _request(connect(server.port, "127.0.4.2"), "/api/sessions", KEY)[0] == 200
    finally:
        server.stop()


def test_tcp_nodelay_is_set_on_accepted_connections_unless_turned_off():
    async def nodelay(on: bool) -> int:
        app = Starlette(routes=[])
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as `workshop serve` makes it
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        census = Census(ConnectionLimits(nodelay=on))
        http = guarded_http(census, lambda headers: False)
        server = uvicorn.Server(uvicorn.Config(app, http=http, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started:
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        client = socket.socket()
        client.setblocking(False)
        await loop.sock_connect(client, listener.getsockname())
        while not server.server_state.connections:
            await asyncio.sleep(0.01)
        accepted = next(iter(server.server_state.connections)).transport.get_extra_info("socket")
        value = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        client.close()
        await _stop(server, task)
        return value

    assert asyncio.run(nodelay(True)) != 0
    assert asyncio.run(nodelay(False)) == 0


def test_the_census_admits_then_puts_on_probation_then_refuses():
    census = Census(ConnectionLimits(per_address=2, total=100, reserve=10))
    assert [census.admit(key, "a") for key in range(2)] == ["admitted"] * 2
    assert [census.admit(key, "a") for key in range(2, 2 + PROBATION_PER_ADDRESS)] == (
        ["probation"] * PROBATION_PER_ADDRESS)
    assert census.admit(99, "a") == "refused"
    assert census.admit(100, "b") == "admitted"
    census.release(0)
    census.release(0)  # twice is harmless
    census.release(99)  # never admitted: ignored
    assert census.admit(101, "a") == "admitted"
    assert census.open_from("a") == 2 + PROBATION_PER_ADDRESS
    for key in [1, 101, *range(2, 2 + PROBATION_PER_ADDRESS), 100]:
        census.release(key)
    assert census.count == 0 and census.open_from("a") == 0


# --- control frames: pings count against a budget and the send buffer -------------------------------

def _upgrade(port: int, path: str, receive_buffer: int = 4096) -> socket.socket:
    """A raw socket upgraded to WebSocket on `path`, with a small receive buffer, that will never read again."""
    peer = socket.socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    peer.connect(("127.0.0.1", port))
    peer.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    assert peer.recv(12).startswith(b"HTTP/1.1 101")
    return peer


def _control_frame(opcode: int, payload: bytes = b"p" * 125) -> bytes:
    """A masked client frame (the mask is zero, which leaves the payload as it is)."""
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def _flood_until_cut_off(peer: socket.socket, frame: bytes, seconds: float) -> bool:
    """Send `frame` in batches for up to `seconds`; True if the server cut the connection off."""
    batch = frame * 500
    deadline = time.monotonic() + seconds
    peer.settimeout(seconds)
    try:
        while time.monotonic() < deadline:
            peer.sendall(batch)
    except OSError:
        return True
    return False


@pytest.mark.parametrize("opcode", [0x9, 0xA], ids=["ping", "pong"])
def test_a_peer_flooding_control_frames_without_reading_is_cut_off_and_memory_stays_bounded(tmp_path, opcode):
    server = Server(tmp_path)
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Pings"}).json()["code"]
        before = _rss_mib(server.process.pid)
        with _upgrade(server.port, f"/ws/{code}") as peer:  # never joins, never reads
            cut_off = _flood_until_cut_off(peer, _control_frame(opcode), seconds=8)
            grown = _rss_mib(server.process.pid) - before
        assert cut_off, f"the server took 8 s of control frames (RSS +{grown:.0f} MiB) without cutting off"
        assert grown < 16, f"server RSS grew by {grown:.0f} MiB"
        assert server.api("GET", "/api/sessions").status_code == 200
    finally:
        server.stop()


async def test_a_ping_from_a_peer_whose_buffer_is_full_cuts_it_off():
    disconnected = asyncio.Event()

    async def endpoint(websocket) -> None:
        await websocket.accept()
        await websocket.send_text("x" * (8 * 1024 * 1024))  # more than the peer and the kernel take
        await websocket.receive()  # what comes next: the peer's disconnect, once it is cut off
        disconnected.set()

    server, task, port = await _serving(endpoint)
    loop = asyncio.get_running_loop()
    peer = await loop.run_in_executor(None, _upgrade, port, "/ws")
    try:
        protocol = next(iter(server.server_state.connections))
        await until(lambda: not protocol.writable.is_set(), "the write buffer over its high-water mark")
        await loop.run_in_executor(None, peer.sendall, _control_frame(0x9))  # one ping, well within budget
        await asyncio.wait_for(disconnected.wait(), 5)
    finally:
        peer.close()
        await _stop(server, task)
