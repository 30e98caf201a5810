"""The facilitator's JSON API through the in-process test client."""

import csv
import io
import json

import pytest

from helpers import AUTH, command, join, receive_until, sign_in


def test_create_session_returns_the_contract(client):
    response = client.post("/api/sessions", json={"title": "Payroll SLA", "service": "Payroll",
                                                  "groups": ["IT", "Finance", "HR"]}, headers=AUTH)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "title", "plan", "join_url", "present_url", "facilitate_url"}
    assert len(body["code"]) == 6 and body["plan"] == "frei-variability"
    assert body["join_url"] == f"http://testserver/j/{body['code']}"
    snapshot = client.get(f"/api/sessions/{body['code']}", headers=AUTH).json()
    assert snapshot["groups"] == ["IT", "Finance", "HR"]
    assert snapshot["participants"] == {"joined": 0, "connected": 0}
    assert len(snapshot["steps"]) == 7 and snapshot["current_step"] == 0
    assert snapshot["questions"]["arrival.direction"] == {
        "id": "arrival.direction", "status": "pending", "round": 1, "revealed": False, "closes_at": None}
    listed = client.get("/api/sessions", headers=AUTH).json()["sessions"]
    assert [row["code"] for row in listed] == [body["code"]]


@pytest.mark.parametrize("method, path", [
    ("get", "/api/sessions"),
    ("post", "/api/sessions"),
    ("get", "/api/sessions/{code}"),
    ("post", "/api/sessions/{code}/commands"),
    ("get", "/api/sessions/{code}/people?q=ana"),
    ("get", "/api/sessions/{code}/results/arrival.direction"),
    ("get", "/api/sessions/{code}/consensus"),
    ("put", "/api/sessions/{code}/consensus/arrival"),
    ("post", "/api/sessions/{code}/consensus/arrival/check"),
    ("get", "/api/sessions/{code}/export.json"),
    ("get", "/api/sessions/{code}/export.csv"),
])
def test_every_facilitator_endpoint_needs_the_key(client, session_code, method, path):
    url = path.format(code=session_code)
    missing = getattr(client, method)(url)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    wrong = getattr(client, method)(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "title"),
    ({"title": ""}, 422, "title"),
    ({"title": 5}, 422, "title"),
    ({"title": "x" * 121}, 422, "title"),
    ({"title": "ok", "plan": "nope"}, 422, "plan"),
    ({"title": "ok", "groups": []}, 422, "groups"),
    ({"title": "ok", "groups": ["IT", "IT"]}, 422, "groups"),
    ({"title": "ok", "groups": "IT"}, 422, "groups"),
    ({"title": "ok", "service": ["x"]}, 422, "service"),
])
def test_bad_session_requests_name_the_field_and_create_nothing(client, body, status, field):
    response = client.post("/api/sessions", json=body, headers=AUTH)
    assert response.status_code == status
    assert response.json()["error"] == "invalid_field" and field in response.json()["message"]
    assert client.get("/api/sessions", headers=AUTH).json()["sessions"] == []


def test_malformed_json_is_refused(client, session_code):
    response = client.post(f"/api/sessions/{session_code}/commands", content=b"{nope", headers=AUTH)
    assert response.status_code == 400 and response.json()["error"] == "bad_json"


@pytest.mark.parametrize("body, status, code", [
    ({"command": "dance"}, 422, "bad_command"),
    ({"command": "goto", "step": 7}, 422, "invalid_field"),
    ({"command": "goto", "step": "1"}, 422, "invalid_field"),
    ({"command": "open"}, 422, "invalid_field"),
    ({"command": "open", "question": "arrival.nothing"}, 404, "unknown_question"),
    ({"command": "reveal", "question": "arrival.impact"}, 409, "question_pending"),
    ({"command": "approve", "submission": 42}, 404, "unknown_submission"),
])
def test_refused_commands_are_typed_and_change_nothing(client, session_code, body, status, code):
    before = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    response = client.post(f"/api/sessions/{session_code}/commands", json=body, headers=AUTH)
    assert response.status_code == status and response.json()["error"] == code
    assert client.get(f"/api/sessions/{session_code}", headers=AUTH).json() == before


