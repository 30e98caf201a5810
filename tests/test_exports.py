"""Exports for the service owner: every format's content for one known session, and the CLI."""

import csv
import datetime
import io
import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from helpers import AUTH, KEY, command, join, receive_until
from workshop.cli import main as workshop_main
from workshop.config import Settings
from workshop.domain.plans import default_plans_dir
from workshop.exports import EXPORT_FORMATS
from workshop.exports.markdown_export import escape
from workshop.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Service desk SLA: Zürich – 東京 [draft]"
SERVICE = "Service desk *Zürich*"
NOTES = "=SUM(A1:A9)"
DISSENT = "<img src=x onerror=alert(1)>"
SLA_INPUT = "Service hours 08:00–18:00 in Zürich – 東京;\nbookable slots for installs."
LONG_LINK = "https://intranet.example.com/ticket/" + "0123456789" * 14  # one unbreakable word
EXAMPLE = f"Monday 9am spike after the *weekend*, see [the log](http://evil.example) {LONG_LINK}"
REQUEST_NOTES = "@ops to propose a catalogue"
STRATEGY_WARNING = "Recorded as agreed, but the strategy vote did not reach the agreement threshold."
OWNER_WARNING = "Deferred, but without an owner and a due date for settling it."
# (group, name, impact, direction in round 1, direction in round 2, strategy, request direction)
PHONES = [
    ("IT", "Ana Müller", 5, -2, -1, "uncompromised_reduction", -2),
    ("IT", "Bo", 4, -1, -1, "uncompromised_reduction", 2),
    ("IT", "", 4, -1, -2, "classic_reduction", -2),
    ("Business", "Chen 陈", 5, 1, -1, "uncompromised_reduction", 2),
    ("Business", "Dee", 3, 0, -1, "uncompromised_reduction", 0),
    ("Business", "Eve", "abstain", -1, 0, "low_cost_accommodation", "abstain"),
]
FORMATS = ("json", "csv", "votes.csv", "xlsx", "md", "docx", "html")


def _vote_all(sockets, qid, values, tag):
    for index, (socket, value) in enumerate(zip(sockets, values)):
        socket.send_json({"type": "vote", "id": f"{tag}-{index}", "question": qid, "value": value})
        receive_until(socket, "ack")


def _build(client) -> str:
    response = client.post("/api/sessions", json={"title": TITLE, "service": SERVICE}, headers=AUTH)
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    sockets = [client.websocket_connect(f"/ws/{code}").__enter__() for _ in PHONES]
    try:
        for socket, (group, name, *_) in zip(sockets, PHONES):
            join(socket, group=group, name=name)
        for qid, column in (("arrival.impact", 2), ("arrival.direction", 3)):
            command(client, code, command="open", question=qid)
            _vote_all(sockets, qid, [phone[column] for phone in PHONES], qid)
        command(client, code, command="new_round", question="arrival.direction")
        _vote_all(sockets, "arrival.direction", [phone[4] for phone in PHONES], "round2")
        command(client, code, command="close", question="arrival.direction")
        command(client, code, command="open", question="arrival.strategy")
        _vote_all(sockets, "arrival.strategy", [phone[5] for phone in PHONES], "strategy")
        command(client, code, command="open", question="arrival.examples")
        for index, text in enumerate((EXAMPLE, "not for the report")):
            sockets[index].send_json({"type": "submit", "id": f"ex{index}", "question": "arrival.examples",
                                      "text": text})
            receive_until(sockets[index], "ack")
        command(client, code, command="open", question="request.direction")
        _vote_all(sockets, "request.direction", [phone[6] for phone in PHONES], "request")
    finally:
        for socket in sockets:
            socket.__exit__(None, None, None)
    submissions = client.get(f"/api/sessions/{code}", headers=AUTH).json()["submissions"]
    command(client, code, command="approve", submission=submissions[0]["id"])
    command(client, code, command="reject", submission=submissions[1]["id"])
    for kind, record in (
        ("arrival", {"direction": "less", "strategy": "uncompromised_reduction", "status": "agreed",
                     "notes": NOTES, "dissent": DISSENT, "sla_input": SLA_INPUT}),
        ("request", {"direction": "same", "strategy": "classic_reduction", "status": "deferred",
                     "notes": REQUEST_NOTES}),
    ):
        response = client.put(f"/api/sessions/{code}/consensus/{kind}", json=record, headers=AUTH)
        assert response.status_code == 200, response.text
    return code


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """One session built through the API and phones, and every export of it, fetched once."""
    settings = Settings(db_path=tmp_path_factory.mktemp("exports") / "workshop.db",
                        plan_dirs=(default_plans_dir(),), key=KEY)
    with TestClient(create_app(settings)) as client:
        code = _build(client)
        bodies = {}
        for fmt in FORMATS:
            response = client.get(f"/api/sessions/{code}/export.{fmt}", headers=AUTH)
            assert response.status_code == 200, (fmt, response.text)
            bodies[fmt] = response
        results = client.get(f"/api/sessions/{code}/results/arrival.direction", headers=AUTH).json()
        report = client.get(f"/s/{code}/report", headers=AUTH)
        yield {"client": client, "code": code, "db": settings.db_path, "bodies": bodies,
               "results": results, "report": report}


