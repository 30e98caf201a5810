"""Two phones and a facilitator over the in-process test client."""

import pytest
from starlette.websockets import WebSocketDisconnect

from helpers import AUTH, command, join, receive_until


def test_two_phones_vote_replace_and_resume(client, session_code):
    code = session_code
    with client.websocket_connect(f"/ws/{code}/control", headers=AUTH) as console, \
            client.websocket_connect(f"/ws/{code}") as phone_a, \
            client.websocket_connect(f"/ws/{code}") as phone_b:
        assert console.receive_json()["type"] == "snapshot"
        alice = join(phone_a, name="Alice", group="IT")
        bob = join(phone_b, group="Business")
        assert alice["participant"]["group"] == "IT"
        assert alice["state"]["step"]["index"] == 0

        command(client, code, command="goto", step=1)
        command(client, code, command="open", question="arrival.direction")
        state = receive_until(phone_a, "state")
        while state["step"]["id"] != "arrival" or not state["questions"]:
            state = receive_until(phone_a, "state")
        assert [q["id"] for q in state["questions"]] == ["arrival.direction"]
        assert "results" not in state["questions"][0]

        phone_a.send_json({"type": "vote", "id": "a1", "question": "arrival.direction", "value": -1})
        assert receive_until(phone_a, "ack") == {"type": "ack", "id": "a1", "question": "arrival.direction", "round": 1}
        phone_a.send_json({"type": "vote", "id": "a2", "question": "arrival.direction", "value": -2})
        assert receive_until(phone_a, "ack")["id"] == "a2"
        phone_b.send_json({"type": "vote", "id": "b1", "question": "arrival.direction", "value": "abstain"})
        assert receive_until(phone_b, "ack")["id"] == "b1"
        # A resent message id is acknowledged again but does not undo the later vote.
        phone_a.send_json({"type": "vote", "id": "a1", "question": "arrival.direction", "value": -1})
        assert receive_until(phone_a, "ack")["id"] == "a1"

        snapshot = receive_until(console, "snapshot")["snapshot"]
        while snapshot["questions"]["arrival.direction"].get("tally", {}).get("voted", 0) < 2:
            snapshot = receive_until(console, "snapshot")["snapshot"]
        tally = snapshot["questions"]["arrival.direction"]["tally"]
        assert tally["counts"]["-2"] == 1 and tally["n"] == 1 and tally["abstain"] == 1

    # Alice's phone reconnects with its token: same participant, same ballot.
    with client.websocket_connect(f"/ws/{code}") as phone_a:
        again = join(phone_a, token=alice["participant"]["token"])
        assert again["participant"]["id"] == alice["participant"]["id"]
        assert again["participant"]["group"] == "IT"
        assert again["ballot"] == {"arrival.direction": {"round": 1, "value": "-2"}}
        assert bob["participant"]["id"] != alice["participant"]["id"]

        command(client, code, command="close", question="arrival.direction")
        phone_a.send_json({"type": "vote", "id": "a3", "question": "arrival.direction", "value": 2})
        error = receive_until(phone_a, "error")
        assert error["code"] == "question_closed" and error["id"] == "a3"

    results = client.get(f"/api/sessions/{code}/results/arrival.direction", headers=AUTH).json()
    assert results["rounds"][0]["counts"] == {"-2": 1, "-1": 0, "0": 0, "1": 0, "2": 0}
    assert results["rounds"][0]["abstain"] == 1


@pytest.mark.parametrize("frame, code", [
    ("not json", "bad_message"),
    ('["a list"]', "bad_message"),
    ('{"type": "shout"}', "bad_message"),
    ('{"type": "vote", "question": "arrival.direction", "value": 1}', "bad_message"),
    ('{"type": "vote", "id": "x", "question": "arrival.direction", "value": 1}', "not_joined"),
])
def test_malformed_frames_get_typed_errors_and_the_socket_stays_open(client, session_code, frame, code):
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        phone.send_text(frame)
        error = phone.receive_json()
        assert error["type"] == "error" and error["code"] == code and error["message"]
        join(phone)  # still open


