"""What each audience is sent, as pure functions of what the room knows: console, projector, phone.

The console sees everything, live tallies and unmoderated texts included. The projector sees what the
room may see: revealed results, approved examples without their authors, recorded decisions, counts.
Phones never receive a question's figures before the facilitator reveals them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..domain.framework import KINDS, STRATEGIES_BY_ID
from ..domain.plans import Plan, Question, Step
from ..domain.records import propose
from ..domain.session import SessionState
from ..domain.tally import hide_small_groups
from ..vocabulary import DIRECTION_LABELS, NOT_DECIDED, RECORD_STATUS_LABELS


@dataclass(frozen=True)
class SessionInfo:
    code: str
    title: str
    service: str
    created_at: str
    groups: list[str]


@dataclass(frozen=True)
class Presence:
    joined: int
    connected: int
    not_voted: Mapping[str, dict] = field(default_factory=dict)  # open question id -> {count, names}
    joins_by_address: Sequence[tuple[str, int]] = ()  # the busiest addresses, for spotting fake phones
    refused_joins: Mapping[str, int] = field(default_factory=dict)  # new phones turned away, by reason


@dataclass(frozen=True)
class People:
    """The latest participants still in the room (each: id, name, group, connected, address), and how many in all."""

    items: Sequence[dict] = ()
    total: int = 0


@dataclass(frozen=True)
class RoomFacts:
    """Everything a view is made from; `results` holds each opened scale or choice question's figures."""

    session: SessionInfo
    plan: Plan
    steps: Sequence[dict]
    state: SessionState
    results: Mapping[str, dict]
    presence: Presence
    records: Mapping[str, dict]
    moderation: Mapping  # the store's page of submissions: items, pending (a count), answered


def console_view(facts: RoomFacts, people: People = People()) -> dict:
    """Everything the console shows: steps, state, live tallies, moderation, records, the room's people."""
    questions = {question.id: _console_question(facts, question) for question in facts.plan.questions}
    return {
        **_header(facts),
        "ended": facts.state.ended,
        "questions": questions,
        "submissions": list(facts.moderation["items"]),
        "pending_total": facts.moderation["pending"],
        "room": {"joining_locked": facts.state.joining_locked, "room_size": facts.state.room_size,
                 "joins_by_address": [{"address": address, "joins": joins}
                                      for address, joins in facts.presence.joins_by_address],
                 "refused_joins": dict(facts.presence.refused_joins)},
        "people": [dict(person) for person in people.items],
        "people_total": people.total,
        "consensus": dict(facts.records),
        "proposals": {step.category: _proposal(step, questions) for step in facts.plan.steps if step.category},
        "summary": [_summary_row(step, questions, facts.records.get(step.category))
                    for step in facts.plan.steps if step.category],
    }


def projector_view(facts: RoomFacts, focus: Mapping) -> dict:
    """What the big screen may show: nothing unrevealed, no unmoderated text, no names; and `focus`,
    the one thing it shows now (see focus.py)."""
    questions = {question.id: _projector_question(facts, question) for question in facts.plan.questions}
    approved = [{"id": item["id"], "question_id": item["question_id"], "text": item["text"]}
                for item in facts.moderation["items"] if item["status"] == "approved"]
    header = _header(facts)
    return {
        **header,
        "ended": facts.state.ended,  # the end slide: thanks and what was agreed, no invitation to join
        "focus": dict(focus),
        "plan": {**header["plan"], "min_group_size": facts.plan.min_group_size},
        "questions": questions,
        "submissions": approved,
        "consensus": {kind: _projector_record(record) for kind, record in facts.records.items()},
        "summary": [_summary_row(step, questions, facts.records.get(step.category))
                    for step in facts.plan.steps if step.category],
    }


def _projector_record(record: dict) -> dict:
    """A decision as the room may see it: what was decided and the round it rests on, never the
    facilitator's notes, the dissent they wrote down or the warnings."""
    basis = (record.get("evidence") or {}).get("direction") or {}
    return {**{key: record.get(key) for key in ("direction", "strategy", "status", "recorded_at")},
            "basis": {key: basis.get(key) for key in ("round", "n", "present", "verdict", "certainty")}
            if basis else None}


def phone_view(facts: RoomFacts) -> dict:
    """What every phone shows: the current step, its questions under way, revealed results, examples;
    once the workshop has ended, `ended` and the agreed records instead of questions."""
    step = facts.plan.steps[facts.state.current_step]
    public = facts.steps[facts.state.current_step]
    ended = facts.state.ended
    return {
        "session": {"code": facts.session.code, "title": facts.session.title, "groups": facts.session.groups},
        "ended": ended,
        "records": _phone_records(facts) if ended else [],
        "step": _phone_step(public, len(facts.plan.steps)),
        "questions": [] if ended else [_phone_question(facts, question) for question in step.questions
                                       if facts.state.question(question.id).status != "pending"],
        "examples": [{"question": item["question_id"], "text": item["text"]} for item in facts.moderation["items"]
                     if item["status"] == "approved" and facts.plan.step_of(item["question_id"]) == step],
    }


