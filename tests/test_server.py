"""The real server: `workshop serve --port 0` in a subprocess, driven by a websockets client."""

import asyncio
import json
import signal
import socket

import pytest
import websockets

from servers import KEY, Server, receive


def test_serve_prints_how_to_connect(server):
    printed = "".join(server.output)
    assert f"/?key={KEY}" in printed and "/join" in printed
    assert server.api("GET", "/api/sessions").json() == {"sessions": []}


async def test_phones_vote_over_real_sockets_and_votes_survive_a_restart(server, tmp_path):
    code = server.api("POST", "/api/sessions", json={"title": "Real server"}).json()["code"]
    server.api("POST", f"/api/sessions/{code}/commands", json={"command": "open", "question": "arrival.direction"})
    url = f"ws://127.0.0.1:{server.port}/ws/{code}"

    async def phones() -> str:
        async with websockets.connect(url) as first, websockets.connect(url) as second, \
                websockets.connect(url + "/control", additional_headers={"Authorization": f"Bearer {KEY}"}) as console:
            assert (await receive(console, "snapshot"))["snapshot"]["code"] == code
            await first.send(json.dumps({"type": "join", "group": "IT"}))
            token = (await receive(first, "welcome"))["participant"]["token"]
            await second.send(json.dumps({"type": "join", "group": "Business"}))
            await receive(second, "welcome")
            await first.send(json.dumps({"type": "vote", "id": "1", "question": "arrival.direction", "value": -2}))
            await second.send(json.dumps({"type": "vote", "id": "1", "question": "arrival.direction", "value": 1}))
            assert (await receive(first, "ack"))["round"] == 1
            assert (await receive(second, "ack"))["round"] == 1
            while True:  # the console sees the tally live, while results are hidden from phones
                tally = (await receive(console, "snapshot"))["snapshot"]["questions"]["arrival.direction"].get("tally")
                if tally and tally["voted"] == 2:
                    break
            return token

    token = await phones()
    assert "the writer has drained" in server.stop()

    restarted = Server(tmp_path)
    try:
        snapshot = restarted.api("GET", f"/api/sessions/{code}").json()
        assert snapshot["questions"]["arrival.direction"]["status"] == "open"
        assert snapshot["questions"]["arrival.direction"]["tally"]["counts"] == {"-2": 1, "-1": 0, "0": 0, "1": 1, "2": 0}

        async def resume() -> dict:
            async with websockets.connect(f"ws://127.0.0.1:{restarted.port}/ws/{code}") as phone:
                await phone.send(json.dumps({"type": "join", "token": token}))
                return await receive(phone, "welcome")

        welcome = await resume()
        assert welcome["ballot"] == {"arrival.direction": {"round": 1, "value": "-2"}}
    finally:
        restarted.stop()


