"""Guessing session codes: wrong codes are counted per address and throttled, and an ended session
admits only the phones that took part in it."""

import asyncio
import time

import httpx2 as httpx
import pytest
import websockets
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from helpers import AUTH, command, join, receive_until
from servers import Server
from workshop.store.shaping import CODE_ALPHABET
from workshop.vocabulary import CLOSE_CODES
from workshop.web.app import create_app
from workshop.web.limits import WRONG_CODES_BURST, WRONG_CODES_PER_MINUTE, WrongCodeLimit, address_key

UNKNOWN, THROTTLED = CLOSE_CODES["unknown_session"], CLOSE_CODES["too_many_wrong_codes"]


def _wrong_codes(right: str):
    for first in CODE_ALPHABET:
        for second in CODE_ALPHABET:
            code = "ZZZZ" + first + second
            if code != right:
                yield code


def _refused(client, path: str) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(path) as socket:
        socket.send_json({"type": "join"})  # as a new phone does on opening
        socket.receive_json()
    return refused.value.code, refused.value.reason


@pytest.fixture
def strict(settings):
    """An app that forgives nothing for the length of a test: three wrong codes, then no refill."""
    app = create_app(settings)
    with TestClient(app) as client:
        app.state.wrong_codes = WrongCodeLimit(burst=3, per_minute=0.001)
        yield client


def test_past_its_budget_an_address_is_refused_every_code_alike_on_every_guest_route(strict):
    code = strict.post("/api/sessions", json={"title": "Guessed"}, headers=AUTH).json()["code"]
    wrong = _wrong_codes(code)
    assert [_refused(strict, f"/ws/{next(wrong)}")[0] for _ in range(3)] == [UNKNOWN] * 3
    # A wrong code and the right one now get the same answer: the refusal tells no code apart.
    assert _refused(strict, f"/ws/{next(wrong)}") == _refused(strict, f"/ws/{code}")
    assert _refused(strict, f"/ws/{code}")[0] == THROTTLED
    for path in (f"/j/{code}", f"/j/{next(wrong)}", f"/join?code={code}", f"/j/{code}/qr.svg"):
        assert strict.get(path, follow_redirects=False).status_code == 429, path
    page = strict.get(f"/join?code={code}")
    assert "Too many wrong codes" in page.text
    assert strict.get(f"/j/{code}/qr.svg").json()["error"] == "too_many_wrong_codes"
    # Another address is not held back, and the facilitator's own routes never are.
    other = TestClient(strict.app, client=("198.51.100.7", 4000))  # the same running app, another address
    assert other.get(f"/j/{code}").status_code == 200
    with other.websocket_connect(f"/ws/{code}") as phone:
        join(phone, name="Ana")
    assert strict.get(f"/api/sessions/{code}", headers=AUTH).status_code == 200


def test_a_typo_of_the_wrong_length_and_a_right_code_cost_nothing(strict):
    code = strict.post("/api/sessions", json={"title": "Typos"}, headers=AUTH).json()["code"]
    for _ in range(10):
        assert strict.get("/join?code=ABC").status_code == 404
        assert strict.get(f"/j/{code}").status_code == 200
    assert strict.get(f"/join?code={code}", follow_redirects=False).status_code == 303


def test_an_ipv6_machine_counts_as_its_whole_64():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == address_key("192.0.2.1") == "192.0.2.1"
    limit = WrongCodeLimit(burst=2, per_minute=0.001)
    limit.missed("2001:db8::1")
    limit.missed("2001:db8::2")
    assert limit.blocked("2001:db8::ffff") and not limit.blocked("2001:db8:0:1::1")


async def _close_code(url: str) -> int:
    async with websockets.connect(url) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.send('{"type": "join"}')  # as a new phone does on opening
            await asyncio.wait_for(socket.recv(), 10)
    return closed.value.rcvd.code


async def test_a_flood_of_wrong_codes_on_the_phone_socket_is_throttled(tmp_path):
    server = Server(tmp_path)
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Flooded"}).json()["code"]
        wrong = _wrong_codes(code)
        base = f"ws://127.0.0.1:{server.port}/ws/"
        started = time.monotonic()
        answers = [await _close_code(base + next(wrong)) for _ in range(int(WRONG_CODES_BURST) + 10)]
        elapsed = time.monotonic() - started
        refill = elapsed * WRONG_CODES_PER_MINUTE / 60
        assert answers.count(UNKNOWN) <= WRONG_CODES_BURST + refill + 1, (answers, elapsed)
        assert answers.count(THROTTLED) >= 10 - refill - 1 and set(answers) == {UNKNOWN, THROTTLED}
        assert httpx.get(f"{server.base}/j/{code}", timeout=10).status_code == 429
    finally:
        server.stop()


