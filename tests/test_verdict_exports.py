"""A walk-through a service owner can check: a polarised room, a group of one, a record agreed against the
votes, a deferral without an owner. Every warning must reach the brief, CSV, XLSX, report, JSON and Word."""

import csv
import io
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook
from starlette.testclient import TestClient

from helpers import AUTH, KEY, command, join, receive_until
from workshop.config import Settings
from workshop.domain.framework import KINDS
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.web.app import create_app

PLAN = load_plan(default_plans_dir() / "frei-variability.toml")
GROUPS = ["IT", "Business", "Ops"]
# (group, arrival direction, arrival strategy, request direction)
PHONES = [
    ("IT", -2, "classic_reduction", -1), ("IT", -2, "classic_reduction", 0), ("IT", -1, "classic_reduction", 1),
    ("IT", -1, "classic_reduction", 2),
    ("Business", 1, "classic_accommodation", 0), ("Business", 2, "classic_accommodation", -2),
    ("Business", 2, "classic_accommodation", 1), ("Business", 1, "classic_reduction", 0),
    ("Ops", 0, "low_cost_accommodation", 2),  # a group of one
]
VOICE = "Month-end figures showing the queue really triples"
CAPABILITY_CLAUSE = PLAN.tactics("capability", "low_cost_accommodation")[0]
RECORDS = {
    "arrival": {"direction": "less", "strategy": "classic_reduction", "status": "agreed"},
    "request": {"direction": "less", "strategy": "classic_reduction", "status": "agreed",
                "sla": {"fulfilment_times": "Standard requests within 2 working days"}},
    "capability": {"direction": "same", "strategy": "low_cost_accommodation", "status": "agreed",
                   "sla": {"self_service": "Guided forms for the ten commonest requests"},
                   "clauses": [CAPABILITY_CLAUSE]},
    "effort": {"direction": "less", "strategy": "classic_reduction", "status": "deferred"},
}
EXPECTED = {
    "arrival": ["polarised", "strategy_not_reached"],
    # "more" leads with 4 of 9: not reached; Business (4 votes) leans to "as today", Ops (1 vote) is never told
    "request": ["direction_against_majority", "agreed_against_votes", "split_groups"],
    "capability": ["agreed_without_votes"],
    "effort": ["no_owner"],
}


def _vote(sockets, qid, values):
    command_values = list(zip(sockets, values))
    for index, (socket, value) in enumerate(command_values):
        socket.send_json({"type": "vote", "id": f"{qid}-{index}", "question": qid, "value": value})
        receive_until(socket, "ack")


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    settings = Settings(db_path=tmp_path_factory.mktemp("verdict") / "workshop.db",
                        plan_dirs=(default_plans_dir(),), key=KEY)
    with TestClient(create_app(settings)) as client:
        code = client.post("/api/sessions", json={"title": "Payroll SLA", "groups": GROUPS},
                           headers=AUTH).json()["code"]
        sockets = [client.websocket_connect(f"/ws/{code}").__enter__() for _ in PHONES]
        try:
            for socket, phone in zip(sockets, PHONES):
                join(socket, group=phone[0])
            for qid, column in (("arrival.direction", 1), ("arrival.strategy", 2), ("request.direction", 3)):
                command(client, code, command="open", question=qid)
                _vote(sockets, qid, [phone[column] for phone in PHONES])
                command(client, code, command="close", question=qid)
            command(client, code, command="open", question="arrival.dissent")
            for index, text in enumerate((VOICE, "not approved")):
                sockets[index].send_json({"type": "submit", "id": f"d{index}", "question": "arrival.dissent",
                                          "text": text})
                receive_until(sockets[index], "ack")
            submissions = client.get(f"/api/sessions/{code}", headers=AUTH).json()["submissions"]
            command(client, code, command="approve", submission=submissions[0]["id"])
            # the records are made while every phone is still in the room
            saved = {kind: client.put(f"/api/sessions/{code}/consensus/{kind}", json=body, headers=AUTH)
                     for kind, body in RECORDS.items()}
        finally:
            for socket in sockets:
                socket.__exit__(None, None, None)
        bodies = {fmt: client.get(f"/api/sessions/{code}/export.{fmt}", headers=AUTH)
                  for fmt in ("json", "csv", "xlsx", "md", "html", "docx")}
        yield {"code": code, "saved": saved, "bodies": bodies, "db": settings.db_path}


def _messages(walk, kind) -> list[str]:
    return [warning["message"] for warning in walk["saved"][kind].json()["warnings"]]


