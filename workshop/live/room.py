"""A room is one live session: its phones and consoles, and every change to it, in and out.

The database is the truth: a room changes what it holds (its `Mirror`) only after the store has
committed, following the typed event the store's job returns, and what it broadcasts follows commits.
"""

import asyncio
import time
from concurrent.futures import Future
from typing import Any

from ..domain.answers import ANY_VERSION
from ..domain.commands import TABLE, Command, apply_command, parse_command
from ..domain.events import Event, PhoneReplaced, Removed, StateChanged, event_from_dict
from ..domain.plans import Question
from ..domain.records import ConsensusInput, record_warnings
from ..domain.refusal import Refusal
from ..domain.session import SessionRecord, SessionState, closed_rounds
from ..domain.text import optional_name
from ..store.interface import RecordStore, committed_event
from ..vocabulary import CLOSE_CODES, MAX_NAME
from .audience import Audience, Stamp
from .background import Background
from .broadcast import Broadcast
from .broker import Broker
from .countdowns import Countdowns
from .mirror import Mirror
from .subscribers import Subscriber
from .views import People, RoomFacts, console_view, phone_view
from .writes import committed

REMOVED = CLOSE_CODES["removed"]
REPLACED = CLOSE_CODES["replaced"]
REPLACED_REASON = "this phone opened the session on a newer connection"
REFUSED_JOINS = ("room_full", "joining_locked")  # counted for the console
__all__ = ["Room", "committed"]  # `committed` is imported from here by the web layer


