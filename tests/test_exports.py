"""Exports for the service owner: the formats, who may fetch them, the JSON record, and a big room."""

import io
import json
import re
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from known_session import (
    DISSENT,
    EXAMPLE,
    FORMATS,
    NARROW_WARNING,
    NOTES,
    REQUEST_NOTES,
    ROOT,
    SERVICE,
    SLA_INPUT,
    TITLE,
    csv_rows,
    exported_json,
    kind_of,
)
from openpyxl import load_workbook
from starlette.testclient import TestClient

from helpers import AUTH
from workshop.exports import EXPORT_FORMATS
from workshop.web.app import create_app


def test_formats_are_the_documented_ones():
    assert EXPORT_FORMATS == FORMATS


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_are_facilitator_only_and_named(known, fmt):
    client, code = known["client"], known["code"]
    assert client.get(f"/api/sessions/{code}/export.{fmt}").status_code == 401
    assert client.get(f"/api/sessions/{code}/export.{fmt}",
                      headers={"Authorization": "Bearer nope"}).status_code == 403
    response = known["bodies"][fmt]
    assert response.headers["content-disposition"] == f'attachment; filename="workshop-{code}.{fmt}"'
    expected = {"json": "application/json", "csv": "text/csv", "votes.csv": "text/csv",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "md": "text/markdown", "html": "text/html",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[fmt]
    assert response.headers["content-type"].split(";")[0] == expected


# JSON

def test_json_validates_against_the_documented_schema(known):
    schema = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = exported_json(known)
    jsonschema.Draft202012Validator(schema).validate(data)
    # The schema is strict: an undocumented field is an error, so the docs cannot fall behind.
    data["kinds"][0]["questions"]["direction"]["rounds"][0]["surprise"] = 1
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)
    assert "variability-workshop/export/v1" in (ROOT / "docs" / "export-schema.md").read_text(encoding="utf-8")


def test_json_holds_the_session_and_each_record_with_its_evidence(known):
    data = exported_json(known)
    assert data["schema"] == "variability-workshop/export/v1"
    assert data["session"] == {
        "code": known["code"], "title": TITLE, "service": SERVICE, "plan": "frei-variability",
        "plan_title": "Customer-introduced variability (Frei)", "groups": ["IT", "Business"],
        "held_at": data["session"]["held_at"], "participants": 6,
        "participants_by_group": {"IT": 3, "Business": 3},
        "thresholds": {"consensus": 0.7, "agreement": 0.75, "min_votes": 5, "quorum": 0.5},
    }
    assert data["session"]["held_at"].endswith("+00:00")
    assert [entry["kind"] for entry in data["kinds"]] == [
        "arrival", "request", "capability", "effort", "subjective_preference"]

    arrival = kind_of(data, "arrival")
    record = arrival["record"]
    assert {key: record[key] for key in record if key != "recorded_at"} == {
        "direction": "less", "direction_name": "Less variability allowed",
        "strategy": "uncompromised_reduction", "strategy_name": "Uncompromised reduction",
        "strategy_family": "reduce", "status": "agreed", "status_name": "Agreed",
        "notes": NOTES, "dissent": DISSENT, "sla_input": SLA_INPUT, "sla": {}, "clauses": [], "owner": "",
        "due": "", "warnings": [{"code": "narrow", "message": NARROW_WARNING, "severity": "to_note"}],
    }
    assert arrival["evidence"]["direction"]["verdict"] == "reached"
    assert arrival["evidence"]["direction"]["side_counts"] == {"less": 5, "same": 1, "more": 0}
    assert arrival["evidence"]["direction"]["round"] == 2
    assert arrival["evidence"]["direction"]["consensus"] == pytest.approx(0.8616541669070521)

    direction = arrival["questions"]["direction"]
    assert direction["status"] == "closed" and direction["labels"]["-1"] == "Less"
    # Every round's figures are the ones the results API gives.
    assert direction["rounds"] == known["results"]["rounds"]
    assert direction["shift"] == known["results"]["shift"]
    first, second = direction["rounds"]
    assert first["counts"] == {"-2": 1, "-1": 3, "0": 1, "1": 1, "2": 0}
    assert second["counts"] == {"-2": 1, "-1": 4, "0": 1, "1": 0, "2": 0}
    assert second["mean"] == pytest.approx(-1.0) and second["agreement"] == pytest.approx(5 / 6)
    assert second["by_group"]["IT"]["counts"] == {"-2": 1, "-1": 2, "0": 0, "1": 0, "2": 0}
    assert second["by_group"]["Business"]["mean"] == pytest.approx(-2 / 3)
    assert second["group_gap"] == pytest.approx(2 / 3)
    assert direction["shift"]["changed"] == 5 and direction["shift"]["voters_both"] == 6

    (strategy,) = arrival["questions"]["strategy"]["rounds"]
    assert strategy["counts"] == {"classic_accommodation": 0, "low_cost_accommodation": 1,
                                  "classic_reduction": 1, "uncompromised_reduction": 4}
    assert strategy["leader"] == "uncompromised_reduction" and strategy["leader_share"] == pytest.approx(4 / 6)
    # judged by family: reducing holds 5 of 6; the leader leads the next by 3 votes, a clear margin
    assert strategy["side"] == "reduce" and strategy["agreement"] == pytest.approx(5 / 6)
    assert strategy["clear_leader"] is True and strategy["open"] is True
    # the record never rests on a round still open: the strategy vote was open when it was made
    assert arrival["evidence"]["strategy"] is None
    (impact,) = arrival["questions"]["impact"]["rounds"]
    assert impact["n"] == 5 and impact["abstain"] == 1 and impact["mean"] == pytest.approx(4.2)

    (example,) = arrival["examples"]
    assert {key: example[key] for key in ("question", "round", "group", "text")} == {
        "question": "arrival.examples", "round": 1, "group": "IT", "text": EXAMPLE}

    request = kind_of(data, "request")
    assert request["record"]["status"] == "deferred" and request["record"]["notes"] == REQUEST_NOTES
    assert request["evidence"]["direction"]["counts"] == {"-2": 2, "-1": 0, "0": 1, "1": 0, "2": 2}
    assert request["evidence"]["direction"]["abstain"] == 1
    assert request["questions"]["impact"] == {**request["questions"]["impact"], "status": "pending",
                                              "rounds": [], "shift": None}

    capability = kind_of(data, "capability")
    assert capability["record"] is None and "evidence" not in capability and capability["examples"] == []
    assert capability["questions"]["direction"]["rounds"] == []


