"""Every label and limit the pages show, defined once and handed to the browser as JSON.

The values come from the modules that enforce them; only words that exist nowhere else in Python
(the labels) and the session code's length are defined here.
"""

import copy
from dataclasses import asdict

from .domain.figures import Thresholds
from .domain.framework import DIRECTIONS, KINDS, RECORD_STATUSES, STRATEGIES
from .domain.plan_model import DEFAULT_TEXT_LENGTH, MAX_GROUP_LENGTH
from .domain.records import MAX_TEXT
from .live.room import MAX_NAME
from .web.api import MAX_TITLE
from .web.sockets import POLICY_VIOLATION, UNKNOWN_SESSION

CODE_LENGTH = 6

DIRECTION_LABELS: dict[str, str] = {"less": "Less variability", "same": "As today", "more": "More variability"}
# The short words on the consensus form's radio buttons.
DIRECTION_CHOICES: dict[str, str] = {"less": "Less", "same": "As today", "more": "More"}
RECORD_STATUS_LABELS: dict[str, str] = {"agreed": "Agreed", "no_consensus": "No consensus", "deferred": "Deferred"}
QUESTION_STATUS_LABELS: dict[str, str] = {"pending": "Not opened", "open": "Open", "closed": "Closed"}


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
    "close_codes": {"policy_violation": POLICY_VIOLATION, "unknown_session": UNKNOWN_SESSION},
}


def vocabulary() -> dict:
    """The labels and limits every page needs, ready for `json.dumps`; a fresh copy each call."""
    return copy.deepcopy(_VOCABULARY)