def test_formats_are_the_documented_ones():
    assert EXPORT_FORMATS == FORMATS


def _json(known) -> dict:
    return json.loads(known["bodies"]["json"].text)


def _kind(data, kind) -> dict:
    return next(entry for entry in data["kinds"] if entry["kind"] == kind)


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
    data = _json(known)
    jsonschema.Draft202012Validator(schema).validate(data)
    # The schema is strict: an undocumented field is an error, so the docs cannot fall behind.
    data["kinds"][0]["questions"]["direction"]["rounds"][0]["surprise"] = 1
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)
    assert "variability-workshop/export/v1" in (ROOT / "docs" / "export-schema.md").read_text(encoding="utf-8")


def test_json_holds_the_session_and_each_record_with_its_evidence(known):
    data = _json(known)
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

    arrival = _kind(data, "arrival")
    record = arrival["record"]
    assert {key: record[key] for key in record if key != "recorded_at"} == {
        "direction": "less", "direction_name": "Less variability allowed",
        "strategy": "uncompromised_reduction", "strategy_name": "Uncompromised reduction",
        "strategy_family": "reduce", "status": "agreed", "status_name": "Agreed",
        "notes": NOTES, "dissent": DISSENT, "sla_input": SLA_INPUT, "sla": {}, "clauses": [], "owner": "",
        "due": "", "warnings": [{"code": "strategy_not_reached", "message": STRATEGY_WARNING}],
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
    assert strategy["leader"] == "uncompromised_reduction" and strategy["agreement"] == pytest.approx(4 / 6)
    (impact,) = arrival["questions"]["impact"]["rounds"]
    assert impact["n"] == 5 and impact["abstain"] == 1 and impact["mean"] == pytest.approx(4.2)

    (example,) = arrival["examples"]
    assert {key: example[key] for key in ("question", "round", "group", "text")} == {
        "question": "arrival.examples", "round": 1, "group": "IT", "text": EXAMPLE}

    request = _kind(data, "request")
    assert request["record"]["status"] == "deferred" and request["record"]["notes"] == REQUEST_NOTES
    assert request["evidence"]["direction"]["counts"] == {"-2": 2, "-1": 0, "0": 1, "1": 0, "2": 2}
    assert request["evidence"]["direction"]["abstain"] == 1
    assert request["questions"]["impact"] == {**request["questions"]["impact"], "status": "pending",
                                              "rounds": [], "shift": None}

    capability = _kind(data, "capability")
    assert capability["record"] is None and "evidence" not in capability and capability["examples"] == []
    assert capability["questions"]["direction"]["rounds"] == []


def test_exports_name_nobody(known):
    for fmt in ("json", "csv", "votes.csv", "md", "html"):
        text = known["bodies"][fmt].content.decode("utf-8")
        assert "Ana Müller" not in text and "Chen 陈" not in text and "not for the report" not in text, fmt
    assert "token" not in known["bodies"]["json"].text and "votes" not in _json(known)


# CSV

@pytest.mark.parametrize("value, expected", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+44 20 7946 0000", "'+44 20 7946 0000"), ("-x", "'-x"),
    ("@SUM(1)", "'@SUM(1)"), ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("-1", "-1"), ("-0.67", "-0.67"),
    ("+3", "+3"), ("plain = text", "plain = text"), ("", ""), (3, 3), (None, None),
])
def test_formula_cells_are_neutralised_and_numbers_kept(value, expected):
    from workshop.exports.csv_export import neutralise
    assert neutralise(value) == expected


