"""The store against a real SQLite file and a real PostgreSQL database: one vote per round, resends
counted once, state kept, a failing job spoils nothing else."""

import sqlite3
from collections import Counter
from concurrent.futures import wait
from pathlib import Path

import psycopg
import pytest

from workshop.domain.refusal import Refusal
from workshop.domain.session import QuestionState, SessionState
from workshop.store import open_store
from workshop.store.errors import StorageError, WriterStopped
from workshop.store.interface import RecordStore
from workshop.store.postgres import PostgresStore
from workshop.store.store import Store

QUESTIONS = ["q.scale", "q.choice"]


@pytest.fixture
def sqlite_store(tmp_path):
    store = Store(tmp_path / "record.db")
    store.start()
    yield store
    store.close()


def raw_sql(store, statement):
    """A statement in the backend's own placeholder style, for jobs written against the raw connection."""
    return statement.replace("?", "%s") if isinstance(store, PostgresStore) else statement


def test_both_backends_offer_the_whole_record_interface(store):
    assert isinstance(store, RecordStore)


def new_session(store):
    code = store.create_session("T", "", "plan", {"title": "T"}, ["IT"], QUESTIONS).result()
    state = SessionState(0, {qid: QuestionState() for qid in QUESTIONS})
    opened = SessionState(0, {**state.questions, "q.scale": QuestionState("open")})
    store.save_state(code, state, opened).result()
    return code


def test_a_later_vote_replaces_the_earlier_and_a_resent_id_counts_once(store):
    code = new_session(store)
    person = store.join(code, None, "Ann", "IT").result()
    assert store.record_vote(code, person["id"], "m1", "q.scale", "1").result() == ("q.scale", 1, True)
    store.record_vote(code, person["id"], "m2", "q.scale", "2").result()
    assert store.record_vote(code, person["id"], "m1", "q.scale", "1").result() == ("q.scale", 1, False)
    assert Counter(store.votes(code, "q.scale", 1).values()) == {"2": 1}
    assert store.ballot(code, person["id"]) == {"q.scale": {"round": 1, "value": "2"}}


def test_votes_on_closed_or_unknown_questions_are_refused_and_leave_nothing(store):
    code = new_session(store)
    person = store.join(code, None, "", "").result()
    with pytest.raises(Refusal) as closed:
        store.record_vote(code, person["id"], "m1", "q.choice", "a").result()
    assert closed.value.code == "question_closed"
    with pytest.raises(Refusal) as unknown:
        store.record_vote(code, person["id"], "m2", "q.nothing", "a").result()
    assert unknown.value.code == "unknown_question"
    # The refused message ids were not remembered: the same ids work once the question opens.
    assert store.record_vote(code, person["id"], "m1", "q.scale", "3").result() == ("q.scale", 1, True)
    assert store.all_votes(code)[0]["value"] == "3"


def test_a_burst_commits_in_batches_and_a_refused_job_spoils_none_of_its_batch(store):
    code = new_session(store)
    people = [store.join(code, None, "", "IT").result() for _ in range(200)]
    futures = [store.record_vote(code, person["id"], "m", "q.scale", str(i % 5)) for i, person in
               enumerate(people)]
    futures.append(store.record_vote(code, people[0]["id"], "x", "q.choice", "a"))
    wait(futures)
    assert sum(Counter(store.votes(code, "q.scale", 1).values()).values()) == 200
    assert isinstance(futures[-1].exception(), Refusal)


def test_state_and_votes_survive_a_restart(store_target):
    store = open_store(store_target)
    store.start()
    code = new_session(store)
    person = store.join(code, None, "Ann", "IT").result()
    store.record_vote(code, person["id"], "m1", "q.scale", "4").result()
    store.close()

    reopened = open_store(store_target)
    try:
        state = reopened.session_state(code)
        assert state.question("q.scale") == QuestionState("open", 1, False)
        assert Counter(reopened.votes(code, "q.scale", 1).values()) == {"4": 1}
        assert reopened.participant_by_token(code, person["token"])["name"] == "Ann"
    finally:
        reopened.close()


