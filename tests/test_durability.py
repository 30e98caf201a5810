"""A crash never loses an acknowledged vote: SIGKILL mid-burst, restart, check every ack (SQLite and PostgreSQL)."""

import asyncio
import json
import os
import random

import pytest
import websockets

from servers import Server, until

PHONES = 40
QUESTION = "arrival.direction"


class Phone:
    """One phone that keeps changing its vote, remembering what was acknowledged and what was in flight."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.token: str | None = None
        self.acked: tuple[str, int] | None = None  # (message id, value) of the last acknowledged vote
        self.in_flight: int | None = None

    async def vote_until_the_server_dies(self, port: int, code: str, ready: asyncio.Event) -> None:
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/{code}") as socket:
                await socket.send(json.dumps({"type": "join"}))
                self.token = (await _receive(socket, "welcome"))["participant"]["token"]
                await ready.wait()
                for number in range(10_000):
                    value = (self.index + number) % 5 - 2
                    self.in_flight = value
                    message_id = f"{self.index}-{number}"
                    await socket.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION,
                                                  "value": value}))
                    reply = await _receive(socket, "ack", "error")
                    if reply["type"] == "error":  # rate limited: the vote was not taken, slow down
                        assert reply["code"] == "rate_limited", reply
                        await asyncio.sleep(0.2)
                        continue
                    self.acked, self.in_flight = (message_id, value), None
        except (OSError, websockets.ConnectionClosed):
            pass  # the server died under this phone


async def _receive(socket, *kinds: str) -> dict:
    while (message := json.loads(await socket.recv()))["type"] not in kinds:
        pass
    return message


async def vote_and_kill(server: Server, code: str, phones: list[Phone], kill_after: float) -> None:
    ready = asyncio.Event()
    voting = [asyncio.create_task(phone.vote_until_the_server_dies(server.port, code, ready)) for phone in phones]
    await until(lambda: all(phone.token is not None for phone in phones), "every phone joined")
    ready.set()
    await asyncio.sleep(kill_after)
    server.kill()
    await asyncio.gather(*voting)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_every_acknowledged_vote_survives_sigkill(tmp_path, request, backend):
    rng = random.Random(20261123)
    for attempt in range(5 if backend == "sqlite" else 3):
        folder = tmp_path / f"attempt{attempt}"
        folder.mkdir()
        database = () if backend == "sqlite" else ("--db", request.getfixturevalue("postgres_server")
                                                   .create_database(f"crash_{os.getpid()}_{attempt}"))
        server = Server(folder, *database)
        code = server.api("POST", "/api/sessions", json={"title": "Crash"}).json()["code"]
        server.api("POST", f"/api/sessions/{code}/commands", json={"command": "open", "question": QUESTION})
        phones = [Phone(index) for index in range(PHONES)]
        await vote_and_kill(server, code, phones, rng.uniform(0.1, 0.6))
        acked = sum(phone.acked is not None for phone in phones)
        in_flight = sum(phone.in_flight is not None for phone in phones)
        assert acked and in_flight, "the server should die in the middle of the burst"

        restarted = Server(folder, *database)
        try:
            assert restarted.api("GET", f"/api/sessions/{code}").json()["questions"][QUESTION]["status"] == "open"
            await check_every_ack(restarted, code, phones)
        finally:
            restarted.stop()


async def check_every_ack(server: Server, code: str, phones: list[Phone]) -> None:
    """Each phone resumes with its token and finds its last acknowledged vote (or the one in flight);
    resending the acknowledged message id changes nothing."""
    for phone in phones:
        if phone.acked is None:
            continue
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as socket:
            await socket.send(json.dumps({"type": "join", "token": phone.token}))
            stored = (await _receive(socket, "welcome"))["ballot"][QUESTION]["value"]
            assert stored in {str(phone.acked[1]), str(phone.in_flight)}, (phone.index, stored, phone.acked)
            message_id, value = phone.acked
            await socket.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION, "value": value}))
            await _receive(socket, "ack")
            await socket.send(json.dumps({"type": "join", "token": phone.token}))
            assert (await _receive(socket, "welcome"))["ballot"][QUESTION]["value"] == stored