def test_commands_are_idempotent_and_new_round_keeps_the_old_one(client, session_code):
    first = command(client, session_code, command="open", question="arrival.direction")
    again = command(client, session_code, command="open", question="arrival.direction")
    assert first["questions"]["arrival.direction"] == again["questions"]["arrival.direction"]
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone, group="IT")
        phone.send_json({"type": "vote", "id": "1", "question": "arrival.direction", "value": -2})
        receive_until(phone, "ack")
        after = command(client, session_code, command="new_round", question="arrival.direction")
        assert after["questions"]["arrival.direction"]["round"] == 2
        assert after["questions"]["arrival.direction"]["status"] == "open"
        phone.send_json({"type": "vote", "id": "2", "question": "arrival.direction", "value": -1})
        assert receive_until(phone, "ack")["round"] == 2
    results = client.get(f"/api/sessions/{session_code}/results/arrival.direction", headers=AUTH).json()
    assert [r["round"] for r in results["rounds"]] == [1, 2]
    assert results["rounds"][0]["counts"]["-2"] == 1 and results["rounds"][1]["counts"]["-1"] == 1
    assert results["shift"]["changed"] == 1 and results["shift"]["transitions"] == {"-2": {"-1": 1}}


def test_results_shape_matches_the_contract(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    votes = [("IT", -2), ("IT", -1), ("Business", -1), ("Business", 1), ("IT", "abstain")]
    sockets = []
    for index, (group, value) in enumerate(votes):
        socket = client.websocket_connect(f"/ws/{session_code}").__enter__()
        sockets.append(socket)
        join(socket, group=group)
        socket.send_json({"type": "vote", "id": f"v{index}", "question": "arrival.direction", "value": value})
        receive_until(socket, "ack")
    for socket in sockets:
        socket.__exit__(None, None, None)
    body = client.get(f"/api/sessions/{session_code}/results/arrival.direction", headers=AUTH).json()
    assert body["question"] == "arrival.direction" and body["shift"] is None
    (only,) = body["rounds"]
    assert {"round", "n", "abstain", "counts", "mean", "median", "iqr", "consensus", "agreement",
            "reached", "by_group"} <= set(only)
    assert only["n"] == 4 and only["abstain"] == 1
    assert only["counts"] == {"-2": 1, "-1": 2, "0": 0, "1": 1, "2": 0}
    assert only["mean"] == pytest.approx(-0.75) and only["median"] == -1
    assert only["agreement"] == pytest.approx(0.75)  # -2 and -1 hold 3 of 4
    assert only["by_group"]["IT"]["n"] == 2 and only["by_group"]["IT"]["abstain"] == 1
    assert only["by_group"]["Business"]["mean"] == pytest.approx(0.0)
    assert only["group_gap"] is None  # both groups are smaller than min_group_size: no gap is told


def test_consensus_record_round_trip_and_exports(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    with client.websocket_connect(f"/ws/{session_code}") as phone:
        join(phone, group="IT")
        phone.send_json({"type": "vote", "id": "1", "question": "arrival.direction", "value": -1})
        receive_until(phone, "ack")
    command(client, session_code, command="close", question="arrival.direction")  # a record rests on a closed round
    record = {"direction": "less", "strategy": "uncompromised_reduction", "status": "agreed",
              "notes": "=HYPERLINK(\"http://x\")", "dissent": "<script>alert(1)</script> Ünïcødé"}
    response = client.put(f"/api/sessions/{session_code}/consensus/arrival", json=record, headers=AUTH)
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["direction"] == "less" and saved["recorded_at"]
    assert saved["sla_input"] == ""  # the kind's SLA-input hint is a placeholder, never a default
    # one vote of a minimum of five: agreed on too few votes, and the strategy was never put to the vote
    assert [warning["code"] for warning in saved["warnings"]] == ["too_few_votes"]
    assert saved["evidence"]["direction"]["verdict"] == "too_few_votes"
    assert saved["evidence"]["direction"]["round"] == 1 and saved["evidence"]["direction"]["n"] == 1
    records = client.get(f"/api/sessions/{session_code}/consensus", headers=AUTH).json()["records"]
    assert list(records) == ["arrival"]

    exported = client.get(f"/api/sessions/{session_code}/export.json", headers=AUTH)
    data = json.loads(exported.text)
    arrival = data["kinds"][0]
    assert data["schema"] == "variability-workshop/export/v1"
    assert arrival["record"]["strategy_name"] == "Uncompromised reduction"
    assert arrival["record"]["dissent"] == record["dissent"]

    csv_text = client.get(f"/api/sessions/{session_code}/export.csv", headers=AUTH).content.decode("utf-8")
    assert csv_text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(csv_text.removeprefix("\ufeff"))))
    assert [row["kind"] for row in rows] == ["arrival", "request", "capability", "effort", "subjective_preference"]
    assert rows[0]["notes"] == "'=HYPERLINK(\"http://x\")" and rows[0]["status"] == "agreed"
    assert rows[1]["status"] == "open"


