"""Room controls, submission caps, moderation pages, the session read model and consensus records behave
the same in a real SQLite file and a real PostgreSQL database."""

import time

import psycopg
import pytest

from workshop.domain.answers import PENDING_PER_PARTICIPANT
from workshop.domain.commands import Command
from workshop.domain.events import Joined, Moderated, RecordSaved, Removed, StateChanged, Submitted, Voted
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.domain.refusal import Refusal
from workshop.domain.session import QuestionState, SessionState
from workshop.store.migrations import migrations
from workshop.store.pg_migrations import MIGRATIONS
from workshop.store.postgres import PostgresStore
from workshop.store.shaping import MODERATION_PAGE

QUESTIONS = ["q.scale", "q.text"]
PLAN = load_plan(default_plans_dir() / "frei-variability.toml")


def opened_session(store) -> tuple[str, SessionState]:
    code = store.create_session("T", "svc", PLAN.id, PLAN.source, ["IT"], QUESTIONS).result()
    closed = SessionState(0, {qid: QuestionState() for qid in QUESTIONS})
    opened = SessionState(0, {qid: QuestionState("open") for qid in QUESTIONS})
    store.save_state(code, closed, opened).result()
    return code, opened


def refusal_code(pending) -> str:
    with pytest.raises(Refusal) as refused:
        pending.result()
    return refused.value.code


def test_joining_locked_and_room_size_are_kept(store):
    code, opened = opened_session(store)
    person = store.join(code, None, "Ann", "IT").result()
    locked = SessionState(opened.current_step, opened.questions, True, 12)
    store.save_state(code, opened, locked).result()
    assert store.session_state(code) == locked
    assert refusal_code(store.join(code, None, "Bob", "IT")) == "joining_locked"
    assert store.join(code, person["token"], "", "").result()["id"] == person["id"]  # a known phone comes back
    assert store.participant_count(code) == 1
    unlocked = SessionState(0, opened.questions, False, 12)
    store.save_state(code, locked, unlocked).result()
    assert store.session_state(code) == unlocked
    assert store.join(code, None, "Bob", "IT").result()["id"] != person["id"]


def test_a_removed_participant_leaves_the_figures_but_stays_in_the_record(store):
    code, _ = opened_session(store)
    ann = store.join(code, None, "Ann", "IT").result()
    bob = store.join(code, None, "Bob", "IT").result()
    store.record_vote(code, ann["id"], "a1", "q.scale", "1").result()
    store.record_vote(code, bob["id"], "b1", "q.scale", "2").result()
    store.submit_text(code, bob["id"], "b2", "q.text", "late trains").result()
    store.remove_participant(code, bob["id"]).result()
    assert store.participant_count(code) == 1
    assert store.votes(code, "q.scale", 1) == {ann["id"]: "1"}
    assert {(row["participant_id"], bool(row["removed"])) for row in store.all_votes(code)} == {
        (ann["id"], False), (bob["id"], True)}
    assert [row["removed_at"] is not None for row in store.participants(code)] == [False, True]
    assert [row["status"] for row in store.submissions(code)] == ["rejected"]
    assert refusal_code(store.join(code, bob["token"], "", "")) == "removed"
    assert refusal_code(store.record_vote(code, bob["id"], "b3", "q.scale", "3")) == "removed"
    assert store.record_vote(code, bob["id"], "b1", "q.scale", "2").result() == ("q.scale", 1, False)
    assert refusal_code(store.remove_participant(code, 10_000)) == "unknown_participant"


