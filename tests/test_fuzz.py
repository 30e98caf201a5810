"""Random JSON and random bytes at the socket and the API: typed errors, never a crash or a 500."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import AUTH, command, join

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
message_fields = st.fixed_dictionaries(
    {"type": st.sampled_from(["join", "vote", "submit", "command", "state"]) | json_values},
    optional={"id": json_values, "question": st.sampled_from(["arrival.direction", "arrival.examples"]) | json_values,
              "value": json_values, "text": json_values, "token": json_values, "group": json_values},
)
frames = st.one_of(json_values.map(json.dumps), message_fields.map(json.dumps), st.text(max_size=200))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(batch=st.lists(frames | st.binary(max_size=100), min_size=1, max_size=8))
def test_the_phone_socket_answers_anything_with_a_typed_reply(client, session_code, batch):
    command(client, session_code, command="open", question="arrival.direction")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        for frame in batch:
            if isinstance(frame, bytes):
                phone.send_bytes(frame)
            else:
                phone.send_text(frame)
            reply = phone.receive_json()
            assert reply["type"] in {"error", "ack", "welcome", "state"}, reply
            if reply["type"] == "error":
                assert reply["code"] and reply["message"]
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    tally = snapshot["questions"]["arrival.direction"]["tally"]
    assert sum(tally["counts"].values()) + tally["abstain"] <= snapshot["participants"]["joined"]


@FUZZ
@given(body=json_values, path=st.sampled_from(["/commands", "/consensus/arrival", "", "/results/arrival.direction"]),
       method=st.sampled_from(["POST", "PUT", "GET"]))
def test_the_api_never_answers_500(client, session_code, body, path, method):
    response = client.request(method, f"/api/sessions/{session_code}{path}", content=json.dumps(body), headers=AUTH)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "message"}


@FUZZ
@given(body=st.binary(max_size=200))
def test_random_bytes_to_the_api_get_a_typed_refusal(client, body):
    response = client.post("/api/sessions", content=body, headers=AUTH)
    assert response.status_code in (201, 400, 422)
    if response.status_code != 201:
        assert response.json()["error"] in {"bad_json", "invalid_field"}