async def test_an_oversized_frame_closes_the_socket(server):
    code = server.api("POST", "/api/sessions", json={"title": "Big"}).json()["code"]

    async def send_big() -> int:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}", max_size=None) as phone:
            await phone.send(json.dumps({"type": "join", "name": "x" * (70 * 1024)}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(phone.recv(), 10)
            return closed.value.rcvd.code

    assert await send_big() == 1009  # "message too big"


async def test_a_phone_that_stops_reading_is_dropped_and_the_room_carries_on(server):
    code = server.api("POST", "/api/sessions", json={"title": "Pocket"}).json()["code"]

    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        pocket = socket.socket()  # a phone that joins, then never reads again
        pocket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        pocket.setblocking(False)
        await loop.sock_connect(pocket, ("127.0.0.1", server.port))
        await loop.sock_sendall(pocket, (
            f"GET /ws/{code} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        assert (await loop.sock_recv(pocket, 12)).startswith(b"HTTP/1.1 101")
        await loop.sock_sendall(pocket, _client_frame(json.dumps({"type": "join"})))
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as phone, \
                websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}/control",
                                   additional_headers={"Authorization": f"Bearer {KEY}"}) as console:
            await phone.send(json.dumps({"type": "join"}))
            await receive(phone, "welcome")
            seen = {"connected": 0, "step": None}
            while seen["connected"] < 2:
                seen["connected"] = (await receive(console, "snapshot"))["snapshot"]["participants"]["connected"]
            watching = [asyncio.create_task(_watch(console, "snapshot", seen)),
                        asyncio.create_task(_watch(phone, "state", seen))]
            steps = 0
            while seen["connected"] > 1 and steps < 5000:  # every step change is broadcast to both phones
                steps += 1
                await console.send(json.dumps({"type": "command", "command": "goto", "step": steps % 2}))
                await asyncio.sleep(0.005 if steps % 10 == 0 else 0)
            for _ in range(200):  # the server may still be working through the commands sent
                if seen["step"] == steps % 2:
                    break
                await asyncio.sleep(0.05)
            pocket.close()
            assert seen["step"] == steps % 2  # the phone that reads kept up all along
        await asyncio.gather(*watching)  # they end as the sockets close, having read what was sent
        return seen["connected"], steps

    connected, steps = await scenario()
    assert connected == 1, f"the phone that stopped reading was still held after {steps} broadcasts"


def _client_frame(text: str) -> bytes:
    """One masked text frame, as a browser sends it (a zero mask leaves the payload as it is)."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


async def _watch(socket, kind: str, seen: dict) -> None:
    try:
        async for text in socket:
            message = json.loads(text)
            if message["type"] == kind == "snapshot":
                seen["connected"] = message["snapshot"]["participants"]["connected"]
            elif message["type"] == kind == "state":
                seen["step"] = message["step"]["index"]
    except websockets.ConnectionClosed:
        pass  # a loaded server may still be sending when the test closes; what was seen is what counts


def test_a_database_deleted_under_the_server_refuses_votes_loudly(server, tmp_path):
    code = server.api("POST", "/api/sessions", json={"title": "Deleted"}).json()["code"]
    server.api("POST", f"/api/sessions/{code}/commands", json={"command": "open", "question": "arrival.direction"})

    async def vote_before_and_after_deleting() -> list[dict]:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as phone:
            await phone.send(json.dumps({"type": "join", "group": "IT"}))
            await receive(phone, "welcome")
            await phone.send(json.dumps({"type": "vote", "id": "1", "question": "arrival.direction", "value": 1}))
            await receive(phone, "ack")
            for name in ("workshop.db", "workshop.db-wal", "workshop.db-shm"):
                (tmp_path / name).unlink(missing_ok=True)
            replies = []
            for number in (2, 3):
                await phone.send(json.dumps({"type": "vote", "id": str(number), "question": "arrival.direction",
                                             "value": -1}))
                replies.append(await _reply_to(phone, str(number)))
            return replies

    replies = asyncio.run(vote_before_and_after_deleting())
    assert [(reply["type"], reply.get("code")) for reply in replies] == [("error", "unavailable")] * 2
    printed = server.stop()
    assert "was deleted" in printed and "THE DATABASE" in printed


async def _reply_to(phone, message_id: str) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(phone.recv(), 10))
        if message.get("id") == message_id and message["type"] in ("ack", "error"):
            return message


def test_a_request_whose_body_never_comes_cannot_hold_a_shutdown(server, tmp_path):
    code = server.api("POST", "/api/sessions", json={"title": "Stopping"}).json()["code"]
    host = f"127.0.0.1:{server.port}"
    with socket.create_connection(("127.0.0.1", server.port)) as stalled:
        stalled.sendall(f"POST /login HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
                        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode())
        printed = server.stop()  # raises if the server is still up 30 s after SIGTERM
    assert "the writer has drained" in printed
    restarted = Server(tmp_path)
    try:
        assert restarted.api("GET", f"/api/sessions/{code}").status_code == 200
    finally:
        restarted.stop()


def test_sigusr1_prints_what_every_thread_is_doing_and_the_server_carries_on(server):
    server.process.send_signal(signal.SIGUSR1)
    assert server.api("GET", "/healthz").status_code == 200
    printed = server.stop()
    assert "Current thread" in printed and "workshop" in printed  # faulthandler's dump of the stacks
