"""Consensus records: the facilitator's decision for one kind of variability."""

from dataclasses import dataclass

from .framework import DIRECTIONS, KINDS_BY_ID, RECORD_STATUSES, STRATEGIES_BY_ID
from .refusal import Refusal

MAX_TEXT = 4000


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


def parse_record(kind: str, data: object) -> ConsensusInput:
    """Validate a consensus record as sent by the facilitator; raise RecordError naming the field."""
    if kind not in KINDS_BY_ID:
        raise RecordError("kind", f"must be one of {', '.join(KINDS_BY_ID)}")
    if not isinstance(data, dict):
        raise RecordError("body", "must be a JSON object")
    unknown = set(data) - {"direction", "strategy", "status", "notes", "dissent", "sla_input"}
    if unknown:
        raise RecordError(sorted(unknown)[0], "is not a field of a consensus record")
    return ConsensusInput(
        kind=kind,
        direction=_choice(data, "direction", DIRECTIONS),
        strategy=_choice(data, "strategy", tuple(STRATEGIES_BY_ID)),
        status=_choice(data, "status", RECORD_STATUSES),
        notes=_text(data, "notes"),
        dissent=_text(data, "dissent"),
        sla_input=_text(data, "sla_input", default=KINDS_BY_ID[kind].sla_hint),
    )


def _choice(data: dict, field: str, allowed: tuple[str, ...]) -> str:
    value = data.get(field)
    if value not in allowed:
        raise RecordError(field, f"must be one of {', '.join(allowed)}")
    return value


def _text(data: dict, field: str, default: str = "") -> str:
    value = data.get(field)
    if value is None:
        return default
    if not isinstance(value, str):
        raise RecordError(field, "must be a string")
    if len(value) > MAX_TEXT:
        raise RecordError(field, f"must be at most {MAX_TEXT} characters")
    return value.strip()


def propose(direction: dict | None, strategy: dict | None) -> dict:
    """The direction and strategy the latest votes lean to, from their figures (None where no votes)."""
    lean = None
    if direction and direction.get("median") is not None:
        median = direction["median"]
        lean = "less" if median < 0 else "more" if median > 0 else "same"
    leader = strategy.get("leader") if strategy else None
    return {"direction": lean, "strategy": leader}


def warnings_for(direction: str, strategy: str, status: str, reached: bool | None) -> list[str]:
    """What a facilitator should look at twice before recording this decision."""
    found = []
    family = STRATEGIES_BY_ID[strategy].family if strategy in STRATEGIES_BY_ID else None
    if direction == "less" and family == "accommodate":
        found.append("Less variability allowed, but an accommodation strategy: reducing strategies fit 'less'.")
    if direction == "more" and family == "reduce":
        found.append("More variability allowed, but a reduction strategy: accommodating strategies fit 'more'.")
    if status == "agreed" and reached is False:
        found.append("Recorded as agreed, but the votes did not reach the consensus threshold.")
    return found