def test_exports_name_nobody(known):
    for fmt in ("json", "csv", "votes.csv", "md", "html"):
        text = known["bodies"][fmt].content.decode("utf-8")
        assert "Ana Müller" not in text and "Chen 陈" not in text and "not for the report" not in text, fmt
    assert "token" not in known["bodies"]["json"].text and "votes" not in exported_json(known)


def test_a_session_without_votes_exports_cleanly(client, session_code):
    schema = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))
    bodies = {fmt: client.get(f"/api/sessions/{session_code}/export.{fmt}", headers=AUTH) for fmt in FORMATS}
    assert all(response.status_code == 200 for response in bodies.values())
    jsonschema.Draft202012Validator(schema).validate(bodies["json"].json())
    assert bodies["votes.csv"].content.decode("utf-8") == "\ufeffquestion,round,participant,group,value,voted_at,removed\r\n"
    assert [row["status"] for row in csv_rows(bodies["csv"].content.decode("utf-8"))] == ["open"] * 5
    assert load_workbook(io.BytesIO(bodies["xlsx"].content))["Votes"].max_row == 1
    assert "- Subjective preference: no consensus record yet." in bodies["md"].text
    assert "<svg" not in bodies["html"].text and "No votes yet" in bodies["html"].text


# A big room

def _crowd(db: Path, code: str, people: int) -> None:
    """Thousands of participants with votes on every scale and choice question, written straight to the record."""
    strategies = ("classic_accommodation", "low_cost_accommodation", "classic_reduction", "uncompromised_reduction")
    kinds = ("arrival", "request", "capability", "effort", "subjective_preference")
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA busy_timeout = 5000")
        connection.executemany(
            "insert into participants (session_code, token, name, group_name, joined_at) values (?, ?, ?, ?, ?)",
            [(code, f"{code}-{index}", f"Person {index}", ("IT", "Business")[index % 2],
              "2025-01-01T09:00:00.000+00:00") for index in range(people)])
        ids = [row[0] for row in connection.execute(
            "select id from participants where session_code = ? order by id", (code,))]
        votes = []
        for kind in kinds:
            for index, pid in enumerate(ids):
                at = f"2025-01-01T09:{index % 60:02d}:00.000+00:00"
                votes += [(code, f"{kind}.impact", 1, pid, str(1 + index % 5), at),
                          (code, f"{kind}.direction", 1, pid, str(index % 5 - 2), at),
                          (code, f"{kind}.direction", 2, pid, str(index % 3 - 1), at),
                          (code, f"{kind}.strategy", 1, pid, strategies[index % 4], at)]
            connection.execute("update questions set status = 'closed' where session_code = ? and question_id in"
                               " (?, ?, ?)", (code, f"{kind}.impact", f"{kind}.direction", f"{kind}.strategy"))
            connection.execute("update questions set round = 2 where session_code = ? and question_id = ?",
                               (code, f"{kind}.direction"))
        connection.executemany("insert into votes (session_code, question_id, round, participant_id, value, voted_at)"
                               " values (?, ?, ?, ?, ?, ?)", votes)