@pytest.mark.parametrize("kind, body, status, field", [
    ("arrival", {"direction": "fewer", "strategy": "classic_reduction", "status": "agreed"}, 422, "direction"),
    ("arrival", {"direction": "less", "strategy": "magic", "status": "agreed"}, 422, "strategy"),
    ("arrival", {"direction": "less", "strategy": "classic_reduction", "status": "done"}, 422, "status"),
    ("arrival", {"direction": "less", "strategy": "classic_reduction", "status": "agreed", "notes": 3}, 422, "notes"),
    ("arrival", {"direction": "less", "strategy": "classic_reduction", "status": "agreed", "extra": 1}, 422, "extra"),
    ("weather", {"direction": "less", "strategy": "classic_reduction", "status": "agreed"}, 404, "kind"),
    ("arrival", {"direction": "less", "strategy": "classic_reduction", "status": "agreed",
                 "sla": {"fulfilment_times": "2 days"}}, 422, "sla.fulfilment_times"),
    ("arrival", {"direction": "less", "strategy": "classic_reduction", "status": "agreed",
                 "clauses": ["Roster extra analysts for Monday mornings and the month-end close"]}, 422, "clauses[0]"),
    ("arrival", {"direction": "less", "strategy": "classic_reduction", "status": "deferred", "due": "soon"},
     422, "due"),
])
@pytest.mark.parametrize("method, suffix", [("put", ""), ("post", "/check")])
def test_bad_consensus_records_are_refused(client, session_code, kind, body, status, field, method, suffix):
    url = f"/api/sessions/{session_code}/consensus/{kind}{suffix}"
    response = getattr(client, method)(url, json=body, headers=AUTH)
    assert response.status_code == status and field in response.json()["message"]
    assert response.json()["error"] == ("unknown_kind" if field == "kind" else "invalid_field")
    assert client.get(f"/api/sessions/{session_code}/consensus", headers=AUTH).json()["records"] == {}


