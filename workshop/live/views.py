"""What each audience is sent: the facilitator's snapshot and the phones' state.

Phones never receive a question's figures before the facilitator reveals them.
"""

from typing import TYPE_CHECKING

from ..domain.plans import Question, Step
from ..domain.records import propose
from . import results

if TYPE_CHECKING:
    from .room import Room


def snapshot(room: "Room") -> dict:
    """Everything the console and projector show: steps, state, live tallies, moderation, records."""
    questions = {question.id: _console_question(room, question) for question in room.plan.questions}
    return {
        "code": room.code,
        "title": room.title,
        "service": room.service,
        "created_at": room.created_at,
        "groups": room.groups,
        "plan": {"id": room.plan.id, "title": room.plan.title,
                 "min_consensus": room.plan.min_consensus, "min_agreement": room.plan.min_agreement},
        "steps": [step.to_public() for step in room.plan.steps],
        "current_step": room.state.current_step,
        "participants": {"joined": room.store.participant_count(room.code), "connected": len(room.phones)},
        "questions": questions,
        "submissions": room.store.submissions(room.code),
        "consensus": room.store.records(room.code),
        "proposals": {step.category: _proposal(step, questions) for step in room.plan.steps if step.category},
    }


def _console_question(room: "Room", question: Question) -> dict:
    state = room.state.question(question.id)
    entry = {"id": question.id, **state.to_public()}
    if question.kind != "text" and state.status != "pending":
        entry["tally"] = results.tally(
            room.store, room.code, question, state.round, results.thresholds_of(room.plan))
    if state.status == "open" and question.kind != "text":
        entry["not_voted"] = _not_voted(room, question.id, state.round)
    return entry


def _not_voted(room: "Room", qid: str, round_: int) -> dict:
    """Connected phones without a vote (or submission) in this round: a count, and names where given."""
    voters = room.store.voters(room.code, qid, round_)
    waiting = {participant["id"]: participant["name"] for participant in room.phones.values()
               if participant["id"] not in voters}
    return {"count": len(waiting), "names": sorted(name for name in waiting.values() if name)}


def _proposal(step: Step, questions: dict) -> dict:
    """What the votes on this kind lean to, for the console's consensus form."""
    direction = questions.get(f"{step.category}.direction", {}).get("tally")
    strategy = questions.get(f"{step.category}.strategy", {}).get("tally")
    return {**propose(direction, strategy), "reached": direction.get("reached") if direction else None}


def phone_state(room: "Room") -> dict:
    """What every phone shows: the current step, its questions that are under way, revealed results."""
    step = room.plan.steps[room.state.current_step]
    return {
        "session": {"code": room.code, "title": room.title, "groups": room.groups},
        "step": _phone_step(step, len(room.plan.steps)),
        "questions": [_phone_question(room, question.id) for question in step.questions
                      if room.state.question(question.id).status != "pending"],
        "examples": [
            {"question": item["question_id"], "text": item["text"]}
            for item in room.store.submissions(room.code, "approved")
            if room.plan.step_of(item["question_id"]) == step
        ],
    }


def _phone_step(step: Step, count: int) -> dict:
    public = step.to_public()
    shown = ("index", "id", "kind", "title", "body", "category", "definition", "it_example",
             "everyday_example", "prompts")
    return {**{key: public.get(key) for key in shown}, "count": count}


def _phone_question(room: "Room", qid: str) -> dict:
    question = room.plan.question(qid)
    state = room.state.question(qid)
    entry = {**question.to_public(), **state.to_public()}
    if state.revealed and question.kind != "text":
        entry["results"] = results.tally(
            room.store, room.code, question, state.round, results.thresholds_of(room.plan))
    return entry
