"""A room behind one address: the facilitator's expected room size raises the per-address connection cap
(as it raises the join budget), so a hall behind one NAT or proxy address joins; without it the cap holds."""

import asyncio
import json

import websockets

from servers import Server, receive
from workshop.serve.connections import (
    CONNECTIONS_PER_EXPECTED_PHONE,
    PROBATION_PER_ADDRESS,
    Census,
    ConnectionLimits,
)

HALL = "127.0.0.7"  # every phone of the hall comes from this one address


async def _open_phones(port: int, code: str, count: int) -> list:
    """Open `count` sockets from the hall's address, one after another; those refused are left out."""
    phones = []
    for _ in range(count):
        try:
            phones.append(await websockets.connect(f"ws://127.0.0.1:{port}/ws/{code}", local_addr=(HALL, 0),
                                                   open_timeout=10, ping_interval=None))
        except (TimeoutError, websockets.InvalidHandshake, OSError):
            pass
    return phones


async def _join(phone, number: int) -> None:
    await phone.send(json.dumps({"type": "join", "name": f"Phone {number}"}))
    await receive(phone, "welcome", timeout=30)


async def _close(phones: list) -> None:
    await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)


def test_a_hall_of_300_behind_one_address_joins_once_its_size_is_expected(tmp_path):
    server = Server(tmp_path)
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Hall"}).json()["code"]

        async def without_room_size() -> int:
            phones = await _open_phones(server.port, code, 300)
            await _close(phones)
            return len(phones)

        assert asyncio.run(without_room_size()) == 256  # the cap holds: the rest are refused
        done = server.api("POST", f"/api/sessions/{code}/commands", json={"command": "room_size", "size": 320})
        assert done.status_code == 200, done.text

        async def with_room_size() -> int:
            phones = await _open_phones(server.port, code, 300)
            try:
                await asyncio.gather(*(_join(phone, number) for number, phone in enumerate(phones)))
            finally:
                await _close(phones)
            return len(phones)

        assert asyncio.run(with_room_size()) == 300  # every phone opened its socket and joined
    finally:
        server.stop()


def test_the_expected_room_raises_the_cap_and_probation_still_follows():
    expected = [0]
    census = Census(ConnectionLimits(per_address=4, total=10_000, reserve=10), lambda: expected[0])
    assert [census.admit(key, "hall") for key in range(5)] == ["admitted"] * 4 + ["probation"]
    expected[0] = 10  # the facilitator sets the room size: room for 2 connections per expected phone
    cap = int(10 * CONNECTIONS_PER_EXPECTED_PHONE)
    admitted = [census.admit(key, "hall") for key in range(5, 5 + cap - 4)]
    assert admitted == ["admitted"] * (cap - 4)
    beyond = [census.admit(key, "hall") for key in range(1000, 1000 + PROBATION_PER_ADDRESS)]
    assert beyond == ["probation"] * (PROBATION_PER_ADDRESS - 1) + ["refused"]  # one was on probation already
    assert census.admit(5000, "elsewhere") == "admitted"
