"""The PostgreSQL writer's jobs: each runs inside the writer's batch transaction (`pg_writer.Transaction`).

They are the only code that changes the PostgreSQL record; `PostgresStore` queues them and reads what
they wrote. Votes and submissions also run together as one pipelined statement (`together`).
"""

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from psycopg import sql

from ..domain.answers import (
    ANY_VERSION,
    check_answer,
    check_pending,
    check_version,
    question_closed,
)
from ..domain.events import RecordSaved, Submitted, Voted
from ..domain.refusal import Refusal
from .errors import StorageError
from .interface import Answer, Stored
from .pg_writer import Transaction
from .shaping import (
    now,
    record_from_row,
    record_to_row,
)
from .shared_jobs import Dialect

DIALECT = Dialect(same="is not distinct from", listed="id = any(?)", ids=list)


# A vote or submission in one round trip: the message id is looked up, the question's open round
# found, and the answer stored with its message id only if the id is new and the question open.
# The final SELECT reports what happened; nothing is written when it reports a refusal, so the
# job may refuse afterwards without a savepoint.
ANSWER_SQL = """
    with seen as (
        select question_id, round from messages where participant_id = %(person)s and message_id = %(message)s
    ), person as (
        select removed_at, group_name from participants where id = %(person)s
    ), question as (
        select status, round from questions where session_code = %(code)s and question_id = %(qid)s
    ), fresh as (
        select round from question where status = 'open' and not exists (select 1 from seen)
            and not exists (select 1 from person where removed_at is not null)
    ), answer as (
        {answer}
    ), remembered as (
        insert into messages (participant_id, message_id, question_id, round)
        select %(person)s, %(message)s, %(qid)s, round from fresh returning round
    )
    select (select question_id from seen), (select round from seen), (select status from question),
           (select round from remembered), exists (select 1 from person where removed_at is not null),
           (select group_name from person)
"""
VOTE_SQL = ANSWER_SQL.format(answer=(
    "insert into votes (session_code, question_id, round, participant_id, value, voted_at)"
    " select %(code)s, %(qid)s, round, %(person)s, %(answer)s, %(at)s from fresh"
    " on conflict (session_code, question_id, round, participant_id)"
    " do update set value = excluded.value, voted_at = excluded.voted_at"))
SUBMISSION_SQL = ANSWER_SQL.format(answer=(
    "insert into submissions (session_code, question_id, round, participant_id, text, created_at)"
    " select %(code)s, %(qid)s, round, %(person)s, %(answer)s, %(at)s from fresh"))


def _answer_params(code: str, participant_id: int, message_id: str, qid: str, answer: str) -> dict:
    return {"person": participant_id, "message": message_id, "code": code, "qid": qid, "answer": answer,
            "at": now()}


def _voted(call: tuple, round_: int, group: str) -> Voted:
    _, person, _, qid, value = call
    return Voted(person, qid, round_, value, group)


def _submitted(call: tuple, round_: int, group: str) -> Submitted:
    return Submitted(call[1], call[3], round_)


def _answer_outcome(row: tuple | None, call: tuple, answer_sql: str) -> Answer:
    """The answer stored (with its event) or seen before, or Refusal; from ANSWER_SQL's one row."""
    if row is None:
        raise StorageError("the database returned no outcome for an answer; nothing was recorded")
    seen_qid, seen_round, status, stored_round, removed, group = row
    qid = call[3]
    if seen_qid is not None:
        return Answer(seen_qid, seen_round)
    if stored_round is not None:
        return Answer(qid, stored_round, ANSWERED[answer_sql](call, stored_round, group or ""))
    check_answer(qid, status, bool(removed))
    raise question_closed(qid)  # open, yet not stored: it closed between the statement's reads


def _answer_once(tx: Transaction, answer_sql: str, *call: Any) -> Answer:
    """Store a vote or submission in the question's open round, unless this message id was seen before."""
    return _answer_outcome(tx.execute(answer_sql, _answer_params(*call)).fetchone(), call, answer_sql)


def _answer_together(answer_sql: str, tx: Transaction, calls: list[tuple]) -> list[tuple[bool, Any]]:
    """Many answers as one pipelined executemany, in order: a later answer sees the earlier ones."""
    cursor = tx.connection.cursor()
    cursor.executemany(answer_sql, [_answer_params(*call) for call in calls], returning=True)
    rows = [result.fetchone() for result in cursor.results()]
    outcomes: list[tuple[bool, Any]] = []
    for row, call in zip(rows, calls, strict=True):
        try:
            outcome = _answer_outcome(row, call, answer_sql)
        except Refusal as refusal:
            outcomes.append((False, refusal))
        else:
            tx.changes += outcome[2]
            outcomes.append((True, outcome))
    return outcomes


def vote(tx: Transaction, *call: Any) -> Answer:
    return _answer_once(tx, VOTE_SQL, *call)


def submission(tx: Transaction, code: str, participant_id: int, message_id: str, qid: str,
                text: str) -> Answer:
    # Processes write side by side: one at a time per question, so the caps hold across them.
    tx.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"submissions:{code}:{qid}",))
    mine, everyone = cast(tuple, tx.execute(
        "select count(*) filter (where participant_id = %s), count(*) from submissions"
        " where session_code = %s and question_id = %s and status = 'pending'",
        (participant_id, code, qid)).fetchone())  # an aggregate always has its one row
    check_pending(mine, everyone)
    return _answer_once(tx, SUBMISSION_SQL, code, participant_id, message_id, qid, text)