@pytest.mark.drill
def test_exports_hold_every_one_of_thousands_of_participants(known):
    # How long this takes is measured by bench/export_cost.py, not asserted here.
    from workshop.exports import render_export

    client = known["client"]
    code = client.post("/api/sessions", json={"title": "Town hall"}, headers=AUTH).json()["code"]
    _crowd(known["db"], code, 2000)
    bodies = {fmt: render_export(client.app.state.store, code, fmt)[0] for fmt in FORMATS}
    assert bodies["votes.csv"].count("\r\n") == 1 + 2000 * 4 * 5
    assert json.loads(bodies["json"])["session"]["participants"] == 2000
    assert "P2000" in bodies["votes.csv"] and "Person" not in bodies["votes.csv"]


def test_the_server_loads_the_spreadsheet_library_only_for_a_workbook():
    import subprocess
    import sys
    check = ("import sys; from workshop.web.app import create_app; "
             "assert 'openpyxl' not in sys.modules, 'openpyxl loaded at start'")
    subprocess.run([sys.executable, "-c", check], check=True)


# --- One table of formats ---------------------------------------------------------------------------

def test_readme_lists_every_format_of_the_table_and_writes_binary_ones_to_a_file():
    from workshop.exports.formats import FORMATS as TABLE
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exports for the service owner", 1)[1].split("\n### ", 1)[0]
    commands = re.findall(r"^workshop export CODE --format (\S+)( -o )?", section, re.M)
    assert [key for key, _ in commands] == [item.key for item in TABLE]
    assert {key for key, to_file in commands if not to_file} & {item.key for item in TABLE if item.binary} == set()
    addresses = re.search(r"The same files are at (.*?) \(facilitator key required\)", section, re.S)
    assert addresses is not None
    named = re.findall(r"`(?:/api/sessions/CODE/export)?\.([\w.]+)`", addresses.group(1))
    assert named == [item.key for item in TABLE]


def test_the_console_the_home_page_and_the_report_link_the_formats_of_the_table(client, session_code):
    from workshop.exports.formats import FORMATS as TABLE
    console = client.get(f"/s/{session_code}/facilitate", headers=AUTH).text
    assert re.findall(r'data-format="([^"]+)"', console) == [item.key for item in TABLE]
    assert all(f">{item.label}</a>" in console for item in TABLE)
    home = client.get("/", headers=AUTH).text
    assert sorted(re.findall(rf'/api/sessions/{session_code}/export\.([\w.]+)"', home)) == sorted(
        item.key for item in TABLE if item.on_home)
    report = client.get(f"/s/{session_code}/report", headers=AUTH).text
    assert re.findall(r'href="/api/sessions/\w+/export\.([\w.]+)" download>', report) == [item.key for item in TABLE]


def test_an_export_asks_the_store_for_the_session_and_loads_no_live_room(settings, session_code):
    with TestClient(create_app(settings)) as fresh:  # a server that has not loaded the session's room
        assert fresh.get(f"/api/sessions/{session_code.lower()}/export.json", headers=AUTH).status_code == 200
        assert fresh.get(f"/s/{session_code}/report", headers=AUTH).status_code == 200
        assert fresh.app.state.rooms.loaded() == []
        missing = fresh.get("/api/sessions/NOPE00/export.json", headers=AUTH)
        assert missing.status_code == 404 and missing.json()["error"] == "unknown_session"
        assert fresh.get("/s/NOPE00/report", headers=AUTH).status_code == 404
        unknown = fresh.get(f"/api/sessions/{session_code}/export.pdf", headers=AUTH)
        assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_format"


def test_the_export_schemas_table_of_formats_is_the_tables():
    from workshop.exports.formats import FORMATS as TABLE
    schema = (ROOT / "docs" / "export-schema.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| [^|]+ \| `/api/sessions/CODE/export\.([\w.]+)`.*?\| `(?:workshop export CODE )?--format "
                      r"([\w.]+)( -o FILE)?`", schema, re.M)
    assert [(key, flag) for key, flag, _ in rows] == [(item.key, item.key) for item in TABLE]
    assert [bool(to_file) for _, _, to_file in rows] == [item.binary for item in TABLE]