def _csv_rows(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_records_csv_has_a_row_per_kind_with_headline_figures(known):
    raw = known["bodies"]["csv"].content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(raw.decode("utf-8"))
    assert [row["kind"] for row in rows] == ["arrival", "request", "capability", "effort", "subjective_preference"]
    arrival = rows[0]
    assert arrival == {
        "session": known["code"], "kind": "arrival", "kind_name": "Arrival", "status": "agreed",
        "direction": "less", "strategy": "uncompromised_reduction", "strategy_name": "Uncompromised reduction",
        "warnings": STRATEGY_WARNING, "sla": "", "clauses": "", "owner": "", "due": "",
        "notes": "'=SUM(A1:A9)", "dissent": DISSENT, "sla_input": SLA_INPUT, "round": "2", "rounds": "2",
        "n": "6", "present": "6", "abstain": "0", "mean": "-1.00", "median": "-1", "iqr": "0",
        "consensus": "0.862", "agreement": "0.833", "reached": "yes", "verdict": "reached", "group_gap": "0.67",
        "impact_mean": "4.20", "strategy_leader": "uncompromised_reduction", "strategy_share": "0.667",
        "examples": "1", "example_texts": EXAMPLE, "dissent_texts": "",
        "recorded_at": _json(known)["kinds"][0]["record"]["recorded_at"],
    }
    request = rows[1]
    assert (request["status"], request["direction"], request["notes"], request["warnings"]) == (
        "deferred", "same", "'@ops to propose a catalogue", OWNER_WARNING)
    assert (request["n"], request["abstain"], request["mean"], request["median"], request["iqr"],
            request["consensus"], request["agreement"], request["reached"]) == (
        "5", "1", "0.00", "0", "4", "0.200", "0.400", "no")
    assert rows[2] == {**{column: "" for column in rows[2]}, "session": known["code"], "kind": "capability",
                       "kind_name": "Capability", "status": "open", "rounds": "0", "examples": "0"}



def test_votes_csv_lists_every_vote_pseudonymously(known):
    rows = list(csv.reader(io.StringIO(known["bodies"]["votes.csv"].content.decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0] == ["question", "round", "participant", "group", "value", "voted_at", "removed"]
    body = [row[:5] for row in rows[1:]]
    assert len(body) == 30 and all(row[5].endswith("+00:00") for row in rows[1:])
    groups = [phone[0] for phone in PHONES]
    participants = [f"P{number}" for number in range(1, 7)]
    expected = [["arrival.impact", "1", p, g, str(phone[2])] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["arrival.direction", "1", p, g, str(phone[3])] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["arrival.direction", "2", p, g, str(phone[4])] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["arrival.strategy", "1", p, g, phone[5]] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["request.direction", "1", p, g, str(phone[6])] for p, g, phone in zip(participants, groups, PHONES)]
    assert body == expected
    assert body[6] == ["arrival.direction", "1", "P1", "IT", "-2"]  # a negative vote is a number, untouched


# XLSX

def _workbook(known):
    return load_workbook(io.BytesIO(known["bodies"]["xlsx"].content))


def test_xlsx_has_records_figures_votes_examples_and_session_sheets(known):
    book = _workbook(known)
    assert book.sheetnames == ["Records", "Figures", "Votes", "Examples", "Session"]
    records = list(book["Records"].iter_rows(values_only=True))
    from workshop.exports.xlsx_export import RECORD_COLUMNS
    columns = [key for key, _ in RECORD_COLUMNS]
    assert records[0] == tuple(title for _, title in RECORD_COLUMNS) and len(records) == 6
    arrival = dict(zip(columns, records[1]))
    assert arrival["notes"] == NOTES and arrival["dissent"] == DISSENT and arrival["sla_input"] == SLA_INPUT
    assert (arrival["kind_name"], arrival["status_name"], arrival["strategy_name"], arrival["verdict_name"]) == (
        "Arrival", "Agreed", "Uncompromised reduction", "consensus reached")
    assert arrival["warnings"] == STRATEGY_WARNING
    assert (arrival["round"], arrival["n"], arrival["present"], arrival["median"], arrival["reached"]) == (
        2, 6, 6, -1, True)
    assert arrival["consensus"] == pytest.approx(0.8616541669070521)
    assert arrival["strategy_share"] == pytest.approx(4 / 6)
    recorded = book["Records"].cell(row=2, column=columns.index("recorded_at") + 1)
    assert isinstance(recorded.value, datetime.datetime) and recorded.is_date
    assert recorded.value.isoformat()[:16] == _json(known)["kinds"][0]["record"]["recorded_at"][:16]
    notes = book["Records"].cell(row=2, column=columns.index("notes") + 1)
    assert notes.value == "=SUM(A1:A9)" and notes.data_type != "f" and notes.quotePrefix
    assert notes.alignment.wrap_text
    request = dict(zip(columns, records[2]))
    assert request["notes"] == REQUEST_NOTES and request["status_name"] == "Deferred"
    examples = list(book["Examples"].iter_rows(values_only=True))
    assert examples[0] == ("kind", "question", "round", "group", "text", "submitted_at")
    assert examples[1][:5] == ("Arrival", "arrival.examples", 1, "IT", EXAMPLE)
    assert isinstance(examples[1][5], datetime.datetime)
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows() for cell in row)


def test_xlsx_figures_per_round_and_group(known):
    from workshop.exports.xlsx_export import FIGURE_COLUMNS
    rows = list(_workbook(known)["Figures"].iter_rows(values_only=True))
    assert rows[0] == FIGURE_COLUMNS
    figures = [dict(zip(FIGURE_COLUMNS, row)) for row in rows[1:]]
    keys = [(row["question"], row["round"], row["group"]) for row in figures]
    assert keys == [(qid, number, group) for qid, number in (
        ("arrival.impact", 1), ("arrival.direction", 1), ("arrival.direction", 2), ("arrival.strategy", 1),
        ("request.direction", 1)) for group in ("(all)", "IT", "Business")]
    second = figures[6]
    assert (second["kind"], second["n"], second["abstain"], second["median"], second["reached"]) == (
        "arrival", 6, 0, -1, True)
    assert second["mean"] == pytest.approx(-1.0) and second["group_gap"] == pytest.approx(2 / 3)
    assert second["counts"] == "-2: 1, -1: 4, 0: 1, 1: 0, 2: 0"
    business = figures[8]
    assert business["group"] == "Business" and business["mean"] == pytest.approx(-2 / 3)
    strategy = figures[9]
    assert strategy["leader"] == "uncompromised_reduction" and strategy["consensus"] is None


def test_xlsx_votes_and_session(known):
    book = _workbook(known)
    votes = list(book["Votes"].iter_rows(values_only=True))
    assert votes[0] == ("question", "round", "participant", "group", "value", "voted_at", "removed")
    assert len(votes) == 31
    assert votes[1][:5] == ("arrival.impact", 1, "P1", "IT", 5)
    assert votes[6][:5] == ("arrival.impact", 1, "P6", "Business", "abstain")
    assert votes[7][:5] == ("arrival.direction", 1, "P1", "IT", -2)
    session = dict(book["Session"].iter_rows(min_row=2, values_only=True))
    assert session["code"] == known["code"] and session["title"] == TITLE and session["participants"] == 6
    assert session["participants: Business"] == 3 and session["min_agreement"] == 0.75


# Markdown

def test_markdown_escape_neutralises_links_html_and_markers():
    assert escape("[x](http://e.example) <b>*y*</b> _z_ # | `c` ~ & \\") == (
        "\\[x\\](http://e.example) \\<b\\>\\*y\\*\\</b\\> \\_z\\_ \\# \\| \\`c\\` \\~ \\& \\\\")
    assert escape("1. one", line_start=True) == "1\\. one"
    assert escape("- two", line_start=True) == "\\- two"
    assert escape("=SUM(A1)", line_start=True) == "\\=SUM(A1)"
    assert escape("=SUM(A1)") == "=SUM(A1)"  # mid-line, "=" means nothing
    assert escape("two\nlines") == "two lines"


def test_markdown_brief_reads_as_sla_input(known):
    text = known["bodies"]["md"].text
    lines = text.splitlines()
    assert lines[0] == "# SLA inputs: Service desk SLA: Zürich – 東京 \\[draft\\]"
    assert lines[2:6] == [
        "- Service: Service desk \\*Zürich\\*",
        (f"- Session: {known['code']}, held on {_json(known)['session']['held_at'][:10]}, "
         "plan Customer-introduced variability (Frei)"),
        "- Participants: 6 (IT 3, Business 3)",
        ("- Consensus counts as reached at Cns 0.70 or more with 75% agreement or more, from at least 5 votes "
         "and 50% of the phones present."),
    ]
    assert ("| Arrival | Less variability allowed | Uncompromised reduction | Agreed – 1 warning | consensus reached "
            "| 6 of 6 present voted | 0.86 | 83% |") in lines
    assert ("| Request | As much variability as today | Classic reduction | Deferred – 1 warning "
            "| consensus not reached | 5 of 6 present voted | 0.20 | 40% |") in lines
    assert "| Capability |  |  | Open |  |  |  |  |" in lines
    arrival = text.split("## Arrival\n", 1)[1].split("\n## ", 1)[0]
    assert arrival == (
        "\n**Status.** Agreed – 1 warning (verdict: consensus reached; 6 of 6 present voted)\n\n"
        "**Position.** Agreed: the service will allow less arrival variability than today and reduce it "
        "through Uncompromised reduction.\n\n"
        "### Draft SLA section\n\n"
        "- **Service hours:** to be settled\n- **Booking rules:** to be settled\n"
        "- **Peak capacity:** to be settled\n- **Response targets:** to be settled\n\n"
        "**SLA input.** Service hours 08:00–18:00 in Zürich – 東京;  \nbookable slots for installs.\n\n"
        "**Strength of consensus.** Strong consensus: Cns 0.86 and 83% agreement from 6 votes (0 abstained), "
        "round 2 of 2; the threshold (Cns 0.70, agreement 75%) was met.\n\n"
        "- Median vote: Less (-1); mean -1.00 on a scale of -2 to 2.\n"
        "- By group: IT mean -1.33 (n 3, Cns 0.83), Business mean -0.67 (n 3, Cns 0.83); "
        "gap between the group means 0.67.\n"
        "- Between rounds 1 and 2, Cns changed by +0.20 and agreement by +17 points; "
        "5 of the 6 participants who voted in both rounds changed their vote.\n"
        "- Impact today: mean 4.2 on a scale of 1 to 5 (5 votes).\n"
        "- Strategy vote (6 votes): Uncompromised reduction 4 (67%), Low-cost accommodation 1 (17%), "
        "Classic reduction 1 (17%).\n\n"
        "**Dissent.** \\<img src=x onerror=alert(1)\\>\n\n"
        "**Notes.** =SUM(A1:A9)\n\n"
        f"**Check.** {STRATEGY_WARNING}\n\n"
        "**Examples from the room.**\n\n"
        "- Monday 9am spike after the \\*weekend\\*, see \\[the log\\](http://evil.example) " + LONG_LINK + "\n"
    )
    assert ("**Position.** Deferred: the decision was put off; the working position is to allow as much "
            "request variability as today and reduce it through Classic reduction.") in lines
    assert ("**Strength of consensus.** Weak consensus: Cns 0.20 and 40% agreement from 5 votes (1 abstained), "
            "round 1 of 1; the threshold (Cns 0.70, agreement 75%) was not met.") in lines
    assert "**Notes.** @ops to propose a catalogue" in lines
    assert "**Position.** Open: no consensus has been recorded for capability variability yet." in lines
    assert "**SLA input to settle.** Customer prerequisites, training, self-service and support tiers." in lines
    assert "**Owner.** not named; **due** no date" in lines
    assert text.split("## Open items\n\n", 1)[1].split("\n\n## Glossary")[0] == (
        f"- Arrival: check: {STRATEGY_WARNING}\n"
        "- Request: deferred (Cns 0.20, 40% agreement).\n"
        f"- Request: check: {OWNER_WARNING}\n"
        "- Capability: no consensus record yet.\n"
        "- Effort: no consensus record yet.\n"
        "- Subjective preference: no consensus record yet.")
    glossary = text.split("## Glossary\n\n", 1)[1]
    for term in ("n of N present voted", "Cns", "Agreement", "95% interval", "Verdict", "Median and IQR"):
        assert f"- **{term}**:" in glossary
    # Nothing unescaped could open a tag or close a link text.
    assert not re.search(r"(?<!\\)[<\]]", text.replace("\\\\", ""))


# HTML

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_html_report_escapes_user_text_and_carries_its_charts(known):
    html = known["bodies"]["html"].text
    tags = _tags(html)
    assert "img" not in tags.tags and "script" not in tags.tags and "a" not in tags.tags
    assert not [name for name in tags.attributes if name.startswith("on")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and DISSENT not in html
    assert "<title>SLA inputs: Service desk SLA: Zürich – 東京 [draft] (" in html
    assert "<h1>Service desk SLA: Zürich – 東京 [draft]</h1>" in html
    assert "=SUM(A1:A9)" in html and "[the log](http://evil.example)" in html
    assert ("Agreed: the service will allow less arrival variability than today and reduce it through "
            "Uncompromised reduction.") in html
    assert "Service hours 08:00–18:00 in Zürich – 東京;\nbookable slots for installs." in html
    # Standalone: styles inline, nothing fetched from the server.
    assert tags.tags.count("style") == 1 and "link" not in tags.tags and "@page" in html
    # Charts: a heat map, the group comparison, two rounds and the strategy vote of arrival, request's round.
    assert tags.tags.count("svg") == 6
    for chart in ("chart-heat", "chart-groups", "chart-distribution", "chart-choice"):
        assert chart in html
    assert "<title>Direction, round 1: 6 votes, Cns 0.67</title>" in html
    assert "<title>Direction, round 2: 6 votes, Cns 0.86</title>" in html
    assert "<title>Strategy, round 1: 6 votes</title>" in html
    assert "Request: deferred (Cns 0.20, 40% agreement)." in html


def test_charts_escape_their_text_and_draw_every_bar():
    from workshop.exports import charts
    hostile = '<script>alert("x")</script> & co'
    svgs = [
        charts.distribution_chart({"-1": 2, "0": 0, "1": 5}, {"-1": hostile}, "Direction & more"),
        charts.choice_chart({"a": 1, "b": 3}, {"a": hostile}, "Strategy"),
        charts.heat_map([charts.HeatPoint(hostile, 0.4, 3.5)], (1, 5), 0.7, missing=[hostile]),
        charts.group_comparison([(hostile, {hostile: -1.0, "IT": 0.5})], [hostile, "IT"], (-2, 2), {"0": hostile}),
    ]
    for svg in svgs:
        tags = _tags(svg)
        assert svg.startswith("<svg") and "script" not in tags.tags and "style" not in tags.attributes
        assert "&lt;script&gt;" in svg and hostile not in svg
    assert _tags(svgs[0]).tags.count("rect") == 3 and "<title>Direction &amp; more</title>" in svgs[0]
    assert _tags(svgs[3]).tags.count("circle") == 4  # two legend keys, two group means


def test_xlsx_drops_characters_a_workbook_cannot_hold(known):
    from workshop.exports.xlsx_export import session_xlsx
    data = {**_json(known), "votes": []}
    data["kinds"][0]["record"]["notes"] = "bell\x07 and form feed\x0c, tab\tkept"
    book = load_workbook(io.BytesIO(session_xlsx(data)))
    from workshop.exports.xlsx_export import RECORD_COLUMNS
    column = [key for key, _ in RECORD_COLUMNS].index("notes") + 1
    assert book["Records"].cell(row=2, column=column).value == "bell and form feed, tab\tkept"


def test_report_page_links_its_stylesheet_for_the_content_security_policy(known):
    from workshop.exports.html_export import render_report
    html = render_report(known["client"].app.state.store, known["code"], inline_css=False)
    tags = _tags(html)
    assert '<link rel="stylesheet" href="/static/css/report.css">' in html
    assert "style" not in tags.tags and "style" not in tags.attributes and "script" not in tags.tags
    assert f'href="/api/sessions/{known["code"]}/export.xlsx"' in html
    assert tags.tags.count("svg") == 6
    stylesheet = known["client"].get("/static/css/report.css")
    assert stylesheet.status_code == 200 and "@page" in stylesheet.text


# Printing

OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
  .filter(el => !(el instanceof SVGElement) && getComputedStyle(el).display !== 'inline')
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => el.tagName + ': ' + el.textContent.trim().slice(0, 60))"""


def test_report_prints_to_a4_pdf_with_charts_and_no_overflow(known):
    from playwright.sync_api import sync_playwright

    html = known["bodies"]["html"].text
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 680, "height": 1000})  # A4 less its margins, at 96 dpi
            page.set_content(html)
            page.emulate_media(media="print")
            assert page.evaluate(OVERFLOWING) == []
            assert page.evaluate("() => document.querySelectorAll('svg.chart').length") == 6
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            pdf = page.pdf(format="A4")
            page.emulate_media(media="screen")
            page.set_viewport_size({"width": 390, "height": 800})  # the report opened on a phone
            assert page.evaluate(OVERFLOWING) == []
        finally:
            browser.close()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


# The command line

def test_cli_writes_the_text_formats_to_standard_output(known, capsys):
    assert workshop_main(["export", known["code"], "--format", "md", "--db", str(known["db"])]) == 0
    assert capsys.readouterr().out == known["bodies"]["md"].text
    assert workshop_main(["export", known["code"].lower(), "--format", "votes.csv", "--db", str(known["db"])]) == 0
    assert capsys.readouterr().out == known["bodies"]["votes.csv"].content.decode("utf-8")


def test_cli_writes_a_file(known, tmp_path):
    target = tmp_path / "brief.xlsx"
    assert workshop_main(["export", known["code"], "--format", "xlsx", "--db", str(known["db"]),
                          "-o", str(target)]) == 0
    book = load_workbook(target)
    assert book.sheetnames == ["Records", "Figures", "Votes", "Examples", "Session"]
    assert book["Records"]["A2"].value == "Arrival"
    target = tmp_path / "export.json"
    assert workshop_main(["export", known["code"], "--format", "json", "--db", str(known["db"]),
                          "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == known["bodies"]["json"].text


def test_cli_refuses_an_unknown_session_or_format(known, capsys):
    assert workshop_main(["export", "NOPE42", "--format", "md", "--db", str(known["db"])]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no session with code 'NOPE42'" in captured.err
    assert workshop_main(["export", known["code"], "--format", "pdf", "--db", str(known["db"])]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown format 'pdf'" in captured.err and "xlsx" in captured.err


def test_a_session_without_votes_exports_cleanly(client, session_code):
    schema = json.loads((ROOT / "docs" / "export-schema.json").read_text(encoding="utf-8"))
    bodies = {fmt: client.get(f"/api/sessions/{session_code}/export.{fmt}", headers=AUTH) for fmt in FORMATS}
    assert all(response.status_code == 200 for response in bodies.values())
    jsonschema.Draft202012Validator(schema).validate(bodies["json"].json())
    assert bodies["votes.csv"].content.decode("utf-8") == "\ufeffquestion,round,participant,group,value,voted_at,removed\r\n"
    assert [row["status"] for row in _csv_rows(bodies["csv"].content.decode("utf-8"))] == ["open"] * 5
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


def test_served_report_page_and_cli_refuses_binary_to_stdout(known, capsys):
    client, code = known["client"], known["code"]
    page = client.get(f"/s/{code}/report", headers=AUTH)
    assert page.status_code == 200 and '<link rel="stylesheet" href="/static/css/report.css">' in page.text
    assert "<style" not in page.text and page.text.count("<svg") == 6
    assert "style-src 'self'" in page.headers["content-security-policy"]
    assert client.get(f"/s/{code}/report").status_code == 401
    assert workshop_main(["export", code, "--format", "xlsx", "--db", str(known["db"])]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "write it to a file with -o FILE" in captured.err


def test_the_server_loads_the_spreadsheet_library_only_for_a_workbook():
    import subprocess
    import sys
    check = ("import sys; from workshop.web.app import create_app; "
             "assert 'openpyxl' not in sys.modules, 'openpyxl loaded at start'")
    subprocess.run([sys.executable, "-c", check], check=True)