def votes_together(tx: Transaction, calls: list[tuple]) -> list[tuple[bool, Any]]:
    """Many votes in five set-based statements, whatever their number, each call decided as if it ran
    alone in order: a resent message id (in the record or earlier in the batch) counts once, a later
    vote of a phone on a question replaces its earlier one, and a refusal writes nothing.

    The questions are read FOR SHARE, so a close committed by another process waits for this batch
    and the round it closes holds every vote taken while it was open. Any database error (a message
    id another process stored meanwhile, say) sends the batch to savepoints, one ANSWER_SQL each."""
    questions, seen, removed, groups = _vote_context(tx, calls)
    outcomes: list[tuple[bool, Any]] = []
    messages: dict[tuple[int, str], tuple[str, int]] = {}
    ballots: dict[tuple[str, str, int, int], tuple[str, str]] = {}
    for code, person, message, qid, value in calls:
        try:
            outcome = _decide_vote(questions.get((code, qid)), seen.get((person, message)) or
                                   messages.get((person, message)), person in removed, qid)
        except Refusal as refusal:
            outcomes.append((False, refusal))
            continue
        if outcome[2]:
            messages[(person, message)] = (qid, outcome[1])
            ballots[(code, qid, outcome[1], person)] = (value, now())
        outcomes.append((True, Answer(*outcome[:2], Voted(person, qid, outcome[1], value, groups.get(person, "")))
                            if outcome[2] else Answer(*outcome[:2])))
    _store_votes(tx, messages, ballots)
    return outcomes


def _vote_context(tx: Transaction, calls: list[tuple]) -> tuple[dict, dict, set, dict]:
    """The batch's questions (status, round), message ids already stored, removed participants, and
    each participant's group."""
    codes, people, message_ids, qids = ([call[i] for call in calls] for i in (0, 1, 2, 3))
    questions = {(row[0], row[1]): (row[2], row[3]) for row in tx.execute(
        "select q.session_code, q.question_id, q.status, q.round from questions q"
        " join (select distinct * from unnest(%b::text[], %b::text[])) as i(code, qid)"
        " on q.session_code = i.code and q.question_id = i.qid for share of q", (codes, qids))}
    seen = {(row[0], row[1]): (row[2], row[3]) for row in tx.execute(
        "select m.participant_id, m.message_id, m.question_id, m.round from messages m"
        " join unnest(%b::bigint[], %b::text[]) as i(person, message)"
        " on m.participant_id = i.person and m.message_id = i.message", (people, message_ids))}
    found = tx.execute("select id, removed_at is not null, group_name from participants where id = any(%b::bigint[])",
                       (people,)).fetchall()
    return questions, seen, {row[0] for row in found if row[1]}, {row[0]: row[2] for row in found}


def _decide_vote(question: tuple[str, int] | None, seen: tuple[str, int] | None, removed: bool,
                 qid: str) -> tuple[str, int, bool]:
    """ANSWER_SQL's decision for one vote, in its order: seen, stored, removed, unknown, not open."""
    if seen is not None:
        return seen[0], seen[1], False
    if removed:
        raise Refusal("removed", "the facilitator has removed this phone from the session")
    if question is None:
        raise Refusal("unknown_question", f"no question {qid!r} in this session")
    if question[0] != "open":
        raise Refusal("question_closed", f"question {qid!r} is not open for answers")
    return qid, question[1], True


def _store_votes(tx: Transaction, messages: dict[tuple[int, str], tuple[str, int]],
                 ballots: dict[tuple[str, str, int, int], tuple[str, str]]) -> None:
    if not messages:
        return
    tx.execute("insert into messages (participant_id, message_id, question_id, round)"
               " select * from unnest(%b::bigint[], %b::text[], %b::text[], %b::integer[])",
               _columns([(*key, *value) for key, value in messages.items()], 4))
    tx.execute("insert into votes (session_code, question_id, round, participant_id, value, voted_at)"
               " select * from unnest(%b::text[], %b::text[], %b::integer[], %b::bigint[], %b::text[], %b::text[])"
               " on conflict (session_code, question_id, round, participant_id)"
               " do update set value = excluded.value, voted_at = excluded.voted_at",
               _columns([(*key, *value) for key, value in ballots.items()], 6))


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [[row[i] for row in rows] for i in range(width)] if rows else [[] for _ in range(width)]


ANSWERED: dict[str, Callable[[tuple, int, str], Voted | Submitted]] = {VOTE_SQL: _voted, SUBMISSION_SQL: _submitted}
pipelined_votes = partial(_answer_together, VOTE_SQL)  # one ANSWER_SQL per vote, pipelined: the former way
vote.together = votes_together  # type: ignore[attr-defined]


def save_record(tx: Transaction, code: str, record: dict, version: str | None | object) -> Stored:
    if version is not ANY_VERSION:
        # One saver per record at a time, so two processes saving over one version cannot both pass.
        tx.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"record:{code}:{record['kind']}",))
        found = tx.execute("select recorded_at from consensus_records where session_code = %s and kind = %s",
                           (code, record["kind"])).fetchone()
        check_version(found[0] if found else None, version)
    row = record_to_row(code, record, now())
    columns = [sql.Identifier(column) for column in row]
    updates = [sql.SQL("{0} = excluded.{0}").format(sql.Identifier(column))
               for column in row if column not in ("session_code", "kind")]
    statement = sql.SQL("insert into consensus_records ({}) values ({})"
                        " on conflict (session_code, kind) do update set {}").format(
        sql.SQL(", ").join(columns), sql.SQL(", ").join(sql.Placeholder() * len(row)),
        sql.SQL(", ").join(updates))
    tx.execute(statement, tuple(row.values()))
    return Stored(record_from_row(row), RecordSaved(record["kind"]))
