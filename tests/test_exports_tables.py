"""The CSV files and the XLSX workbook of the known session: rows, sheets, neutralised formulas."""

import csv
import datetime
import io

import pytest
from known_session import (
    DISSENT,
    EXAMPLE,
    NARROW_WARNING,
    NOTES,
    OWNER_WARNING,
    PHONES,
    REQUEST_NOTES,
    SLA_INPUT,
    TITLE,
    csv_rows,
    exported_json,
    workbook_of,
)

# CSV

@pytest.mark.parametrize("value, expected", [
    ("=SUM(A1:A9)", "'=SUM(A1:A9)"), ("+44 20 7946 0000", "'+44 20 7946 0000"), ("-x", "'-x"),
    ("@SUM(1)", "'@SUM(1)"), ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("-1", "-1"), ("-0.67", "-0.67"),
    ("+3", "+3"), ("plain = text", "plain = text"), ("", ""), (3, 3), (None, None),
])
def test_formula_cells_are_neutralised_and_numbers_kept(value, expected):
    from workshop.exports.csv_export import neutralise
    assert neutralise(value) == expected


def test_records_csv_has_a_row_per_kind_with_headline_figures(known):
    raw = known["bodies"]["csv"].content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(raw.decode("utf-8"))
    assert [row["kind"] for row in rows] == ["arrival", "request", "capability", "effort", "subjective_preference"]
    arrival = rows[0]
    assert arrival == {
        "session": known["code"], "kind": "arrival", "kind_name": "Arrival", "status": "agreed",
        "direction": "less", "strategy": "uncompromised_reduction", "strategy_name": "Uncompromised reduction",
        "warnings": NARROW_WARNING, "sla": "", "clauses": "", "owner": "", "due": "",
        "notes": "'=SUM(A1:A9)", "dissent": DISSENT, "sla_input": SLA_INPUT, "round": "2", "rounds": "2",
        "n": "6", "present": "6", "abstain": "0", "quorum_needed": "3", "mean": "-1.00", "median": "-1", "iqr": "0",
        "consensus": "0.862", "agreement": "0.833", "reached": "yes", "verdict": "reached", "certainty": "narrow",
        "interval_low": "0.436", "interval_high": "0.970", "small_room": "no", "amended": "no", "group_gap": "0.67",
        "impact_mean": "4.20", "strategy_leader": "uncompromised_reduction", "strategy_share": "0.667",
        "examples": "1", "example_texts": EXAMPLE, "dissent_texts": "",
        "recorded_at": exported_json(known)["kinds"][0]["record"]["recorded_at"],
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
    # Business cast only two votes (and an abstention) on impact and on request: too few to show, so its
    # members' votes there are not attributable to it
    hidden = [group if group == "IT" else "" for group in groups]
    participants = [f"P{number}" for number in range(1, 7)]
    expected = [["arrival.impact", "1", p, g, str(phone[2])] for p, g, phone in zip(participants, hidden, PHONES)]
    expected += [["arrival.direction", "1", p, g, str(phone[3])] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["arrival.direction", "2", p, g, str(phone[4])] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["arrival.strategy", "1", p, g, phone[5]] for p, g, phone in zip(participants, groups, PHONES)]
    expected += [["request.direction", "1", p, g, str(phone[6])] for p, g, phone in zip(participants, hidden, PHONES)]
    assert body == expected
    assert body[6] == ["arrival.direction", "1", "P1", "IT", "-2"]  # a negative vote is a number, untouched


# XLSX

def test_xlsx_has_records_figures_votes_examples_and_session_sheets(known):
    book = workbook_of(known)
    assert book.sheetnames == ["Records", "Figures", "Votes", "Examples", "Session"]
    records = list(book["Records"].iter_rows(values_only=True))
    from workshop.exports.xlsx_export import RECORD_COLUMNS
    columns = [key for key, _ in RECORD_COLUMNS]
    assert records[0] == tuple(title for _, title in RECORD_COLUMNS) and len(records) == 6
    arrival = dict(zip(columns, records[1]))
    assert arrival["notes"] == NOTES and arrival["dissent"] == DISSENT and arrival["sla_input"] == SLA_INPUT
    assert (arrival["kind_name"], arrival["status_name"], arrival["strategy_name"], arrival["verdict_name"]) == (
        "Arrival", "Agreed", "Uncompromised reduction", "Consensus reached")
    assert arrival["certainty_name"] == "Narrow: a few votes could undo it"
    assert arrival["warnings"] == NARROW_WARNING
    assert (arrival["round"], arrival["n"], arrival["present"], arrival["median"], arrival["reached"]) == (
        2, 6, 6, -1, True)
    assert arrival["consensus"] == pytest.approx(0.8616541669070521)
    assert arrival["strategy_share"] == pytest.approx(4 / 6)
    recorded = book["Records"].cell(row=2, column=columns.index("recorded_at") + 1)
    assert isinstance(recorded.value, datetime.datetime) and recorded.is_date
    assert recorded.value.isoformat()[:16] == exported_json(known)["kinds"][0]["record"]["recorded_at"][:16]
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
    rows = list(workbook_of(known)["Figures"].iter_rows(values_only=True))
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
    book = workbook_of(known)
    votes = list(book["Votes"].iter_rows(values_only=True))
    assert votes[0] == ("question", "round", "participant", "group", "value", "voted_at", "removed")
    assert len(votes) == 31
    assert votes[1][:5] == ("arrival.impact", 1, "P1", "IT", 5)
    assert votes[6][:5] == ("arrival.impact", 1, "P6", None, "abstain")  # Business is too small to show there
    assert votes[7][:5] == ("arrival.direction", 1, "P1", "IT", -2)
    session = dict(book["Session"].iter_rows(min_row=2, values_only=True))
    assert session["code"] == known["code"] and session["title"] == TITLE and session["participants"] == 6
    assert session["participants: Business"] == 3 and session["min_agreement"] == 0.75
