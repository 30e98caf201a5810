"""The shipped nginx config (deploy/nginx.conf) in front of several real app processes on one PostgreSQL
record and one Redis broker, as an operator runs them: sign-in through any process, client addresses
that only the proxy may name."""

import asyncio
import json
import re

import httpx2 as httpx
import pytest
import websockets
from proxy import NGINX, Proxy

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
