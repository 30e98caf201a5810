"""The rules that refuse a change to the record, asked by both SQL backends with the facts they read
inside their transaction: who may answer which question, who may join, how many examples may wait
for the facilitator, and whether a consensus record is saved over the one its form was loaded from."""

from .refusal import Refusal
from .session import room_cap

PENDING_PER_PARTICIPANT = 3  # unmoderated submissions one phone may have waiting on one question
PENDING_PER_QUESTION = 500  # and the whole room: past this the facilitator could not read them anyway
ANY_VERSION = object()  # a record saved without naming the version it replaces


def removed_phone() -> Refusal:
    return Refusal("removed", "the facilitator has removed this phone from the session")


def question_closed(qid: str) -> Refusal:
    return Refusal("question_closed", f"question {qid!r} is not open for answers")


def check_answer(qid: str, status: str | None, removed: bool) -> None:
    """Refuse an answer from a removed phone, to a question not in the session (`status` None), or to a
    question not open."""
    if removed:
        raise removed_phone()
    if status is None:
        raise Refusal("unknown_question", f"no question {qid!r} in this session")
    if status != "open":
        raise question_closed(qid)


def unknown_participant(participant_id: int) -> Refusal:
    return Refusal("unknown_participant", f"no participant {participant_id} in this session")


def unknown_submission(submission_id: int) -> Refusal:
    return Refusal("unknown_submission", f"no submission {submission_id} in this session")


def check_version(found: str | None, version: object) -> None:
    """Refuse a record saved over one it did not read (`version`: the `recorded_at` it read, None for
    no record yet, ANY_VERSION to save regardless)."""
    if version is not ANY_VERSION and found != version:
        raise Refusal("stale_record", "this record was changed (in another tab?) since the form was loaded;"
                                      " reload it and record again")


def check_pending(mine: int, everyone: int) -> None:
    """Refuse a submission past the caps on unmoderated ones (raises Refusal("rate_limited"))."""
    if mine >= PENDING_PER_PARTICIPANT:
        raise Refusal("rate_limited", f"you have {PENDING_PER_PARTICIPANT} examples waiting for the facilitator;"
                                      " send more once they are read")
    if everyone >= PENDING_PER_QUESTION:
        raise Refusal("rate_limited", "the facilitator has too many examples to read; try again later")


def refuse_newcomers(joining_locked: bool, ended: bool, room_size: int = 0, joined: int = 0) -> None:
    """Refuse a new participant (a phone without a known token) to a locked, ended or full session."""
    if ended:
        # An ended workshop shows its records to the phones that took part; a stranger has no business there.
        raise Refusal("session_ended", "this workshop has ended; only phones that took part in it can come back")
    if joining_locked:
        raise Refusal("joining_locked", "the facilitator has closed this session to new phones")
    cap = room_cap(room_size)
    if cap is not None and joined >= cap:
        raise Refusal("room_full", f"the room is full: the facilitator expected about {room_size} phones")
