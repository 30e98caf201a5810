"""Committed changes as typed events: each survives the trip through the broker as a dict, an event of
a kind this release does not know reads as a change of state (the room reads the session again), and a
malformed one is refused with ValueError, which the broker skips."""

import pytest

from workshop.domain.events import (
    KINDS,
    Joined,
    Moderated,
    PhoneReplaced,
    RecordSaved,
    Removed,
    StateChanged,
    Submitted,
    Voted,
    event_from_dict,
)

EVENTS = [Voted(3, "arrival.direction", 2, "-1", "IT"), Submitted(3, "arrival.dissent", 1), Joined(4, "Business"),
          Removed(4), PhoneReplaced(3, 1_700_000_000_000_000_000, "another-process"), StateChanged("open", "arrival.direction"),
          Moderated(9, "approved"), RecordSaved("arrival")]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: event.kind)
def test_every_event_survives_the_trip_through_the_broker(event):
    carried = {**event.to_dict(), "origin": "another-process"}  # the broker adds its origin
    assert event_from_dict(carried) == event


def test_every_kind_has_one_event_type():
    assert sorted(KINDS) == sorted(event.kind for event in EVENTS)


def test_a_kind_from_a_later_release_reads_as_a_change_of_state():
    assert event_from_dict({"kind": "something_new", "x": 1}) == StateChanged()
    assert event_from_dict({"kind": "state"}) == StateChanged()


def test_a_replacement_from_an_earlier_release_has_no_stamp():
    assert event_from_dict({"kind": "replaced", "participant": 3}) == PhoneReplaced(3)


@pytest.mark.parametrize("data", [
    {"kind": "vote"},
    {"kind": "vote", "participant": 1, "question": 7, "round": "x", "value": 1, "group": ""},
    {"kind": "vote", "participant": True, "question": "q", "round": 1, "value": "1", "group": ""},
    {"kind": "join", "participant": "1", "group": "IT"},
    {"kind": "removed"},
])
def test_a_malformed_event_is_refused(data):
    with pytest.raises(ValueError):
        event_from_dict(data)


def test_events_are_frozen():
    with pytest.raises(AttributeError):
        Removed(1).participant = 2  # type: ignore[misc]