def test_each_record_carries_the_warnings_its_votes_call_for(walk):
    for kind, codes in EXPECTED.items():
        response = walk["saved"][kind]
        assert response.status_code == 200, response.text
        assert [warning["code"] for warning in response.json()["warnings"]] == codes, kind
    arrival = walk["saved"]["arrival"].json()["evidence"]["direction"]
    assert arrival["verdict"] == "polarised" and arrival["split"]["camps"] == ["Business", "IT"]
    assert (arrival["n"], arrival["present"]) == (9, 9)
    assert arrival["agreement"] == pytest.approx(4 / 9)  # less and more hold 4 each: no side has most
    request = walk["saved"]["request"].json()["evidence"]["direction"]
    assert request["side"] == "more" and request["verdict"] == "not_reached" and request["reached"] is False
    assert request["certainty"] == "far" and request["interval"]["agreement"][1] < 0.75
    assert request["split"]["against"] == ["Business"]  # Ops, a group of one, is never named


def test_a_group_too_small_to_show_is_told_nowhere(walk):
    for fmt in ("md", "html", "csv"):
        assert "Ops leaned" not in walk["bodies"][fmt].text and "points apart" not in walk["bodies"][fmt].text
    assert "Ops" not in _docx_text(walk["bodies"]["docx"].content).split("Open items")[1]
    data = walk["bodies"]["json"].json()
    assert all(vote["group"] != "Ops" for vote in data.get("votes", []))
    votes = list(load_workbook(io.BytesIO(walk["bodies"]["xlsx"].content))["Votes"].iter_rows(values_only=True))
    heading = list(votes[0])
    assert {row[heading.index("group")] for row in votes[1:]} == {"IT", "Business", None}


def test_approved_answers_to_what_would_change_a_vote_travel_with_the_record(walk):
    assert walk["saved"]["arrival"].json()["evidence"]["dissent_texts"] == [VOICE]
    arrival = walk["bodies"]["json"].json()["kinds"][0]
    assert arrival["dissent_texts"] == [VOICE] and arrival["examples"] == []
    assert f"- {VOICE}" in walk["bodies"]["md"].text and VOICE in walk["bodies"]["html"].text
    assert VOICE in _docx_text(walk["bodies"]["docx"].content)
    rows = list(csv.DictReader(io.StringIO(walk["bodies"]["csv"].content.decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0]["dissent_texts"] == VOICE
    examples = list(load_workbook(io.BytesIO(walk["bodies"]["xlsx"].content))["Examples"].iter_rows(values_only=True))
    assert examples[1][:2] == ("Arrival", "arrival.dissent") and examples[1][4] == VOICE
    assert "not approved" not in walk["bodies"]["md"].text


def test_json_keeps_the_warnings_and_structured_clauses(walk):
    data = walk["bodies"]["json"].json()
    kinds = {entry["kind"]: entry for entry in data["kinds"]}
    for kind, codes in EXPECTED.items():
        assert [warning["code"] for warning in kinds[kind]["record"]["warnings"]] == codes
    capability = kinds["capability"]["record"]
    assert capability["clauses"] == [CAPABILITY_CLAUSE] and capability["sla_input"] == ""
    assert capability["sla"] == {"self_service": "Guided forms for the ten commonest requests"}


def test_the_brief_shows_every_warning_in_its_section_and_its_open_items(walk):
    text = walk["bodies"]["md"].text
    open_items = text.split("## Open items\n", 1)[1].split("## Glossary", 1)[0]
    for kind in EXPECTED:
        name = next(item.name for item in KINDS if item.id == kind)
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for message in _messages(walk, kind):
            assert f"{message}" in section.replace("\\", "")
            assert f"- {name}: to " in open_items and message in open_items.replace("\\", "")
    assert "**To resolve.** Recorded as agreed, but the room is polarised" in text
    assert "| Arrival | Less variability allowed | Classic reduction | Agreed – 2 to resolve | Polarised: groups " \
           "stand apart (far from the threshold) | 9 of 9 present voted |" in text
    assert "**Strength of consensus.** Polarised: groups stand apart (far from the threshold):" in text
    assert "- **Self-service:** Guided forms for the ten commonest requests" in text
    assert f"**Committed tactics.**\n\n- {CAPABILITY_CLAUSE}" in text
    assert "**Owner.** not named; **due** no date" in text


def test_csv_and_xlsx_have_a_warnings_column(walk):
    rows = {row["kind"]: row for row in csv.DictReader(
        io.StringIO(walk["bodies"]["csv"].content.decode("utf-8").removeprefix("\ufeff")))}
    book = load_workbook(io.BytesIO(walk["bodies"]["xlsx"].content))
    sheet = list(book["Records"].iter_rows(values_only=True))
    heading = list(sheet[0])
    by_kind = {row[heading.index("Kind")]: row for row in sheet[1:]}
    for kind in EXPECTED:
        name = next(item.name for item in KINDS if item.id == kind)
        assert rows[kind]["warnings"] == " | ".join(_messages(walk, kind))
        assert by_kind[name][heading.index("Warnings")] == " | ".join(_messages(walk, kind))
    assert (rows["arrival"]["n"], rows["arrival"]["present"], rows["arrival"]["verdict"]) == ("9", "9", "polarised")
    assert rows["request"]["certainty"] == "far" and rows["request"]["quorum_needed"] == "5"
    assert by_kind["Arrival"][heading.index("Verdict")] == "Polarised: groups stand apart"


def test_the_report_never_shows_a_plain_green_agreed_over_warnings(walk):
    html = walk["bodies"]["html"].text
    assert 'badge badge-agreed"' not in html
    assert '<span class="badge badge-warn">Agreed – 2 to resolve</span>' in html
    for kind in EXPECTED:
        for message in _messages(walk, kind):
            assert message.replace("'", "&#39;") in html
    assert "9 of 9 present voted" in html


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def test_the_word_brief_holds_every_section_and_warning(walk):
    response = walk["bodies"]["docx"]
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    document = Document(io.BytesIO(response.content))
    headings = [paragraph.text for paragraph in document.paragraphs if paragraph.style.name == "Heading 1"]
    assert headings == ["Overview", *[kind.name for kind in KINDS], "Open items", "Glossary"]
    text = _docx_text(response.content)
    for kind in EXPECTED:
        for message in _messages(walk, kind):
            assert message in text
    assert "9 of 9 present voted" in text and CAPABILITY_CLAUSE in text


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
def test_libreoffice_converts_the_word_brief_with_every_section(walk, tmp_path):
    source = tmp_path / "brief.docx"
    source.write_bytes(walk["bodies"]["docx"].content)
    profile = (tmp_path / "profile").as_uri()  # its own profile, so a desktop LibreOffice cannot interfere
    finished = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "txt:Text",
         "--outdir", str(tmp_path), str(source)], capture_output=True, text=True, timeout=180)
    converted = tmp_path / "brief.txt"
    assert finished.returncode == 0 and converted.exists(), finished.stderr
    text = converted.read_text(encoding="utf-8-sig")
    for kind in KINDS:
        assert kind.name in text
    for heading in ("Overview", "Draft SLA section", "Open items", "Glossary"):
        assert heading in text
    assert _messages(walk, "request")[0] in text


