"""Hostile input at the API and the phone socket: a typed refusal, the socket kept, nothing written."""

import json

import pytest

from helpers import AUTH, command, join, receive_until

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000
HOSTILE_BODIES = [
    DEEP, DEEP_OBJECT, '{"title": NaN}', '{"title": Infinity}', '{"title": "\\ud800"}',
    '{"title": "ok", "groups": ' + DEEP + "}", '{"title": "ok", "groups": [["IT"]]}',
    '{"title": "ok", "groups": [true]}', '{"title": "ok", "plan": ["frei-variability"]}',
    '{"title": ' + "9" * 5000 + "}", b"\xff\xfe\x00", "", "null", "[]", '"title"',
]
HOSTILE_COMMANDS = [
    DEEP, '{"command": "goto", "step": true}', '{"command": "goto", "step": 1.0}',
    '{"command": "goto", "step": NaN}', '{"command": "goto", "step": -1}',
    '{"command": "goto", "step": 99999999999999999999999}', '{"command": "open", "question": "\\ud800"}',
    '{"command": "open", "question": ["arrival.direction"]}', '{"command": "approve", "submission": true}',
    '{"command": ["goto"]}', '{"command": "goto", "step": ' + DEEP + "}",
    *(f'{{"command": "{name}", "{field}": {number}}}'
      for name, field in (("approve", "submission"), ("reject", "submission"), ("restore", "submission"),
                          ("remove", "participant"))
      for number in (2**63, 10**30, -(2**63) - 1)),
]
HOSTILE_FRAMES = [
    DEEP, DEEP_OBJECT, '{"type": "join", "name": "\\ud800"}', '{"type": "join", "group": "\\udfff"}',
    '{"type": "vote", "id": "1", "question": "arrival.direction", "value": NaN}',
    '{"type": "vote", "id": "1", "question": "arrival.direction", "value": Infinity}',
    '{"type": "vote", "id": "1", "question": "arrival.direction", "value": true}',
    '{"type": "vote", "id": "1", "question": "arrival.direction", "value": 1.0}',
    '{"type": "vote", "id": "1", "question": "arrival.direction", "value": ' + DEEP + "}",
    '{"type": "vote", "id": "\\ud800", "question": "arrival.direction", "value": 1}',
    '{"type": "submit", "id": "2", "question": "arrival.examples", "text": "\\ud83d"}',
    '{"type": "vote", "id": "' + "x" * 65 + '", "question": "arrival.direction", "value": 1}',
    '{"type": ' + DEEP + "}", "[" * 500 + "]" * 500, "\x00", '{"type": "join"', "NaN",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_session_bodies_are_refused_and_create_nothing(client, body):
    response = client.post("/api/sessions", content=body, headers=AUTH)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error", "message"}
    assert client.get("/api/sessions", headers=AUTH).json()["sessions"] == []


@pytest.mark.parametrize("body", HOSTILE_COMMANDS)
def test_hostile_commands_are_refused_and_change_nothing(client, session_code, body):
    before = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    response = client.post(f"/api/sessions/{session_code}/commands", content=body, headers=AUTH)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error", "message"}
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json() == before


@pytest.mark.parametrize("frame", HOSTILE_FRAMES)
def test_hostile_frames_get_a_typed_error_and_the_socket_stays_open(client, session_code, frame):
    command(client, session_code, command="goto", step=1)
    command(client, session_code, command="open", question="arrival.direction")
    command(client, session_code, command="open", question="arrival.examples")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        phone.send_text(frame)
        error = receive_until(phone, "error")
        assert error["code"] in {"bad_message", "invalid_value", "not_joined"}, error
        join(phone)  # still open, and still answers
        phone.send_text(frame)
        assert receive_until(phone, "error")["code"] in {"bad_message", "invalid_value"}
        phone.send_json({"type": "vote", "id": "ok", "question": "arrival.direction", "value": 1})
        assert receive_until(phone, "ack")["id"] == "ok"
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert snapshot["participants"]["joined"] == 1 and snapshot["submissions"] == []
    assert snapshot["questions"]["arrival.direction"]["tally"]["counts"]["1"] == 1
    assert json.dumps(snapshot).count('"voted": 1') >= 1


def _stored(client, sql: str, params: tuple = ()) -> list:
    return [tuple(row.values()) for row in client.app.state.store._rows(sql, params)]


def test_spoofing_names_groups_and_examples_are_stored_in_their_normal_form(client):
    created = client.post("/api/sessions", json={"title": "Desk\u202e", "groups": ["IT\u2067", "Ops"]}, headers=AUTH)
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    assert client.get(f"/api/sessions/{code}", headers=AUTH).json()["groups"] == ["IT", "Ops"]
    command(client, code, command="goto", step=1)
    command(client, code, command="open", question="arrival.examples")
    with client.websocket_connect(f"/ws/{code}") as phone:
        welcome = join(phone, name="Ana\u202e", group="IT\u2069")
        assert (welcome["participant"]["name"], welcome["participant"]["group"]) == ("Ana", "IT")
        phone.send_json({"type": "submit", "id": "s1", "question": "arrival.examples",
                         "text": "late\u202e trucks" + "\u0301" * 40})
        assert receive_until(phone, "ack")["id"] == "s1"
        phone.send_json({"type": "submit", "id": "s2", "question": "arrival.examples", "text": "\u200b\u3164"})
        refused = receive_until(phone, "error")
        assert (refused["code"], refused["id"]) == ("invalid_value", "s2")
    with client.websocket_connect(f"/ws/{code}") as blank:
        assert join(blank, name="\u200b\u200d\u2800")["participant"]["name"] == ""
    names = _stored(client, "select name, group_name from participants where session_code = ? order by id", (code,))
    assert names == [("Ana", "IT"), ("", "")]
    texts = _stored(client, "select text from submissions where session_code = ?", (code,))
    assert texts == [("late truck\u015b\u0301\u0301\u0301\u0301",)]  # s and the first mark compose
    assert _stored(client, "select title from sessions where code = ?", (code,)) == [("Desk",)]


@pytest.mark.parametrize("number", [2**63, 10**30, -(2**63) - 1])
def test_an_id_beyond_64_bits_on_the_control_socket_is_a_typed_error_and_the_socket_stays(
        client, session_code, number):
    with client.websocket_connect(f"/ws/{session_code}/control", headers=AUTH) as console:
        for name, field in (("approve", "submission"), ("reject", "submission"), ("remove", "participant")):
            console.send_text(f'{{"type": "command", "id": "{name}", "command": "{name}", "{field}": {number}}}')
            error = receive_until(console, "error")
            assert (error["code"], error["id"]) == ("invalid_field", name), error
        console.send_json({"type": "command", "id": "still", "command": "goto", "step": 1})
        assert receive_until(console, "ack")["id"] == "still"
