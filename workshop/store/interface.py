"""What the rest of the product may ask of the record, whichever database keeps it.

Reads return plain dicts and values and see only committed data; from the event loop they are
awaited through `awaited(read, *args)`, which runs them on the store's reading threads within a
bound. Writes return a future that settles only after the database has committed (the result; a
write that changes a session settles with the typed event it committed, or a value carrying it: see
`committed_event`) or refused (`Refusal`, nothing written) or failed (`StorageError`, nothing
written); awaited from an event loop with `live.writes.committed`.
"""

import asyncio
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future
from typing import Any, Protocol, TypeAlias, TypeVar, runtime_checkable

from ..domain.commands import Command
from ..domain.events import Event, Submitted, Voted
from ..domain.session import SessionRecord, SessionState

Pending: TypeAlias = "Future[Any] | asyncio.Future[Any]"
T = TypeVar("T")


class Answer(tuple):
    """What storing a vote or submission settles with: (question id, round, whether this call stored
    it), and as `event` the event it committed (None when its message id was seen before)."""

    event: Voted | Submitted | None

    def __new__(cls, question: str, round_: int, event: Voted | Submitted | None = None) -> "Answer":
        answer = super().__new__(cls, (question, round_, event is not None))
        answer.event = event
        return answer


class Stored(dict):
    """A row a write settles with (the participant who joined, the record saved), and as `event` the
    event it committed."""

    __slots__ = ("event",)

    def __init__(self, row: dict, event: Event) -> None:
        super().__init__(row)
        self.event = event


def committed_event(result: object) -> Event | None:
    """The event a write's result says it committed: the result itself, or its `event`."""
    return result if isinstance(result, Event) else getattr(result, "event", None)


@runtime_checkable
class RecordStore(Protocol):
    @property
    def location(self) -> str:
        """Where the record lives, safe to print (no password)."""
        ...

    read_wait: float  # seconds an awaited read may take before StorageError
    write_wait: float  # seconds a write may wait on a stalled writer before StorageError (live.writes.committed)

    def writer_stalled(self, seconds: float) -> bool:
        """Whether the writer has waited on the database for its current batch longer than `seconds`."""
        ...

    async def awaited(self, read: Callable[..., T], *args: Any) -> T:
        """Run one of the reads below off the event loop, bounded by `read_wait`: code on the event loop
        reads only this way."""
        ...

    def start(self) -> None: ...
    def close(self) -> None: ...
    def ping(self) -> None:
        """Answer a trivial query, or raise StorageError."""
        ...

    # settings
    def setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str) -> Pending: ...
    def setting_or_default(self, key: str, default: str) -> str: ...

    # one-time sign-in tokens (their hashes), shared by every process on the record
    def keep_signin(self, token_hash: str, expires_at: float, now: float) -> Pending: ...
    def signin_kept(self, token_hash: str) -> bool: ...
    def redeem_signin(self, token_hash: str, now: float) -> Pending:
        """Result: True if the token was kept and not expired; it is gone afterwards either way."""
        ...

    # sessions
    def create_session(self, title: str, service: str, plan_id: str, plan_source: dict,
                       groups: list[str], question_ids: list[str]) -> Pending: ...
    def session(self, code: str) -> dict | None: ...
    def list_sessions(self) -> list[dict]: ...
    def session_record(self, code: str) -> SessionRecord | None: ...
    def session_state(self, code: str) -> SessionState: ...
    def save_state(self, code: str, previous: SessionState, state: SessionState,
                   attendance: Mapping[tuple[str, int], Collection[int]] | None = None,
                   command: Command | None = None) -> Pending:
        """Result: the StateChanged event, naming `command` if given."""
        ...
    def attendance(self, code: str) -> dict[tuple[str, int], dict]: ...
    def timed_sessions(self) -> list[str]:
        """Codes of the sessions with a countdown running on an open question."""
        ...

    # participants
    def join(self, code: str, token: str | None, name: str, group: str) -> Pending: ...
    def participant_by_token(self, code: str, token: str) -> dict | None: ...
    def participant_count(self, code: str) -> int: ...
    def participants(self, code: str) -> list[dict]: ...
    def recent_people(self, code: str, limit: int) -> list[dict]: ...
    def remove_participant(self, code: str, participant_id: int) -> Pending: ...

    # votes
    def record_vote(self, code: str, participant_id: int, message_id: str, qid: str,
                    value: str) -> Pending: ...
    def ballot(self, code: str, participant_id: int) -> dict[str, dict]: ...
    def votes(self, code: str, qid: str, round_: int) -> dict[int, str]: ...
    def groups_of(self, code: str) -> dict[int, str]: ...
    def all_votes(self, code: str) -> list[dict]: ...

    # submissions
    def submit_text(self, code: str, participant_id: int, message_id: str, qid: str,
                    text: str) -> Pending: ...
    def moderation(self, code: str) -> dict: ...
    def moderate(self, code: str, submission_id: int, status: str) -> Pending: ...
    def submissions(self, code: str, status: str | None = None) -> list[dict]: ...

    # consensus records
    def save_record(self, code: str, record: dict, version: str | None | object = ...) -> Pending:
        """Store the kind's record; with `version`, refuse `stale_record` unless the stored one is that one."""
        ...
    def records(self, code: str) -> dict[str, dict]: ...
