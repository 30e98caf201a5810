"""The projector's channel carries only what the room may see."""

import json

import pytest
from starlette.websockets import WebSocketDisconnect

from helpers import AUTH, command, join, receive_until, sign_in

SECRET_TEXT = "Bob from payroll floods us every month end"


def _views(projector, until) -> list[dict]:
    """Every view the projector receives until `until(view)` holds."""
    seen = []
    for _ in range(60):
        message = projector.receive_json()
        assert message["type"] == "view", message
        seen.append(message["view"])
        if until(message["view"]):
            return seen
    raise AssertionError("the projector never saw the expected view")


def test_the_projector_never_receives_an_unrevealed_tally_or_unmoderated_text(client, session_code):
    code = session_code
    sign_in(client)  # the browser's cookie
    with client.websocket_connect(f"/ws/{code}/present") as projector, \
            client.websocket_connect(f"/ws/{code}") as phone:
        seen = _views(projector, lambda view: True)
        join(phone, name="Dana Secretname", group="IT")
        command(client, code, command="goto", step=1)
        command(client, code, command="open", question="arrival.direction")
        command(client, code, command="open", question="arrival.examples")
        phone.send_json({"type": "vote", "id": "v1", "question": "arrival.direction", "value": -2})
        assert receive_until(phone, "ack")["id"] == "v1"
        phone.send_json({"type": "submit", "id": "s1", "question": "arrival.examples", "text": SECRET_TEXT})
        assert receive_until(phone, "ack")["id"] == "s1"
        seen += _views(projector, lambda view: view["questions"]["arrival.direction"]["voted"] == 1
                       and view["questions"]["arrival.examples"]["voted"] == 1)
        for view in seen:
            text = json.dumps(view)
            assert SECRET_TEXT not in text and "Secretname" not in text
            assert "tally" not in view["questions"]["arrival.direction"]
            assert "counts" not in text and "not_voted" not in text

        command(client, code, command="reveal", question="arrival.direction")
        shown = _views(projector, lambda view: view["questions"]["arrival.direction"]["revealed"])[-1]
        assert shown["questions"]["arrival.direction"]["tally"]["counts"]["-2"] == 1
        submission = client.get(f"/api/sessions/{code}", headers=AUTH).json()["submissions"][0]
        command(client, code, command="approve", submission=submission["id"])
        shown = _views(projector, lambda view: view["submissions"])[-1]
        assert shown["submissions"] == [{"id": submission["id"], "question_id": "arrival.examples",
                                         "text": SECRET_TEXT}]
        assert "Secretname" not in json.dumps(shown)


def test_the_projector_channel_needs_the_facilitator(client, session_code):
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect(f"/ws/{session_code}/present"):
            pass
    assert refused.value.code == 1008


def test_the_projector_channel_takes_no_commands(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}/present", headers=AUTH) as projector:
        assert projector.receive_json()["type"] == "view"
        projector.send_json({"type": "command", "command": "goto", "step": 3})
        assert receive_until(projector, "error")["code"] == "bad_message"
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["current_step"] == 0


def test_an_unknown_session_is_refused_with_the_code_the_pages_expect(client):
    with client.websocket_connect("/ws/NOSUCH") as phone:
        with pytest.raises(WebSocketDisconnect) as refused:
            phone.receive_json()
    assert refused.value.code == 4404
