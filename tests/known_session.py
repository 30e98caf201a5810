"""The known session the export tests read: built through the API and real phones, then exported
in every format once per test module (the `known` fixture in conftest)."""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from openpyxl import load_workbook
from starlette.testclient import TestClient

from helpers import AUTH, KEY, command, join, receive_until
from workshop.config import Settings
from workshop.domain.plans import default_plans_dir
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
# Round 2 of arrival.direction: 5 of 6 for "less", reached, but its 95% interval reaches below 75%.
NARROW_WARNING = ("Reached narrowly: the 95% interval of the leading share reaches below the threshold, so a few "
                  "votes the other way would undo it.")
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


def build_session(client) -> str:
    """The known session: two kinds voted and recorded, one of them over two rounds, with examples."""
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
        command(client, code, command="close", question="request.direction")
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


def exported_session(tmp_path_factory) -> Iterator[dict]:
    """One session built through the API and phones, and every export of it, fetched once (the `known`
    fixture)."""
    settings = Settings(db_path=tmp_path_factory.mktemp("exports") / "workshop.db",
                        plan_dirs=(default_plans_dir(),), key=KEY)
    with TestClient(create_app(settings)) as client:
        code = build_session(client)
        bodies = {}
        for fmt in FORMATS:
            response = client.get(f"/api/sessions/{code}/export.{fmt}", headers=AUTH)
            assert response.status_code == 200, (fmt, response.text)
            bodies[fmt] = response
        results = client.get(f"/api/sessions/{code}/results/arrival.direction", headers=AUTH).json()
        report = client.get(f"/s/{code}/report", headers=AUTH)
        yield {"client": client, "code": code, "db": settings.db_path, "bodies": bodies,
               "results": results, "report": report}


def exported_json(known: dict) -> dict:
    return json.loads(known["bodies"]["json"].text)


def kind_of(data: dict, kind: str) -> dict:
    return next(entry for entry in data["kinds"] if entry["kind"] == kind)


def csv_rows(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def workbook_of(known: dict):
    return load_workbook(io.BytesIO(known["bodies"]["xlsx"].content))
