"""A frozen PostgreSQL (every process of its cluster stopped, as a hung server or a partitioned network
leaves it: connections open, nothing answers). Votes are refused within the store's bound with the
typed `unavailable` error, the health check answers at once, and the process is ready again as soon
as the database answers; the phone's resend is then counted once."""

import asyncio
import json
import time

import httpx2 as httpx
import pytest
import websockets

from servers import Server, receive

QUESTION = "arrival.direction"


@pytest.fixture
def frozen_postgres():
    from services import FAST_UNSAFE, Postgres, postgres_available
    if not postgres_available():
        pytest.skip("PostgreSQL 15 is not installed here (.ci/run installs it)")
    server = Postgres(*FAST_UNSAFE)  # a cluster of its own: the others' tests must not freeze with it
    yield server
    server.resume()
    server.remove()


def test_a_frozen_database_refuses_votes_at_once_and_health_stays_fast(tmp_path, frozen_postgres):
    server = Server(tmp_path, "--db", frozen_postgres.url(), key=None)  # the key kept in the database
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Outage"}).json()["code"]
        for body in ({"command": "open", "question": QUESTION},):
            assert server.api("POST", f"/api/sessions/{code}/commands", json=body).status_code == 200
        try:
            asyncio.run(_outage(server, frozen_postgres, code))
        finally:
            frozen_postgres.resume()  # before the server stops: it drains its writes on the way out
        results = server.api("GET", f"/api/sessions/{code}/results/{QUESTION}").json()["rounds"][0]
        assert results["n"] == 1 and results["counts"]["2"] == 1, results  # the resend counted once
    finally:
        server.stop()


async def _outage(server: Server, postgres, code: str) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as phone, \
            httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        await phone.send(json.dumps({"type": "join", "name": "Ann"}))
        await receive(phone, "welcome")
        await _vote(phone, "v1", 1, "ack")

        postgres.pause()
        started = time.monotonic()
        refusal = await _vote(phone, "v2", 2, "error")
        assert refusal["code"] == "unavailable" and time.monotonic() - started < 3, refusal
        for _ in range(3):
            probed = time.monotonic()
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            assert time.monotonic() - probed < 1, "the health check waited on the frozen database"
        assert (await http.get("/readyz")).status_code == 503

        postgres.resume()
        resumed = time.monotonic()
        while (await http.get("/readyz")).status_code != 200:
            assert time.monotonic() - resumed < 5, "not ready 5 s after the database answers again"
            await asyncio.sleep(0.05)
        assert (await _vote(phone, "v2", 2, "ack"))["id"] == "v2"


async def _vote(phone, message_id: str, value: int, kind: str) -> dict:
    await phone.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION, "value": value}))
    reply = await receive(phone, kind, timeout=10)
    assert reply.get("id") == message_id, reply
    return reply
