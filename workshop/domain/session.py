"""The session state machine: which step is shown and where each question stands.

A question is `pending` until first opened, then `open` or `closed`. Each `new_round` keeps the
earlier round's votes and opens a fresh round. Commands that ask for the state things are already in
succeed and change nothing, so a retried click is harmless.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from .plans import Plan
from .refusal import Refusal

QUESTION_COMMANDS = ("open", "close", "reveal", "hide", "new_round", "timer")
SUBMISSION_COMMANDS = ("approve", "reject", "restore")
ROOM_COMMANDS = ("lock_joining", "unlock_joining", "room_size")
PARTICIPANT_COMMANDS = ("remove",)
SESSION_COMMANDS = ("end", "reopen")
COMMANDS = ("goto", *QUESTION_COMMANDS, *SUBMISSION_COMMANDS, *ROOM_COMMANDS, *PARTICIPANT_COMMANDS,
            *SESSION_COMMANDS)
MAX_ROOM_SIZE = 100_000
ROOM_MARGIN = 1.2  # a room of the expected size admits this many times as many phones, then is full
MAX_TIMER_SECONDS = 3600
BIGGEST_ID = 2**63 - 1  # submission and participant ids are 64-bit integers in every record
TIMED_COMMANDS = ("open", "timer")  # the commands that take `seconds`
STARTING_COMMANDS = ("open", "new_round", "timer")  # refused once the workshop has ended


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


@dataclass(frozen=True)
class Command:
    name: str
    step: int | None = None
    question: str | None = None
    submission: int | None = None
    participant: int | None = None
    size: int | None = None
    seconds: int | None = None  # a countdown for `open` and `timer`; None for none


def parse_command(data: object) -> Command:
    """Check a command's shape (`{"command": ..., ...}`) and return it; raise Refusal if malformed."""
    if not isinstance(data, dict):
        raise Refusal("bad_command", "a command must be a JSON object")
    name = data.get("command")
    if name not in COMMANDS:
        raise Refusal("bad_command", f"'command' must be one of {', '.join(COMMANDS)}")
    if name == "goto":
        return Command(name, step=_int_field(data, "step"))
    if name in SUBMISSION_COMMANDS:
        return Command(name, submission=_int_field(data, "submission"))
    if name in PARTICIPANT_COMMANDS:
        return Command(name, participant=_int_field(data, "participant"))
    if name == "room_size":
        return Command(name, size=_int_field(data, "size"))
    if name in ROOM_COMMANDS or name in SESSION_COMMANDS:
        return Command(name)
    qid = data.get("question")
    if not isinstance(qid, str) or not qid:
        raise Refusal("invalid_field", "'question' must be a question id (a string)")
    return Command(name, question=qid, seconds=_seconds_field(data) if name in TIMED_COMMANDS else None)


def _int_field(data: dict, field: str) -> int:
    value = data.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refusal("invalid_field", f"'{field}' must be an integer")
    if not -BIGGEST_ID <= value <= BIGGEST_ID:  # what a record's 64-bit column can be asked for
        raise Refusal("invalid_field", f"'{field}' is out of range")
    return value


def _seconds_field(data: dict) -> int | None:
    value = data.get("seconds")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TIMER_SECONDS:
        raise Refusal("invalid_field", f"'seconds' must be a whole number from 1 to {MAX_TIMER_SECONDS}, or null")
    return value


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


def apply_command(plan: Plan, state: SessionState, command: Command, now: datetime | None = None) -> SessionState:
    """Return the state after `command` (the same object if nothing changes); raise Refusal if refused.

    `now` (UTC, default the clock) is when the command runs: a countdown's deadline counts from it."""
    if command.name == "goto":
        return _goto(plan, state, command.step)
    if command.name in QUESTION_COMMANDS:
        return _question_change(state, command, now or datetime.now(UTC))
    if command.name in ROOM_COMMANDS:
        return _room_change(state, command)
    if command.name in SESSION_COMMANDS:
        return _session_change(state, command.name == "end")
    return state  # moderation and removals change submissions and participants, not the session's state


def _question_change(state: SessionState, command: Command, now: datetime) -> SessionState:
    assert command.question is not None  # parse_command requires it of every question command
    current = state.question(command.question)
    if state.ended and command.name in STARTING_COMMANDS:
        raise Refusal("session_ended", "the workshop has ended: reopen it before asking again")
    updated = _QUESTION_TRANSITIONS[command.name](current)
    if command.name == "timer" or (command.name == "open" and command.seconds is not None):
        updated = _with_timer(updated, command.seconds, now)
    if updated == current:
        return state
    return replace(state, questions={**state.questions, command.question: updated})


def _with_timer(question: QuestionState, seconds: int | None, now: datetime) -> QuestionState:
    if question.status != "open":
        raise Refusal("question_not_open", "a countdown runs only while voting is open")
    deadline = None if seconds is None else deadline_after(now, seconds)
    return replace(question, closes_at=deadline)


def deadline_after(now: datetime, seconds: int) -> str:
    """The ISO 8601 UTC time `seconds` after `now`, as stored and sent to every screen."""
    return (now.astimezone(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def _session_change(state: SessionState, ended: bool) -> SessionState:
    if state.ended == ended:
        return state
    if not ended:
        return replace(state, ended=False)
    # Ending stops the voting: every open question closes, its countdown with it.
    closed = {qid: _close(question) if question.status == "open" else question
              for qid, question in state.questions.items()}
    return replace(state, ended=True, questions=closed)


def _room_change(state: SessionState, command: Command) -> SessionState:
    if command.name == "room_size":
        if command.size is None or not 0 <= command.size <= MAX_ROOM_SIZE:
            raise Refusal("invalid_field", f"'size' must be between 0 and {MAX_ROOM_SIZE}")
        updated = replace(state, room_size=command.size)
    else:
        updated = replace(state, joining_locked=command.name == "lock_joining")
    return state if updated == state else updated


def _goto(plan: Plan, state: SessionState, step: int | None) -> SessionState:
    if step is None or not 0 <= step < len(plan.steps):
        raise Refusal("invalid_field", f"'step' must be between 0 and {len(plan.steps) - 1}")
    return state if step == state.current_step else replace(state, current_step=step)


def _open(question: QuestionState) -> QuestionState:
    # Opening a question that is already open keeps its countdown, so a retried click changes nothing.
    return question if question.status == "open" else replace(question, status="open", closes_at=None)


def _close(question: QuestionState) -> QuestionState:
    if question.status == "pending":
        raise Refusal("question_pending", "this question has not been opened yet")
    return replace(question, status="closed", closes_at=None)


def _reveal(question: QuestionState) -> QuestionState:
    if question.status == "pending":
        raise Refusal("question_pending", "open the question before revealing its results")
    return replace(question, revealed=True)


def _hide(question: QuestionState) -> QuestionState:
    return replace(question, revealed=False)


def _new_round(question: QuestionState) -> QuestionState:
    if question.status == "pending":
        raise Refusal("question_pending", "open the question before starting a new round")
    return QuestionState(status="open", round=question.round + 1, revealed=False)


_QUESTION_TRANSITIONS = {
    "open": _open,
    "close": _close,
    "reveal": _reveal,
    "hide": _hide,
    "new_round": _new_round,
    "timer": lambda question: question,  # the countdown itself is set by `_with_timer`
}