def test_the_schema_enforces_one_vote_per_participant_per_round(store):
    code = new_session(store)
    person = store.join(code, None, "", "").result()
    store.record_vote(code, person["id"], "m1", "q.scale", "1").result()
    insert = raw_sql(store, "insert into votes values (?, 'q.scale', 1, ?, '2', 'now')")
    if isinstance(store, PostgresStore):
        with psycopg.connect(store.url) as db, pytest.raises(psycopg.errors.UniqueViolation):
            db.execute(insert, (code, person["id"]))
    else:
        db = sqlite3.connect(store.path)
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(insert, (code, person["id"]))
        db.close()


def test_the_schema_refuses_values_outside_its_checks(store):
    code = new_session(store)
    with pytest.raises(StorageError):
        store.write(lambda db: db.execute(raw_sql(store, "update questions set status = 'ajar' where session_code = ?"),
                                          (code,))).result()
    assert store.session_state(code).question("q.scale").status == "open"


def test_a_stopped_writer_refuses_instead_of_pretending(store):
    code = new_session(store)
    store.close()
    with pytest.raises(WriterStopped):
        store.join(code, None, "", "").result()


def test_a_full_disk_refuses_the_write_instead_of_acknowledging_it(sqlite_store):
    store = sqlite_store
    code = new_session(store)
    person = store.join(code, None, "", "").result()
    pages = store.write(lambda db: db.execute("PRAGMA page_count").fetchone()[0]).result()
    store.write(lambda db, limit: db.execute(f"PRAGMA max_page_count = {limit}"), pages).result()
    long_name = "x" * 50_000  # needs new pages, which the 'disk' no longer has
    with pytest.raises(StorageError, match="could not be written"):
        store.join(code, None, long_name, "").result()
    assert store.participant_count(code) == 1
    assert store.record_vote(code, person["id"], "m1", "q.scale", "2").result() == ("q.scale", 1, True)


def _held_writer(store):
    """Hold the writer inside a job, so the writes queued meanwhile share one batch."""
    import threading
    release = threading.Event()
    store.write(lambda db: release.wait(5))
    return release


@pytest.mark.parametrize("failure", ["refused", "database error"])
def test_a_job_that_fails_after_writing_leaves_nothing_and_its_batch_still_commits(store, failure):
    code = new_session(store)

    def write_then_fail(db):
        db.execute(raw_sql(store, "insert into participants (session_code, token, name, group_name, joined_at)"
                                  " values (?, 'half-written', '', '', 'now')"), (code,))
        if failure == "refused":
            raise Refusal("test", "refused after writing")
        db.execute("insert into questions (session_code, question_id, status) values ('nowhere', 'q', 'ajar')")

    release = _held_writer(store)
    joins = [store.join(code, None, f"P{i}", "IT") for i in range(20)]
    failed = store.write(write_then_fail)
    joins += [store.join(code, None, f"Q{i}", "IT") for i in range(20)]
    release.set()
    wait(joins + [failed])
    with pytest.raises(Exception) as refused:
        failed.result()
    assert isinstance(refused.value, (Refusal, StorageError))
    assert store.participant_by_token(code, "half-written") is None
    assert store.participant_count(code) == 40
    assert len({future.result()["id"] for future in joins}) == 40


@pytest.mark.parametrize("fault", ["database deleted", "log deleted", "database replaced"])
def test_a_database_file_gone_from_under_the_writer_refuses_every_write(tmp_path, fault, caplog):
    store = Store(tmp_path / "record.db")
    store.start()
    code = new_session(store)
    person = store.join(code, None, "", "").result()
    path = tmp_path / "record.db"
    if fault == "database deleted":
        path.unlink()
    elif fault == "log deleted":
        Path(f"{path}-wal").unlink()
    else:  # a backup copied into place with mv: a new file at the same path
        copy = tmp_path / "backup.db"
        copy.write_bytes(path.read_bytes())
        copy.replace(path)
    for attempt in ("m1", "m2"):
        with pytest.raises(StorageError, match="the database file is gone"):
            store.record_vote(code, person["id"], attempt, "q.scale", "2").result()
    assert "THE DATABASE FILE IS GONE" in caplog.text
    store.close()


