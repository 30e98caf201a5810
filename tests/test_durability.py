"""A crash never loses an acknowledged vote: SIGKILL mid-burst, restart, check every ack (SQLite and PostgreSQL)."""

import asyncio
import os
import random

import pytest
from crash_phones import Phone, check_every_ack

from servers import Server, until

PHONES = 40
QUESTION = "arrival.direction"


async def vote_and_kill(server: Server, code: str, phones: list[Phone], kill_after: float) -> None:
    ready = asyncio.Event()
    voting = [asyncio.create_task(phone.vote_until_the_server_dies(server.port, code, ready)) for phone in phones]
    await until(lambda: all(phone.token is not None for phone in phones), "every phone joined")
    ready.set()
    await asyncio.sleep(kill_after)
    server.kill()
    await asyncio.gather(*voting)


@pytest.mark.drill
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
