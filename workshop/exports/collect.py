"""Gather what every export shows from the record: the session, each kind's record and its evidence.

Everything is read once: one query for every vote of the session, from which every round's figures
are computed with the same functions the results API uses, so an export never disagrees with what
the console showed.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable

from ..domain.framework import KINDS, STRATEGIES_BY_ID, Kind
from ..domain.refusal import Refusal
from ..domain.session import SessionRecord
from ..domain.tally import ABSTAIN, UNKNOWN, Attendance, RoundBallots, hide_small_groups, question_results
from ..store.interface import RecordStore
from ..vocabulary import NOT_DECIDED, RECORD_DIRECTION_LABELS, RECORD_STATUS_LABELS

SCHEMA = "variability-workshop/export/v1"
QUESTION_ROLES = ("impact", "direction", "strategy")
RECORD_FIELDS = ("direction", "strategy", "status", "notes", "dissent", "sla_input", "sla", "clauses", "owner",
                 "due", "recorded_at")


def collect(store: RecordStore, code: str) -> dict:
    """Everything the exports show, as JSON-ready data (the documented export schema plus raw votes).

    The key "votes" holds the pseudonymous raw votes for the audit formats; the JSON export
    leaves it out.
    """
    session = store.session_record(code.upper())
    if session is None:
        raise Refusal("unknown_session", f"no session with code {code!r}")
    everyone = store.participants(session.code)
    pseudonyms = {row["id"]: f"P{number}" for number, row in enumerate(everyone, start=1)}
    participants = [row for row in everyone if not row["removed_at"]]  # removed phones do not count
    votes = store.all_votes(session.code)
    rounds = _votes_by_round(vote for vote in votes if not vote["removed"])
    records = store.records(session.code)
    examples, voices = _approved_texts(session, store.submissions(session.code, "approved"))
    # A closed round carries who was present as stored when it closed; an open one (an export taken
    # mid-vote) counts everyone who joined, and says it is open.
    present = _Presence(store.attendance(session.code), len(participants))
    return {
        "schema": SCHEMA,
        "session": _session(session, participants),
        "kinds": [_kind_entry(session, kind, records.get(kind.id), rounds, examples.get(kind.id, []),
                              voices.get(kind.id, []), present)
                  for kind in KINDS],
        "votes": _raw_votes(session, votes, pseudonyms, _hidden_groups(votes, session.plan.min_group_size)),
    }


def _session(session: SessionRecord, participants: list[dict]) -> dict:
    by_group = {group: 0 for group in session.groups}
    for row in participants:
        if row["group_name"] in by_group:
            by_group[row["group_name"]] += 1
    return {
        "code": session.code, "title": session.title, "service": session.service,
        "plan": session.plan.id, "plan_title": session.plan.title, "groups": list(session.groups),
        "held_at": session.created_at, "participants": len(participants),
        "participants_by_group": by_group,
        "thresholds": {"consensus": session.plan.min_consensus, "agreement": session.plan.min_agreement,
                       "min_votes": session.plan.min_votes, "quorum": session.plan.quorum},
    }


def _votes_by_round(votes: Iterable[dict]) -> dict[tuple[str, int], list[dict]]:
    grouped: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for vote in votes:
        grouped[(vote["question_id"], vote["round"])].append(vote)
    return grouped


class _Presence:
    def __init__(self, stored: dict[tuple[str, int], dict], joined: int) -> None:
        self.stored = stored
        self.joined = joined

    def of(self, qid: str, round_: int, open_now: bool) -> Attendance:
        found = self.stored.get((qid, round_))
        if found is not None:
            return Attendance(len(found["groups"]), fixed=True, amended=found["amended"])
        return Attendance(self.joined) if open_now else UNKNOWN

    def groups(self, qid: str, round_: int) -> dict[int, str]:
        return (self.stored.get((qid, round_)) or {}).get("groups", {})


def _kind_entry(session: SessionRecord, kind: Kind, record: dict | None, rounds: dict, examples: list[dict],
                voices: list[str], present: _Presence) -> dict:
    entry: dict = {"kind": kind.id, "name": kind.name, "sla_hint": kind.sla_hint,
                   "sla_fields": [{"id": item.id, "label": item.label} for item in kind.sla_fields],
                   "record": None}
    if record is not None:
        strategy = STRATEGIES_BY_ID.get(record["strategy"])
        entry["record"] = {key: record[key] for key in RECORD_FIELDS}
        entry["record"].update(
            direction_name=RECORD_DIRECTION_LABELS.get(record["direction"], NOT_DECIDED),
            strategy_name=strategy.name if strategy else NOT_DECIDED,
            strategy_family=strategy.family if strategy else None,
            status_name=RECORD_STATUS_LABELS[record["status"]],
            warnings=_warnings(record))
        # The figures as they stood when the record was made: what the decision rests on.
        entry["evidence"] = _evidence(record["evidence"], session.plan.min_group_size)
    entry["questions"] = {role: _question_entry(session, f"{kind.id}.{role}", rounds, present)
                          for role in QUESTION_ROLES}
    entry["examples"] = examples
    entry["dissent_texts"] = voices
    return entry


def _warnings(record: dict) -> list[dict]:
    if record["warnings"]:
        return list(record["warnings"])
    # Records made before warnings had codes kept their sentences in the evidence.
    return [{"code": "check", "message": text} for text in record["evidence"].get("warnings", [])]


def _question_entry(session: SessionRecord, qid: str, rounds: dict, present: _Presence) -> dict | None:
    question = session.plan.question(qid)
    if question is None or question.kind == "text":
        return None
    state = session.state.question(qid)
    entry = {**question.to_public(), "status": state.status, "rounds": [], "shift": None}
    if state.status == "pending":
        return entry
    is_open = state.status == "open"
    attendance = [present.of(qid, number, is_open and number == state.round) for number in range(1, state.round + 1)]
    found = question_results(session.plan, session.groups, question, _stored_rounds(qid, state.round, rounds, present),
                             attendance, last_open=is_open)
    entry["rounds"] = [hide_small_groups(figures, session.plan.min_group_size) for figures in found["rounds"]]
    entry["shift"] = found["shift"]
    return entry


def _evidence(evidence: dict, min_group_size: int) -> dict:
    """A record's evidence with the small groups' figures hidden, as everywhere they are read."""
    return {key: hide_small_groups(value, min_group_size) if key in QUESTION_ROLES and value else value
            for key, value in evidence.items()}


def _stored_rounds(qid: str, count: int, rounds: dict, present: _Presence) -> list[RoundBallots]:
    """Rounds 1..count of a question, from the stored votes, as the live figures count them: a closed
    round's voters in the groups stored with it."""
    found: list[RoundBallots] = []
    for number in range(1, count + 1):
        votes = rounds.get((qid, number), [])
        stored = present.groups(qid, number)
        found.append(RoundBallots({vote["participant_id"]: vote["value"] for vote in votes},
                                  {vote["participant_id"]: stored.get(vote["participant_id"], vote["group_name"])
                                   for vote in votes},
                                  found[-1].votes if found else None, fixed=bool(stored)))
    return found


