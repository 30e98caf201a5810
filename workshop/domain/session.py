"""The session's state: which step is shown and where each question stands.

A question is `pending` until first opened, then `open` or `closed`. Each `new_round` keeps the
earlier round's votes and opens a fresh round. The facilitator's commands that move it are in
`commands.py`.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .plans import Plan
from .refusal import Refusal

ROOM_MARGIN = 1.2  # a room of the expected size admits this many times as many phones, then is full


@dataclass(frozen=True)
class QuestionState:
    status: str = "pending"
    round: int = 1
    revealed: bool = False
    closes_at: str | None = None  # when an open question's countdown ends: ISO 8601, UTC

    def to_public(self) -> dict:
        return {"status": self.status, "round": self.round, "revealed": self.revealed, "closes_at": self.closes_at}


@dataclass(frozen=True)
class SessionState:
    current_step: int
    questions: Mapping[str, QuestionState]
    joining_locked: bool = False  # only phones that joined before may come back
    room_size: int = 0  # the facilitator's expected number of phones; 0 when not given
    ended: bool = False  # the facilitator ended the workshop: phones show the records

    @classmethod
    def initial(cls, plan: Plan) -> "SessionState":
        return cls(0, {question.id: QuestionState() for question in plan.questions})

    def question(self, qid: str) -> QuestionState:
        try:
            return self.questions[qid]
        except KeyError:
            raise Refusal("unknown_question", f"no question {qid!r} in this session") from None


@dataclass(frozen=True)
class SessionRecord:
    """A session as the record holds it: what it is, its plan, and where it stands."""

    code: str
    title: str
    service: str
    created_at: str
    groups: list[str]
    plan: Plan
    state: SessionState


def room_cap(room_size: int) -> int | None:
    """Participants a room admits once the facilitator gave its expected size (None: no size, no cap)."""
    return math.ceil(room_size * ROOM_MARGIN) if room_size > 0 else None


def stale_state() -> Refusal:
    """The refusal of a change decided on a state the record no longer holds (another process, or a
    countdown, changed it first): the change is decided again on the stored state, or refused."""
    return Refusal("stale_state", "the session changed elsewhere while this command was decided; "
                                  "it was not applied: look at the session again and retry")


def closed_rounds(previous: SessionState, state: SessionState) -> list[tuple[str, int]]:
    """The rounds that stop taking votes between two states: (question id, round), for storing who was present."""
    found = []
    for qid, before in previous.questions.items():
        after = state.questions.get(qid)
        if before.status == "open" and after is not None and (after.status != "open" or after.round != before.round):
            found.append((qid, before.round))
    return found


def open_rounds(state: SessionState) -> set[tuple[str, int]]:
    """The rounds taking votes now: (question id, round)."""
    return {(qid, question.round) for qid, question in state.questions.items() if question.status == "open"}


def deadline_after(now: datetime, seconds: int) -> str:
    """The ISO 8601 UTC time `seconds` after `now`, as stored and sent to every screen."""
    return (now.astimezone(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
