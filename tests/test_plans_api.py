"""The plans API: reading, editing, copying, uploading and deleting plans, and every refusal."""

import copy
import tomllib

import pytest
from starlette.testclient import TestClient

from helpers import AUTH, KEY
from workshop.config import Settings
from workshop.domain.plan_library import LOCK_NAME, PlanLibrary
from workshop.domain.plans import PlanError, default_plans_dir, plan_from_dict
from workshop.web.app import create_app

DEFAULT = "frei-variability"
SHIPPED_TEXT = (default_plans_dir() / f"{DEFAULT}.toml").read_text(encoding="utf-8")


@pytest.fixture
def plans_client(tmp_path):
    settings = Settings(db_path=tmp_path / "workshop.db", plan_dirs=(default_plans_dir(),), key=KEY)
    with TestClient(create_app(settings)) as client:
        yield client


def _copy(client, new_id="mine", source=DEFAULT):
    response = client.post("/api/plans", json={"id": new_id, "copy_of": source}, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def _prompt(snapshot: dict, qid: str) -> str:
    return next(q["prompt"] for step in snapshot["steps"] for q in step["questions"] if q["id"] == qid)


def _session(client, plan_id):
    response = client.post("/api/sessions", json={"title": "SLA", "plan": plan_id}, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()["code"]


# --- reading ---------------------------------------------------------------------------------------

def test_the_list_names_each_plan_with_its_size_and_where_it_came_from(plans_client, tmp_path):
    body = plans_client.get("/api/plans", headers=AUTH).json()
    default = next(plan for plan in body["plans"] if plan["id"] == DEFAULT)
    assert default["source"] == "shipped" and default["steps"] == 7 and default["questions"] == 26
    assert default["title"] and default["description"] and default["changed"] and default["version"]
    assert body["folder"] == str(tmp_path / "plans")
    assert not (tmp_path / "plans").exists()  # created on the first save only


def test_a_plan_reads_as_its_data_and_downloads_as_its_file(plans_client):
    body = plans_client.get(f"/api/plans/{DEFAULT}", headers=AUTH).json()
    assert body["plan"] == tomllib.loads(SHIPPED_TEXT) and body["source"] == "shipped"
    download = plans_client.get(f"/api/plans/{DEFAULT}.toml", headers=AUTH)
    assert download.status_code == 200 and download.text == SHIPPED_TEXT
    assert download.headers["content-disposition"] == f'attachment; filename="{DEFAULT}.toml"'


def _plan_files(tmp_path) -> list[str]:
    """The files in the own plans folder but the lock file that orders saves (which any save attempt creates)."""
    folder = tmp_path / "plans"
    return sorted(path.name for path in folder.iterdir() if path.name != LOCK_NAME) if folder.exists() else []


# --- copying and editing ---------------------------------------------------------------------------

def test_a_copy_is_saved_in_the_plans_folder_beside_the_database(plans_client, tmp_path):
    body = _copy(plans_client)
    assert body["source"] == "own" and body["id"] == "mine"
    assert (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8") == SHIPPED_TEXT
    # no temporary file left; the lock file that orders saves from several processes stays, empty
    assert sorted(path.name for path in (tmp_path / "plans").iterdir()) == [LOCK_NAME, "mine.toml"]
    assert (tmp_path / "plans" / LOCK_NAME).stat().st_size == 0


def test_an_edit_is_stored_as_toml_keeping_the_comments_and_new_sessions_use_it(plans_client, tmp_path):
    version = _copy(plans_client)["version"]
    data = plans_client.get("/api/plans/mine", headers=AUTH).json()["plan"]
    data["steps"][1]["questions"][0]["prompt"] = "How badly do Monday mornings hurt?"
    data["consensus"]["min_agreement"] = 0.8
    response = plans_client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["plan"] == data and response.json()["version"] != version
    text = (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text) == data
    assert "# --- Arrival ---" in text and "# fewer votes than this" in text
    snapshot = plans_client.get(f"/api/sessions/{_session(plans_client, 'mine')}", headers=AUTH).json()
    assert _prompt(snapshot, "arrival.impact") == "How badly do Monday mornings hurt?"


def test_a_session_keeps_the_plan_it_started_with(tmp_path):
    settings = Settings(db_path=tmp_path / "workshop.db", plan_dirs=(default_plans_dir(),), key=KEY)
    with TestClient(create_app(settings)) as client:
        version = _copy(client)["version"]
        code = _session(client, "mine")
        data = client.get("/api/plans/mine", headers=AUTH).json()["plan"]
        data["steps"][1]["questions"][0]["prompt"] = "Edited after the session began"
        assert client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH).status_code == 200
        original = _prompt(client.get(f"/api/sessions/{code}", headers=AUTH).json(), "arrival.impact")
        assert original == "How much does the uneven timing of demand hurt the service today?"
    (tmp_path / "plans" / "mine.toml").unlink()  # gone from disk altogether
    with TestClient(create_app(settings)) as client:
        assert _prompt(client.get(f"/api/sessions/{code}", headers=AUTH).json(), "arrival.impact") == original


def test_a_put_with_version_null_creates_a_plan(plans_client, tmp_path):
    data = tomllib.loads(SHIPPED_TEXT)
    response = plans_client.put("/api/plans/fresh", json={"version": None, "plan": data}, headers=AUTH)
    assert response.status_code == 200 and response.json()["source"] == "own"
    assert tomllib.loads((tmp_path / "plans" / "fresh.toml").read_text(encoding="utf-8")) == data


def test_the_plans_folder_given_with_plans_is_where_plans_are_saved(tmp_path):
    mine = tmp_path / "my-plans"
    mine.mkdir()
    settings = Settings(db_path=tmp_path / "workshop.db", plan_dirs=(default_plans_dir(), mine), key=KEY)
    with TestClient(create_app(settings)) as client:
        _copy(client, "ours")
    assert (mine / "ours.toml").is_file() and not (tmp_path / "plans").exists()


# --- refusals: nothing written ---------------------------------------------------------------------

def test_an_invalid_edit_is_refused_at_its_field_with_the_load_message(plans_client, tmp_path):
    version = _copy(plans_client)["version"]
    data = plans_client.get("/api/plans/mine", headers=AUTH).json()["plan"]
    data["steps"][1]["questions"][0]["min"] = 9
    response = plans_client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_plan" and body["path"] == "steps[1].questions[0].max"
    with pytest.raises(PlanError) as loaded:
        plan_from_dict(copy.deepcopy(data), "mine", "mine.toml")
    assert body["message"] == str(loaded.value)
    assert body["message"].startswith("mine.toml: step 'arrival' (#2), field 'questions[0].max': must be greater")
    assert (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8") == SHIPPED_TEXT


@pytest.mark.parametrize("change, path", [
    (lambda data: data.pop("title"), "title"),
    (lambda data: data["consensus"].update(min_agreement=1.5), "consensus.min_agreement"),
    (lambda data: data.update(groups=[]), "groups"),
    (lambda data: data["steps"][2].update(id="arrival"), "steps[2].id"),
    (lambda data: data["steps"][1]["questions"][2].update(options=[{"id": "a", "label": "A"}]),
     "steps[1].questions[2].options"),
    (lambda data: data["steps"][1]["questions"].extend({"id": f"x{n}", "kind": "text", "prompt": "?"}
                                                       for n in range(20)), "steps[1].questions"),
    (lambda data: data["steps"][1].update(title=None), "steps[1].title"),
    (lambda data: data.update(surprise=1), "surprise"),
])
def test_every_refused_plan_names_where(plans_client, tmp_path, change, path):
    version = _copy(plans_client)["version"]
    data = plans_client.get("/api/plans/mine", headers=AUTH).json()["plan"]
    change(data)
    response = plans_client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH)
    assert response.status_code == 422 and response.json()["error"] == "invalid_plan", response.text[:300]
    assert response.json()["path"] == path
    assert response.json()["message"].startswith("mine.toml: ")
    assert (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8") == SHIPPED_TEXT


def test_a_stale_version_is_refused(plans_client, tmp_path):
    version = _copy(plans_client)["version"]
    data = plans_client.get("/api/plans/mine", headers=AUTH).json()["plan"]
    data["title"] = "First tab"
    assert plans_client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH).status_code == 200
    saved = (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8")
    data["title"] = "Second tab"
    response = plans_client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH)
    assert response.status_code == 409 and response.json()["error"] == "stale_plan"
    stale_new = plans_client.put("/api/plans/mine", json={"version": None, "plan": data}, headers=AUTH)
    assert stale_new.status_code == 409 and stale_new.json()["error"] == "plan_exists"
    gone = plans_client.put("/api/plans/nothing", json={"version": version, "plan": data}, headers=AUTH)
    assert gone.status_code == 409 and gone.json()["error"] == "stale_plan"
    assert (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8") == saved


@pytest.mark.parametrize("body, status, code", [
    ({"plan": {}}, 422, "invalid_field"),
    ({"version": 3, "plan": {}}, 422, "invalid_field"),
    ({"version": None, "plan": "title = 'x'"}, 422, "invalid_field"),
    ([], 422, "invalid_field"),
])
def test_a_malformed_put_is_refused(plans_client, body, status, code):
    response = plans_client.put("/api/plans/mine", json=body, headers=AUTH)
    assert response.status_code == status and response.json()["error"] == code
    bad = plans_client.put("/api/plans/mine", content=b"{nope", headers=AUTH)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_json"


def test_a_shipped_plan_is_read_only(plans_client):
    data = tomllib.loads(SHIPPED_TEXT)
    version = plans_client.get(f"/api/plans/{DEFAULT}", headers=AUTH).json()["version"]
    put = plans_client.put(f"/api/plans/{DEFAULT}", json={"version": version, "plan": data}, headers=AUTH)
    assert put.status_code == 403 and put.json()["error"] == "plan_read_only"
    deleted = plans_client.delete(f"/api/plans/{DEFAULT}", headers=AUTH)
    assert deleted.status_code == 403 and deleted.json()["error"] == "plan_read_only"
    shadow = plans_client.post("/api/plans", json={"id": DEFAULT, "copy_of": DEFAULT}, headers=AUTH)
    assert shadow.status_code == 403 and shadow.json()["error"] == "plan_read_only"
    assert (default_plans_dir() / f"{DEFAULT}.toml").read_text(encoding="utf-8") == SHIPPED_TEXT


@pytest.mark.parametrize("body, status, code", [
    ({"id": "Bad Name", "copy_of": DEFAULT}, 422, "invalid_plan_id"),
    ({"id": "../escape", "copy_of": DEFAULT}, 422, "invalid_plan_id"),
    ({"id": ".hidden", "copy_of": DEFAULT}, 422, "invalid_plan_id"),
    ({"id": "x" * 65, "copy_of": DEFAULT}, 422, "invalid_plan_id"),
    ({"copy_of": DEFAULT}, 422, "invalid_plan_id"),
    ({"id": "mine", "copy_of": "nothing"}, 404, "unknown_plan"),
    ({"id": "mine"}, 422, "invalid_field"),
    ({"id": "mine", "toml": "title = "}, 422, "invalid_plan"),
    ({"id": "mine", "toml": "title = 'no steps'\ngroups = ['IT']"}, 422, "invalid_plan"),
    ({"id": "mine", "toml": "x" * (1024 * 1024 + 1)}, 413, "too_large"),
    ({"id": "mine", "plan": {"title": "x"}}, 422, "invalid_plan"),
])
def test_a_refused_new_plan_writes_nothing(plans_client, tmp_path, body, status, code):
    response = plans_client.post("/api/plans", json=body, headers=AUTH)
    assert response.status_code == status and response.json()["error"] == code, response.text
    assert _plan_files(tmp_path) == []


def test_a_copy_cannot_take_an_existing_id(plans_client, tmp_path):
    _copy(plans_client)
    again = plans_client.post("/api/plans", json={"id": "mine", "copy_of": DEFAULT}, headers=AUTH)
    assert again.status_code == 409 and again.json()["error"] == "plan_exists"


# --- uploads ----------------------------------------------------------------------------------------

def test_an_upload_keeps_the_file_as_written(plans_client, tmp_path):
    text = "# my notes\n" + SHIPPED_TEXT.replace('title = "Customer', 'title = "Uploaded customer', 1)
    response = plans_client.post("/api/plans", json={"id": "uploaded", "toml": text}, headers=AUTH)
    assert response.status_code == 201 and response.json()["title"].startswith("Uploaded")
    assert (tmp_path / "plans" / "uploaded.toml").read_text(encoding="utf-8") == text


def test_a_toml_body_is_an_upload_for_api_clients(plans_client, tmp_path):
    headers = {**AUTH, "Content-Type": "application/toml"}
    response = plans_client.post("/api/plans?id=raw", content=SHIPPED_TEXT.encode(), headers=headers)
    assert response.status_code == 201 and response.json()["id"] == "raw"
    binary = plans_client.post("/api/plans?id=binary", content=b"\xff\xfe", headers=headers)
    assert binary.status_code == 422 and binary.json()["error"] == "invalid_plan"
    nameless = plans_client.post("/api/plans", content=SHIPPED_TEXT.encode(), headers=headers)
    assert nameless.status_code == 422 and nameless.json()["error"] == "invalid_plan_id"
    huge = plans_client.post("/api/plans?id=huge", content=b"#" * (1024 * 1024 + 1), headers=headers)
    assert huge.status_code == 413 and huge.json()["error"] == "too_large"
    assert _plan_files(tmp_path) == ["raw.toml"]


# --- deleting --------------------------------------------------------------------------------------

def test_an_unused_own_plan_is_deleted_and_a_used_one_kept(plans_client, tmp_path):
    _copy(plans_client, "spare")
    _copy(plans_client, "used")
    code = _session(plans_client, "used")
    used = plans_client.delete("/api/plans/used", headers=AUTH)
    assert used.status_code == 409 and used.json()["error"] == "plan_in_use" and code in used.json()["message"]
    assert plans_client.delete("/api/plans/spare", headers=AUTH).json() == {"deleted": "spare"}
    assert _plan_files(tmp_path) == ["used.toml"]
    missing = plans_client.delete("/api/plans/spare", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_plan"
    listed = {plan["id"]: plan for plan in plans_client.get("/api/plans", headers=AUTH).json()["plans"]}
    assert "spare" not in listed and listed["used"]["sessions"] == 1


def test_a_deleted_plan_cannot_start_a_session(plans_client):
    _copy(plans_client, "spare")
    plans_client.delete("/api/plans/spare", headers=AUTH)
    response = plans_client.post("/api/sessions", json={"title": "x", "plan": "spare"}, headers=AUTH)
    assert response.status_code == 422 and "plan" in response.json()["message"]


# --- the facilitator key -----------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/api/plans"), ("post", "/api/plans"), ("get", f"/api/plans/{DEFAULT}"),
    ("get", f"/api/plans/{DEFAULT}.toml"), ("put", "/api/plans/mine"), ("delete", "/api/plans/mine"),
    ("post", "/api/plans/mine/check"), ("get", "/api/plans/schema.json"),
])
def test_every_plans_endpoint_needs_the_key(plans_client, method, path):
    missing = getattr(plans_client, method)(path)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    wrong = getattr(plans_client, method)(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"


@pytest.mark.parametrize("path", ["/plans", f"/plans/{DEFAULT}/edit"])
def test_the_plans_pages_need_the_key(plans_client, path):
    assert plans_client.get(path).status_code == 401


def test_plan_text_is_escaped_on_the_pages(plans_client):
    hostile = '<img src=x onerror="alert(1)">'
    text = SHIPPED_TEXT.replace('title = "Customer-introduced variability (Frei)"', f"title = '{hostile}'", 1)
    assert plans_client.post("/api/plans", json={"id": "hostile", "toml": text}, headers=AUTH).status_code == 201
    for path in ("/plans", "/plans/hostile/edit", "/"):
        page = plans_client.get(path, headers=AUTH)
        assert page.status_code == 200 and hostile not in page.text
        assert "&lt;img src=x onerror=" in page.text


def test_a_plan_saved_by_another_process_is_used_for_the_next_session(tmp_path):
    """Two servers on one database share the plans folder: an edit saved by one reaches the other's next session."""
    settings = Settings(db_path=tmp_path / "workshop.db", plan_dirs=(default_plans_dir(),), key=KEY)
    with TestClient(create_app(settings)) as client:
        version = _copy(client)["version"]
        _session(client, "mine")  # this process has read the plan as it was
        other = PlanLibrary(settings.plan_dirs, settings.own_plans_dir)  # another process's, on the same folder
        data = client.get("/api/plans/mine", headers=AUTH).json()["plan"]
        data["steps"][1]["questions"][0]["prompt"] = "Saved elsewhere"
        other.save("mine", data, version)
        snapshot = client.get(f"/api/sessions/{_session(client, 'mine')}", headers=AUTH).json()
        assert _prompt(snapshot, "arrival.impact") == "Saved elsewhere"


def test_a_plan_edited_by_hand_in_the_folder_is_read_afresh(plans_client, tmp_path):
    _copy(plans_client)
    assert plans_client.get("/api/plans/mine", headers=AUTH).json()["title"].startswith("Customer")
    path = tmp_path / "plans" / "mine.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('title = "Customer', 'title = "Hand-edited customer', 1),
                    encoding="utf-8")
    assert plans_client.get("/api/plans/mine", headers=AUTH).json()["title"].startswith("Hand-edited")
    path.write_text("title = ", encoding="utf-8")  # broken by hand: listed as an error, no longer offered
    listed = plans_client.get("/api/plans", headers=AUTH).json()
    assert "mine" not in {plan["id"] for plan in listed["plans"]} and any("mine.toml" in e for e in listed["errors"])


def test_a_broken_file_in_the_folder_is_never_replaced_by_a_save(plans_client, tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "mine.toml").write_text("title = [unclosed", encoding="utf-8")
    for body in ({"id": "mine", "copy_of": DEFAULT}, {"id": "mine", "toml": SHIPPED_TEXT}):
        refused = plans_client.post("/api/plans", json=body, headers=AUTH)
        assert refused.status_code == 409 and refused.json()["error"] == "plan_exists", refused.text
        assert "cannot be loaded" in refused.json()["message"]
    put = plans_client.put("/api/plans/mine", json={"version": None, "plan": tomllib.loads(SHIPPED_TEXT)}, headers=AUTH)
    assert put.status_code == 409 and put.json()["error"] == "plan_exists"
    assert (folder / "mine.toml").read_text(encoding="utf-8") == "title = [unclosed"


def test_a_hand_named_file_downloads_under_a_plain_name(plans_client, tmp_path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / 'odd "name"; here.toml').write_text(SHIPPED_TEXT, encoding="utf-8")
    plan_id = 'odd "name"; here'
    listed = {plan["id"] for plan in plans_client.get("/api/plans", headers=AUTH).json()["plans"]}
    assert plan_id in listed
    download = plans_client.get("/api/plans/odd%20%22name%22%3B%20here.toml", headers=AUTH)
    assert download.status_code == 200 and download.text == SHIPPED_TEXT
    assert download.headers["content-disposition"] == 'attachment; filename="plan.toml"'


def test_a_check_runs_the_plan_checks_and_writes_nothing(plans_client, tmp_path):
    version = _copy(plans_client)["version"]
    data = plans_client.get("/api/plans/mine", headers=AUTH).json()["plan"]
    assert plans_client.post("/api/plans/mine/check", json={"plan": data}, headers=AUTH).json() == {"valid": True}
    data["steps"][1]["questions"][0]["min"] = 9
    checked = plans_client.post("/api/plans/mine/check", json={"plan": data}, headers=AUTH)
    refused = plans_client.put("/api/plans/mine", json={"version": version, "plan": data}, headers=AUTH).json()
    assert checked.status_code == 200 and checked.json() == {"valid": False, "error": refused}
    assert (tmp_path / "plans" / "mine.toml").read_text(encoding="utf-8") == SHIPPED_TEXT
    bad = plans_client.post("/api/plans/mine/check", json={"plan": []}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_field"
