"""What a committed change to a session was, as a typed value: the store's job that committed it
returns it, and a room follows each one the same way whether it was committed by this process or by
another (its broker carries them as dicts).

The `kind` strings are the wire names processes exchange; a kind this release does not know (from a
later one) reads as `StateChanged`, which makes a room read the session again: nothing is missed.
"""

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Voted(Event):
    kind: ClassVar[str] = "vote"
    participant: int
    question: str
    round: int
    value: str
    group: str


@dataclass(frozen=True)
class Submitted(Event):
    kind: ClassVar[str] = "submitted"
    participant: int
    question: str
    round: int


@dataclass(frozen=True)
class Joined(Event):
    kind: ClassVar[str] = "join"
    participant: int
    group: str


@dataclass(frozen=True)
class Removed(Event):
    kind: ClassVar[str] = "removed"
    participant: int


@dataclass(frozen=True)
class PhoneReplaced(Event):
    """A participant's phone opened the session on a newer socket, stamped `at` (ns) by process `origin`."""
    kind: ClassVar[str] = "replaced"
    participant: int
    at: int | None = None  # absent from a process of an earlier release: any phone elsewhere is older
    origin: str = ""


@dataclass(frozen=True)
class StateChanged(Event):
    """The session's state changed (`command` applied, if known), or anything a room cannot follow."""
    kind: ClassVar[str] = "state"
    command: str | None = None
    question: str | None = None


@dataclass(frozen=True)
class Moderated(Event):
    kind: ClassVar[str] = "moderated"
    submission: int
    status: str


@dataclass(frozen=True)
class RecordSaved(Event):
    kind: ClassVar[str] = "record"
    record_kind: str


KINDS: dict[str, type[Event]] = {cls.kind: cls for cls in (
    Voted, Submitted, Joined, Removed, PhoneReplaced, StateChanged, Moderated, RecordSaved)}


def event_from_dict(data: dict[str, Any]) -> Event:
    """The event a dict describes (extra keys ignored); ValueError if a field is missing or mistyped."""
    cls = KINDS.get(str(data.get("kind")), StateChanged)
    if cls is StateChanged and data.get("kind") != StateChanged.kind:
        return StateChanged()
    values = {}
    for field in fields(cls):
        if field.name not in data:
            if field.default is not MISSING:  # a field with a default may be absent
                continue
            raise ValueError(f"a {cls.kind} event without {field.name!r}")
        value = data[field.name]
        if not isinstance(value, field.type) or isinstance(value, bool):  # type: ignore[arg-type]
            raise ValueError(f"a {cls.kind} event with {field.name}={value!r}")
        values[field.name] = value
    return cls(**values)
