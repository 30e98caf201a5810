"""Frances Frei's framework: the five kinds of customer-introduced variability and four strategies."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SlaField:
    """One structured clause of a kind's SLA section, e.g. arrival's service hours."""

    id: str
    label: str


@dataclass(frozen=True)
class Kind:
    id: str
    name: str
    sla_hint: str  # a placeholder shown while recording, never text that lands in a record
    sla_fields: tuple[SlaField, ...] = ()


@dataclass(frozen=True)
class Strategy:
    id: str
    name: str
    family: str  # "accommodate" or "reduce"


def _fields(*pairs: tuple[str, str]) -> tuple[SlaField, ...]:
    return tuple(SlaField(field_id, label) for field_id, label in pairs)


# What each kind feeds into an SLA, as the headings of its draft section (DESIGN section 2).
KINDS: tuple[Kind, ...] = (
    Kind("arrival", "Arrival",
         "Service hours, booking rules, peak capacity and response targets by time of day.",
         _fields(("service_hours", "Service hours"), ("booking_rules", "Booking rules"),
                 ("peak_capacity", "Peak capacity"), ("response_targets", "Response targets"))),
    Kind("request", "Request",
         "Catalogue scope, standard versus non-standard requests, fulfilment times.",
         _fields(("catalogue_scope", "Catalogue scope"),
                 ("standard_vs_non_standard", "Standard versus non-standard requests"),
                 ("fulfilment_times", "Fulfilment times"))),
    Kind("capability", "Capability",
         "Customer prerequisites, training, self-service and support tiers.",
         _fields(("prerequisites", "Customer prerequisites"), ("training", "Training"),
                 ("self_service", "Self-service"), ("support_tiers", "Support tiers"))),
    Kind("effort", "Effort",
         "Customer responsibilities and the information a request must carry.",
         _fields(("customer_responsibilities", "Customer responsibilities"),
                 ("minimum_information", "Minimum information a request must carry"))),
    Kind("subjective_preference", "Subjective preference",
         "Contact channels, service standards and satisfaction targets.",
         _fields(("channels", "Contact channels"), ("service_standards", "Service standards"),
                 ("satisfaction_targets", "Satisfaction targets"))),
)

STRATEGIES: tuple[Strategy, ...] = (
    Strategy("classic_accommodation", "Classic accommodation", "accommodate"),
    Strategy("low_cost_accommodation", "Low-cost accommodation", "accommodate"),
    Strategy("classic_reduction", "Classic reduction", "reduce"),
    Strategy("uncompromised_reduction", "Uncompromised reduction", "reduce"),
)

DIRECTIONS: tuple[str, ...] = ("less", "same", "more")
# The points of the -2..+2 direction scale that mean each decision; a plan may set its own.
DIRECTION_SIDES: tuple[tuple[str, tuple[int, ...]], ...] = (("less", (-2, -1)), ("same", (0,)), ("more", (1, 2)))
RECORD_STATUSES: tuple[str, ...] = ("agreed", "no_consensus", "deferred")

KINDS_BY_ID = {kind.id: kind for kind in KINDS}
STRATEGIES_BY_ID = {strategy.id: strategy for strategy in STRATEGIES}