def test_consensus_check_gives_the_warnings_the_record_would_store_and_writes_nothing(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    for group, value in (("IT", -2), ("Business", 2)):  # split down the middle: consensus not reached
        with client.websocket_connect(f"/ws/{session_code}") as phone:
            join(phone, group=group)
            phone.send_json({"type": "vote", "id": "1", "question": "arrival.direction", "value": value})
            receive_until(phone, "ack")
    command(client, session_code, command="close", question="arrival.direction")
    check_url = f"/api/sessions/{session_code}/consensus/arrival/check"
    consistent = {"direction": "less", "strategy": "classic_reduction", "status": "deferred",
                  "owner": "Service owner", "due": "2027-01-31"}
    assert client.post(check_url, json=consistent, headers=AUTH).json() == {"warnings": []}
    mismatched = {"direction": "less", "strategy": "classic_accommodation", "status": "agreed", "notes": "n"}
    response = client.post(check_url, json=mismatched, headers=AUTH)
    assert response.status_code == 200, response.text
    warnings = response.json()["warnings"]
    # those to resolve first; the groups of one vote each are too small to show, so no split is told
    assert len(warnings) == 2
    assert "too few" in warnings[0] and "accommodation strategy" in warnings[1]
    before = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    assert before["consensus"] == {}

    saved = client.put(f"/api/sessions/{session_code}/consensus/arrival", json=mismatched, headers=AUTH).json()
    assert saved["evidence"]["warnings"] == warnings  # the check and the record say the same
    assert client.post(check_url, json=consistent, headers=AUTH).json() == {"warnings": []}
    records = client.get(f"/api/sessions/{session_code}/consensus", headers=AUTH).json()["records"]
    assert records == {"arrival": saved}  # the second check left the stored record as it was


def test_unknown_session_and_format(client, session_code):
    assert client.get("/api/sessions/ZZZZZZ", headers=AUTH).json()["error"] == "unknown_session"
    response = client.get(f"/api/sessions/{session_code}/export.pdf", headers=AUTH)
    assert response.status_code == 404 and response.json()["error"] == "unknown_format"


def test_key_in_the_address_becomes_a_cookie_and_leaves_the_address_bar(client, session_code):
    assert client.get("/").status_code == 401
    assert client.get("/?key=wrong").status_code == 403
    page = client.get("/?key=test-facilitator-key")
    assert "set-cookie" not in page.headers  # the address alone signs nobody in
    cookie = sign_in(client).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "test-facilitator-key" not in cookie
    assert client.get("/").status_code == 200
    assert client.get(f"/api/sessions/{session_code}").status_code == 200
    assert client.get(f"/s/{session_code}/facilitate").status_code == 200
    assert "default-src 'self'" in client.get("/").headers["content-security-policy"]


def test_a_sign_in_token_works_once_within_a_minute_and_only_from_this_server(client):
    page = client.get("/s/ABCDEF/present?key=test-facilitator-key&x=1")
    token = page.text.split('name="token" value="')[1].split('"')[0]
    assert 'data-target="/s/ABCDEF/present?x=1"' in page.text
    elsewhere = client.post("/login", json={"token": token}, headers={"Origin": "http://evil.example"})
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "cross_site"
    form = client.post("/login", content=f"token={token}&target=//evil.example/".encode(), follow_redirects=False,
                       headers={"Origin": "http://testserver", "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 303 and form.headers["location"] == "/"  # never off this server
    again = client.post("/login", json={"token": token}, headers={"Origin": "http://testserver"})
    assert again.status_code == 403 and again.json()["error"] == "forbidden"


def test_public_pages(client, session_code):
    assert client.get("/join").status_code == 200
    assert client.get(f"/join?code={session_code.lower()}", follow_redirects=False).headers["location"] == f"/j/{session_code}"
    assert client.get("/join?code=NOPE00").status_code == 404
    assert client.get(f"/j/{session_code}").status_code == 200
    qr = client.get(f"/j/{session_code}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml" and b"<svg" in qr.content
    assert client.get(f"/s/{session_code}/present").status_code == 401


def test_two_groups_two_rounds_match_a_hand_computation(client, session_code):
    """IT votes -2, -2, -1 and Business +1, +2 in round one; after discussion four of five move."""
    command(client, session_code, command="goto", step=1)
    command(client, session_code, command="open", question="arrival.direction")
    plan = [("IT", -2, -1), ("IT", -2, -1), ("IT", -1, -1), ("Business", 1, -1), ("Business", 2, -2)]
    phones = []
    for index, (group, first, _) in enumerate(plan):
        phone = client.websocket_connect(f"/ws/{session_code}").__enter__()
        phones.append(phone)
        join(phone, group=group)
        phone.send_json({"type": "vote", "id": f"r1-{index}", "question": "arrival.direction", "value": first})
        receive_until(phone, "ack")
    command(client, session_code, command="new_round", question="arrival.direction")
    for index, (phone, (_, _, second)) in enumerate(zip(phones, plan)):
        phone.send_json({"type": "vote", "id": f"r2-{index}", "question": "arrival.direction", "value": second})
        assert receive_until(phone, "ack")["round"] == 2
    for phone in phones:
        phone.__exit__(None, None, None)
    body = client.get(f"/api/sessions/{session_code}/results/arrival.direction", headers=AUTH).json()
    first, second = body["rounds"]
    # Round 1: values -2,-2,-1,1,2; mean -0.4; scale width 4.
    # Cns = 1 + .4*log2(.6) + .2*log2(.85) + .2*log2(.65) + .2*log2(.4)
    #     = 1 - .29478 - .04690 - .12430 - .26439 = 0.26964
    assert first["mean"] == pytest.approx(-0.4)
    assert first["consensus"] == pytest.approx(0.26964, abs=1e-4)
    assert first["agreement"] == pytest.approx(0.6) and first["reached"] is False
    assert first["by_group"]["IT"]["mean"] == pytest.approx(-5 / 3)
    assert first["by_group"]["Business"]["mean"] == pytest.approx(1.5)
    assert first["group_gap"] is None  # Business's two votes are too few to show, so no gap is told
    # Round 2: -1,-1,-1,-1,-2; mean -1.2.
    # Cns = 1 + .8*log2(1-.2/4) + .2*log2(1-.8/4) = 1 - .05920 - .06439 = 0.87641
    assert second["mean"] == pytest.approx(-1.2)
    assert second["consensus"] == pytest.approx(0.87641, abs=1e-4)
    assert second["agreement"] == pytest.approx(1.0) and second["reached"] is True
    assert second["by_group"]["Business"]["mean"] == pytest.approx(-1.5)
    shift = body["shift"]
    assert shift["changed"] == 4 and shift["changed_share"] == pytest.approx(0.8)
    assert shift["consensus_change"] == pytest.approx(0.87641 - 0.26964, abs=1e-4)
    assert shift["agreement_change"] == pytest.approx(0.4)
    assert shift["transitions"] == {"-2": {"-1": 2}, "-1": {"-1": 1}, "1": {"-1": 1}, "2": {"-2": 1}}
    snapshot = client.get(f"/api/sessions/{session_code}", headers=AUTH).json()
    entry = snapshot["questions"]["arrival.direction"]
    assert entry["tally"]["round"] == 2 and len(entry["rounds"]) == 2 and entry["shift"] == shift
    assert snapshot["summary"][0]["kind"] == "arrival"
    assert snapshot["summary"][0]["consensus"] == pytest.approx(second["consensus"])


def test_a_record_names_its_round_and_never_rests_on_an_open_or_empty_one(client, session_code):
    command(client, session_code, command="open", question="arrival.direction")
    phones = [client.websocket_connect(f"/ws/{session_code}").__enter__() for _ in range(6)]
    try:
        for index, phone in enumerate(phones):
            join(phone, group="IT")
            phone.send_json({"type": "vote", "id": f"v{index}", "question": "arrival.direction", "value": -1})
            receive_until(phone, "ack")
        command(client, session_code, command="new_round", question="arrival.direction")  # round 2, empty
        url = f"/api/sessions/{session_code}/consensus/arrival"
        body = {"direction": "less", "strategy": "classic_reduction", "status": "agreed"}
        for named, message in ((2, "still open"), (3, "rounds held"), (0, "round number")):
            refused = client.put(url, json={**body, "round": named}, headers=AUTH)
            assert refused.status_code == 422 and message in refused.json()["message"], refused.text
        saved = client.put(url, json=body, headers=AUTH).json()  # by default: the latest closed round with votes
        assert saved["evidence"]["direction"]["round"] == 1 and saved["evidence"]["direction"]["verdict"] == "reached"
        command(client, session_code, command="close", question="arrival.direction")
        refused = client.put(url, json={**body, "round": 2}, headers=AUTH)
        assert refused.status_code == 422 and "no votes" in refused.json()["message"]
        named = client.put(url, json={**body, "round": 1}, headers=AUTH).json()
        assert named["evidence"]["direction"]["round"] == 1
    finally:
        for phone in phones:
            phone.__exit__(None, None, None)


def test_a_deferred_decision_saves_without_a_direction_or_a_strategy(client, session_code):
    url = f"/api/sessions/{session_code}/consensus/effort"
    saved = client.put(url, json={"status": "deferred", "owner": "Service owner", "due": "2027-03-01"}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["direction"], saved.json()["strategy"], saved.json()["warnings"]) == ("", "", [])
    refused = client.put(url, json={"status": "agreed"}, headers=AUTH)
    assert refused.status_code == 422 and refused.json()["message"].startswith("strategy: must be one of")
    exported = client.get(f"/api/sessions/{session_code}/export.json", headers=AUTH).json()
    effort = next(entry for entry in exported["kinds"] if entry["kind"] == "effort")["record"]
    assert (effort["direction_name"], effort["strategy_name"]) == ("Not decided", "Not decided")
    brief = client.get(f"/api/sessions/{session_code}/export.md", headers=AUTH).text
    assert "Deferred: the decision on effort variability was put off, with no working position yet." in brief
    for fmt in ("csv", "xlsx", "docx", "html", "votes.csv"):
        assert client.get(f"/api/sessions/{session_code}/export.{fmt}", headers=AUTH).status_code == 200


def test_the_people_search_finds_everyone_in_the_room_by_every_word(client, session_code):
    phones = [client.websocket_connect(f"/ws/{session_code}").__enter__() for _ in range(4)]
    try:
        ids = [join(phone, **fields)["participant"]["id"] for phone, fields in zip(phones, (
            {"name": "Ana María", "group": "IT"}, {"name": "Ben", "group": "Business"}, {"group": "IT"},
            {"name": "Anabel", "group": "Business"}))]
        command(client, session_code, command="remove", participant=ids[3])
        url = f"/api/sessions/{session_code}/people"
        found = client.get(url, params={"q": "ANA"}, headers=AUTH).json()
        assert found == {"matched": 1, "total": 3, "people": [
            {"id": ids[0], "name": "Ana María", "group": "IT", "connected": True, "address": "testclient"}]}
        everyone = client.get(url, headers=AUTH).json()
        assert [person["id"] for person in everyone["people"]] == ids[2::-1] and everyone["matched"] == 3
        assert client.get(url, params={"q": f"anonymous #{ids[2]} it"}, headers=AUTH).json()["matched"] == 1
        refused = client.get(url, params={"q": "x" * 201}, headers=AUTH)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_field"
        assert client.get("/api/sessions/NOPE99/people", headers=AUTH).json()["error"] == "unknown_session"
    finally:
        for phone in phones:
            phone.__exit__(None, None, None)
