"""Consensus records in a real SQLite file: the structured clauses and warnings, and records kept from
before they existed."""

import json
import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from workshop.exports.collect import _warnings
from workshop.store.migrations import initial
from workshop.store.store import Store

RECORD = {"kind": "arrival", "direction": "less", "strategy": "classic_reduction", "status": "agreed",
          "notes": "", "dissent": "", "sla_input": ""}


def test_a_record_keeps_its_clauses_owner_due_and_warnings(tmp_path):
    store = Store(tmp_path / "workshop.db")
    store.start()
    try:
        code = store.create_session("T", "", "plan", {"title": "T"}, ["IT"], []).result()
        warning = {"code": "too_few_votes", "message": "Recorded as agreed on 3 votes of 9 present."}
        store.save_record(code, {**RECORD, "sla": {"service_hours": "07:00-19:00"}, "clauses": ["Bookable slots"],
                                 "owner": "Ana", "due": "2027-01-31", "evidence": {"direction": None},
                                 "warnings": [warning]}).result()
        record = store.records(code)["arrival"]
        assert record["sla"] == {"service_hours": "07:00-19:00"} and record["clauses"] == ["Bookable slots"]
        assert (record["owner"], record["due"], record["warnings"]) == ("Ana", "2027-01-31", [warning])
    finally:
        store.close()


def test_a_record_made_before_the_new_columns_reads_back_with_its_old_warnings(tmp_path):
    path = tmp_path / "workshop.db"
    old = Database(path)
    first_release = Migrations("workshop")  # the first schema only, as an earlier release left it
    first_release(name="001_initial")(initial)
    first_release.apply(old)
    old.execute("insert into sessions (code, title, plan_id, plan_json, groups_json, created_at)"
                " values ('ABC123', 'T', 'plan', '{}', '[]', '2025-01-01T09:00:00.000+00:00')")
    evidence = {"direction": None, "warnings": ["Recorded as agreed, but the votes did not reach the threshold."]}
    old.execute("insert into consensus_records (session_code, kind, direction, strategy, status, evidence_json,"
                " recorded_at) values ('ABC123', 'arrival', 'less', 'classic_reduction', 'agreed', ?,"
                " '2025-01-01T10:00:00.000+00:00')", (json.dumps(evidence),))
    old.conn.commit()
    old.conn.close()
    store = Store(path)  # applies the later migrations on open
    store.start()
    try:
        record = store.records("ABC123")["arrival"]
        assert (record["sla"], record["clauses"], record["owner"], record["due"]) == ({}, [], "", "")
        assert _warnings(record) == [{"code": "check", "message": evidence["warnings"][0]}]
    finally:
        store.close()
    columns = {row[1] for row in sqlite3.connect(path).execute("pragma table_info(consensus_records)")}
    assert {"sla_json", "clauses_json", "owner", "due", "warnings_json"} <= columns


def test_an_upgrade_from_the_first_release_keeps_every_row_and_records_the_version(tmp_path):
    path = tmp_path / "workshop.db"
    old = Database(path)
    first_release = Migrations("workshop")
    first_release(name="001_initial")(initial)
    first_release.apply(old)
    at = "2025-01-01T09:00:00.000+00:00"
    old.execute("insert into sessions (code, title, plan_id, plan_json, groups_json, created_at)"
                " values ('ABC123', 'T', 'plan', '{}', '[\"IT\"]', ?)", (at,))
    old.execute("insert into questions (session_code, question_id, status, round) values ('ABC123', 'q1', 'closed', 2)")
    for person in (1, 2, 3):
        old.execute("insert into participants (id, session_code, token, name, group_name, joined_at)"
                    " values (?, 'ABC123', ?, ?, 'IT', ?)", (person, f"token-{person}", f"P{person}", at))
        old.execute("insert into votes values ('ABC123', 'q1', 2, ?, 'less', ?)", (person, at))
        old.execute("insert into messages values (?, ?, 'q1', 2)", (person, f"m{person}"))
        old.execute("insert into submissions (session_code, question_id, round, participant_id, text, created_at)"
                    " values ('ABC123', 'q1', 2, ?, 'late trucks', ?)", (person, at))
    old.conn.commit()
    tables = ("sessions", "questions", "participants", "votes", "messages", "submissions")
    before = {table: list(old.execute(f"select * from {table} order by 1, 2")) for table in tables}
    old.conn.close()
    Store(path).close()  # applies every later step
    upgraded = sqlite3.connect(path)
    try:
        for table in tables:
            rows = upgraded.execute(f"select * from {table} order by 1, 2").fetchall()
            assert [row[:len(before[table][0])] for row in rows] == before[table], table
        assert upgraded.execute("pragma user_version").fetchone()[0] >= 4
    finally:
        upgraded.close()