def test_an_ended_session_admits_only_the_phones_that_took_part(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        token = join(phone, name="Ana")["participant"]["token"]
    command(client, session_code, command="end")
    with client.websocket_connect(f"/ws/{session_code}") as stranger:
        stranger.send_json({"type": "join", "name": "Mallory"})
        refused = receive_until(stranger, "error")
        assert refused["code"] == "session_ended"
        stranger.send_json({"type": "join", "token": "not-a-token-of-this-session"})
        assert receive_until(stranger, "error")["code"] == "session_ended"
    with client.websocket_connect(f"/ws/{session_code}") as back:
        assert join(back, token=token)["participant"]["name"] == "Ana"
    assert [row["name"] for row in client.app.state.store._rows("select name from participants")] == ["Ana"]
    command(client, session_code, command="reopen")
    with client.websocket_connect(f"/ws/{session_code}") as newcomer:
        join(newcomer, name="Ben")  # reopened: new phones may join again


def test_while_its_address_is_held_back_a_phone_that_joined_still_comes_back(strict):
    code = strict.post("/api/sessions", json={"title": "Room behind one address"}, headers=AUTH).json()["code"]
    with strict.websocket_connect(f"/ws/{code}") as phone:
        token = join(phone, name="Ana")["participant"]["token"]
    wrong = _wrong_codes(code)
    for _ in range(3):
        _refused(strict, f"/ws/{next(wrong)}")
    with strict.websocket_connect(f"/ws/{code}") as back:  # its first message, a join with its token
        assert join(back, token=token)["participant"]["name"] == "Ana"
    # Without a token of the session, the right code and a wrong one are refused alike.
    answers = []
    for path, frame in ((f"/ws/{code}", {"type": "join", "name": "Mallory"}),
                        (f"/ws/{next(wrong)}", {"type": "join", "token": token}),
                        (f"/ws/{code}", {"type": "join", "token": "guessed"})):
        with pytest.raises(WebSocketDisconnect) as refused, strict.websocket_connect(path) as socket:
            socket.send_json(frame)
            socket.receive_json()
        answers.append((refused.value.code, refused.value.reason))
    assert len(set(answers)) == 1 and answers[0][0] == THROTTLED


async def test_several_processes_share_one_wrong_code_budget(tmp_path, postgres_url, redis_server):
    servers = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        servers.append(Server(tmp_path / name, "--db", postgres_url, "--broker", redis_server.url))
    try:
        wrong = _wrong_codes("")
        started = time.monotonic()
        answers = []
        for round_ in range(int(WRONG_CODES_BURST) + 10):  # taking turns, as a guesser spreading its tries
            server = servers[round_ % 2]
            answers.append(await _close_code(f"ws://127.0.0.1:{server.port}/ws/{next(wrong)}"))
        refill = (time.monotonic() - started) * WRONG_CODES_PER_MINUTE / 60
        # One budget for both: not twice the burst, and past it both processes refuse.
        assert answers.count(UNKNOWN) <= WRONG_CODES_BURST + refill + 2, answers
        assert answers[-2:] == [THROTTLED, THROTTLED], answers
    finally:
        for server in servers:
            server.stop()


def test_a_hostile_first_message_from_a_held_back_address_is_refused_like_any_other(strict):
    code = strict.post("/api/sessions", json={"title": "Hostile"}, headers=AUTH).json()["code"]
    wrong = _wrong_codes(code)
    for _ in range(3):
        _refused(strict, f"/ws/{next(wrong)}")
    for frame in ("[" * 100_000 + "]" * 100_000, '{"type": "join", "token": NaN}', "\x00", '{"type": "join"'):
        with pytest.raises(WebSocketDisconnect) as refused, strict.websocket_connect(f"/ws/{code}") as socket:
            socket.send_text(frame)
            socket.receive_json()
        assert refused.value.code == THROTTLED, frame
