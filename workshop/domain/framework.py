"""Frances Frei's framework: the five kinds of customer-introduced variability and four strategies."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    id: str
    name: str
    sla_hint: str


@dataclass(frozen=True)
class Strategy:
    id: str
    name: str
    family: str  # "accommodate" or "reduce"


KINDS: tuple[Kind, ...] = (
    Kind("arrival", "Arrival",
         "Service hours, booking rules, peak capacity and response targets by time of day."),
    Kind("request", "Request",
         "Catalogue scope, standard versus non-standard requests, fulfilment times."),
    Kind("capability", "Capability",
         "Customer prerequisites, training, self-service and support tiers."),
    Kind("effort", "Effort",
         "Customer responsibilities and the information a request must carry."),
    Kind("subjective_preference", "Subjective preference",
         "Contact channels, service standards and satisfaction targets."),
)

STRATEGIES: tuple[Strategy, ...] = (
    Strategy("classic_accommodation", "Classic accommodation", "accommodate"),
    Strategy("low_cost_accommodation", "Low-cost accommodation", "accommodate"),
    Strategy("classic_reduction", "Classic reduction", "reduce"),
    Strategy("uncompromised_reduction", "Uncompromised reduction", "reduce"),
)

DIRECTIONS: tuple[str, ...] = ("less", "same", "more")
RECORD_STATUSES: tuple[str, ...] = ("agreed", "no_consensus", "deferred")

KINDS_BY_ID = {kind.id: kind for kind in KINDS}
STRATEGIES_BY_ID = {strategy.id: strategy for strategy in STRATEGIES}