def test_the_command_line_writes_the_word_brief(walk, tmp_path, capsys):
    from workshop.cli import main
    target = tmp_path / "brief.docx"
    assert main(["export", walk["code"], "--format", "docx", "--db", str(walk["db"]), "-o", str(target)]) == 0
    assert _docx_text(target.read_bytes()) == _docx_text(walk["bodies"]["docx"].content)
    assert main(["export", walk["code"], "--format", "docx", "--db", str(walk["db"])]) != 0
    assert "binary format" in capsys.readouterr().err


def test_the_report_with_warnings_prints_without_overflow(walk):
    from playwright.sync_api import sync_playwright

    from helpers import OVERFLOWING
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 680, "height": 1000})  # A4 less its margins, at 96 dpi
            page.set_content(walk["bodies"]["html"].text)
            page.emulate_media(media="print")
            assert page.evaluate(OVERFLOWING) == []
            amber = page.evaluate("() => getComputedStyle(document.querySelector('.badge-warn')).backgroundColor")
            assert amber == "rgb(242, 176, 30)"
        finally:
            browser.close()


def test_the_workbooks_records_and_figures_say_the_same_of_a_round(walk):
    book = load_workbook(io.BytesIO(walk["bodies"]["xlsx"].content))
    records = list(book["Records"].iter_rows(values_only=True))
    heading = list(records[0])
    figures = list(book["Figures"].iter_rows(values_only=True))
    columns = list(figures[0])
    for row in records[1:]:
        found = dict(zip(heading, row))
        if found["Round"] is None:
            continue
        kind = next(item.id for item in KINDS if item.name == found["Kind"])
        (same,) = [dict(zip(columns, line)) for line in figures[1:]
                   if line[columns.index("question")] == f"{kind}.direction"
                   and line[columns.index("round")] == found["Round"] and line[columns.index("group")] == "(all)"]
        assert (same["reached"], same["verdict"], same["present"]) == (found["Reached"], found["Verdict"],
                                                                         found["Present (N)"])
