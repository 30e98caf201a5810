"""The whole app on PostgreSQL: phones vote over the socket, results come back through the API,
and a database that goes away refuses votes loudly until it returns. Health checks for both backends."""

from starlette.testclient import TestClient

from helpers import AUTH, KEY, command, join, receive_until
from workshop.config import Settings
from workshop.domain.plans import default_plans_dir
from workshop.web.app import create_app

QUESTION = "arrival.direction"


def app_on(target) -> TestClient:
    settings = Settings.from_env(db=str(target), plan_dirs=(default_plans_dir(),), key=KEY)
    return TestClient(create_app(settings))


def open_session(client) -> str:
    code = client.post("/api/sessions", json={"title": "On PostgreSQL"}, headers=AUTH).json()["code"]
    command(client, code, command="open", question=QUESTION)
    return code


def vote(phone, message_id, value):
    phone.send_json({"type": "vote", "id": message_id, "question": QUESTION, "value": value})
    return receive_until(phone, "ack") if value is not None else None


def test_phones_vote_and_the_results_come_from_postgres(postgres_url):
    with app_on(postgres_url) as client:
        code = open_session(client)
        with client.websocket_connect(f"/ws/{code}") as phone_a, client.websocket_connect(f"/ws/{code}") as phone_b:
            alice = join(phone_a, name="Alice", group="IT")
            join(phone_b, group="Business")
            assert vote(phone_a, "a1", -1)["round"] == 1
            vote(phone_a, "a2", 2)
            vote(phone_b, "b1", "abstain")
            assert vote(phone_a, "a1", -1)["id"] == "a1"  # a resend counts once
        results = client.get(f"/api/sessions/{code}/results/{QUESTION}", headers=AUTH).json()
        assert results["rounds"][0]["counts"] == {"-2": 0, "-1": 0, "0": 0, "1": 0, "2": 1}
        assert results["rounds"][0]["abstain"] == 1
        listed = client.get("/api/sessions", headers=AUTH).json()
        assert [(item["code"], item["participants"]) for item in _sessions(listed)] == [(code, 2)]

    # Another process on the same database finds the same record.
    with app_on(postgres_url) as client, client.websocket_connect(f"/ws/{code}") as phone:
        again = join(phone, token=alice["participant"]["token"])
        assert again["participant"]["name"] == "Alice"
        assert again["ballot"] == {QUESTION: {"round": 1, "value": "2"}}


def _sessions(listed):
    return listed["sessions"] if isinstance(listed, dict) else listed


def test_an_unreachable_database_refuses_votes_loudly_and_recovers(postgres_server):
    from services import Postgres
    server = Postgres()  # durable: what PostgreSQL acknowledged must survive its crash
    try:
        with app_on(server.url()) as client:
            code = open_session(client)
            with client.websocket_connect(f"/ws/{code}") as phone:
                join(phone, name="Ann")
                vote(phone, "m1", 1)
                server.stop()  # immediate: as a crash or a lost network would
                phone.send_json({"type": "vote", "id": "m2", "question": QUESTION, "value": -2})
                refusal = receive_until(phone, "error")
                assert refusal["code"] == "unavailable" and refusal["id"] == "m2", refusal
                assert "nothing was recorded" in refusal["message"]
                not_ready = client.get("/readyz")
                assert not_ready.status_code == 503 and not_ready.json()["error"] == "unavailable"
                assert client.get("/healthz").json() == {"status": "ok"}
                closing = client.post(f"/api/sessions/{code}/commands", headers=AUTH,
                                      json={"command": "close", "question": QUESTION})
                assert closing.status_code == 503 and closing.json()["error"] == "unavailable", closing.text

                server.start()
                assert vote(phone, "m2", -2)["id"] == "m2"  # the phone's resend is taken once it is back
            assert client.get("/readyz").status_code == 200
            results = client.get(f"/api/sessions/{code}/results/{QUESTION}", headers=AUTH).json()
            assert results["rounds"][0]["counts"]["-2"] == 1 and results["rounds"][0]["n"] == 1
    finally:
        server.remove()


def test_health_checks_need_no_key(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_a_record_that_cannot_be_read_is_not_ready(tmp_path):
    folder = tmp_path / "record"
    folder.mkdir()
    with app_on(folder / "workshop.db") as client:
        (folder / "workshop.db").unlink()  # the file is gone from under the server
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503, not_ready.text
        assert not_ready.json()["error"] == "unavailable"


def test_the_printed_record_address_hides_the_password(postgres_url):
    from workshop.store import open_store
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@")
    store = open_store(with_password)  # the test cluster trusts loopback, so any password connects
    try:
        assert "s3cret" not in store.location and "postgres:***@127.0.0.1" in store.location
        store.ping()
    finally:
        store.close()