UNDECIDED = NOT_DECIDED  # a deferred record may name no direction or strategy


def _phone_records(facts: RoomFacts) -> list[dict]:
    """The records as the room may read them at the end: labels, not ids, in the framework's order."""
    shown = []
    for kind in KINDS:
        record = facts.records.get(kind.id)
        if record is None:
            continue
        strategy = STRATEGIES_BY_ID.get(record["strategy"])
        shown.append({
            "kind": kind.id, "kind_label": kind.name,
            "direction": record["direction"],
            "direction_label": DIRECTION_LABELS.get(record["direction"], "") or UNDECIDED,
            "strategy": record["strategy"],
            "strategy_name": strategy.name if strategy else record["strategy"] or UNDECIDED,
            "status": record["status"], "status_label": RECORD_STATUS_LABELS.get(record["status"], ""),
        })
    return shown


def _header(facts: RoomFacts) -> dict:
    session, plan = facts.session, facts.plan
    return {
        "code": session.code, "title": session.title, "service": session.service,
        "created_at": session.created_at, "groups": session.groups,
        "plan": {"id": plan.id, "title": plan.title,
                 "min_consensus": plan.min_consensus, "min_agreement": plan.min_agreement,
                 "min_votes": plan.min_votes, "quorum": plan.quorum},
        "steps": list(facts.steps),
        "current_step": facts.state.current_step,
        "participants": {"joined": facts.presence.joined, "connected": facts.presence.connected},
    }


def _console_question(facts: RoomFacts, question: Question) -> dict:
    state = facts.state.question(question.id)
    entry = {"id": question.id, **state.to_public()}
    found = facts.results.get(question.id)
    if found is not None:
        entry["tally"] = _tally(found["rounds"][-1])
        entry["rounds"] = found["rounds"]
        entry["shift"] = found["shift"]
    if question.id in facts.presence.not_voted:
        entry["not_voted"] = facts.presence.not_voted[question.id]
    if question.kind == "text":
        # Counts of everything sent, not of the page of submissions the snapshot carries.
        entry["sent"] = sum(facts.moderation["answered"].get(question.id, {}).values())
        entry["waiting"] = facts.moderation.get("pending_by_question", {}).get(question.id, 0)
    return entry


def _projector_question(facts: RoomFacts, question: Question) -> dict:
    state = facts.state.question(question.id)
    entry = {"id": question.id, **state.to_public(), "voted": _voted(facts, question, state.round)}
    found = facts.results.get(question.id)
    if found is None:
        return entry
    rounds = [hide_small_groups(figures, facts.plan.min_group_size) for figures in found["rounds"]]
    if state.revealed:
        entry["tally"] = _tally(rounds[-1])
        entry["rounds"] = rounds
        entry["shift"] = found["shift"]
    elif state.round > 1:
        # A new round is only started after its question was revealed, so the earlier rounds have been
        # seen by the room: they stay on screen beside the live count while the new round is hidden.
        entry["rounds"] = rounds[:-1]
    return entry


def _voted(facts: RoomFacts, question: Question, round_: int) -> int:
    """How many have answered this round: a count the room may see while results are hidden."""
    if question.kind == "text":
        return int(facts.moderation["answered"].get(question.id, {}).get(round_, 0))
    found = facts.results.get(question.id)
    if found is None:
        return 0
    latest = found["rounds"][-1]
    return int(latest["n"] + latest["abstain"])


def _tally(figures: dict) -> dict:
    return {**figures, "voted": figures["n"] + figures["abstain"]}


def _summary_row(step: Step, questions: Mapping[str, dict], record: dict | None) -> dict:
    """One row of the summary heat map: how much a kind hurts against how strongly the room agrees."""
    impact = questions.get(f"{step.category}.impact", {}).get("tally") or {}
    direction = questions.get(f"{step.category}.direction", {}).get("tally") or {}
    return {
        "kind": step.category, "title": step.title,
        "impact": impact.get("mean"), "consensus": direction.get("consensus"),
        "agreement": direction.get("agreement"), "reached": direction.get("reached"),
        "record": {key: record[key] for key in ("direction", "strategy", "status")} if record else None,
    }


def _proposal(step: Step, questions: Mapping[str, dict]) -> dict:
    """What the votes on this kind lean to, for the console's consensus form."""
    direction = questions.get(f"{step.category}.direction", {}).get("tally")
    strategy = questions.get(f"{step.category}.strategy", {}).get("tally")
    return {**propose(direction, strategy), "reached": direction.get("reached") if direction else None}


def _phone_step(public: dict, count: int) -> dict:
    shown = ("index", "id", "kind", "title", "body", "category", "definition", "it_example",
             "everyday_example", "prompts")
    return {**{key: public.get(key) for key in shown}, "count": count}


def _phone_question(facts: RoomFacts, question: Question) -> dict:
    state = facts.state.question(question.id)
    entry = {**question.to_public(), **state.to_public()}
    found = facts.results.get(question.id)
    if state.revealed and found is not None:
        latest = _tally(found["rounds"][-1])
        entry["results"] = {key: value for key, value in latest.items() if key not in ("by_group", "group_gap")}
    return entry
