"""Consensus records: the facilitator's decision for one kind of variability, and what to check in it."""

import datetime
from dataclasses import asdict, dataclass, field

from .framework import DIRECTIONS, KINDS_BY_ID, RECORD_STATUSES, STRATEGIES_BY_ID
from .plan_model import Plan
from .refusal import Refusal
from .verdict import position

MAX_TEXT = 4000
MAX_OWNER = 120
TEXT_FIELDS = ("notes", "dissent", "sla_input")
RECORD_FIELDS = frozenset({"direction", "strategy", "status", "sla", "clauses", "owner", "due", "round",
                           *TEXT_FIELDS})
SEVERITIES = ("must_resolve", "to_note")


class RecordError(Refusal):
    """A consensus record that cannot be stored; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__("unknown_kind" if field == "kind" else "invalid_field", f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ConsensusInput:
    kind: str
    direction: str
    strategy: str
    status: str
    notes: str = ""
    dissent: str = ""
    sla_input: str = ""
    # The kind's structured SLA clauses (framework's sla_fields), only those filled in.
    sla: dict[str, str] = field(default_factory=dict, hash=False)
    clauses: tuple[str, ...] = ()  # the chosen strategy's tactics, ticked as clauses
    owner: str = ""
    due: str = ""  # an ISO date, or ""
    round: int | None = None  # the direction vote's round the record rests on; None: the latest closed with votes

    def to_row(self) -> dict:
        """The record's fields as the store keeps them (the round is kept with the evidence)."""
        row = asdict(self)
        row["clauses"] = list(self.clauses)
        del row["round"]
        return row


def parse_record(kind: str, data: object, plan: Plan | None = None) -> ConsensusInput:
    """Validate a consensus record as sent by the facilitator; raise RecordError naming the field.

    With a plan, ticked clauses must be among its tactics for the chosen strategy on this kind.
    """
    if kind not in KINDS_BY_ID:
        raise RecordError("kind", f"must be one of {', '.join(KINDS_BY_ID)}")
    if not isinstance(data, dict):
        raise RecordError("body", "must be a JSON object")
    unknown = set(data) - RECORD_FIELDS
    if unknown:
        raise RecordError(sorted(unknown)[0], "is not a field of a consensus record")
    status = _choice(data, "status", RECORD_STATUSES)
    # A decision put off need not name a direction or a strategy: they are stored as empty.
    undecided = ("", None) if status == "deferred" else ()
    strategy = _choice(data, "strategy", tuple(STRATEGIES_BY_ID), undecided)
    texts = {name: _text(data, name) for name in TEXT_FIELDS}
    if _is_hint(kind, texts["sla_input"], plan):
        texts["sla_input"] = ""
    return ConsensusInput(
        kind=kind,
        direction=_choice(data, "direction", DIRECTIONS, undecided),
        strategy=strategy,
        status=status,
        **texts,
        sla=_sla(kind, data.get("sla")),
        clauses=_clauses(kind, strategy, data.get("clauses"), plan),
        owner=_text(data, "owner", MAX_OWNER),
        due=_due(data.get("due")),
        round=_round(data.get("round")),
    )


