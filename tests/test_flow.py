"""The workshop's flow: countdowns, the end of the workshop, the console's lists, stale records, codes."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from helpers import AUTH, command, join, receive_until
from workshop.domain.commands import apply_command, parse_command
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.domain.refusal import Refusal
from workshop.domain.session import SessionState
from workshop.exports import EXPORT_FORMATS

QID = "arrival.direction"
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan():
    return load_plan(default_plans_dir() / "frei-variability.toml")


def run(plan, state, now=NOW, **data):
    return apply_command(plan, state, parse_command(data), now)


def wait_for(predicate, seconds=8.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("gave up waiting")


# the state machine


def test_open_with_seconds_sets_a_deadline_that_close_and_new_round_clear(plan):
    state = run(plan, SessionState.initial(plan), command="open", question=QID, seconds=60)
    assert state.question(QID).closes_at == "2026-05-04T09:31:00.000+00:00"
    assert run(plan, state, command="open", question=QID) is state  # a retried open keeps the countdown
    assert run(plan, state, command="close", question=QID).question(QID).closes_at is None
    assert run(plan, state, command="new_round", question=QID).question(QID).closes_at is None


def test_timer_sets_moves_and_clears_the_countdown_of_an_open_question(plan):
    state = run(plan, SessionState.initial(plan), command="open", question=QID)
    later = NOW + timedelta(seconds=10)
    state = run(plan, state, later, command="timer", question=QID, seconds=90)
    assert state.question(QID).closes_at == "2026-05-04T09:31:40.000+00:00"
    assert state.question(QID).to_public()["closes_at"] == state.question(QID).closes_at
    assert run(plan, state, command="timer", question=QID, seconds=None).question(QID).closes_at is None


@pytest.mark.parametrize("data, code", [
    ({"command": "timer", "question": QID, "seconds": 30}, "question_not_open"),
    ({"command": "open", "question": QID, "seconds": 0}, "invalid_field"),
    ({"command": "open", "question": QID, "seconds": 3601}, "invalid_field"),
    ({"command": "open", "question": QID, "seconds": 1.5}, "invalid_field"),
    ({"command": "open", "question": QID, "seconds": True}, "invalid_field"),
    ({"command": "open", "question": QID, "seconds": "30"}, "invalid_field"),
])
def test_bad_countdowns_are_refused(plan, data, code):
    with pytest.raises(Refusal) as refused:
        apply_command(plan, SessionState.initial(plan), parse_command(data), NOW)
    assert refused.value.code == code


def test_end_closes_what_is_open_and_refuses_new_questions_until_reopened(plan):
    state = run(plan, SessionState.initial(plan), command="open", question=QID, seconds=30)
    ended = run(plan, state, command="end")
    assert ended.ended and ended.question(QID).status == "closed" and ended.question(QID).closes_at is None
    assert run(plan, ended, command="end") is ended
    with pytest.raises(Refusal) as refused:
        run(plan, ended, command="open", question="arrival.impact")
    assert refused.value.code == "session_ended"
    assert run(plan, ended, command="reveal", question=QID).question(QID).revealed  # results may still be shown
    reopened = run(plan, ended, command="reopen")
    assert not reopened.ended and run(plan, reopened, command="open", question=QID).question(QID).status == "open"


# countdowns in the room


def test_a_countdown_closes_the_question_and_phones_see_it_end(client, session_code):
    command(client, session_code, command="goto", step=1)  # the step of the arrival questions
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone)
        snapshot = command(client, session_code, command="open", question=QID, seconds=1)
        closes_at = snapshot["questions"][QID]["closes_at"]
        remaining = (datetime.fromisoformat(closes_at) - datetime.now(UTC)).total_seconds()
        assert 0 < remaining <= 1
        state = receive_until(phone, "state")
        assert [q["closes_at"] for q in state["questions"] if q["id"] == QID] == [closes_at]
        closed = receive_until(phone, "state")  # sent by the server itself when the time is up
        assert [q["status"] for q in closed["questions"] if q["id"] == QID] == ["closed"]
        assert datetime.now(UTC) >= datetime.fromisoformat(closes_at)
        phone.send_json({"type": "vote", "id": "late", "question": QID, "value": 1})
        assert receive_until(phone, "error")["code"] == "question_closed"
    stored = client.app.state.store.session_state(session_code).question(QID)
    assert (stored.status, stored.closes_at) == ("closed", None)


def test_a_countdown_moved_or_cleared_does_not_close_early(client, session_code):
    command(client, session_code, command="open", question=QID, seconds=1)
    command(client, session_code, command="timer", question=QID, seconds=None)
    time.sleep(1.5)
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["questions"][QID]["status"] == "open"
    command(client, session_code, command="timer", question=QID, seconds=1)
    wait_for(lambda: client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["questions"][QID]["status"]
             == "closed")


def test_a_timer_on_a_question_not_open_is_a_typed_refusal(client, session_code):
    response = client.post(f"/api/sessions/{session_code}/commands",
                           json={"command": "timer", "question": QID, "seconds": 30}, headers=AUTH)
    assert response.status_code == 409 and response.json()["error"] == "question_not_open"
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json()["questions"][QID]["closes_at"] is None


# the end of the workshop


def test_phones_get_the_records_with_labels_once_the_workshop_ends(client, session_code):
    client.put(f"/api/sessions/{session_code}/consensus/arrival", headers=AUTH,
               json={"direction": "less", "strategy": "classic_reduction", "status": "agreed"})
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        welcome = join(phone)
        assert welcome["state"]["ended"] is False and welcome["state"]["records"] == []
        command(client, session_code, command="open", question=QID)
        receive_until(phone, "state")
        snapshot = command(client, session_code, command="end")
        assert snapshot["ended"] is True
        state = receive_until(phone, "state")
        assert state["ended"] is True and state["questions"] == []
        assert state["records"] == [{
            "kind": "arrival", "kind_label": "Arrival", "direction": "less", "direction_label": "Less variability",
            "strategy": "classic_reduction", "strategy_name": "Classic reduction",
            "status": "agreed", "status_label": "Agreed"}]
        phone.send_json({"type": "vote", "id": "after", "question": QID, "value": 1})
        assert receive_until(phone, "error")["code"] == "question_closed"
        command(client, session_code, command="reopen")
        assert receive_until(phone, "state")["ended"] is False
    assert client.app.state.store.session_state(session_code).ended is False


# the console's view of the room


def test_the_console_lists_people_newest_first_with_their_connection(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}") as first:
        join(first, name="<b>Ann</b>", group="IT")
        with client.websocket_connect(f"/ws/{session_code}") as second:
            second_id = join(second)["participant"]["id"]
        snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
        assert snapshot["people_total"] == 2
        assert [(p["name"], p["group"], p["connected"], p["address"]) for p in snapshot["people"]] == [
            ("", "", False, "testclient"), ("<b>Ann</b>", "IT", True, "testclient")]
        command(client, session_code, command="remove", participant=second_id)
        snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
        assert [p["name"] for p in snapshot["people"]] == ["<b>Ann</b>"] and snapshot["people_total"] == 1


def test_the_console_is_sent_the_people_on_its_socket(client, session_code):
    with client.websocket_connect(f"/ws/{session_code}/control", headers=AUTH) as console:
        assert receive_until(console, "snapshot")["snapshot"]["people"] == []
        with client.websocket_connect(f"/ws/{session_code}") as phone:
            participant = join(phone, name="Bo")["participant"]
            for _ in range(20):
                people = receive_until(console, "snapshot")["snapshot"]["people"]
                if people:
                    break
            assert people == [{"id": participant["id"], "name": "Bo", "group": "", "connected": True,
                               "address": "testclient"}]


# two console tabs


def _put(client, code, **body):
    return client.put(f"/api/sessions/{code}/consensus/arrival", headers=AUTH,
                      json={"direction": "less", "strategy": "classic_reduction", "status": "agreed", **body})


def test_a_record_from_a_stale_form_is_refused_and_nothing_is_overwritten(client, session_code):
    first = _put(client, session_code, version=None, notes="tab one")
    assert first.status_code == 200
    stale = _put(client, session_code, version=None, notes="tab two, loaded before tab one saved")
    assert stale.status_code == 409 and stale.json()["error"] == "stale_record"
    fresh = _put(client, session_code, version=first.json()["recorded_at"], notes="tab one again")
    assert fresh.status_code == 200
    again = _put(client, session_code, version=first.json()["recorded_at"], notes="tab two, old version")
    assert again.status_code == 409
    stored = client.get(f"/api/sessions/{session_code}/consensus", headers=AUTH).json()["records"]["arrival"]
    assert stored["notes"] == "tab one again" and stored["recorded_at"] == fresh.json()["recorded_at"]


def test_a_record_without_version_overwrites_as_before_and_a_bad_version_is_refused(client, session_code):
    assert _put(client, session_code, notes="one").status_code == 200
    assert _put(client, session_code, notes="two").status_code == 200
    bad = _put(client, session_code, version=7)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_field"
    stored = client.get(f"/api/sessions/{session_code}/consensus", headers=AUTH).json()["records"]["arrival"]
    assert stored["notes"] == "two"


# links and codes


@pytest.mark.parametrize("typed", ["abc-def", " Abc Def ", "ABC\u2013DEF"])
def test_codes_are_accepted_with_dashes_spaces_and_lower_case(client, session_code, typed):
    shown = f"{session_code[:3].lower()}-{session_code[3:].lower()}"
    typed = typed.replace("abc", session_code[:3].lower()).replace("def", session_code[3:].lower())
    typed = typed.replace("Abc", session_code[:3].title()).replace("Def", session_code[3:].title())
    typed = typed.replace("ABC", session_code[:3]).replace("DEF", session_code[3:])
    response = client.get("/join", params={"code": typed}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/j/{session_code}"
    response = client.get(f"/j/{shown}", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == f"/j/{session_code}"
    assert client.get(f"/j/{shown}").status_code == 200


def test_the_console_offers_every_export_format_and_a_projector_on_this_address(client, session_code):
    page = client.get(f"/s/{session_code}/facilitate", headers=AUTH).text
    for fmt in EXPORT_FORMATS:
        assert f'href="/api/sessions/{session_code}/export.{fmt}"' in page
        assert client.get(f"/api/sessions/{session_code}/export.{fmt}", headers=AUTH).status_code == 200
    assert f'id="projector-link" href="/s/{session_code}/present"' in page


def test_a_text_question_counts_everything_sent_beyond_the_page_the_console_is_sent(client, session_code):
    qid = "arrival.examples"
    command(client, session_code, command="open", question=qid)
    for number in range(17):  # three waiting examples each: 51, one more than a page
        with client.websocket_connect(f"/ws/{session_code}") as phone:
            join(phone)
            for index in range(3):
                phone.send_json({"type": "submit", "id": f"{number}-{index}", "question": qid, "text": "late"})
                receive_until(phone, "ack")
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert len([item for item in snapshot["submissions"] if item["status"] == "pending"]) == 50
    assert snapshot["pending_total"] == 51
    assert (snapshot["questions"][qid]["sent"], snapshot["questions"][qid]["waiting"]) == (51, 51)
    assert "sent" not in snapshot["questions"][QID]
