"""The projector's channel carries only what the room may see."""

import json
from contextlib import ExitStack

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
        # What the big screen shows is decided here: the introduction's invitation, then the vote.
        assert seen[0]["focus"] == {"kind": "join"}
        assert seen[-1]["focus"] == {"kind": "voting", "question": "arrival.direction", "others": ["arrival.examples"]}
        for view in seen:
            text = json.dumps(view)
            assert SECRET_TEXT not in text and "Secretname" not in text
            assert "tally" not in view["questions"]["arrival.direction"]
            assert "counts" not in text and "not_voted" not in text

        command(client, code, command="reveal", question="arrival.direction")
        shown = _views(projector, lambda view: view["questions"]["arrival.direction"]["revealed"])[-1]
        assert shown["questions"]["arrival.direction"]["tally"]["counts"]["-2"] == 1
        assert shown["focus"] == {"kind": "voting", "question": "arrival.examples", "others": []}
        submission = client.get(f"/api/sessions/{code}", headers=AUTH).json()["submissions"][0]
        command(client, code, command="approve", submission=submission["id"])
        shown = _views(projector, lambda view: view["submissions"])[-1]
        assert shown["submissions"] == [{"id": submission["id"], "question_id": "arrival.examples",
                                         "text": SECRET_TEXT}]
        assert "Secretname" not in json.dumps(shown)


def test_the_projector_channel_needs_the_facilitator(client, session_code):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"/ws/{session_code}/present"):
        pass
    assert refused.value.code == 1008


def test_the_projector_channel_takes_no_commands(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}/present", headers=AUTH) as projector:
        assert projector.receive_json()["type"] == "view"
        projector.send_json({"type": "command", "command": "goto", "step": 3})
        assert receive_until(projector, "error")["code"] == "bad_message"
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["current_step"] == 0


def test_an_unknown_session_is_refused_with_the_code_the_pages_expect(client):
    with client.websocket_connect("/ws/NOSUCH") as phone, pytest.raises(WebSocketDisconnect) as refused:
        phone.receive_json()
    assert refused.value.code == 4404


def _group_figures(view: dict) -> list[dict]:
    """Every by-group entry the view holds, in any question and any round."""
    found = []
    for question in view["questions"].values():
        for figures in [question.get("tally") or {}, *question.get("rounds", [])]:
            found.extend((figures.get("by_group") or {}).values())
    return found


def test_a_group_too_small_reaches_the_projector_as_its_size_only(client, session_code):
    code = session_code
    sign_in(client)
    with client.websocket_connect(f"/ws/{code}/present") as projector, ExitStack() as stack:
        _views(projector, lambda view: True)
        phones = [stack.enter_context(client.websocket_connect(f"/ws/{code}")) for _ in range(4)]
        for phone, group in zip(phones, ("IT", "IT", "IT", "Business")):
            join(phone, group=group)
        command(client, code, command="open", question="arrival.direction")
        for index, (phone, value) in enumerate(zip(phones, (-2, -1, -1, 2))):
            phone.send_json({"type": "vote", "id": f"v{index}", "question": "arrival.direction", "value": value})
            assert receive_until(phone, "ack")["id"] == f"v{index}"
        command(client, code, command="reveal", question="arrival.direction")
        seen = _views(projector, lambda view: view["questions"]["arrival.direction"]["revealed"])
        tally = seen[-1]["questions"]["arrival.direction"]["tally"]
        assert tally["by_group"]["Business"] == {"n": 1, "hidden": True}
        assert tally["by_group"]["IT"]["n"] == 3 and tally["by_group"]["IT"]["counts"]["-2"] == 1
        assert tally["group_gap"] is None and tally["counts"]["2"] == 1
        assert seen[-1]["plan"]["min_group_size"] == 3
        for view in seen:
            small = [group for group in _group_figures(view) if group["n"] < 3 and group["n"]]
            assert all(group == {"n": group["n"], "hidden": True} for group in small), small
        # The console still sees every group's figures.
        console = client.get(f"/api/sessions/{code}", headers=AUTH).json()
        assert console["questions"]["arrival.direction"]["tally"]["by_group"]["Business"]["mean"] == 2


def test_a_second_round_keeps_the_revealed_first_round_beside_the_hidden_count(client, session_code):
    code = session_code
    sign_in(client)
    with client.websocket_connect(f"/ws/{code}/present") as projector, \
            client.websocket_connect(f"/ws/{code}") as phone:
        _views(projector, lambda view: True)
        join(phone, group="IT")
        command(client, code, command="open", question="arrival.direction")
        phone.send_json({"type": "vote", "id": "r1", "question": "arrival.direction", "value": -1})
        assert receive_until(phone, "ack")["id"] == "r1"
        command(client, code, command="reveal", question="arrival.direction")
        command(client, code, command="new_round", question="arrival.direction")
        phone.send_json({"type": "vote", "id": "r2", "question": "arrival.direction", "value": 2})
        assert receive_until(phone, "ack")["id"] == "r2"
        seen = _views(projector, lambda view: view["questions"]["arrival.direction"]["voted"] == 1
                      and view["questions"]["arrival.direction"]["round"] == 2)
        question = seen[-1]["questions"]["arrival.direction"]
        assert "tally" not in question and "shift" not in question
        assert [figures["round"] for figures in question["rounds"]] == [1]
        assert question["rounds"][0]["counts"]["-1"] == 1
        assert all(figures["counts"]["2"] == 0 for figures in question["rounds"])


async def test_a_real_server_sends_no_figures_of_a_small_group_to_the_projector(tmp_path):
    import asyncio

    import websockets

    from servers import Server

    server = Server(tmp_path)
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Small groups"}).json()["code"]
        base = f"ws://127.0.0.1:{server.port}/ws/{code}"
        headers = {"Authorization": f"Bearer {server.key}"}
        async with websockets.connect(base + "/present", additional_headers=headers) as projector, \
                websockets.connect(base) as phone:
            await phone.send(json.dumps({"type": "join", "group": "Business"}))
            server.api("POST", f"/api/sessions/{code}/commands", json={"command": "open", "question": "arrival.impact"})
            await phone.send(json.dumps({"type": "vote", "id": "v", "question": "arrival.impact", "value": 5}))
            while json.loads(await asyncio.wait_for(phone.recv(), 10))["type"] != "ack":
                pass
            server.api("POST", f"/api/sessions/{code}/commands", json={"command": "reveal", "question": "arrival.impact"})
            while True:
                view = json.loads(await asyncio.wait_for(projector.recv(), 10))["view"]
                assert all(group.get("hidden") or group["n"] == 0 for group in _group_figures(view)), view
                if view["questions"]["arrival.impact"]["revealed"]:
                    break
            assert view["questions"]["arrival.impact"]["tally"]["by_group"]["Business"] == {"n": 1, "hidden": True}
    finally:
        server.stop()
