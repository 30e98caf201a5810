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


# The "done when": three processes behind the shipped nginx config, PostgreSQL gone for 8 s.
OUTAGE = 8.0
PHONES = 30
ANSWER_WITHIN = 3.0  # every vote: an ack or a typed error
HEALTH_WITHIN = 0.5
READY_WITHIN = 5.0


@pytest.fixture
def outage_cluster(tmp_path, redis_server):
    """Three app processes on a PostgreSQL cluster of their own (the test stops it) and one Redis,
    behind nginx with the shipped config."""
    from proxy import NGINX, Proxy
    from services import FAST_UNSAFE, Postgres, postgres_available
    if not postgres_available() or NGINX is None:
        pytest.skip("PostgreSQL 15 or nginx is not installed here (.ci/run installs them)")
    postgres = Postgres(*FAST_UNSAFE)
    url = postgres.create_database("outage")
    servers: list[Server] = []
    proxy = None
    try:
        for name in ("one", "two", "three"):
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name, "--db", url, "--broker", redis_server.url,
                                  "--trusted-proxies", "127.0.0.1"))
        proxy = Proxy([server.port for server in servers])
        yield postgres, servers, proxy
    finally:
        if (postgres.data / "postmaster.pid").exists():
            postgres.resume()
        else:
            postgres.start()  # the servers drain their writes on the way out
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
        postgres.remove()


class VotingPhone:
    """Votes one at a time through the proxy; a refused vote is resent under the same id until acked."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.participant: int | None = None
        self.acked: int | None = None
        self.slowest = 0.0  # seconds from sending a vote to its answer, the longest seen
        self.answers: dict[str, int] = {"ack": 0, "error": 0}

    async def run(self, url: str, origin: str, stop: asyncio.Event) -> None:
        async with websockets.connect(url, origin=origin, open_timeout=10) as socket:
            await socket.send(json.dumps({"type": "join", "name": f"P{self.number}"}))
            self.participant = (await receive(socket, "welcome"))["participant"]["id"]
            sent = 0
            while not stop.is_set():
                sent += 1
                message_id, value = f"{self.number}-{sent}", sent % 5 - 2
                while not await self._vote(socket, message_id, value) and not stop.is_set():
                    await asyncio.sleep(0.2)  # the same id again: it counts once
                await asyncio.sleep(0.2)

    async def _vote(self, socket, message_id: str, value: int) -> bool:
        loop = asyncio.get_running_loop()
        sent = loop.time()
        await socket.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION, "value": value}))
        while True:
            reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if reply["type"] in ("ack", "error") and reply.get("id") == message_id:
                break
        self.slowest = max(self.slowest, loop.time() - sent)
        self.answers[reply["type"]] += 1
        if reply["type"] == "error":
            assert reply["code"] == "unavailable", reply  # typed, and only for the outage
            return False
        self.acked = value
        return True


async def _probe(servers: list[Server], path: str) -> list[tuple[int, float]]:
    """(status, seconds) of `path` on every process, asked directly as a load balancer's check does."""
    async with httpx.AsyncClient(timeout=10) as http:
        async def one(server: Server) -> tuple[int, float]:
            started = time.monotonic()
            status = (await http.get(server.base + path)).status_code
            return status, time.monotonic() - started
        return list(await asyncio.gather(*(one(server) for server in servers)))


async def _through_an_outage(postgres, servers: list[Server], url: str, origin: str,
                             how: str) -> tuple[list[float], list[VotingPhone]]:
    """Phones vote before, during and after the outage; returns every /healthz time seen during it."""
    phones = [VotingPhone(number) for number in range(PHONES)]
    stop = asyncio.Event()
    running = [asyncio.create_task(phone.run(url, origin, stop)) for phone in phones]
    await asyncio.sleep(2)
    await asyncio.to_thread(postgres.stop if how == "stopped" else postgres.pause)
    health: list[float] = []
    gone = time.monotonic()
    while time.monotonic() - gone < OUTAGE:
        probed = await _probe(servers, "/healthz")
        assert all(status == 200 for status, _ in probed), probed
        health += [seconds for _, seconds in probed]
        await asyncio.sleep(0.1)
    await asyncio.to_thread(postgres.start if how == "stopped" else postgres.resume)
    back = time.monotonic()
    while any(status != 200 for status, _ in await _probe(servers, "/readyz")):
        assert time.monotonic() - back < READY_WITHIN, "a process not ready 5 s after the database's return"
        await asyncio.sleep(0.05)
    await asyncio.sleep(3)  # every phone's refused vote is resent and acked
    stop.set()
    await asyncio.wait_for(asyncio.gather(*running), 60)
    return health, phones


@pytest.mark.drill
@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_with_postgres_gone_8_s_behind_the_proxy_every_vote_is_answered_and_nothing_is_lost(
        outage_cluster, how):
    postgres, servers, proxy = outage_cluster
    code = proxy.api("POST", "/api/sessions", json={"title": "Outage"}).json()["code"]
    for command in ({"command": "goto", "step": 1}, {"command": "open", "question": QUESTION}):
        assert proxy.api("POST", f"/api/sessions/{code}/commands", json=command).status_code == 200
    health, phones = asyncio.run(_through_an_outage(
        postgres, servers, f"ws://127.0.0.1:{proxy.port}/ws/{code}", proxy.base, how))
    slowest = max(phone.slowest for phone in phones)
    print(f"{how}: slowest answer {slowest:.3f} s, /healthz max {max(health):.3f} s over {len(health)} probes")
    assert slowest < ANSWER_WITHIN, f"a vote waited {slowest:.2f} s for its answer"
    assert max(health) < HEALTH_WITHIN, f"/healthz took {max(health):.2f} s during the outage"
    assert len(health) > 3 * OUTAGE * 2  # probed all along, every process
    assert all(phone.answers["error"] > 0 for phone in phones)  # each voted during the outage
    stored = _stored_votes(postgres.url("outage"), code)
    assert {phone.participant: phone.acked for phone in phones} == stored  # every last acked vote


def _stored_votes(url: str, code: str) -> dict[int, int]:
    import psycopg

    with psycopg.connect(url) as connection:
        rows = connection.execute("select participant_id, value from votes where session_code = %s"
                                  " and question_id = %s", (code, QUESTION)).fetchall()
    return {person: int(value) for person, value in rows}
