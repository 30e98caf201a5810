"""Floods on a real `workshop serve`: a flooding phone is told why before it is cut off, and two joins with
one token at the same instant leave exactly one socket open."""

import asyncio
import json

import pytest
import websockets

from servers import Server


def _session(server: Server) -> str:
    code = server.api("POST", "/api/sessions", json={"title": "Floods"}).json()["code"]
    for body in ({"command": "goto", "step": 1}, {"command": "open", "question": "arrival.direction"}):
        assert server.api("POST", f"/api/sessions/{code}/commands", json=body).status_code == 200
    return code


async def _frames_until_closed(socket) -> list[dict]:
    frames = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), 10)))
    except websockets.ConnectionClosed:
        return frames


def test_a_flooding_phone_gets_rate_limited_before_the_socket_closes_with_1008(tmp_path):
    server = Server(tmp_path)
    try:
        code = _session(server)

        async def flood() -> tuple[list[dict], int | None]:
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as phone:
                await phone.send(json.dumps({"type": "join"}))
                vote = {"type": "vote", "question": "arrival.direction", "value": 1}
                for number in range(200):  # sent in one go, read only afterwards
                    await phone.send(json.dumps({**vote, "id": f"f{number}"}))
                frames = await _frames_until_closed(phone)
                return frames, phone.close_code

        frames, close_code = asyncio.run(flood())
        assert close_code == 1008
        errors = [frame["code"] for frame in frames if frame["type"] == "error"]
        assert errors and set(errors) == {"rate_limited"}, frames
    finally:
        server.stop()


async def _join_outcome(socket, token: str, start: asyncio.Event) -> str:
    await start.wait()
    await socket.send(json.dumps({"type": "join", "token": token}))
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 3))
            if frame["type"] == "welcome":
                break
    except websockets.ConnectionClosed:
        return f"closed {socket.close_code}"
    try:
        await asyncio.wait_for(socket.recv(), 1)  # a broadcast may follow; a close must not
        while True:
            await asyncio.wait_for(socket.recv(), 1)
    except TimeoutError:
        return "open"
    except websockets.ConnectionClosed:
        return f"closed {socket.close_code}"


async def _race_joins(first: str, second: str) -> list[str]:
    """Join once, then join twice more with that token at the same instant, on `first` and `second`."""
    async with websockets.connect(first) as phone:
        await phone.send(json.dumps({"type": "join"}))
        token = json.loads(await phone.recv())["participant"]["token"]
    sockets = [await websockets.connect(url) for url in (first, second)]
    start = asyncio.Event()
    outcomes = asyncio.gather(*(_join_outcome(socket, token, start) for socket in sockets))
    start.set()
    try:
        return sorted(await outcomes)
    finally:
        for socket in sockets:
            await socket.close()


async def _attempts(first: str, second: str, count: int = 12) -> list[list[str]]:
    return [await _race_joins(first, second) for _ in range(count)]


@pytest.mark.drill
def test_two_joins_with_one_token_at_the_same_instant_leave_exactly_one_socket(tmp_path):
    server = Server(tmp_path)
    try:
        url = f"ws://127.0.0.1:{server.port}/ws/{_session(server)}"
        for outcome in asyncio.run(_attempts(url, url)):
            assert outcome == ["closed 4409", "open"], outcome
    finally:
        server.stop()


@pytest.mark.drill
def test_two_joins_with_one_token_on_two_processes_leave_exactly_one_socket(tmp_path, postgres_url, redis_server):
    started = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            started.append(Server(tmp_path / name, "--db", postgres_url, "--broker", redis_server.url))
        code = _session(started[0])
        first, second = (f"ws://127.0.0.1:{server.port}/ws/{code}" for server in started)
        for outcome in asyncio.run(_attempts(first, second)):
            assert outcome == ["closed 4409", "open"], outcome
    finally:
        for server in started:
            server.stop()
