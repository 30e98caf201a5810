"""What each audience is sent: the facilitator's snapshot and the phones' state.

Phones never receive a question's figures before the facilitator reveals them.
"""

from typing import TYPE_CHECKING

from ..domain.plans import Question, Step
from ..domain.records import propose

if TYPE_CHECKING:
    from .room import Room


def snapshot(room: "Room") -> dict:
    """Everything the console and projector show: steps, state, live tallies, moderation, records."""
    questions = {question.id: _console_question(room, question) for question in room.plan.questions}
    records = room.store.records(room.code)
    return {
        "code": room.code,
        "title": room.title,
        "service": room.service,
        "created_at": room.created_at,
        "groups": room.groups,
        "plan": {"id": room.plan.id, "title": room.plan.title,
                 "min_consensus": room.plan.min_consensus, "min_agreement": room.plan.min_agreement},
        "steps": room.public_steps,
        "current_step": room.state.current_step,
        "participants": {"joined": room.store.participant_count(room.code), "connected": len(room.phones)},
        "questions": questions,
        "submissions": room.store.submissions(room.code),
        "consensus": records,
        "proposals": {step.category: _proposal(step, questions) for step in room.plan.steps if step.category},
        "summary": [_summary_row(step, questions, records.get(step.category))
                    for step in room.plan.steps if step.category],
    }


def _summary_row(step: Step, questions: dict, record: dict | None) -> dict:
    """One cell row of the summary heat map: how much a kind hurts against how strongly the room agrees."""
    impact = questions.get(f"{step.category}.impact", {}).get("tally") or {}
    direction = questions.get(f"{step.category}.direction", {}).get("tally") or {}
    return {
        "kind": step.category, "title": step.title,
        "impact": impact.get("mean"), "consensus": direction.get("consensus"),
        "agreement": direction.get("agreement"), "reached": direction.get("reached"),
        "record": {key: record[key] for key in ("direction", "strategy", "status")} if record else None,
    }


def _console_question(room: "Room", question: Question) -> dict:
    state = room.state.question(question.id)
    entry = {"id": question.id, **state.to_public()}
    if question.kind != "text" and state.status != "pending":
        found = room.results(question.id)
        entry["tally"] = _tally(found["rounds"][-1])
        entry["rounds"] = found["rounds"]
        entry["shift"] = found["shift"]
    if state.status == "open" and question.kind != "text":
        entry["not_voted"] = _not_voted(room, question.id, state.round)
    return entry


def _tally(figures: dict) -> dict:
    return {**figures, "voted": figures["n"] + figures["abstain"]}


def _not_voted(room: "Room", qid: str, round_: int) -> dict:
    """Connected phones without a vote in this round: a count, and names where given."""
    voters = room.ballots.round(qid, round_).votes  # the committed votes, mirrored in memory
    count = len(room.connected) - len(room.connected.keys() & voters.keys())
    return {"count": count, "names": sorted(name for pid, name in room.named.items() if pid not in voters)}


def _proposal(step: Step, questions: dict) -> dict:
    """What the votes on this kind lean to, for the console's consensus form."""
    direction = questions.get(f"{step.category}.direction", {}).get("tally")
    strategy = questions.get(f"{step.category}.strategy", {}).get("tally")
    return {**propose(direction, strategy), "reached": direction.get("reached") if direction else None}


def phone_state(room: "Room") -> dict:
    """What every phone shows: the current step, its questions that are under way, revealed results."""
    step = room.plan.steps[room.state.current_step]
    public = room.public_steps[room.state.current_step]
    return {
        "session": {"code": room.code, "title": room.title, "groups": room.groups},
        "step": _phone_step(public, len(room.plan.steps)),
        "questions": [_phone_question(room, question.id) for question in step.questions
                      if room.state.question(question.id).status != "pending"],
        "examples": [
            {"question": item["question_id"], "text": item["text"]}
            for item in room.store.submissions(room.code, "approved")
            if room.plan.step_of(item["question_id"]) == step
        ],
    }


def _phone_step(public: dict, count: int) -> dict:
    shown = ("index", "id", "kind", "title", "body", "category", "definition", "it_example",
             "everyday_example", "prompts")
    return {**{key: public.get(key) for key in shown}, "count": count}


def _phone_question(room: "Room", qid: str) -> dict:
    question = room.plan.question(qid)
    state = room.state.question(qid)
    entry = {**question.to_public(), **state.to_public()}
    if state.revealed and question.kind != "text":
        latest = room.results(qid)["rounds"][-1]
        entry["results"] = {key: value for key, value in _tally(latest).items() if key not in ("by_group", "group_gap")}
    return entry