class Room:
    def __init__(self, store: RecordStore, session: SessionRecord, broker: Broker | None = None) -> None:
        self.store = store
        self.broker = broker
        self.code = session.code
        self.title = session.title
        self.service = session.service
        self.created_at = session.created_at
        self.groups = session.groups
        self.plan = session.plan
        self.audience = Audience()
        self.mirror = Mirror(store, session, self.audience)
        self._lock = asyncio.Lock()
        self._broadcasts = Broadcast(self.audience, lambda presence: self.facts(presence), self.people, self.remove)
        self.timers = Countdowns(self.expire)
        self._rereads = Background("reading a session's state again failed")

    @property
    def state(self) -> SessionState:
        return self.mirror.state

    def question(self, qid: object) -> Question:
        return self.mirror.question(qid)

    # participants

    async def join(self, token: object, name: object, group: object, address: str = "") -> dict:
        if token is not None and not isinstance(token, str):
            raise Refusal("invalid_field", "'token' must be a string")
        name = optional_name(name, "name", MAX_NAME)
        group = optional_name(group, "group", MAX_NAME)
        if group and group not in self.groups:
            raise Refusal("invalid_field", f"'group' must be one of {', '.join(self.groups)}")
        try:
            participant = await self._stored(self.store.join(self.code, token or None, name, group))
        except Refusal as refusal:
            if refusal.code in REFUSED_JOINS:
                self.mirror.refused_joins[refusal.code] += 1
                self.changed()
            raise
        self.mirror.joined_from(participant, address, token)
        self._committed(participant.event)
        return participant

    async def vote(self, participant: dict, message_id: str, qid: object, value: object) -> tuple[str, int]:
        question = self.question(qid)
        try:
            checked = question.check_value(value)
        except ValueError as error:
            raise Refusal("invalid_value", str(error)) from None
        answer = await self._written(
            self.store.record_vote(self.code, participant["id"], message_id, question.id, str(checked)))
        return answer[0], answer[1]

    async def submit(self, participant: dict, message_id: str, qid: object, text: object) -> tuple[str, int]:
        question = self.question(qid)
        try:
            checked = question.check_text(text)
        except ValueError as error:
            raise Refusal("invalid_value", str(error)) from None
        answer = await self._written(
            self.store.submit_text(self.code, participant["id"], message_id, question.id, checked))
        return answer[0], answer[1]

    # writes

    async def _stored(self, pending: "Future | asyncio.Future") -> Any:
        """Await a write within the store's bound; a write that commits after its bound (see `committed`)
        is followed all the same (`_late`)."""
        wait = self.store.write_wait
        return await committed(pending, wait, lambda: self.store.writer_stalled(wait), self._late)

    async def _written(self, pending: "Future | asyncio.Future") -> Any:
        """Await a write and follow the event it committed, if any (a resent message commits none)."""
        result = await self._stored(pending)
        event = committed_event(result)
        if event is not None:
            self._committed(event)
        return result

    def _late(self, result: object) -> None:
        event = committed_event(result)
        if isinstance(event, StateChanged):  # decided on a state this room no longer holds as stored
            self.rebuild()
            self._publish(StateChanged())
        elif event is not None:
            self._committed(event)

    # facilitator

    async def command(self, data: object) -> None:
        """Apply a facilitator command once it is committed; raise Refusal if refused."""
        command = parse_command(data)
        async with self._lock:
            await self._apply(command)
        self.changed(phones=True, now=True)

    async def _apply(self, command: Command) -> None:
        """Do what the command's row says: change the state, moderate a submission, or remove a participant."""
        row = TABLE[command.name]
        if row.change is not None:
            await self._change_state(command)
        elif row.status is not None and command.submission is not None:
            await self._written(self.store.moderate(self.code, command.submission, row.status))
        elif row.removes and command.participant is not None:
            await self._written(self.store.remove_participant(self.code, command.participant))

    async def _change_state(self, command: Command, fresh: bool = False) -> None:
        """Decide the command on the state held here and store it only if the record still holds that
        state; if another process (or a countdown) changed it first, decide once more on the stored state."""
        updated = apply_command(self.plan, self.state, command)
        if updated is self.state:
            return
        closing = closed_rounds(self.state, updated)
        present = await self.mirror.presence_in(closing)
        try:
            event = await self._stored(self.store.save_state(self.code, self.state, updated, present, command))
        except Refusal as refusal:
            if refusal.code != "stale_state" or fresh:
                raise
            await self._reread_state()
            await self._change_state(command, fresh=True)
            return
        self.mirror.hold(updated, closing)
        self._committed(event)

    async def expire(self, qid: str, deadline: str) -> None:
        """A countdown ran out: close the question as the facilitator's `close` would, unless its
        countdown was changed or the question closed meanwhile."""
        async with self._lock:
            for attempt in range(2):
                question = self.state.questions.get(qid)
                if question is None or question.status != "open" or question.closes_at != deadline:
                    return
                try:
                    await self._change_state(Command("close", question=qid), fresh=True)
                    break
                except Refusal as refusal:
                    # Stopped, restarted or closed elsewhere: look again at the stored countdown.
                    if refusal.code != "stale_state" or attempt:
                        raise
                    await self._reread_state()
        self.changed(phones=True, now=True)

    async def _reread_state(self) -> None:
        self.mirror.reread(await self.store.awaited(self.store.session_state, self.code))
        self.timers.follow(self.state)

    def _close_phones_of(self, participant_id: int, code: int, reason: str, keep: Subscriber | None = None,
                         before: Stamp | None = None) -> None:
        for connection in self.audience.phones_of(participant_id, keep, before):
            self.remove(connection)
            connection.close_with(code, reason)

    async def record_consensus(self, record: ConsensusInput, version: str | None | object = ANY_VERSION) -> dict:
        """Store the record; with `version`, only if the stored record is still that one (see Store.save_record)."""
        evidence = await self.mirror.evidence(record.kind, record.round)
        warnings = record_warnings(record, evidence)
        evidence["warnings"] = [warning["message"] for warning in warnings]
        stored: dict = await self._written(self.store.save_record(self.code, {
            **record.to_row(), "evidence": evidence, "warnings": warnings,
        }, version))
        return stored

    async def check_consensus(self, record: ConsensusInput) -> list[str]:
        """The warnings `record_consensus` would store with this record, from the same figures; writes nothing."""
        evidence = await self.mirror.evidence(record.kind, record.round)
        return [warning["message"] for warning in record_warnings(record, evidence)]

    # what each audience sees

    async def load(self, presence: bool = True) -> None:
        """Read, off the event loop, what the room's views need and it does not hold yet (see Mirror.load),
        so that the views made next read nothing on the event loop."""
        await self.mirror.load(presence)

    def results(self, qid: object) -> dict:
        """Every round's figures of a scale or choice question (see Mirror.results)."""
        return self.mirror.results(qid)

    async def facts(self, presence: bool = True) -> RoomFacts:
        """What the room knows now, read once for every view made from it; without `presence` (which
        the phones' view does not show), who is here and who has voted is left out."""
        await self.load(presence)
        return self.mirror.facts(presence)

    def loaded_facts(self, presence: bool = True) -> RoomFacts:
        """`facts` from what is loaded (what is not is read on this thread)."""
        return self.mirror.facts(presence)

    def people(self) -> People:
        return self.mirror.people()

    async def snapshot(self) -> dict:
        return console_view(await self.facts(), self.people())

    async def phone_state(self) -> dict:
        return phone_view(await self.facts(presence=False))

    async def projector_view(self) -> dict:
        return self._broadcasts.projector_view(await self.facts())

    # connections and broadcasts

    def add_phone(self, connection: Subscriber, participant: dict) -> None:
        """Note a joined phone; one live socket per participant, so a newer one replaces the older.
        Every process orders joins by the same stamp, so of two at the same instant on two processes
        exactly one survives."""
        stamp = (time.time_ns(), self.broker.origin if self.broker is not None else "")
        self._close_phones_of(participant["id"], REPLACED, REPLACED_REASON, keep=connection)
        self._committed(PhoneReplaced(participant["id"], stamp[0], stamp[1]))
        self.audience.add_phone(connection, participant, stamp)
        self.mirror.attendance.saw((participant["id"],))
        self.changed()

    def add_console(self, connection: Subscriber) -> None:
        self.audience.consoles.add(connection)

    def add_projector(self, connection: Subscriber) -> None:
        self.audience.projectors.add(connection)

    def remove(self, connection: Subscriber) -> None:
        if self.audience.remove(connection):
            self.changed()

    def changed(self, phones: bool = False, now: bool = False) -> None:
        """Schedule a broadcast; bursts of changes are conflated into one message per interval."""
        self._broadcasts.changed(phones, now)

    # other processes (see broker.py)

    def address_of(self, participant_id: int) -> str:
        """The address a participant joined from here, or "" if they joined through another process."""
        return self.mirror.addresses.get(participant_id, "")

    def present(self) -> int:
        """Participants with a phone connected, here and on other processes."""
        return self.audience.present()

    def present_here(self) -> set[int]:
        return set(self.audience.connected)

    def set_remote_present(self, participants: set[int]) -> None:
        if participants != self.audience.elsewhere:
            self.audience.elsewhere = participants
            self.mirror.attendance.saw(participants)
            self.changed()  # cached results are checked against the count present

    def _publish(self, event: Event) -> None:
        if self.broker is not None:
            self.broker.publish(self.code, event.to_dict())

    def rebuild(self) -> None:
        """Forget every figure and reread the state: another process changed what this one cannot follow."""
        self.mirror.rebuild()
        self._committed(StateChanged(), here=False)

    async def _refresh(self) -> None:
        await self._reread_state()
        self.mirror.forget_reads()
        self.changed(phones=True)

    def apply_remote(self, event: dict) -> None:
        """A change committed by another process, as its broker carried it (ValueError if malformed)."""
        self._committed(event_from_dict(event), here=False)

    # every committed change, here or elsewhere, is followed in one place

    def _committed(self, event: Event, here: bool = True) -> None:
        """Follow a committed change: the mirror, the sockets and countdowns it concerns, the broadcast
        flags; and, when it was committed `here`, tell the other processes."""
        phones = self.mirror.apply(event, here)
        self._follow_outside(event, here)
        if phones is not None:
            self.changed(phones=phones)
        if here:
            self._publish(event)

    def _follow_outside(self, event: Event, here: bool) -> None:
        """What a change means beyond the mirror: phones to close, countdowns to follow, a state to read."""
        if isinstance(event, Removed):
            self._close_phones_of(event.participant, REMOVED, "removed by the facilitator")
        elif isinstance(event, PhoneReplaced) and not here:  # here, `add_phone` has closed the older phones
            newer = (event.at, event.origin) if event.at is not None else None
            self._close_phones_of(event.participant, REPLACED, REPLACED_REASON, before=newer)
        elif isinstance(event, StateChanged) and here:  # the new state is held already (`Mirror.hold`)
            self.timers.follow(self.state)
        elif isinstance(event, StateChanged):
            # The session's state changed elsewhere (or anything this process cannot follow): read it
            # again off the event loop.
            self._rereads.start(self._refresh())

