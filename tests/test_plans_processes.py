"""Two real app processes on one PostgreSQL record and one Redis broker, sharing one `--plans` folder:
a plan saved through one is read, versioned and used by the other, and of simultaneous saves based on
one version, across both processes, exactly one is taken."""

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest

from servers import Server

PLAN = "team-plan"


@pytest.fixture
def two_servers(tmp_path, postgres_url, redis_server):
    shared = tmp_path / "shared-plans"
    servers = []
    try:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name, "--db", postgres_url, "--broker", redis_server.url,
                                  "--plans", str(shared)))
        yield servers
    finally:
        for server in servers:
            server.stop()


def _put(server: Server, version: str, title: str, plan: dict) -> tuple[int, dict]:
    edited = copy.deepcopy(plan)
    edited["title"] = title
    response = server.api("PUT", f"/api/plans/{PLAN}", json={"version": version, "plan": edited})
    return response.status_code, response.json()


def test_a_plan_saved_through_one_process_is_read_and_versioned_by_the_other(two_servers):
    one, two = two_servers
    created = one.api("POST", "/api/plans", json={"id": PLAN, "copy_of": "frei-variability"})
    assert created.status_code == 201, created.text
    first = created.json()["version"]
    seen = two.api("GET", f"/api/plans/{PLAN}").json()
    assert seen["version"] == first and seen["source"] == "own"
    assert PLAN in [plan["id"] for plan in two.api("GET", "/api/plans").json()["plans"]]

    status, saved = _put(two, first, "Saved through process two", seen["plan"])
    assert status == 200 and saved["version"] != first
    status, stale = _put(one, first, "A stale edit through process one", seen["plan"])
    assert status == 409 and stale["error"] == "stale_plan", stale
    assert one.api("GET", f"/api/plans/{PLAN}").json()["plan"]["title"] == "Saved through process two"

    # A session created on process one from the plan process two saved has process two's wording.
    session = one.api("POST", "/api/sessions", json={"title": "Shared", "plan": PLAN})
    assert session.status_code == 201 and session.json()["plan"] == PLAN
    snapshot = two.api("GET", f"/api/sessions/{session.json()['code']}").json()
    assert snapshot["plan"]["title"] == "Saved through process two"


def test_of_simultaneous_saves_through_both_processes_exactly_one_is_taken(two_servers):
    one, two = two_servers
    created = one.api("POST", "/api/plans", json={"id": PLAN, "copy_of": "frei-45-minutes"}).json()
    version, plan = created["version"], created["plan"]
    for attempt in range(3):
        saves = [((one, two)[n % 2], version, f"Edit {attempt}.{n}", plan) for n in range(8)]
        with ThreadPoolExecutor(len(saves)) as pool:
            results = list(pool.map(lambda save: _put(*save), saves))
        taken = [body for status, body in results if status == 200]
        assert len(taken) == 1, results
        assert all(body["error"] == "stale_plan" for status, body in results if status != 200)
        stored = two.api("GET", f"/api/plans/{PLAN}").json()
        assert (stored["version"], stored["plan"]["title"]) == (taken[0]["version"], taken[0]["plan"]["title"])
        version = stored["version"]


def test_a_plan_deleted_through_one_process_is_gone_from_the_other(two_servers):
    one, two = two_servers
    assert one.api("POST", "/api/plans", json={"id": PLAN, "copy_of": "one-kind-arrival"}).status_code == 201
    assert two.api("DELETE", f"/api/plans/{PLAN}").json() == {"deleted": PLAN}
    gone = one.api("GET", f"/api/plans/{PLAN}")
    assert gone.status_code == 404 and gone.json()["error"] == "unknown_plan"
    again = one.api("POST", "/api/plans", json={"id": PLAN, "copy_of": "one-kind-arrival"})
    assert again.status_code == 201, again.text
