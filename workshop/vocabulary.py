"""Every label, limit and close code the product shares between server and pages, defined once and
handed to the browser as JSON (a block in `base.html`, read by `static/js/vocabulary.js`).

Rules that belong to the domain (plan and record limits, thresholds) are imported from it; the
limits and socket close codes of the live and web layers are defined here and imported by them.
"""

import copy
from dataclasses import asdict

from .domain.figures import Thresholds
from .domain.framework import DIRECTIONS, KINDS, RECORD_STATUSES, STRATEGIES
from .domain.plan_model import DEFAULT_TEXT_LENGTH, MAX_GROUP_LENGTH
from .domain.records import MAX_TEXT
from .domain.verdict import CERTAINTIES, VERDICTS

CODE_LENGTH = 6  # a session code, read aloud and typed on phones
# The summary heat map, the same on every surface (console, projector, report): this many bands of
# consensus on direction (weak, moderate, strong) against as many bands of impact (mild ... hurts);
# a cell's heat is how far it is from the settled corner (strong agreement, mild impact).
HEAT_BANDS = 3
MAX_NAME = 40  # a participant's name
MAX_TITLE = 120  # a session's title and service

# Socket close codes the pages act on.
CLOSE_CODES: dict[str, int] = {
    "policy_violation": 1008,  # refused: a missing key, a cross-origin socket, a flood
    "too_slow": 1013,  # the socket fell behind the room; reconnect and catch up
    "removed": 4403,  # the facilitator removed this phone from the session
    "unknown_session": 4404,
    "replaced": 4409,  # the same phone opened the session on a newer connection
    "too_many_wrong_codes": 4429,  # this network tried too many codes that name no session; try later
}

DIRECTION_LABELS: dict[str, str] = {"less": "Less variability", "same": "As today", "more": "More variability"}
# The short words on the consensus form's radio buttons.
DIRECTION_CHOICES: dict[str, str] = {"less": "Less", "same": "As today", "more": "More"}
# A record's direction written out in full, where it stands alone (the exports' tables and briefs).
RECORD_DIRECTION_LABELS: dict[str, str] = {
    "less": "Less variability allowed", "same": "As much variability as today", "more": "More variability allowed",
}
NOT_DECIDED = "Not decided"  # a deferred record without a direction or a strategy
RECORD_STATUS_LABELS: dict[str, str] = {"agreed": "Agreed", "no_consensus": "No consensus", "deferred": "Deferred"}
# A kind that has no consensus record yet: its status as the exports show it, and in a sentence.
NO_RECORD_LABEL = "Open"
NO_RECORD_PHRASE = "no consensus record yet"
QUESTION_STATUS_LABELS: dict[str, str] = {"pending": "Not opened", "open": "Open", "closed": "Closed"}
# The words of the verdict and its certainty on every surface (README, "How a round is judged").
# Nothing that did not reach is called any kind of consensus.
VERDICT_LABELS: dict[str, str] = {
    "reached": "Consensus reached", "not_reached": "Not reached", "too_few_votes": "Too few votes to judge",
    "polarised": "Polarised: groups stand apart",
}
CERTAINTY_LABELS: dict[str, str] = {
    "firm": "Firm", "narrow": "Narrow: a few votes could undo it",
    "close": "Close to the threshold", "far": "Far from the threshold",
}


def _labelled(ids: tuple[str, ...], labels: dict[str, str]) -> dict[str, str]:
    """Labels in the framework's order; a framework value without a label is a mistake caught at import."""
    missing = set(ids) ^ set(labels)
    if missing:
        raise ValueError(f"labels and values differ: {sorted(missing)}")
    return {value: labels[value] for value in ids}


_VOCABULARY: dict = {
    "directions": _labelled(DIRECTIONS, DIRECTION_LABELS),
    "direction_choices": _labelled(DIRECTIONS, DIRECTION_CHOICES),
    "record_statuses": _labelled(RECORD_STATUSES, RECORD_STATUS_LABELS),
    "question_statuses": dict(QUESTION_STATUS_LABELS),
    "verdicts": _labelled(VERDICTS, VERDICT_LABELS),
    "certainties": _labelled(CERTAINTIES, CERTAINTY_LABELS),
    "strategies": [{"id": item.id, "name": item.name, "family": item.family} for item in STRATEGIES],
    "kinds": [{"id": kind.id, "name": kind.name, "sla_hint": kind.sla_hint} for kind in KINDS],
    "limits": {
        "name": MAX_NAME,
        "group": MAX_GROUP_LENGTH,
        "title": MAX_TITLE,
        "submission_text": DEFAULT_TEXT_LENGTH,
        "code": CODE_LENGTH,
        "record_text": MAX_TEXT,
    },
    "thresholds": asdict(Thresholds()),
    "heat_bands": HEAT_BANDS,
    "close_codes": dict(CLOSE_CODES),
}


def vocabulary() -> dict:
    """The labels and limits every page needs, ready for `json.dumps`; a fresh copy each call."""
    return copy.deepcopy(_VOCABULARY)