def test_pending_submissions_are_capped_per_phone_and_a_page_goes_to_the_console(store):
    code, _ = opened_session(store)
    people = [store.join(code, None, f"P{n}", "IT").result() for n in range(MODERATION_PAGE // 2)]
    for person in people:
        for number in range(PENDING_PER_PARTICIPANT):
            store.submit_text(code, person["id"], f"m{number}", "q.text", f"text {number}").result()
    extra = store.submit_text(code, people[0]["id"], "over", "q.text", "one too many")
    assert refusal_code(extra) == "rate_limited"
    total = len(people) * PENDING_PER_PARTICIPANT
    page = store.moderation(code)
    assert (page["pending"], page["answered"], len(page["items"])) == (total, {"q.text": {1: total}},
                                                                       MODERATION_PAGE)
    first = page["items"][0]["id"]
    store.moderate(code, first, "approved").result()
    store.moderate(code, first + 1, "rejected").result()
    store.moderate(code, first + 1, "pending").result()  # restored
    page = store.moderation(code)
    assert page["pending"] == total - 1 and page["items"][0]["status"] == "approved"
    assert refusal_code(store.moderate(code, 10_000_000, "approved")) == "unknown_submission"


def test_the_session_record_and_a_records_structured_fields_read_back(store):
    code, opened = opened_session(store)
    record = store.session_record(code)
    assert (record.code, record.title, record.service, record.groups, record.state, record.plan) == (
        code, "T", "svc", ["IT"], opened, PLAN)
    assert store.session_record("NOSUCH") is None
    warning = {"code": "too_few_votes", "message": "3 of 9"}
    saved = store.save_record(code, {"kind": "arrival", "direction": "less", "strategy": "classic_reduction",
                                     "status": "agreed", "notes": "", "dissent": "", "sla_input": "",
                                     "evidence": {"n": 3}, "sla": {"hours": "7-19"}, "clauses": ["Slots"],
                                     "owner": "Ana", "due": "2027-01-31", "warnings": [warning]}).result()
    kept = store.records(code)["arrival"]
    assert kept == saved
    assert (kept["sla"], kept["clauses"], kept["owner"], kept["due"], kept["warnings"], kept["evidence"]) == (
        {"hours": "7-19"}, ["Slots"], "Ana", "2027-01-31", [warning], {"n": 3})
    store.ping()
    assert store.location


def test_countdowns_the_end_and_recent_people_are_kept(store):
    code, opened = opened_session(store)
    people = [store.join(code, None, name, "IT").result() for name in ("Ann", "Bob", "Cy")]  # before the end
    timed = SessionState(0, {**opened.questions, "q.scale": QuestionState("open", 1, False, "2030-01-01T00:00:00+00:00")},
                         ended=False)
    store.save_state(code, opened, timed).result()
    assert store.timed_sessions() == [code]
    ended = SessionState(0, {**timed.questions, "q.scale": QuestionState("closed")}, ended=True)
    store.save_state(code, timed, ended).result()
    assert store.session_state(code) == ended and store.timed_sessions() == []
    assert refusal_code(store.join(code, None, "Dee", "IT")) == "session_ended"  # no newcomer once ended
    assert store.join(code, people[0]["token"], "", "").result()["id"] == people[0]["id"]  # a returning phone
    store.remove_participant(code, people[2]["id"]).result()
    assert store.recent_people(code, 5) == [{"id": people[1]["id"], "name": "Bob", "group": "IT"},
                                           {"id": people[0]["id"], "name": "Ann", "group": "IT"}]


def test_a_record_saved_over_a_version_it_did_not_read_is_refused(store):
    code, _ = opened_session(store)
    record = {"kind": "arrival", "direction": "less", "strategy": "classic_reduction", "status": "agreed",
              "notes": "", "dissent": "", "sla_input": "", "evidence": {}}
    first = store.save_record(code, record, None).result()
    assert refusal_code(store.save_record(code, {**record, "notes": "late"}, None)) == "stale_record"
    time.sleep(0.005)  # versions are times to the millisecond
    second = store.save_record(code, {**record, "notes": "mine"}, first["recorded_at"]).result()
    assert store.records(code)["arrival"]["notes"] == "mine"
    assert refusal_code(store.save_record(code, record, first["recorded_at"])) == "stale_record"
    store.save_record(code, {**record, "notes": "forced"}).result()  # no version: saved regardless
    assert store.records(code)["arrival"]["notes"] == "forced" and second


def test_postgres_records_the_same_migration_steps_as_sqlite(postgres_url):
    assert [name for name, _ in MIGRATIONS] == [migration.name for migration in migrations._migrations]
    store = PostgresStore(postgres_url)
    store.close()
    with psycopg.connect(postgres_url) as connection:
        names = [row[0] for row in connection.execute("select name from schema_migrations order by name")]
    assert names == [name for name, _ in MIGRATIONS]


def test_a_state_change_decided_on_a_stale_state_is_refused_and_writes_nothing(store):
    code, opened = opened_session(store)
    deadline = "2030-01-01T00:00:00.000+00:00"
    timed = SessionState(0, {**opened.questions, "q.scale": QuestionState("open", closes_at=deadline)})
    store.save_state(code, opened, timed).result()
    # decided on the state before the countdown was armed: the stored question is no longer that one
    closed = SessionState(0, {**opened.questions, "q.scale": QuestionState("closed")})
    assert refusal_code(store.save_state(code, opened, closed, {("q.scale", 1): [1]})) == "stale_state"
    assert store.session_state(code) == timed and store.attendance(code) == {}
    stopped = SessionState(0, {**opened.questions, "q.scale": QuestionState("open")})
    store.save_state(code, timed, stopped).result()  # decided on what is stored: taken
    assert store.session_state(code) == stopped
    assert refusal_code(store.save_state(code, SessionState(3, opened.questions), SessionState(4, opened.questions))) \
        == "stale_state"


def test_a_room_size_caps_admissions_and_presence_is_stored_when_a_round_closes(store):
    code, opened = opened_session(store)
    sized = SessionState(0, opened.questions, False, 2)
    store.save_state(code, opened, sized).result()
    people = [store.join(code, None, "", "IT").result() for _ in range(3)]  # 1.2 x 2, rounded up
    assert refusal_code(store.join(code, None, "", "IT")) == "room_full"
    assert store.join(code, people[0]["token"], "", "").result()["id"] == people[0]["id"]
    closing = SessionState(0, {**sized.questions, "q.scale": QuestionState("closed")}, False, 2)
    store.save_state(code, sized, closing, {("q.scale", 1): [people[0]["id"], people[1]["id"]]}).result()
    assert store.attendance(code) == {("q.scale", 1): {"groups": {people[0]["id"]: "IT", people[1]["id"]: "IT"},
                                                       "amended": False}}
    store.remove_participant(code, people[1]["id"]).result()
    assert store.attendance(code)[("q.scale", 1)] == {"groups": {people[0]["id"]: "IT"}, "amended": True}


def test_every_write_settles_with_the_event_it_committed(store):
    code, opened = opened_session(store)
    ann = store.join(code, None, "Ann", "IT").result()
    assert ann.event == Joined(ann["id"], "IT")
    assert store.join(code, ann["token"], "", "Business").result().event == Joined(ann["id"], "Business")
    bob = store.join(code, None, "Bob", "IT").result()
    # Queued together, so the PostgreSQL writer takes them as one batch (votes_together).
    votes = [store.record_vote(code, person["id"], "m1", "q.scale", value) for person, value in ((ann, "1"), (bob, "2"))]
    resent = store.record_vote(code, ann["id"], "m1", "q.scale", "1")
    assert [vote.result().event for vote in votes] == [Voted(ann["id"], "q.scale", 1, "1", "Business"),
                                                       Voted(bob["id"], "q.scale", 1, "2", "IT")]
    assert resent.result().event is None and resent.result() == ("q.scale", 1, False)
    assert store.submit_text(code, bob["id"], "m2", "q.text", "late").result().event == Submitted(bob["id"], "q.text", 1)
    submission = store.submissions(code)[0]["id"]
    assert store.moderate(code, submission, "approved").result() == Moderated(submission, "approved")
    closing = SessionState(0, {**opened.questions, "q.scale": QuestionState("closed")})
    assert store.save_state(code, opened, closing, {}, Command("close", question="q.scale")).result() == \
        StateChanged("close", "q.scale")
    saved = store.save_record(code, {"kind": "arrival", "direction": "less", "strategy": "classic_reduction",
                                     "status": "agreed", "notes": "", "dissent": "", "sla_input": "",
                                     "evidence": {}, "sla": {}, "clauses": [], "owner": "", "due": "",
                                     "warnings": []}).result()
    assert saved.event == RecordSaved("arrival") and saved == store.records(code)["arrival"]
    assert store.remove_participant(code, bob["id"]).result() == Removed(bob["id"])