def test_votes_queued_together_keep_their_order_and_their_own_outcomes(store):
    code = new_session(store)
    people = [store.join(code, None, "", "IT").result()["id"] for _ in range(6)]
    release = _held_writer(store)  # everything below commits in one batch
    first = store.record_vote(code, people[0], "m1", "q.scale", "1")
    resent = store.record_vote(code, people[0], "m1", "q.scale", "5")  # same id in the same batch
    later = store.record_vote(code, people[0], "m2", "q.scale", "2")
    closed = store.record_vote(code, people[1], "m1", "q.choice", "a")
    ghost = store.record_vote(code, 999_999, "m1", "q.scale", "3")  # no such participant: the schema refuses
    others = [store.record_vote(code, person, "m1", "q.scale", "4") for person in people[2:]]
    release.set()
    wait([first, resent, later, closed, ghost, *others])
    assert first.result() == ("q.scale", 1, True)
    assert resent.result() == ("q.scale", 1, False)
    assert later.result() == ("q.scale", 1, True)
    with pytest.raises(Refusal):
        closed.result()
    with pytest.raises(StorageError):
        ghost.result()
    assert [future.result()[2] for future in others] == [True] * 4
    assert Counter(store.votes(code, "q.scale", 1).values()) == {"2": 1, "4": 4}


def test_a_stopped_store_leaves_every_commit_in_the_database_file_alone(tmp_path):
    path = tmp_path / "workshop.db"
    store = Store(path)
    store.start()
    code = new_session(store)
    person = store.join(code, None, "", "IT").result()
    store.record_vote(code, person["id"], "m1", "q.scale", "2").result()
    # Another thread's reader stays open, as the server's worker threads' readers do: SQLite then
    # leaves the write-ahead log in place when the writer closes, unless the writer copies it in.
    reader = sqlite3.connect(path)
    assert reader.execute("select count(*) from votes").fetchone() == (1,)
    store.close()
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "workshop.db").write_bytes(path.read_bytes())  # "copy it while the server is stopped"
    copied = sqlite3.connect(backup / "workshop.db")
    assert copied.execute("select session_code, value from votes").fetchall() == [(code, "2")]
    copied.close()
    reader.close()


def test_a_batch_of_votes_refuses_each_bad_one_by_its_own_code_and_takes_the_rest(store):
    code = new_session(store)
    people = [store.join(code, None, "", "IT").result()["id"] for _ in range(4)]
    store.remove_participant(code, people[3]).result()
    store.record_vote(code, people[0], "early", "q.scale", "1").result()
    release = _held_writer(store)  # everything below commits in one batch
    again = store.record_vote(code, people[0], "early", "q.scale", "5")  # resent from the record
    unknown = store.record_vote(code, people[1], "m1", "q.nothing", "1")
    removed = store.record_vote(code, people[3], "m1", "q.scale", "1")
    taken = [store.record_vote(code, person, f"n{n}", "q.scale", str(n)) for n, person in enumerate(people[:3])]
    replaced = store.record_vote(code, people[2], "n9", "q.scale", "-2")  # the same phone again, later
    release.set()
    wait([again, unknown, removed, *taken, replaced])
    assert again.result() == ("q.scale", 1, False)
    for future, refusal in ((unknown, "unknown_question"), (removed, "removed")):
        with pytest.raises(Refusal) as refused:
            future.result()
        assert refused.value.code == refusal
    assert [future.result() for future in taken] == [("q.scale", 1, True)] * 3
    assert replaced.result() == ("q.scale", 1, True)
    assert store.votes(code, "q.scale", 1) == {people[0]: "0", people[1]: "1", people[2]: "-2"}
    assert store.record_vote(code, people[2], "n9", "q.scale", "2").result() == ("q.scale", 1, False)


def test_a_close_elsewhere_waits_for_a_batch_of_votes_to_commit(postgres_url):
    """The batch reads its questions FOR SHARE: another process cannot close the round under it, so
    the presence stored with a closed round holds every vote taken while it was open."""
    from workshop.store import pg_jobs
    from workshop.store.pg_writer import Transaction

    store = open_store(postgres_url)
    store.start()
    code = new_session(store)
    person = store.join(code, None, "", "IT").result()["id"]
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as voting, \
            psycopg.connect(postgres_url, autocommit=True) as closing:
        tx = Transaction(voting)
        tx.execute("BEGIN")
        assert pg_jobs.votes_together(tx, [(code, person, "m1", "q.scale", "2")]) == [(True, ("q.scale", 1, True))]
        closing.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            closing.execute("update questions set status = 'closed' where session_code = %s and question_id = %s",
                            (code, "q.scale"))
        tx.execute("COMMIT")
        closing.execute("update questions set status = 'closed' where session_code = %s and question_id = %s",
                        (code, "q.scale"))
