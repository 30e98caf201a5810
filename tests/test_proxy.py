"""The shipped nginx config (deploy/nginx.conf) in front of several real app processes on one PostgreSQL
record and one Redis broker, as an operator runs them: sign-in through any process, client addresses
that only the proxy may name."""

import asyncio
import json
import re
import time

import httpx2 as httpx
import pytest
import websockets
from proxy import NGINX, Proxy
from services import free_port

from servers import KEY, Server, receive

FORGED = "203.0.113.7"  # TEST-NET-3: an address no phone here has


@pytest.fixture
def proxied(tmp_path, postgres_url, redis_server):
    if NGINX is None:
        pytest.skip("nginx is not installed here (.ci/run installs it)")
    servers = []
    try:
        for name in ("one", "two", "three"):
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name, "--db", postgres_url, "--broker", redis_server.url,
                                  "--trusted-proxies", "127.0.0.1"))
        proxy = Proxy([server.port for server in servers])
        proxy.servers = servers
        try:
            yield proxy
        finally:
            proxy.stop()
    finally:
        for server in servers:
            server.stop()


def test_twenty_sign_ins_in_a_row_through_the_proxy_all_succeed(proxied):
    for attempt in range(20):
        with httpx.Client(base_url=proxied.base, timeout=10) as browser:  # a fresh browser each time
            page = browser.get(f"/?key={KEY}")
            token = re.search(r'name="token" value="([^"]+)"', page.text)
            assert page.status_code == 200 and token is not None, page.text
            # The page's script posts to the same origin it came from: the proxy's.
            signed_in = browser.post("/login", json={"token": token.group(1)}, headers={"Origin": proxied.base})
            assert signed_in.status_code == 200, f"sign-in {attempt + 1}: {signed_in.text}"
            assert browser.get("/").status_code == 200  # the cookie works on whichever process answers


def test_a_client_written_forwarded_address_is_never_believed(proxied):
    code = proxied.api("POST", "/api/sessions", json={"title": "Forged"}).json()["code"]

    async def join_from(local: str, name: str) -> None:
        async with websockets.connect(f"ws://127.0.0.1:{proxied.port}/ws/{code}", origin=proxied.base,
                                      additional_headers={"X-Forwarded-For": FORGED}, local_addr=(local, 0)) as phone:
            await phone.send(json.dumps({"type": "join", "name": name}))
            await receive(phone, "welcome")

    async def join_all() -> None:
        # From the proxy's own address (a trusted one) and from another: both forge the header.
        for number in range(6):
            await join_from("127.0.0.1" if number % 2 else "127.0.0.5", f"P{number}")

    asyncio.run(join_all())
    joins: dict[str, int] = {}
    for server in proxied.servers:  # each process counts the joins it took
        for entry in server.api("GET", f"/api/sessions/{code}").json()["room"]["joins_by_address"]:
            joins[entry["address"]] = joins.get(entry["address"], 0) + entry["joins"]
    assert joins == {"127.0.0.1": 3, "127.0.0.5": 3}  # the real clients, never the forged address


def test_without_trusted_proxies_no_forwarded_address_is_believed(tmp_path):
    server = Server(tmp_path)  # uvicorn alone would believe X-Forwarded-For from 127.0.0.1
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Direct"}).json()["code"]

        async def join() -> None:
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}",
                                          additional_headers={"X-Forwarded-For": FORGED}) as phone:
                await phone.send(json.dumps({"type": "join"}))
                await receive(phone, "welcome")

        asyncio.run(join())
        room = server.api("GET", f"/api/sessions/{code}").json()["room"]
        assert room["joins_by_address"] == [{"address": "127.0.0.1", "joins": 1}]
    finally:
        server.stop()


