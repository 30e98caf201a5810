"""The refusal rules both SQL backends ask, as plain functions of the facts they read."""

import pytest

from workshop.domain.answers import (
    ANY_VERSION,
    PENDING_PER_PARTICIPANT,
    PENDING_PER_QUESTION,
    check_answer,
    check_pending,
    check_version,
    refuse_newcomers,
)
from workshop.domain.refusal import Refusal


@pytest.mark.parametrize(("status", "removed", "code"), [
    ("open", True, "removed"), (None, False, "unknown_question"), ("closed", False, "question_closed"),
    ("pending", False, "question_closed"), (None, True, "removed"),
])
def test_a_closed_or_unknown_question_or_a_removed_phone_takes_no_answer(status, removed, code):
    with pytest.raises(Refusal) as refused:
        check_answer("q", status, removed)
    assert refused.value.code == code


def test_an_open_question_takes_an_answer_from_a_phone_in_the_room():
    check_answer("q", "open", removed=False)


@pytest.mark.parametrize(("locked", "ended", "size", "joined", "code"), [
    (False, True, 0, 0, "session_ended"), (True, False, 0, 0, "joining_locked"), (False, False, 10, 12, "room_full"),
])
def test_newcomers_are_refused_by_a_locked_ended_or_full_room(locked, ended, size, joined, code):
    with pytest.raises(Refusal) as refused:
        refuse_newcomers(locked, ended, size, joined)
    assert refused.value.code == code


def test_the_caps_on_waiting_examples_and_the_record_version():
    check_pending(PENDING_PER_PARTICIPANT - 1, PENDING_PER_QUESTION - 1)
    for mine, everyone in ((PENDING_PER_PARTICIPANT, 0), (0, PENDING_PER_QUESTION)):
        with pytest.raises(Refusal, match="wait|too many"):
            check_pending(mine, everyone)
    check_version("2026-12-05T10:00:00", ANY_VERSION)
    check_version(None, None)
    with pytest.raises(Refusal) as refused:
        check_version("2026-12-05T10:00:00", None)
    assert refused.value.code == "stale_record"
