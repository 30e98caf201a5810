"""A group with fewer votes than the plan's min_group_size has only its size in every export."""

import io
import json

from openpyxl import load_workbook

from helpers import AUTH, command, join, receive_until

QID = "arrival.direction"


def test_a_group_of_one_never_has_its_vote_shown_in_an_export(client, session_code):
    code = session_code
    command(client, code, command="goto", step=1)
    command(client, code, command="open", question=QID)
    for group, value in (("IT", -1), ("IT", -1), ("IT", -2), ("IT", -1), ("Business", 2)):
        with client.websocket_connect(f"/ws/{code}") as phone:
            join(phone, group=group)
            phone.send_json({"type": "vote", "id": "v", "question": QID, "value": value})
            receive_until(phone, "ack")
    command(client, code, command="close", question=QID)
    record = {"direction": "less", "strategy": "classic_reduction", "status": "agreed"}
    assert client.put(f"/api/sessions/{code}/consensus/arrival", json=record, headers=AUTH).status_code == 200
    console = client.get(f"/api/sessions/{code}/results/{QID}", headers=AUTH).json()["rounds"][0]["by_group"]
    assert console["Business"]["mean"] == 2.0  # the facilitator's own view keeps every group

    exported = client.get(f"/api/sessions/{code}/export.json", headers=AUTH).json()
    arrival = next(kind for kind in exported["kinds"] if kind["kind"] == "arrival")
    shown = arrival["questions"]["direction"]["rounds"][0]
    assert shown["by_group"]["Business"] == {"n": 1, "hidden": True}
    assert shown["by_group"]["IT"]["n"] == 4 and shown["group_gap"] is None
    assert arrival["evidence"]["direction"]["by_group"]["Business"] == {"n": 1, "hidden": True}
    assert "Business" not in json.dumps(shown.get("split") or {})

    brief = client.get(f"/api/sessions/{code}/export.md", headers=AUTH).text
    assert "Business: too few to show (n 1)" in brief and "Business mean" not in brief
    book = load_workbook(io.BytesIO(client.get(f"/api/sessions/{code}/export.xlsx", headers=AUTH).content))
    rows = [[cell.value for cell in row] for row in book["Figures"].iter_rows(min_row=2)]
    business = [row for row in rows if row[3] == "Business" and row[1] == QID]
    assert business and all(value is None for row in business for value in row[5:])
    report = client.get(f"/api/sessions/{code}/export.html", headers=AUTH).text
    assert "2.00" not in report.split("Business", 1)[1][:200]
