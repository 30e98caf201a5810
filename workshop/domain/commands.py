"""Every facilitator command, one row each in `TABLE`: the fields it is parsed from and what it does.

A command either changes the session's state (the row's `change`, decided here on the state held and
stored by the room with a compare-and-set), or sets a submission's moderation status (`status`), or
takes a participant out of the room (`removes`). Commands that ask for the state things are already
in succeed and change nothing, so a retried click is harmless.

To add a command: add its row here, describe it in `workshop/protocol.py` (`COMMANDS`) and give the
console one control that sends it; nothing else names commands.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .plans import Plan
from .refusal import Refusal
from .session import QuestionState, SessionState, deadline_after

MAX_ROOM_SIZE = 100_000
MAX_TIMER_SECONDS = 3600
BIGGEST_ID = 2**63 - 1  # submission and participant ids are 64-bit integers in every record


@dataclass(frozen=True)
class Command:
    name: str
    step: int | None = None
    question: str | None = None
    submission: int | None = None
    participant: int | None = None
    size: int | None = None
    seconds: int | None = None  # a countdown for `open` and `timer`; None for none


Change = Callable[[Plan, SessionState, Command, datetime], SessionState]
Transition = Callable[[QuestionState, Command, datetime], QuestionState]


@dataclass(frozen=True)
class Row:
    """One command: its `fields` (parsed in this order), and what it does: a state `change`, a
    moderation `status` for the submission it names, or `removes` the participant it names."""

    fields: tuple[str, ...] = ()
    change: Change | None = None
    status: str | None = None
    removes: bool = False


# fields


def _int_field(data: dict, field: str) -> int:
    value = data.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refusal("invalid_field", f"'{field}' must be an integer")
    if not -BIGGEST_ID <= value <= BIGGEST_ID:  # what a record's 64-bit column can be asked for
        raise Refusal("invalid_field", f"'{field}' is out of range")
    return value


def _question_field(data: dict, field: str) -> str:
    qid = data.get(field)
    if not isinstance(qid, str) or not qid:
        raise Refusal("invalid_field", "'question' must be a question id (a string)")
    return qid


def _seconds_field(data: dict, field: str) -> int | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TIMER_SECONDS:
        raise Refusal("invalid_field", f"'seconds' must be a whole number from 1 to {MAX_TIMER_SECONDS}, or null")
    return value


FIELDS: dict[str, Callable[[dict, str], object]] = {
    "step": _int_field, "question": _question_field, "seconds": _seconds_field, "submission": _int_field,
    "participant": _int_field, "size": _int_field,
}


# what the state-changing commands do


def _goto(plan: Plan, state: SessionState, command: Command, now: datetime) -> SessionState:
    step = command.step
    if step is None or not 0 <= step < len(plan.steps):
        raise Refusal("invalid_field", f"'step' must be between 0 and {len(plan.steps) - 1}")
    return state if step == state.current_step else replace(state, current_step=step)


def _on_question(transition: Transition, starts: bool = False) -> Change:
    """A change of the question the command names; a command that `starts` voting is refused once the
    workshop has ended."""
    def change(plan: Plan, state: SessionState, command: Command, now: datetime) -> SessionState:
        assert command.question is not None  # every question command's row parses it
        current = state.question(command.question)
        if state.ended and starts:
            raise Refusal("session_ended", "the workshop has ended: reopen it before asking again")
        updated = transition(current, command, now)
        if updated == current:
            return state
        return replace(state, questions={**state.questions, command.question: updated})
    return change


def _open(question: QuestionState, command: Command, now: datetime) -> QuestionState:
    # Opening a question that is already open keeps its countdown, so a retried click changes nothing.
    opened = question if question.status == "open" else replace(question, status="open", closes_at=None)
    return opened if command.seconds is None else _countdown(opened, command, now)


def _countdown(question: QuestionState, command: Command, now: datetime) -> QuestionState:
    if question.status != "open":
        raise Refusal("question_not_open", "a countdown runs only while voting is open")
    deadline = None if command.seconds is None else deadline_after(now, command.seconds)
    return replace(question, closes_at=deadline)


def _close(question: QuestionState, command: Command | None = None, now: datetime | None = None) -> QuestionState:
    if question.status == "pending":
        raise Refusal("question_pending", "this question has not been opened yet")
    return replace(question, status="closed", closes_at=None)


def _reveal(question: QuestionState, command: Command, now: datetime) -> QuestionState:
    if question.status == "pending":
        raise Refusal("question_pending", "open the question before revealing its results")
    return replace(question, revealed=True)


def _hide(question: QuestionState, command: Command, now: datetime) -> QuestionState:
    return replace(question, revealed=False)


def _new_round(question: QuestionState, command: Command, now: datetime) -> QuestionState:
    if question.status == "pending":
        raise Refusal("question_pending", "open the question before starting a new round")
    return QuestionState(status="open", round=question.round + 1, revealed=False)


def _joining(locked: bool) -> Change:
    return lambda plan, state, command, now: state if state.joining_locked == locked else replace(
        state, joining_locked=locked)


def _room_size(plan: Plan, state: SessionState, command: Command, now: datetime) -> SessionState:
    if command.size is None or not 0 <= command.size <= MAX_ROOM_SIZE:
        raise Refusal("invalid_field", f"'size' must be between 0 and {MAX_ROOM_SIZE}")
    return state if command.size == state.room_size else replace(state, room_size=command.size)


def _end(plan: Plan, state: SessionState, command: Command, now: datetime) -> SessionState:
    if state.ended:
        return state
    # Ending stops the voting: every open question closes, its countdown with it.
    closed = {qid: _close(question) if question.status == "open" else question
              for qid, question in state.questions.items()}
    return replace(state, ended=True, questions=closed)


def _reopen(plan: Plan, state: SessionState, command: Command, now: datetime) -> SessionState:
    return replace(state, ended=False) if state.ended else state


TABLE: dict[str, Row] = {
    "goto": Row(("step",), change=_goto),
    "open": Row(("question", "seconds"), change=_on_question(_open, starts=True)),
    "close": Row(("question",), change=_on_question(_close)),
    "reveal": Row(("question",), change=_on_question(_reveal)),
    "hide": Row(("question",), change=_on_question(_hide)),
    "new_round": Row(("question",), change=_on_question(_new_round, starts=True)),
    "timer": Row(("question", "seconds"), change=_on_question(_countdown, starts=True)),
    "approve": Row(("submission",), status="approved"),
    "reject": Row(("submission",), status="rejected"),
    "restore": Row(("submission",), status="pending"),
    "lock_joining": Row(change=_joining(True)),
    "unlock_joining": Row(change=_joining(False)),
    "room_size": Row(("size",), change=_room_size),
    "remove": Row(("participant",), removes=True),
    "end": Row(change=_end),
    "reopen": Row(change=_reopen),
}
COMMANDS = tuple(TABLE)


def parse_command(data: object) -> Command:
    """Check a command's shape (`{"command": ..., ...}`) and return it; raise Refusal if malformed."""
    if not isinstance(data, dict):
        raise Refusal("bad_command", "a command must be a JSON object")
    name = data.get("command")
    row = TABLE.get(name) if isinstance(name, str) else None
    if row is None:
        raise Refusal("bad_command", f"'command' must be one of {', '.join(COMMANDS)}")
    return Command(str(name), **{field: FIELDS[field](data, field) for field in row.fields})  # type: ignore[arg-type]


def apply_command(plan: Plan, state: SessionState, command: Command, now: datetime | None = None) -> SessionState:
    """Return the state after `command` (the same object if nothing changes); raise Refusal if refused.
    Moderation and removals change submissions and participants, not the session's state.

    `now` (UTC, default the clock) is when the command runs: a countdown's deadline counts from it."""
    change = TABLE[command.name].change
    return state if change is None else change(plan, state, command, now or datetime.now(UTC))
