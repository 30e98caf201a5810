"""Floods on a real `workshop serve`: a flooding phone is told why before it is cut off, and two joins with
one token at the same instant leave exactly one socket open."""

import asyncio
import json

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
                await phone.send(json.dumps({**vote, "id": "first"}))
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