def _round(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RecordError("round", "must be a round number (1, 2, ...) or null for the latest closed round")
    return value


def round_to_rest_on(rounds: list[dict], named: int | None = None) -> dict | None:
    """The judged round a record rests on: the one named, else the latest closed round with votes.

    Never an open round or one without votes: raises RecordError for a named one of those."""
    if named is None:
        closed = [found for found in rounds if not found.get("open") and found["n"]]
        return closed[-1] if closed else None
    if not 1 <= named <= len(rounds):
        raise RecordError("round", f"must be one of the rounds held (1 to {len(rounds)})" if rounds
                          else "no round of this vote has been held")
    chosen = rounds[named - 1]
    if chosen.get("open"):
        raise RecordError("round", f"round {named} is still open: close it before a record rests on it")
    if not chosen["n"]:
        raise RecordError("round", f"round {named} has no votes to rest on")
    return chosen


def _is_hint(kind: str, text: str, plan: Plan | None) -> bool:
    """True for the SLA-input hint sent back unchanged: a form that pre-filled it decided nothing."""
    step = plan.category_step(kind) if plan is not None else None
    hints = {KINDS_BY_ID[kind].sla_hint, step.sla_hint if step else ""}
    return bool(text) and " ".join(text.split()) in {" ".join(hint.split()) for hint in hints}


def _choice(data: dict, name: str, allowed: tuple[str, ...], optional: tuple = ()) -> str:
    value = data.get(name)
    if value in optional:
        return ""
    if value not in allowed:
        also = " (or left out, for a deferred decision)" if optional else ""
        raise RecordError(name, f"must be one of {', '.join(allowed)}{also}")
    return value


def _text(data: dict, name: str, limit: int = MAX_TEXT) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(name, "must be a string")
    if len(value) > limit:
        raise RecordError(name, f"must be at most {limit} characters")
    return value.strip()


def _sla(kind: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    allowed = [item.id for item in KINDS_BY_ID[kind].sla_fields]
    if not isinstance(value, dict):
        raise RecordError("sla", f"must be an object with any of: {', '.join(allowed)}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise RecordError(f"sla.{unknown[0]}", f"is not an SLA field of {kind} (fields: {', '.join(allowed)})")
    texts = {}
    for name in allowed:
        try:
            texts[name] = _text(value, name)
        except RecordError as error:
            raise RecordError(f"sla.{name}", error.message) from None
    return {name: text for name, text in texts.items() if text}


def _clauses(kind: str, strategy: str, value: object, plan: Plan | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecordError("clauses", "must be a list of tactic texts")
    offered = plan.tactics(kind, strategy) if plan is not None else None
    chosen: list[str] = []
    for position_, item in enumerate(value):
        text = item.strip()
        if offered is not None and text not in offered:
            raise RecordError(f"clauses[{position_}]", f"is not one of the plan's tactics for {strategy} on {kind}")
        if text not in chosen:
            chosen.append(text)
    return tuple(chosen)


def _due(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise RecordError("due", "must be a date written YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise RecordError("due", "must be a date written YYYY-MM-DD") from None


def propose(direction: dict | None, strategy: dict | None) -> dict:
    """The direction and strategy the latest votes lean to, from their figures (None where no votes).

    On a scale with decision sides the lean is the majority side; otherwise the median's sign.
    """
    lean = None
    if direction and "side" in direction:
        lean = direction["side"]
    elif direction and direction.get("median") is not None:
        median = direction["median"]
        lean = "less" if median < 0 else "more" if median > 0 else "same"
    leader = strategy.get("leader") if strategy else None
    return {"direction": lean, "strategy": leader}


def record_warnings(record: ConsensusInput, evidence: dict) -> list[dict]:
    """Everything a service owner should look at twice in this record: [{code, message, severity}],
    those that must be resolved first.

    `evidence` holds the judged rounds the record rests on ("direction", "strategy"; each may be
    missing or None). This is the one place warnings are made; every export shows what it returns.
    """
    direction = evidence.get("direction") or {}
    strategy = evidence.get("strategy") or {}
    found = _fit_warnings(record) + _side_warnings(record, direction, strategy)
    if record.status == "agreed":
        found += _agreed_warnings(direction, strategy)
    elif not (record.owner and record.due):
        missing = " and ".join(name for name, value in (("an owner", record.owner), ("a due date", record.due))
                               if not value)
        found.append(_warning("no_owner", f"{'Deferred' if record.status == 'deferred' else 'No consensus'}, "
                                          f"but without {missing} for settling it."))
    return sorted(found, key=lambda warning: SEVERITIES.index(warning["severity"]))


# Warnings that contradict the record itself; every other warning is one to note beside it.
MUST_RESOLVE = frozenset({"agreed_without_votes", "too_few_votes", "polarised", "agreed_against_votes",
                          "direction_against_majority", "strategy_against_leader", "strategy_not_reached"})


def _warning(code: str, message: str) -> dict:
    return {"code": code, "message": message, "severity": "must_resolve" if code in MUST_RESOLVE else "to_note"}


def _fit_warnings(record: ConsensusInput) -> list[dict]:
    family = STRATEGIES_BY_ID[record.strategy].family if record.strategy in STRATEGIES_BY_ID else None
    if record.direction == "less" and family == "accommodate":
        return [_warning("less_accommodate",
                         "Less variability allowed, but an accommodation strategy: reducing strategies fit 'less'.")]
    if record.direction == "more" and family == "reduce":
        return [_warning("more_reduce",
                         "More variability allowed, but a reduction strategy: accommodating strategies fit 'more'.")]
    return []


def _side_warnings(record: ConsensusInput, direction: dict, strategy: dict) -> list[dict]:
    found = []
    side = position(direction) if "side_counts" in direction else None
    if record.direction and direction.get("n") and side is not None and side != record.direction:
        found.append(_warning("direction_against_majority",
                              f"Recorded '{record.direction}', but most direction votes were for '{side}' "
                              f"({direction['side_counts'][side]} of {direction['n']})."))
    leader = strategy.get("leader")
    if (record.strategy and strategy.get("n") and leader is not None and leader != record.strategy
            and strategy.get("clear_leader")):
        votes = f"{strategy['counts'][leader]} of {strategy['n']}"
        found.append(_warning("strategy_against_leader",
                              f"Recorded {STRATEGIES_BY_ID[record.strategy].name}, but the strategy vote was led "
                              f"clearly by {_strategy_name(leader)} ({votes})."))
    return found


def _strategy_name(option: str) -> str:
    return STRATEGIES_BY_ID[option].name if option in STRATEGIES_BY_ID else option


def _agreed_warnings(direction: dict, strategy: dict) -> list[dict]:
    if not direction.get("n"):
        return [_warning("agreed_without_votes",
                         "Recorded as agreed, but no closed round of the direction vote has votes.")]
    verdict = direction.get("verdict")
    found = []
    if verdict == "too_few_votes":
        found.append(_warning("too_few_votes", f"Recorded as agreed on {_turnout(direction)}: too few to judge "
                                               f"(the plan asks for {_needs(direction)})."))
    elif verdict == "polarised":
        camps = " and ".join(direction["split"]["camps"])
        found.append(_warning("polarised", f"Recorded as agreed, but the room is polarised: {camps} "
                                           f"agree among themselves and stand apart."))
    elif verdict != "reached":
        found.append(_warning("agreed_against_votes",
                              "Recorded as agreed, but the direction vote did not reach the agreement threshold."))
    elif direction.get("certainty") == "narrow":
        found.append(_warning("narrow", "Reached narrowly: the 95% interval of the leading share reaches below "
                                        "the threshold, so a few votes the other way would undo it."))
    split = direction.get("split") or {}
    if split.get("split") and verdict != "polarised":
        found.append(_warning("split_groups", "Agreed with a dissenting group: " + _split_text(split) + "."))
    if direction.get("small_room"):
        found.append(_warning("small_room", f"A small room: everyone present ({direction['n']}) voted the same way."))
    if direction.get("amended"):
        found.append(_warning("amended", "The round was amended after it closed: a participant was removed."))
    return found + _strategy_agreed_warnings(strategy)


def _strategy_agreed_warnings(strategy: dict) -> list[dict]:
    if not strategy.get("n"):
        return []
    found = []
    if "side_counts" in strategy and strategy.get("verdict") != "reached":
        found.append(_warning("strategy_not_reached",
                              "Recorded as agreed, but the strategy vote did not agree on reducing or "
                              "accommodating the variability."))
    if not strategy.get("clear_leader"):
        found.append(_warning("strategy_no_clear_leader",
                              "No strategy led the vote by a clear margin; the named strategy is the room's "
                              "family choice, not a clear favourite."))
    return found


def _needs(figures: dict) -> str:
    needed = figures.get("quorum_needed")
    return f"at least the minimum of votes and {needed} of {figures.get('present')} present taking part" \
        if needed is not None else "at least the minimum of votes"


def _turnout(figures: dict) -> str:
    present = figures.get("present")
    votes = f"{figures['n']} vote{'s' if figures['n'] != 1 else ''}"
    return f"{votes} of {present} present" if present is not None else votes


def _split_text(split: dict) -> str:
    parts = []
    if split.get("against"):
        parts.append(f"{', '.join(split['against'])} leaned the other way")
    if split.get("gap") is not None and split["gap"] >= 1 - 1e-9:
        parts.append(f"the group means are {split['gap']:.2f} points apart")
    return "; ".join(parts) or "the groups differ"
