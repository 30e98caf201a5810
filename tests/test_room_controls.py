"""A hostile room: fake phones, one phone with many sockets, a flood of texts. Visible and stoppable."""

import pytest
from starlette.websockets import WebSocketDisconnect

from helpers import AUTH, command, join, receive_until
from workshop.domain.answers import PENDING_PER_PARTICIPANT
from workshop.store.shaping import MODERATION_PAGE
from workshop.web.limits import JOINS_PER_MINUTE

QID = "arrival.direction"


def _join_many(client, code, count) -> tuple[int, int]:
    joined = refused = 0
    for _ in range(count):
        with client.websocket_connect(f"/ws/{code}") as phone:
            phone.send_json({"type": "join"})
            reply = phone.receive_json()
            joined += reply["type"] == "welcome"
            refused += reply["type"] == "error" and reply["code"] == "rate_limited"
    return joined, refused


def test_fresh_joins_from_one_address_are_capped_and_shown_on_the_console(client, session_code):
    attempts = int(JOINS_PER_MINUTE) + 40
    joined, refused = _join_many(client, session_code, attempts)
    assert JOINS_PER_MINUTE <= joined < JOINS_PER_MINUTE + 20 and joined + refused == attempts  # 2 a second refill
    room = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["room"]
    assert room["joins_by_address"] == [{"address": "testclient", "joins": joined}]


def test_a_room_behind_one_address_joins_at_once_when_its_size_is_expected(client, session_code):
    command(client, session_code, command="room_size", size=300)
    joined, refused = _join_many(client, session_code, 300)
    assert (joined, refused) == (300, 0)
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["room"]["room_size"] == 300


def test_locked_joining_refuses_new_phones_but_lets_known_ones_back(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        token = join(phone)["participant"]["token"]
    command(client, session_code, command="lock_joining")
    with client.websocket_connect(f"/ws/{session_code}") as stranger:
        stranger.send_json({"type": "join"})
        assert receive_until(stranger, "error")["code"] == "joining_locked"
        join(stranger, token=token)  # the known phone comes back on the same socket
    command(client, session_code, command="unlock_joining")
    with client.websocket_connect(f"/ws/{session_code}") as latecomer:
        join(latecomer)
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["participants"]["joined"] == 2


def test_one_token_has_one_live_socket_and_one_message_budget(client, session_code):
    command(client, session_code, command="open", question=QID)
    with client.websocket_connect(f"/ws/{session_code}") as first:
        token = join(first)["participant"]["token"]
        with client.websocket_connect(f"/ws/{session_code}") as second:
            join(second, token=token)
            with pytest.raises(WebSocketDisconnect) as replaced:
                for _ in range(10):
                    first.receive_json()
            assert replaced.value.code == 4409
    acks = 0
    for attempt in range(10):  # sockets opened one after another share the participant's budget
        with client.websocket_connect(f"/ws/{session_code}") as phone:
            join(phone, token=token)
            try:
                for number in range(30):
                    phone.send_json({"type": "vote", "id": f"{attempt}-{number}", "question": QID, "value": 1})
                    acks += _reply(phone)["type"] == "ack"
            except WebSocketDisconnect as closed:
                assert closed.code == 1008  # refused long enough: the flooding socket is closed
    assert acks <= 100, acks  # a burst of 30 and ten a second in all, not 30 for every socket (300)


def _reply(phone) -> dict:
    while True:
        message = phone.receive_json()
        if message["type"] in ("ack", "error"):
            return message


def test_a_removed_participant_leaves_the_figures_but_stays_in_the_record(client, session_code):
    command(client, session_code, command="open", question=QID)
    with client.websocket_connect(f"/ws/{session_code}") as honest, \
            client.websocket_connect(f"/ws/{session_code}") as fake:
        join(honest)
        fake_id = join(fake)["participant"]["id"]
        for phone, value in ((honest, -2), (fake, 2)):
            phone.send_json({"type": "vote", "id": "v", "question": QID, "value": value})
            assert receive_until(phone, "ack")["id"] == "v"
        command(client, session_code, command="remove", participant=fake_id)
        with pytest.raises(WebSocketDisconnect) as removed:
            for _ in range(10):
                fake.receive_json()
        assert removed.value.code == 4403
    results = client.get(f"/api/sessions/{session_code}/results/{QID}", headers=AUTH).json()["rounds"][0]
    assert results["n"] == 1 and results["counts"]["-2"] == 1 and results["counts"]["2"] == 0
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert snapshot["participants"]["joined"] == 1
    audit = client.get(f"/api/sessions/{session_code}/export.votes.csv", headers=AUTH).text.splitlines()
    assert len(audit) == 3 and sorted(line.rsplit(",", 1)[1] for line in audit[1:]) == ["False", "True"]
    exported = client.get(f"/api/sessions/{session_code}/export.json", headers=AUTH).json()
    arrival = next(kind for kind in exported["kinds"] if kind["kind"] == "arrival")
    assert arrival["questions"]["direction"]["rounds"][0]["n"] == 1
    unknown = client.post(f"/api/sessions/{session_code}/commands", json={"command": "remove", "participant": 999},
                          headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_participant"


def test_a_flood_of_texts_is_capped_and_the_console_gets_one_page(client, session_code):
    command(client, session_code, command="open", question="arrival.examples")
    sent = 0
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        for number in range(PENDING_PER_PARTICIPANT + 2):
            phone.send_json({"type": "submit", "id": f"s{number}", "question": "arrival.examples",
                             "text": f"example {number}"})
            reply = _reply(phone)
            sent += reply["type"] == "ack"
            if reply["type"] == "error":
                assert reply["code"] == "rate_limited"
    assert sent == PENDING_PER_PARTICIPANT
    for _ in range(MODERATION_PAGE // PENDING_PER_PARTICIPANT + 2):
        with client.websocket_connect(f"/ws/{session_code}") as other:
            join(other)
            for number in range(PENDING_PER_PARTICIPANT):
                other.send_json({"type": "submit", "id": f"o{number}", "question": "arrival.examples",
                                 "text": "more"})
                assert _reply(other)["type"] == "ack"
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert len(snapshot["submissions"]) == MODERATION_PAGE
    assert snapshot["pending_total"] > MODERATION_PAGE


def test_an_expected_room_size_caps_admissions_and_the_console_counts_who_was_turned_away(client, session_code):
    command(client, session_code, command="room_size", size=10)  # admits about that many: 12
    tokens = []
    for _ in range(12):
        with client.websocket_connect(f"/ws/{session_code}") as phone:
            tokens.append(join(phone)["participant"]["token"])
    for _ in range(3):
        with client.websocket_connect(f"/ws/{session_code}") as phone:
            phone.send_json({"type": "join"})
            refused = receive_until(phone, "error")
            assert refused["code"] == "room_full" and "room is full" in refused["message"]
    with client.websocket_connect(f"/ws/{session_code}") as phone:  # a phone that joined comes back
        assert join(phone, token=tokens[0])["participant"]["token"] == tokens[0]
    room = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["room"]
    assert room["refused_joins"] == {"room_full": 3}
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["participants"]["joined"] == 12
