"""Which one thing the big screen shows now, decided here and sent in the projector's view as `focus`.

The end slide once the workshop has ended; the decisions on the summary; the open question while a
vote runs (the first in the plan's order, the others named beside it); otherwise the latest thing to
happen on this step (a result revealed, examples approved, a decision recorded), and the step's own
content when nothing has happened yet (on the introduction, how to join).

"Latest" is what the server saw change last on the step: each room keeps one `ProjectorFocus`, shown
every change it broadcasts, so every projector of the room (and one opened again mid-step) shows the
same. A step first seen with several things already there (a process started mid-step) takes the
step's flow order: results in question order, then examples, then the answers on what would change a
vote, then the decision, the last of those present being the latest.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..domain.plans import Question, Step
from ..domain.session import SessionState
from .views import RoomFacts

DISSENT_SUFFIX = ".dissent"


def is_dissent(question: Question) -> bool:
    """True for a question asking what would change a vote: its answers are a slide of their own."""
    return question.kind == "text" and question.id.endswith(DISSENT_SUFFIX)


@dataclass(frozen=True)
class Candidate:
    """Something on the step the screen may show: `key` names it, `signature` changes when it does."""

    kind: str  # result, examples, dissent or record
    key: str
    signature: str
    question: str | None = None


def candidates(step: Step, state: SessionState, approved: Sequence[Mapping],
               records: Mapping[str, dict]) -> list[Candidate]:
    """What may be the focus on `step`, in flow order; `approved` are the approved submissions (each
    with its `question_id`), `records` the decisions by kind."""
    found = [Candidate("result", f"result:{question.id}", f"round {state.question(question.id).round}", question.id)
             for question in step.questions
             if question.kind != "text" and state.question(question.id).revealed]
    for kind, dissent in (("examples", False), ("dissent", True)):
        ids = {question.id for question in step.questions
               if question.kind == "text" and is_dissent(question) == dissent}
        count = sum(1 for item in approved if item["question_id"] in ids)
        if count:
            found.append(Candidate(kind, kind, str(count)))
    record = records.get(step.category) if step.category else None
    if record is not None:
        # What the room sees of a decision: the facilitator's notes are not on the screen.
        decided = (record.get("direction"), record.get("strategy"), record.get("status"))
        found.append(Candidate("record", "record", repr(decided)))
    return found


def open_questions(step: Step, state: SessionState) -> list[Question]:
    """The step's questions that are open and not revealed: what the room is answering now."""
    return [question for question in step.questions
            if state.question(question.id).status == "open" and not state.question(question.id).revealed]


class ProjectorFocus:
    """Remembers when each thing on the current step last changed, as this room saw it."""

    def __init__(self) -> None:
        self.step: int | None = None
        self.seen: dict[str, tuple[str, int]] = {}  # key -> (signature, when it changed)
        self.clock = 0

    def follow(self, facts: RoomFacts) -> dict:
        """The focus on the room's current step, from what the room knows now (see `choose`)."""
        approved = [item for item in facts.moderation["items"] if item["status"] == "approved"]
        return self.choose(facts.plan.steps[facts.state.current_step], facts.state, approved, facts.records)

    def choose(self, step: Step, state: SessionState, approved: Sequence[Mapping],
               records: Mapping[str, dict]) -> dict:
        """The focus: {"kind"} with, for a vote, "question" and "others", for a result, "question"."""
        found = self._remember(step, candidates(step, state, approved, records))
        if state.ended:
            return {"kind": "ended"}
        if step.kind == "summary":
            return {"kind": "summary"}
        running = open_questions(step, state)
        if running:
            return {"kind": "voting", "question": running[0].id, "others": [question.id for question in running[1:]]}
        if not found:
            # The introduction invites the room to join until its own question has something to show.
            return {"kind": "join" if step.kind == "intro" else "content"}
        latest = max(found, key=lambda item: self.seen[item.key][1])
        return {"kind": latest.kind, "question": latest.question} if latest.question else {"kind": latest.kind}

    def _remember(self, step: Step, found: list[Candidate]) -> list[Candidate]:
        if self.step != step.index:
            self.step = step.index
            self.seen.clear()
        present = {item.key for item in found}
        for key in [key for key in self.seen if key not in present]:
            del self.seen[key]
        for item in found:
            known = self.seen.get(item.key)
            if known is None or known[0] != item.signature:
                self.clock += 1
                self.seen[item.key] = (item.signature, self.clock)
        return found