def _approved_texts(session: SessionRecord, approved: list[dict]) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """Approved submissions per kind: examples, and answers to "what would change your vote?"."""
    examples: dict[str, list[dict]] = defaultdict(list)
    voices: dict[str, list[str]] = defaultdict(list)
    for item in approved:
        step = session.plan.step_of(item["question_id"])
        if step is None or step.category is None:
            continue
        if item["question_id"] == f"{step.category}.dissent":
            voices[step.category].append(item["text"])
            continue
        # Names stay out of exports: an example is attributed to its group only.
        examples[step.category].append({"question": item["question_id"], "round": item["round"],
                                        "group": item["group_name"], "text": item["text"],
                                        "submitted_at": item["created_at"]})
    return examples, voices


def _hidden_groups(votes: list[dict], min_size: int) -> set[tuple[str, int, str]]:
    """(question, round, group) of every group too small to show in that round: fewer counted votes
    (not abstentions, not removed) than the plan's minimum group size."""
    counted: Counter[tuple[str, int, str]] = Counter()
    seen: set[tuple[str, int, str]] = set()
    for vote in votes:
        key = (vote["question_id"], vote["round"], vote["group_name"])
        seen.add(key)
        if not vote["removed"] and vote["value"] != ABSTAIN:
            counted[key] += 1
    return {key for key in seen if key[2] and counted[key] < min_size}


def _raw_votes(session: SessionRecord, votes: list[dict], pseudonyms: dict[int, str],
               hidden: set[tuple[str, int, str]]) -> list[dict]:
    """Every vote, pseudonymous; a group too small to show in a round is left blank on its votes there."""
    order = {question.id: index for index, question in enumerate(session.plan.questions)}
    ordered = sorted(votes, key=lambda vote: (order.get(vote["question_id"], len(order)), vote["question_id"],
                                             vote["round"], vote["voted_at"], vote["participant_id"]))
    return [{"question": vote["question_id"], "round": vote["round"],
             "participant": pseudonyms[vote["participant_id"]],
             "group": "" if (vote["question_id"], vote["round"], vote["group_name"]) in hidden else vote["group_name"],
             "value": vote["value"], "voted_at": vote["voted_at"], "removed": bool(vote["removed"])}
            for vote in ordered]