@pytest.mark.parametrize("question, value, code", [
    ("arrival.direction", 3, "invalid_value"),
    ("arrival.direction", True, "invalid_value"),
    ("arrival.direction", "much less", "invalid_value"),
    ("arrival.strategy", "do_nothing", "invalid_value"),
    ("arrival.examples", 1, "invalid_value"),
    ("nowhere.question", 1, "unknown_question"),
    ("arrival.impact", 3, "question_closed"),
])
def test_refused_votes_change_nothing(client, session_code, question, value, code):
    command(client, session_code, command="open", question="arrival.direction")
    command(client, session_code, command="open", question="arrival.strategy")
    command(client, session_code, command="open", question="arrival.examples")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        phone.send_json({"type": "vote", "id": "m1", "question": question, "value": value})
        error = receive_until(phone, "error")
        assert error["code"] == code and error["id"] == "m1"
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert all(entry.get("tally", {}).get("voted", 0) == 0 for entry in snapshot["questions"].values())


def test_text_submission_is_moderated_before_phones_see_it(client, session_code):
    command(client, session_code, command="goto", step=1)
    command(client, session_code, command="open", question="arrival.examples")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone, name="<b>Eve</b>")
        phone.send_json({"type": "submit", "id": "s1", "question": "arrival.examples",
                         "text": "Month-end close floods the desk"})
        assert receive_until(phone, "ack")["id"] == "s1"
        phone.send_json({"type": "submit", "id": "s1", "question": "arrival.examples", "text": "again"})
        assert receive_until(phone, "ack")["id"] == "s1"
        snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
        assert [s["text"] for s in snapshot["submissions"]] == ["Month-end close floods the desk"]
        submission = snapshot["submissions"][0]
        assert submission["status"] == "pending"
        command(client, session_code, command="approve", submission=submission["id"])
        state = receive_until(phone, "state")
        while not state["examples"]:
            state = receive_until(phone, "state")
        assert state["examples"] == [{"question": "arrival.examples", "text": "Month-end close floods the desk"}]


def test_revealed_results_reach_phones_only_after_reveal(client, session_code):
    command(client, session_code, command="goto", step=1)
    command(client, session_code, command="open", question="arrival.strategy")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        phone.send_json({"type": "vote", "id": "v", "question": "arrival.strategy", "value": "classic_reduction"})
        receive_until(phone, "ack")
        command(client, session_code, command="close", question="arrival.strategy")
        state = receive_until(phone, "state")
        while state["questions"][0]["status"] != "closed":
            state = receive_until(phone, "state")
        assert "results" not in state["questions"][0]
        command(client, session_code, command="reveal", question="arrival.strategy")
        state = receive_until(phone, "state")
        while not state["questions"][0]["revealed"]:
            state = receive_until(phone, "state")
        assert state["questions"][0]["results"]["counts"]["classic_reduction"] == 1


def test_control_socket_needs_the_key_and_takes_commands(client, session_code):
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(f"/ws/{session_code}/control") as console:
        console.receive_json()
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(f"/ws/{session_code}/control",
                                  headers={"Authorization": "Bearer wrong"}) as console:
        console.receive_json()
    with client.websocket_connect(f"/ws/{session_code}/control", headers=AUTH) as console:
        assert console.receive_json()["snapshot"]["current_step"] == 0
        console.send_json({"type": "command", "id": "c1", "command": "goto", "step": 2})
        assert receive_until(console, "ack")["id"] == "c1"
        console.send_json({"type": "command", "id": "c2", "command": "goto", "step": 99})
        error = receive_until(console, "error")
        assert error["id"] == "c2" and error["code"] == "invalid_field"
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["current_step"] == 2