@pytest.mark.parametrize("value", ["*", "proxy.example.org", "10.0.0.0/33"])
def test_trusted_proxies_must_be_addresses_or_networks(tmp_path, capsys, value):
    from workshop.cli import main

    assert main(["serve", "--db", str(tmp_path / "w.db"), "--port", "0", "--trusted-proxies", value]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("workshop serve: --trusted-proxies") and "\n" not in error
    assert not (tmp_path / "w.db").exists()


HALL = 300


async def _join_phones(url: str, origin: str, count: int, vote: bool) -> tuple[list[int], int]:
    """`count` phones join through the proxy (all from this machine: one client address); with `vote`,
    each then votes once. Returns the participants who joined and were acked, and how many were refused."""
    async def one(number: int) -> int | None:
        async with websockets.connect(url, origin=origin, open_timeout=30, ping_interval=None) as phone:
            await phone.send(json.dumps({"type": "join", "name": f"P{number}"}))
            while (reply := json.loads(await asyncio.wait_for(phone.recv(), 30)))["type"] not in ("welcome", "error"):
                pass
            if reply["type"] == "error":
                assert reply["code"] == "rate_limited", reply
                return None
            if vote:
                await phone.send(json.dumps({"type": "vote", "id": "v", "question": QUESTION, "value": 1}))
                await receive(phone, "ack", timeout=30)
            return int(reply["participant"]["id"])
    joined = await asyncio.gather(*(one(number) for number in range(count)))
    return [person for person in joined if person is not None], joined.count(None)


def test_a_hall_of_300_behind_the_proxy_joins_once_its_size_is_expected(proxied):
    url = f"ws://127.0.0.1:{proxied.port}/ws/"
    # Without the room size, one address gets a minute's budget of joins, shared by the processes.
    unexpected = proxied.api("POST", "/api/sessions", json={"title": "Unexpected"}).json()["code"]
    joined, refused = asyncio.run(_join_phones(url + unexpected, proxied.base, 150, vote=False))
    assert refused > 0 and len(joined) + refused == 150

    code = proxied.api("POST", "/api/sessions", json={"title": "Hall"}).json()["code"]
    for command in ({"command": "room_size", "size": HALL}, {"command": "goto", "step": 1},
                    {"command": "open", "question": QUESTION}):
        assert proxied.api("POST", f"/api/sessions/{code}/commands", json=command).status_code == 200
    started = time.monotonic()
    joined, refused = asyncio.run(_join_phones(url + code, proxied.base, HALL, vote=True))
    took = time.monotonic() - started
    assert refused == 0 and len(set(joined)) == HALL and took < 30, (refused, took)
    print(f"{HALL} phones joined and voted through the proxy in {took:.2f} s")
    counts = [server.api("GET", f"/api/sessions/{code}").json()["room"]["joins_by_address"]
              for server in proxied.servers]  # each process counts the joins it took: all one address
    assert sum(entry["joins"] for entries in counts for entry in entries) == HALL
    assert {entry["address"] for entries in counts for entry in entries} == {"127.0.0.1"}
    results = proxied.api("GET", f"/api/sessions/{code}/results/{QUESTION}").json()["rounds"][0]
    assert results["n"] == HALL, results


PHONES = 150
QUESTION = "arrival.direction"
# Seconds the longest any phone may be out during a rolling restart. The goal is 15; here phones were
# back within 0.7 s, and out for 6 to 8 s with nginx's former `max_fails=2 fail_timeout=5s`.
BACK_WITHIN = 5.0


class Phone:
    """A phone that votes, one vote at a time until acknowledged, and reconnects whenever it is cut off."""

    def __init__(self, url: str, origin: str, number: int) -> None:
        self.url, self.origin, self.number = url, origin, number
        self.token: str | None = None
        self.participant: int | None = None
        self.acked: str | None = None  # the value of its last acknowledged vote
        self.sent = 0
        self.worst_gap = 0.0
        self.down_since: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        pending: tuple[str, str] | None = None
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                async with websockets.connect(self.url, origin=self.origin, open_timeout=5) as socket:
                    await socket.send(json.dumps({"type": "join", "token": self.token, "name": f"P{self.number}"}))
                    welcome = await receive(socket, "welcome")
                    self.token, self.participant = welcome["participant"]["token"], welcome["participant"]["id"]
                    self._back(loop.time())
                    while not stop.is_set():
                        if pending is None:
                            self.sent += 1
                            pending = (f"{self.number}-{self.sent}", str(self.sent % 5 - 2))
                        if await self._vote(socket, *pending):
                            self.acked, pending = pending[1], None
                        await asyncio.sleep(0.2)
            except (websockets.ConnectionClosed, websockets.InvalidHandshake, OSError, TimeoutError):
                if self.down_since is None:
                    self.down_since = loop.time()
                await asyncio.sleep(0.1)
        self._back(loop.time())

    async def _vote(self, socket, message_id: str, value: str) -> bool:
        """Send (or resend: the id counts once) a vote; True once it is acknowledged."""
        await socket.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION, "value": int(value)}))
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if message["type"] in ("ack", "error") and message.get("id") == message_id:
                return message["type"] == "ack"

    def _back(self, now: float) -> None:
        if self.down_since is not None:
            self.worst_gap = max(self.worst_gap, now - self.down_since)
            self.down_since = None


@pytest.mark.drill
def test_a_rolling_restart_during_voting_loses_no_vote_and_every_phone_is_back_within_15_s(
        tmp_path, postgres_url, redis_server):
    if NGINX is None:
        pytest.skip("nginx is not installed here (.ci/run installs it)")
    ports = [free_port() for _ in range(3)]
    args = ("--db", postgres_url, "--broker", redis_server.url, "--trusted-proxies", "127.0.0.1")

    def start(number: int) -> Server:
        folder = tmp_path / f"app{number}"
        folder.mkdir(exist_ok=True)
        return Server(folder, *args, "--port", str(ports[number]))

    servers = [start(number) for number in range(3)]
    proxy = Proxy(ports)
    try:
        code = proxy.api("POST", "/api/sessions", json={"title": "Rolling"}).json()["code"]
        # Every phone comes from one address (the test's): the facilitator expects the room.
        for command in ({"command": "room_size", "size": PHONES}, {"command": "goto", "step": 1},
                        {"command": "open", "question": QUESTION}):
            assert proxy.api("POST", f"/api/sessions/{code}/commands", json=command).status_code == 200
        phones = [Phone(f"ws://127.0.0.1:{proxy.port}/ws/{code}", proxy.base, number) for number in range(PHONES)]

        async def vote_through_a_rolling_restart() -> None:
            stop = asyncio.Event()
            running = [asyncio.create_task(phone.run(stop)) for phone in phones]
            await asyncio.sleep(2)
            for number in range(3):  # one process at a time, as an operator upgrades them
                await asyncio.to_thread(servers[number].stop)
                servers[number] = await asyncio.to_thread(start, number)
                await asyncio.sleep(2)
            await asyncio.sleep(3)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*running), 30)

        asyncio.run(vote_through_a_rolling_restart())
        worst = max(phone.worst_gap for phone in phones)
        assert worst < BACK_WITHIN, f"a phone was out for {worst:.1f} s"
        assert all(phone.sent > 5 for phone in phones)  # they voted before, during and after
        stored = {row["participant_id"]: row["value"] for row in _votes(postgres_url, code)}
        assert {phone.participant: phone.acked for phone in phones} == stored  # every last acked vote
    finally:
        proxy.stop()
        for server in servers:
            if server.process.poll() is None:
                server.stop()


def _votes(url: str, code: str) -> list[dict]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as connection:
        return connection.execute("select participant_id, value from votes where session_code = %s"
                                  " and question_id = %s", (code, QUESTION)).fetchall()
