"""deploy/nginx.conf in front of two real app processes on one PostgreSQL record and one Redis broker:
sockets pass through the proxy, requests go round robin, and a command reaches phones on any process."""

import asyncio
import json
import time

import pytest
import websockets
from proxy import NGINX, Proxy

from servers import Server

QUESTION = "arrival.direction"


@pytest.fixture
def proxied(tmp_path, postgres_url, redis_server):
    if NGINX is None:
        pytest.skip("nginx is not installed here (.ci/run installs it)")
    servers = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name, "--db", postgres_url, "--broker", redis_server.url))
        proxy = Proxy([server.port for server in servers])
        try:
            yield proxy
        finally:
            proxy.stop()
    finally:
        for server in servers:
            server.stop()


async def receive(socket, kind: str) -> dict:
    while (message := json.loads(await asyncio.wait_for(socket.recv(), 10)))["type"] != kind:
        pass
    return message


def test_phones_vote_through_the_proxy_and_commands_reach_them(proxied):
    codes = [proxied.api("POST", "/api/sessions", json={"title": f"Room {n}"}).json()["code"] for n in range(6)]
    assert proxied.api("GET", "/readyz").json() == {"status": "ready"}

    async def vote_in(code: str) -> dict:
        origin = f"http://127.0.0.1:{proxied.port}"  # a browser's page served through the proxy
        async with websockets.connect(f"ws://127.0.0.1:{proxied.port}/ws/{code}", origin=origin) as phone:
            await phone.send(json.dumps({"type": "join", "name": "Ann"}))
            await receive(phone, "welcome")
            # The command goes over HTTP through the proxy, to either process: the phone sees it
            # wherever it landed.
            for command in ({"command": "goto", "step": 1}, {"command": "open", "question": QUESTION}):
                done = await asyncio.to_thread(proxied.api, "POST", f"/api/sessions/{code}/commands", json=command)
                assert done.status_code == 200, done.text
            state = await receive(phone, "state")
            while not state["questions"]:
                state = await receive(phone, "state")
            await phone.send(json.dumps({"type": "vote", "id": "v1", "question": QUESTION, "value": 2}))
            return await receive(phone, "ack")

    for code in codes:  # six sessions: with two processes, both are all but certain to hold some
        assert asyncio.run(vote_in(code))["id"] == "v1"
        deadline = time.monotonic() + 5  # either process answers; the other hears of the vote within moments
        while (results := proxied.api("GET", f"/api/sessions/{code}/results/{QUESTION}").json()
               )["rounds"][0]["counts"]["2"] != 1:
            assert time.monotonic() < deadline, results
            time.sleep(0.05)