def test_phone_cannot_send_facilitator_commands(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        phone.send_json({"type": "command", "command": "goto", "step": 3})
        assert receive_until(phone, "error")["code"] == "bad_message"
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["current_step"] == 0


def test_unknown_session_socket_is_refused(client):
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/NOPE00") as phone:
        phone.receive_json()
    assert refused.value.code == 4404


def test_console_sees_who_has_not_voted_and_what_the_votes_lean_to(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    command(client, session_code, command="open", question="arrival.strategy")
    with client.websocket_connect(f"/ws/{session_code}") as ann, \
            client.websocket_connect(f"/ws/{session_code}") as ben, \
            client.websocket_connect(f"/ws/{session_code}") as anonymous:
        join(ann, name="Ann")
        join(ben, name="Ben")
        join(anonymous)
        ann.send_json({"type": "vote", "id": "1", "question": "arrival.direction", "value": -1})
        receive_until(ann, "ack")
        ann.send_json({"type": "vote", "id": "2", "question": "arrival.strategy", "value": "classic_reduction"})
        receive_until(ann, "ack")
        snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert snapshot["questions"]["arrival.direction"]["not_voted"] == {"count": 2, "names": ["Ben"]}
    # one vote leans the form to "less", but is far too few to count as reached
    assert snapshot["proposals"]["arrival"] == {"direction": "less", "strategy": "classic_reduction",
                                               "reached": False}


def test_cross_origin_sockets_are_refused(client, session_code):
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect(f"/ws/{session_code}", headers={"Origin": "http://evil.example"}) as phone:
            phone.receive_json()
    assert refused.value.code == 1008
    with client.websocket_connect(f"/ws/{session_code}", headers={"Origin": "http://testserver"}) as phone:
        join(phone)


def test_a_flooding_phone_is_rate_limited_then_closed(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        codes = []
        with pytest.raises(WebSocketDisconnect) as closed:
            for index in range(200):
                phone.send_json({"type": "vote", "id": f"f{index}", "question": "arrival.direction", "value": 1})
            while True:
                codes.append(phone.receive_json().get("code"))
        assert "rate_limited" in codes
        assert closed.value.code == 1008
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert snapshot["questions"]["arrival.direction"]["tally"]["voted"] == 1  # one phone, one vote


def test_a_failing_database_refuses_votes_instead_of_acknowledging(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    store = client.app.state.store
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        # As if the disk had failed under the votes table.
        store.write(lambda db: db.execute("CREATE TRIGGER broken BEFORE INSERT ON votes"
                                          " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")).result()
        phone.send_json({"type": "vote", "id": "v1", "question": "arrival.direction", "value": 1})
        error = receive_until(phone, "error")
        assert error["code"] == "unavailable" and error["id"] == "v1" and "nothing was recorded" in error["message"]
        store.write(lambda db: db.execute("DROP TRIGGER broken")).result()
        phone.send_json({"type": "vote", "id": "v1", "question": "arrival.direction", "value": 1})
        assert receive_until(phone, "ack")["id"] == "v1"
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()[
        "questions"]["arrival.direction"]["tally"]["voted"] == 1


def test_a_phone_that_rejoins_in_another_group_takes_its_vote_with_it(client, session_code):
    code = session_code
    command(client, code, command="goto", step=1)
    command(client, code, command="open", question="arrival.direction")
    with client.websocket_connect(f"/ws/{code}") as phone:
        token = join(phone, group="IT")["participant"]["token"]
        phone.send_json({"type": "vote", "id": "v1", "question": "arrival.direction", "value": 2})
        receive_until(phone, "ack")
    before = client.get(f"/api/sessions/{code}/results/arrival.direction", headers=AUTH).json()
    assert before["rounds"][0]["by_group"]["IT"]["n"] == 1
    with client.websocket_connect(f"/ws/{code}") as phone:
        assert join(phone, token=token, group="Business")["participant"]["group"] == "Business"
    after = client.get(f"/api/sessions/{code}/results/arrival.direction", headers=AUTH).json()
    groups = after["rounds"][0]["by_group"]
    assert (groups["IT"]["n"], groups["Business"]["n"], groups["Business"]["counts"]["2"]) == (0, 1, 1)
    assert after["rounds"][0]["n"] == 1
