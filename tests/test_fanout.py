"""Several `workshop serve` processes on one PostgreSQL and one Redis: phones on different processes, a
console on another, every one of them sees the same session; a process killed mid-burst loses no
acknowledged vote and its phones carry on elsewhere; a Redis restart leaves the counts converging."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest
import websockets
from crash_phones import Phone, check_every_ack, receive_one_of

import servers
from servers import KEY, ROOT, Server
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.web.limits import JOINS_PER_MINUTE

QUESTION = "arrival.direction"
STEP = load_plan(default_plans_dir() / "frei-variability.toml").step_of(QUESTION).index
DEADLINE = 10.0  # seconds for every screen to agree


class Screen:
    """A socket that keeps the latest message of each type it is sent."""

    opened: list["Screen"] = []  # closed after each test, even one that failed midway

    def __init__(self, socket) -> None:
        self.opened.append(self)
        self.socket = socket
        self.latest: dict[str, dict] = {}
        self.task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        try:
            async for text in self.socket:
                message = json.loads(text)
                self.latest[message["type"]] = message
        except websockets.ConnectionClosed:
            pass

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))


@pytest.fixture(autouse=True)
async def close_screens():
    yield
    while Screen.opened:
        await Screen.opened.pop().socket.close()


@pytest.fixture
def cluster(tmp_path, postgres_url, redis_server):
    """Start `count` processes sharing the database and the broker; all are stopped afterwards."""
    started: list[Server] = []

    def start(count: int) -> list[Server]:
        for _ in range(count):
            folder = tmp_path / f"process{len(started)}"
            folder.mkdir()
            started.append(Server(folder, "--db", postgres_url, "--broker", redis_server.url))
        return started[-count:]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.stop()


def open_session(server: Server) -> str:
    code = server.api("POST", "/api/sessions", json={"title": "Several processes"}).json()["code"]
    for body in ({"command": "goto", "step": STEP}, {"command": "open", "question": QUESTION}):
        assert server.api("POST", f"/api/sessions/{code}/commands", json=body).status_code == 200
    return code


async def connect(server: Server, path: str, console: bool = False):
    headers = {"Authorization": f"Bearer {KEY}"} if console else None
    return await websockets.connect(f"ws://127.0.0.1:{server.port}{path}", additional_headers=headers)


async def joined_phone(server: Server, code: str) -> Screen:
    phone = Screen(await connect(server, f"/ws/{code}"))
    await phone.send({"type": "join"})
    await until(lambda: "welcome" in phone.latest, "a welcome")
    return phone


def stored_counts(postgres_url: str, code: str) -> Counter:
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("select value, count(*) from votes where session_code = %s and question_id = %s"
                                  " and round = 1 group by value", (code, QUESTION)).fetchall()
    return Counter({value: count for value, count in rows if value != "abstain"})


def console_counts(console: Screen) -> Counter | None:
    snapshot = console.latest.get("snapshot", {}).get("snapshot")
    tally = snapshot and snapshot["questions"][QUESTION].get("tally")
    return Counter({value: count for value, count in tally["counts"].items() if count}) if tally else None


async def until(check, what: str, deadline: float = DEADLINE, seen=lambda: "") -> None:
    await servers.until(check, what, deadline, seen)


async def test_phones_and_consoles_on_different_processes_see_the_same_session(cluster):
    servers = cluster(3)
    code = open_session(servers[0])
    console = Screen(await connect(servers[2], f"/ws/{code}/control", console=True))
    phones, expected = [], Counter()
    for number in range(6):
        phone = Screen(await connect(servers[number % 3], f"/ws/{code}"))
        await phone.send({"type": "join", "group": "IT"})
        await until(lambda phone=phone: "welcome" in phone.latest, "a welcome")
        value = number % 3 - 1
        await phone.send({"type": "vote", "id": f"v{number}", "question": QUESTION, "value": value})
        await until(lambda phone=phone: "ack" in phone.latest, "an ack")
        expected[str(value)] += 1
        phones.append(phone)

    def console_agrees() -> bool:
        snapshot = console.latest.get("snapshot", {}).get("snapshot", {})
        return console_counts(console) == expected and snapshot["participants"]["connected"] == 6

    await until(console_agrees, "the console counts every process's votes and phones")
    await console.send({"type": "command", "id": "c1", "command": "reveal", "question": QUESTION})

    def phone_agrees(phone: Screen) -> bool:
        state = phone.latest.get("state")
        shown = state and [item for item in state["questions"] if item["id"] == QUESTION]
        return bool(shown and state["step"]["index"] == STEP and "results" in shown[0]
                    and Counter({k: v for k, v in shown[0]["results"]["counts"].items() if v}) == expected)

    await until(lambda: all(phone_agrees(phone) for phone in phones), "every phone shows the revealed results")
    for screen in [console, *phones]:
        await screen.socket.close()


@pytest.mark.drill
async def test_more_sessions_than_redis_connections_in_a_pool_all_fan_out(cluster):
    first, second = cluster(2)
    codes = [open_session(first) for _ in range(110)]  # redis-py pools hold 100 connections by default
    consoles = [Screen(await connect(second, f"/ws/{code}/control", console=True)) for code in codes]
    for code in codes:
        async with await connect(first, f"/ws/{code}") as socket:
            await socket.send(json.dumps({"type": "join"}))
            await receive_one_of(socket, "welcome")
            await socket.send(json.dumps({"type": "vote", "id": "v", "question": QUESTION, "value": 2}))
            await receive_one_of(socket, "ack")
    await until(lambda: all(console_counts(console) == Counter({"2": 1}) for console in consoles),
                "every console counts its session's vote from the other process",
                seen=lambda: sum(console_counts(console) == Counter({"2": 1}) for console in consoles))
    for console in consoles:
        await console.socket.close()


async def test_a_countdown_started_on_one_process_closes_the_question_on_every_screen(cluster):
    first, second = cluster(2)
    code = open_session(first)
    phone = await joined_phone(second, code)
    timer = {"command": "timer", "question": QUESTION, "seconds": 1}
    assert first.api("POST", f"/api/sessions/{code}/commands", json=timer).status_code == 200

    def status_on_phone() -> str | None:
        shown = [item for item in phone.latest.get("state", {}).get("questions", []) if item["id"] == QUESTION]
        return shown[0]["status"] if shown else None

    await until(lambda: status_on_phone() == "closed", "the phone on the other process sees the question closed",
                seen=status_on_phone)
    assert second.api("GET", f"/api/sessions/{code}").json()["questions"][QUESTION]["status"] == "closed"
    await phone.socket.close()


async def test_a_malformed_event_in_the_stream_is_skipped_and_fan_out_goes_on(cluster, redis_server):
    import redis

    first, second = cluster(2)
    code = open_session(first)
    console = Screen(await connect(second, f"/ws/{code}/control", console=True))
    await until(lambda: "snapshot" in console.latest, "a first snapshot")
    with redis.Redis.from_url(redis_server.url) as client:
        for event in ("{not json", json.dumps({"kind": "vote"}), json.dumps({"kind": "vote", "question": 7,
                                                                                 "round": "x", "value": 1})):
            client.xadd(f"workshop:session:{code}", {"event": event})
    async with await connect(first, f"/ws/{code}") as socket:
        await socket.send(json.dumps({"type": "join"}))
        await receive_one_of(socket, "welcome")
        await socket.send(json.dumps({"type": "vote", "id": "v", "question": QUESTION, "value": -2}))
        await receive_one_of(socket, "ack")
        await until(lambda: console_counts(console) == Counter({"-2": 1}), "the vote after the bad events",
                    seen=lambda: console_counts(console))
    await console.socket.close()


async def test_a_phone_opening_the_session_elsewhere_closes_its_older_socket(cluster):
    first, second = cluster(2)
    code = open_session(first)
    old = await joined_phone(first, code)
    new = Screen(await connect(second, f"/ws/{code}"))
    await new.send({"type": "join", "token": old.latest["welcome"]["participant"]["token"]})
    await until(lambda: old.task.done(), "the older socket is closed")
    assert old.socket.close_code == 4409
    await new.socket.close()


async def test_a_phones_message_budget_follows_it_to_another_process(cluster):
    first, second = cluster(2)
    code = open_session(first)

    async def burst(server: Server, token: str | None, count: int) -> tuple[str, Counter]:
        async with await connect(server, f"/ws/{code}") as socket:
            await socket.send(json.dumps({"type": "join", "token": token}))
            token = (await receive_one_of(socket, "welcome"))["participant"]["token"]
            for number in range(count):
                await socket.send(json.dumps({"type": "vote", "id": f"{server.port}-{number}",
                                              "question": QUESTION, "value": 1}))
            replies = Counter()
            for _ in range(count):
                reply = await receive_one_of(socket, "ack", "error")
                replies[reply.get("code", "ack")] += 1
            return token, replies

    token, first_replies = await burst(first, None, 40)
    assert first_replies["rate_limited"] >= 5, first_replies  # past the burst of 30
    _, second_replies = await burst(second, token, 15)  # a fresh budget would take all 15
    assert second_replies["rate_limited"] >= 1, second_replies


async def test_an_address_gets_no_more_new_joins_by_spreading_them_over_processes(cluster):
    first, second = cluster(2)
    code = open_session(first)

    async def join_fresh(server: Server, count: int) -> Counter:
        replies = Counter()
        for _ in range(count):
            async with await connect(server, f"/ws/{code}") as socket:
                await socket.send(json.dumps({"type": "join"}))
                reply = await receive_one_of(socket, "welcome", "error")
                replies[reply.get("code", "welcome")] += 1
        return replies

    on_first = await join_fresh(first, int(JOINS_PER_MINUTE))
    assert on_first == Counter(welcome=int(JOINS_PER_MINUTE)), on_first  # the address's whole budget
    on_second = await join_fresh(second, 10)  # a budget per process would take all ten
    assert on_second["rate_limited"] >= 7, on_second  # it refills at two a second


async def test_killing_a_process_mid_burst_loses_no_ack_and_its_phones_carry_on_elsewhere(cluster, postgres_url):
    servers = cluster(3)
    code = open_session(servers[0])
    phones = [Phone(index) for index in range(24)]
    ready = asyncio.Event()
    voting = [asyncio.create_task(phone.vote_until_the_server_dies(servers[phone.index % 3].port, code, ready))
              for phone in phones]
    await until(lambda: all(phone.token for phone in phones), "every phone joined")
    ready.set()
    await asyncio.sleep(0.4)
    servers[0].kill()  # SIGKILL: no drain, no goodbye to Redis
    await asyncio.sleep(0.3)  # the other processes' phones keep voting meanwhile
    for task in voting:
        task.cancel()
    await asyncio.gather(*voting, return_exceptions=True)
    assert any(phone.acked for phone in phones if phone.index % 3 == 0), "the burst should reach the killed process"

    await asyncio.sleep(3.5)  # the phones spent their shared message budgets in the burst; let them refill
    await check_every_ack(servers[1], code, phones)  # the killed process's phones resume there with their tokens
    console = Screen(await connect(servers[2], f"/ws/{code}/control", console=True))
    await until(lambda: console_counts(console) == stored_counts(postgres_url, code),
                "a console on another process counts what the database kept",
                seen=lambda: f"{console_counts(console)} != {stored_counts(postgres_url, code)}")
    assert sum(stored_counts(postgres_url, code).values()) == len(phones)
    await console.socket.close()


async def test_unreadable_reports_in_redis_do_not_stop_processes_sharing_presence(cluster, redis_server):
    import redis

    first, second = cluster(2)
    code = open_session(first)
    console = Screen(await connect(second, f"/ws/{code}/control", console=True))
    with redis.Redis.from_url(redis_server.url) as client:
        client.hset("workshop:processes", mapping={"junk": "not a time", "empty": ""})
        client.hset(f"workshop:presence:{code}", mapping={
            "not-json": "{", "a-list": "[1, 2]", "bad-time": json.dumps({"at": "soon", "ids": [7]}),
            "bad-ids": json.dumps({"at": time.time() + 60, "ids": 7})})
    phone = await joined_phone(first, code)

    def connected() -> int | None:
        return console.latest.get("snapshot", {}).get("snapshot", {}).get("participants", {}).get("connected")

    await until(lambda: connected() == 1, "the phone on the other process counted", seen=connected)
    await phone.send({"type": "vote", "id": "v", "question": QUESTION, "value": 2})
    await until(lambda: console_counts(console) == Counter({"2": 1}), "its vote on the other process")


async def test_a_process_that_dies_between_a_commit_and_its_event_is_caught_up(cluster, redis_server, postgres_url):
    import redis

    first, second = cluster(2)
    code = open_session(first)
    console = Screen(await connect(second, f"/ws/{code}/control", console=True))
    phone = await joined_phone(first, code)
    await phone.send({"type": "vote", "id": "v1", "question": QUESTION, "value": 1})
    await until(lambda: console_counts(console) == Counter({"1": 1}), "the vote on the other process")
    # A third process signs in, commits a change to that vote, and dies before publishing it or
    # reporting its phones: it is gone from the register a few seconds later.
    with redis.Redis.from_url(redis_server.url) as client:
        for _ in range(3):  # reports for longer than the others' interval, so they notice it even when busy
            client.hset("workshop:processes", "a-process-about-to-die", str(time.time()))
            await asyncio.sleep(1.2)
    with psycopg.connect(postgres_url) as connection:
        connection.execute("update votes set value = '-2' where session_code = %s", (code,))
    await until(lambda: console_counts(console) == Counter({"-2": 1}), "the store read again once it went quiet",
                seen=lambda: console_counts(console))


async def test_votes_go_on_without_redis_and_counts_converge_once_it_restarts(cluster, redis_server, postgres_url):
    first, second = cluster(2)
    code = open_session(first)
    console = Screen(await connect(second, f"/ws/{code}/control", console=True))
    phones = [Screen(await connect((first, second)[number % 2], f"/ws/{code}")) for number in range(8)]
    for phone in phones:
        await phone.send({"type": "join"})

    async def vote(round_of_votes: int) -> None:
        for number, phone in enumerate(phones):
            phone.latest.pop("ack", None)
            value = (number + round_of_votes) % 5 - 2
            await phone.send({"type": "vote", "id": f"{round_of_votes}-{number}", "question": QUESTION,
                              "value": value})
        await until(lambda: all("ack" in phone.latest for phone in phones), "every vote acknowledged")

    await until(lambda: all("welcome" in phone.latest for phone in phones), "every phone joined")
    await vote(0)
    await until(lambda: console_counts(console) == stored_counts(postgres_url, code), "counts before the restart")
    redis_server.kill()
    try:
        await vote(1)  # without Redis, votes are still taken and acknowledged: they need only PostgreSQL
    finally:
        redis_server.start()  # empty: the stream and the presence hash are gone
    await vote(2)
    await until(lambda: console_counts(console) == stored_counts(postgres_url, code), "counts after the restart",
                seen=lambda: f"{console_counts(console)} != {stored_counts(postgres_url, code)}")
    assert sum(stored_counts(postgres_url, code).values()) == len(phones)
    for screen in [console, *phones]:
        await screen.socket.close()


def test_a_broker_without_postgresql_is_refused(tmp_path, redis_server):
    refused = subprocess.run([sys.executable, "-m", "workshop", "serve", "--port", "0", "--broker", redis_server.url],
                             cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                             text=True, timeout=30)
    assert refused.returncode != 0 and "needs a PostgreSQL --db" in refused.stderr, refused.stderr
    assert os.listdir(tmp_path) == []  # refused before any file was made


async def test_a_frozen_redis_holds_no_vote_or_join_back_for_more_than_a_moment(cluster, redis_server):
    import signal
    (server,) = cluster(1)
    code = open_session(server)
    phone = await joined_phone(server, code)
    os.kill(redis_server.process.pid, signal.SIGSTOP)  # frozen: it keeps the connections but never answers
    try:
        waits = []
        for number in range(6):
            started = time.monotonic()
            message_id = f"frozen-{number}"
            await phone.send({"type": "vote", "id": message_id, "question": QUESTION, "value": 1})
            await until(lambda wanted=message_id: phone.latest.get("ack", {}).get("id") == wanted, "an ack")
            waits.append(time.monotonic() - started)
            await asyncio.sleep(0.3)  # past the half second a process counts alone, so it asks Redis again
        started = time.monotonic()
        await joined_phone(server, code)
        joining = time.monotonic() - started
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert max(waits) < 1.0 and joining < 1.0, (waits, joining)
