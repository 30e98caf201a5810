"""The facilitator guard, walked over the routes table itself: every route behind it needs the key."""

import json

import pytest
from starlette.routing import Mount, Route
from starlette.websockets import WebSocketDisconnect

from helpers import AUTH, sign_in
from workshop.web.app import facilitator_routes, public_routes, routes
from workshop.web.guard import FacilitatorGuard

PUBLIC_PATHS = {"/healthz", "/readyz", "/join", "/login", "/j/{code}", "/j/{code}/qr.svg", "/ws/{code}", "/static"}
PATH_VALUES = {"code": None, "qid": "arrival.direction", "kind": "arrival", "fmt": "json", "plan_id": "frei-variability"}


def _guarded() -> list:
    found = []
    for route in facilitator_routes():
        methods = sorted((route.methods or {"GET"}) - {"HEAD"}) if isinstance(route, Route) else ["WEBSOCKET"]
        found += [(method, route.path) for method in methods]
    return found


def _url(path: str, code: str) -> str:
    return path.format(**{**PATH_VALUES, "code": code})


def test_the_guarded_mount_is_last_and_carries_the_guard():
    last = routes()[-1]
    assert isinstance(last, Mount) and last.path == ""
    assert isinstance(last.app, FacilitatorGuard)


def test_only_the_phone_routes_and_the_sign_in_exchange_are_public():
    assert {route.path for route in public_routes()} == PUBLIC_PATHS


@pytest.mark.parametrize("method, path", _guarded())
def test_every_guarded_route_refuses_a_missing_or_wrong_key(client, session_code, method, path):
    url = _url(path, session_code)
    if method == "WEBSOCKET":
        for headers in ({}, {"Authorization": "Bearer nope"}):
            with pytest.raises(WebSocketDisconnect) as refused:
                with client.websocket_connect(url, headers=headers):
                    pass
            assert refused.value.code == 1008
        return
    missing = client.request(method, url)
    assert missing.status_code == 401
    wrong = client.request(method, url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    if path.startswith("/api"):
        assert missing.json()["error"] == "unauthorized" and wrong.json()["error"] == "forbidden"
    else:
        assert "facilitator" in missing.text.lower()


def test_a_path_nobody_has_routed_yet_is_protected_too(client):
    assert client.get("/api/not-yet-built").status_code == 401
    assert client.get("/api/not-yet-built", headers=AUTH).status_code == 404


def _signed_in(client) -> None:
    sign_in(client)


def test_a_cookie_signed_write_from_another_origin_is_refused_and_runs_nothing(client, session_code):
    _signed_in(client)
    url = f"/api/sessions/{session_code}/commands"
    body = '{"command": "goto", "step": 2}'
    for headers in ({"Origin": "http://evil.example", "Content-Type": "application/json"},
                    {"Origin": "http://testserver:8001", "Content-Type": "application/json"},
                    {"Origin": "http://testserver", "Content-Type": "text/plain"},
                    {"Content-Type": "application/json"}):
        refused = client.post(url, content=body, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "cross_site", headers
    assert client.get(f"/api/sessions/{session_code}").json()["current_step"] == 0
    same_site = client.post(url, content=body, headers={"Origin": "http://testserver",
                                                        "Content-Type": "application/json"})
    assert same_site.status_code == 200 and same_site.json()["current_step"] == 2
    by_referer = client.post(url, content='{"command": "goto", "step": 1}',
                             headers={"Referer": "http://testserver/s/x/facilitate",
                                      "Content-Type": "application/json; charset=utf-8"})
    assert by_referer.status_code == 200


def test_a_bearer_key_needs_no_origin(client, session_code):
    response = client.post(f"/api/sessions/{session_code}/commands", content='{"command": "goto", "step": 1}',
                           headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 200


async def test_rotating_the_key_closes_the_facilitator_sockets_opened_with_the_old_one(tmp_path, capsys):
    import asyncio

    import websockets

    from servers import Server
    from workshop.cli import main

    server = Server(tmp_path, key=None)  # the key kept in the database, which rotate-key replaces
    try:
        key = server.key
        code = server.api("POST", "/api/sessions", json={"title": "Rotation"}).json()["code"]
        headers = {"Authorization": f"Bearer {key}"}
        base = f"ws://127.0.0.1:{server.port}/ws/{code}"
        async with websockets.connect(base + "/control", additional_headers=headers) as console, \
                websockets.connect(base + "/present", additional_headers=headers) as projector:
            assert json.loads(await console.recv())["type"] == "snapshot"
            assert await asyncio.to_thread(main, ["rotate-key", "--db", str(tmp_path / "workshop.db")]) == 0
            await console.send(json.dumps({"type": "command", "id": "c", "command": "goto", "step": 3}))
            for socket in (console, projector):
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    while True:
                        reply = json.loads(await asyncio.wait_for(socket.recv(), 10))
                        assert reply.get("type") != "ack", reply
                assert closed.value.rcvd.code == 1008
        assert server.api("GET", f"/api/sessions/{code}").status_code == 403  # the old key, refused
        new_key = capsys.readouterr().out.split("New facilitator key: ")[1].split()[0]
        assert server.api("GET", f"/api/sessions/{code}", key=new_key).json()["current_step"] == 0
    finally:
        server.stop()


def _sign_in_to(client, server) -> None:
    page = client.get(f"{server.base}/?key={server.key}")
    token = page.text.split('name="token" value="')[1].split('"')[0]
    response = client.post(f"{server.base}/login", json={"token": token}, headers={"Origin": server.base})
    assert response.status_code == 200, response.text


def test_two_workshops_on_one_host_keep_their_own_sign_in(tmp_path):
    import httpx2 as httpx

    from servers import Server

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = Server(tmp_path / "a", key=None), Server(tmp_path / "b", key=None)
    try:
        # One browser: its cookie jar, like a browser's, keeps cookies per host whatever the port.
        with httpx.Client(timeout=10) as browser:
            _sign_in_to(browser, first)
            assert browser.get(f"{first.base}/api/sessions").status_code == 200
            _sign_in_to(browser, second)
            assert browser.get(f"{second.base}/api/sessions").status_code == 200
            assert browser.get(f"{first.base}/api/sessions").status_code == 200  # still signed in
            names = {cookie.name for cookie in browser.cookies.jar}
            assert len(names) == 2 and all(name.startswith("workshop_facilitator_") for name in names)
    finally:
        first.stop()
        second.stop()


def test_the_cookie_name_is_the_records_and_survives_a_restart(tmp_path):
    from workshop.config import Settings
    from workshop.web.app import create_app

    first = create_app(Settings(db_path=tmp_path / "workshop.db", key="k")).state.auth.cookie
    again = create_app(Settings(db_path=tmp_path / "workshop.db", key="k")).state.auth.cookie
    other = create_app(Settings(db_path=tmp_path / "other.db", key="k")).state.auth.cookie
    assert first == again != other
