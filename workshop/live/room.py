"""A room is one live session: its plan and state, its phones and consoles, and every change to it.

The database is the truth: a room changes its in-memory state only after the store has committed,
and what it broadcasts follows commits.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..domain.answers import ANY_VERSION
from ..domain.events import (
    Event,
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
from ..domain.plans import Question
from ..domain.records import ConsensusInput, RecordError, record_warnings, round_to_rest_on
from ..domain.refusal import Refusal
from ..domain.session import (
    PARTICIPANT_COMMANDS,
    SUBMISSION_COMMANDS,
    Command,
    SessionRecord,
    SessionState,
    apply_command,
    closed_rounds,
    open_rounds,
    parse_command,
)
from ..domain.tally import UNKNOWN, Attendance, question_results
from ..domain.text import normal_name
from ..store.errors import StorageError
from ..store.interface import RecordStore
from ..vocabulary import CLOSE_CODES, MAX_NAME
from .attendance import Attendance as OpenAttendance
from .audience import Audience, Stamp
from .background import Background
from .ballots import Ballots
from .broadcast import Broadcast
from .broker import Broker
from .countdowns import Countdowns
from .reads import MODERATION, PEOPLE, RECORDS, RoomReads
from .subscribers import Subscriber
from .views import People, Presence, RoomFacts, SessionInfo, console_view, phone_view

NO_PRESENCE = Presence(joined=0, connected=0)  # in the facts phones are shown, which never read it
MODERATION_STATUS = {"approve": "approved", "reject": "rejected", "restore": "pending"}
REMOVED = CLOSE_CODES["removed"]
REPLACED = CLOSE_CODES["replaced"]
REPLACED_REASON = "this phone opened the session on a newer connection"
ADDRESSES_SHOWN = 10
REFUSED_JOINS = ("room_full", "joining_locked")  # counted for the console


async def committed(future: "Future | asyncio.Future", within: float | None = None,
                    stalled: Callable[[], bool] = lambda: True, late: Callable[[Any], None] | None = None) -> Any:
    """Await a store write from the event loop. With `within`: every `within` seconds without an
    answer, ask `stalled()` (is the writer stuck on the database, rather than busy with a long queue?)
    and if so raise StorageError. A write refused so may still commit once the database answers:
    `late` then gets its result, so what depends on the commit still follows it."""
    waited = future if isinstance(future, asyncio.Future) else asyncio.wrap_future(future)
    if within is None:
        return await waited
    while True:
        try:
            return await asyncio.wait_for(asyncio.shield(waited), within)
        except TimeoutError:
            if stalled():
                break
    waited.add_done_callback(lambda done: _settled_late(done, late))
    raise StorageError(f"the database did not answer within {within:g} s")


def _settled_late(done: asyncio.Future, late: Callable[[Any], None] | None) -> None:
    if done.cancelled() or done.exception() is not None:  # retrieved: refused or failed, nothing to follow
        return
    if late is not None:
        late(done.result())


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
        self.state = session.state
        self.audience = Audience()
        self._lock = asyncio.Lock()
        self._broadcasts = Broadcast(self.audience, lambda presence: self.facts(presence), self.people, self.remove)
        # Per question: (each round's attendance, results), dropped when its votes or state change.
        self._results: dict[str, tuple[tuple[Attendance, ...], dict]] = {}
        self.joins_by_address: Counter[str] = Counter()  # new participants per network address
        self.refused_joins: Counter[str] = Counter()  # new phones turned away here, by reason
        self.addresses: dict[int, str] = {}  # participant id -> the address they joined from
        self.ballots = Ballots(store, self.code)
        self.reads = RoomReads(store, self.code)
        self.public_steps = [step.to_public() for step in self.plan.steps]  # the plan never changes mid-session
        self.timers = Countdowns(self.expire)
        self._rereads = Background("reading a session's state again failed")
        self.attendance = OpenAttendance()
        self._follow_rounds()
        self._follows: dict[type[Event], Callable[[Any, bool], None]] = {
            Voted: self._voted, Submitted: self._submitted, Joined: self._joined, Removed: self._removed,
            PhoneReplaced: self._replaced, StateChanged: self._state_changed, Moderated: self._moderated,
            RecordSaved: self._record_saved}

    def question(self, qid: object) -> Question:
        question = self.plan.question(qid) if isinstance(qid, str) else None
        if question is None:
            raise Refusal("unknown_question", f"no question {qid!r} in this session")
        return question

    # participants

    async def join(self, token: object, name: object, group: object, address: str = "") -> dict:
        if token is not None and not isinstance(token, str):
            raise Refusal("invalid_field", "'token' must be a string")
        name = _optional_text(name, "name", MAX_NAME)
        group = _optional_text(group, "group", MAX_NAME)
        if group and group not in self.groups:
            raise Refusal("invalid_field", f"'group' must be one of {', '.join(self.groups)}")
        try:
            participant = await self._stored(self.store.join(self.code, token or None, name, group),
                                             lambda late: self._committed(Joined(late["id"], late["group"])))
        except Refusal as refusal:
            if refusal.code in REFUSED_JOINS:
                self.refused_joins[refusal.code] += 1
                self.changed()
            raise
        if participant["id"] not in self.addresses:
            self.addresses[participant["id"]] = address
            if participant["token"] != token:
                self.joins_by_address[address] += 1
        self._committed(Joined(participant["id"], participant["group"]))
        return participant

    async def _stored(self, pending: "Future | asyncio.Future", late: Callable[[Any], None] | None = None) -> Any:
        """Await a write within the store's bound; a write that commits after its bound (see `committed`)
        is followed by `late`, or else by reading the room again."""
        wait = self.store.write_wait
        return await committed(pending, wait, lambda: self.store.writer_stalled(wait), late or self._committed_late)

    def _committed_late(self, _: object) -> None:
        self.rebuild()
        self._publish(StateChanged())

    async def vote(self, participant: dict, message_id: str, qid: object, value: object) -> tuple[str, int]:
        question = self.question(qid)
        try:
            checked = question.check_value(value)
        except ValueError as error:
            raise Refusal("invalid_value", str(error)) from None
        def voted(stored: tuple[str, int, bool]) -> None:
            qid, round_, fresh = stored
            if fresh:  # a resent message id changes nothing
                self._committed(Voted(participant["id"], qid, round_, str(checked), participant["group"]))

        stored: tuple[str, int, bool] = await self._stored(
            self.store.record_vote(self.code, participant["id"], message_id, question.id, str(checked)), voted)
        voted(stored)
        return stored[0], stored[1]

    async def submit(self, participant: dict, message_id: str, qid: object, text: object) -> tuple[str, int]:
        question = self.question(qid)
        try:
            checked = question.check_text(text)
        except ValueError as error:
            raise Refusal("invalid_value", str(error)) from None
        stored: tuple[str, int, bool] = await self._stored(
            self.store.submit_text(self.code, participant["id"], message_id, question.id, checked))
        qid, round_, _ = stored
        self._committed(Submitted(participant["id"], qid, round_))
        return qid, round_

    # facilitator

    async def command(self, data: object) -> None:
        """Apply a facilitator command once it is committed; raise Refusal if refused."""
        command = parse_command(data)
        async with self._lock:
            await self._apply(command)
        self.changed(phones=True, now=True)

    async def _apply(self, command: Command) -> None:
        if command.name in SUBMISSION_COMMANDS:
            assert command.submission is not None  # parse_command requires it of a moderation command
            status = MODERATION_STATUS[command.name]
            await self._stored(self.store.moderate(self.code, command.submission, status))
            self._committed(Moderated(command.submission, status))
        elif command.name in PARTICIPANT_COMMANDS:
            await self._remove(command)
        else:
            await self._change_state(command)

    async def _change_state(self, command: Command, fresh: bool = False) -> None:
        """Decide the command on the state held here and store it only if the record still holds that
        state; if another process (or a countdown) changed it first, decide once more on the stored state."""
        updated = apply_command(self.plan, self.state, command)
        if updated is self.state:
            return
        closing = closed_rounds(self.state, updated)
        await self.ballots.load([(qid, round_) for qid, round_ in closing])
        present = {key: self.attendance.present(key, self.ballots.round(*key).votes) for key in closing}
        try:
            await self._stored(self.store.save_state(self.code, self.state, updated, present))
        except Refusal as refusal:
            if refusal.code != "stale_state" or fresh:
                raise
            await self._reread_state()
            await self._change_state(command, fresh=True)
            return
        self._new_state(updated, closing)
        self._committed(StateChanged(command.name, command.question))

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

    async def _remove(self, command: Command) -> None:
        participant_id = command.participant or 0
        await self._stored(self.store.remove_participant(self.code, participant_id))
        self._committed(Removed(participant_id))

    async def _reread_state(self) -> None:
        state = await self.store.awaited(self.store.session_state, self.code)
        self._new_state(state, closed_rounds(self.state, state))
        self.timers.follow(self.state)
        self._results.clear()

    def _new_state(self, state: SessionState, closing: list[tuple[str, int]]) -> None:
        self.state = state
        self.ballots.closed(closing)
        self._follow_rounds()

    def _follow_rounds(self) -> None:
        """Start an attendance list for each round that opened, with the phones here now."""
        self.attendance.follow(open_rounds(self.state), self.audience.connected.keys() | self.audience.elsewhere,
                               lambda key: (self.ballots.stored_attendance(key) or {}).get("groups", {}))

    def _forget(self, participant_id: int) -> None:
        self.ballots.forget(participant_id)
        self.attendance.forget(participant_id)
        self.reads.forget(PEOPLE, MODERATION)  # a removed phone's waiting examples are rejected
        self._results.clear()
        self._close_phones_of(participant_id, REMOVED, "removed by the facilitator")

    def _close_phones_of(self, participant_id: int, code: int, reason: str, keep: Subscriber | None = None,
                         before: Stamp | None = None) -> None:
        for connection in self.audience.phones_of(participant_id, keep, before):
            self.remove(connection)
            connection.close_with(code, reason)

    async def record_consensus(self, record: ConsensusInput, version: str | None | object = ANY_VERSION) -> dict:
        """Store the record; with `version`, only if the stored record is still that one (see Store.save_record)."""
        evidence = await self._evidence(record.kind, record.round)
        warnings = record_warnings(record, evidence)
        evidence["warnings"] = [warning["message"] for warning in warnings]
        stored = await self._stored(self.store.save_record(self.code, {
            **record.to_row(), "evidence": evidence, "warnings": warnings,
        }, version))
        self._committed(RecordSaved(record.kind))
        return stored

    async def check_consensus(self, record: ConsensusInput) -> list[str]:
        """The warnings `record_consensus` would store with this record, from the same figures; writes nothing."""
        evidence = await self._evidence(record.kind, record.round)
        return [warning["message"] for warning in record_warnings(record, evidence)]

    async def _evidence(self, kind: str, named_round: int | None = None) -> dict:
        """The judged rounds a record of this kind rests on: the direction vote's round it names (else its
        latest closed round with votes), and the latest closed round with votes of impact and strategy."""
        await self.load()
        evidence: dict[str, Any] = {}
        for suffix in ("impact", "direction", "strategy"):
            question = self.plan.question(f"{kind}.{suffix}")
            if question is None or self.state.question(question.id).status == "pending":
                if suffix == "direction" and named_round is not None:
                    raise RecordError("round", "the direction vote has not been opened yet")
                continue
            rounds = self.results(question.id)["rounds"]
            chosen = round_to_rest_on(rounds, named_round if suffix == "direction" else None)
            evidence[suffix] = {"question": question.id, **chosen} if chosen else None
        dissent = self.plan.question(f"{kind}.dissent")
        approved = await self.store.awaited(self.store.submissions, self.code, "approved")
        evidence["dissent_texts"] = [item["text"] for item in approved
                                     if dissent is not None and item["question_id"] == dissent.id]
        return evidence

    async def load(self, presence: bool = True) -> None:
        """Read, off the event loop, what the room's views need and it does not hold yet (the votes of
        every round shown, who was present, the decisions, the queue and, with `presence`, the people),
        so that the views made next read nothing on the event loop."""
        shown = [(question.id, self.state.question(question.id).round) for question in self.plan.questions
                 if question.kind != "text" and self.state.question(question.id).status != "pending"]
        await self.ballots.load(shown)
        await self.reads.load(people=presence)

    def results(self, qid: object) -> dict:
        """Every round's figures of a scale or choice question, and the shift between the last two
        (read from the store if not loaded: await `load` first on the event loop)."""
        question = self.question(qid)
        if question.kind == "text":
            raise Refusal("invalid_field", f"{question.id} takes text submissions; it has no figures")
        attendance = self._attendance_of(question.id)
        cached = self._results.get(question.id)
        if cached is None or cached[0] != attendance:  # an open round's quorum follows the phones present
            open_now = self.state.question(question.id).status == "open"
            rounds = self.ballots.rounds(question.id, self.state.question(question.id).round)
            cached = self._results[question.id] = (attendance, question_results(
                self.plan, self.groups, question, rounds, attendance, last_open=open_now))
        return cached[1]

    def _attendance_of(self, qid: str) -> tuple[Attendance, ...]:
        """Each round's presence: stored for a closed round, counted so far for the open one."""
        state = self.state.question(qid)
        found = []
        for number in range(1, state.round + 1):
            stored = self.ballots.stored_attendance((qid, number))
            if stored is not None:
                found.append(Attendance(len(stored["groups"]), fixed=True, amended=stored["amended"]))
            elif state.status == "open" and number == state.round:
                voters = self.ballots.round(qid, number).votes
                found.append(Attendance(len(self.attendance.present((qid, number), voters))))
            else:
                found.append(UNKNOWN)
        return tuple(found)

    # what each audience sees

    async def facts(self, presence: bool = True) -> RoomFacts:
        """What the room knows now, read once for every view made from it; without `presence` (which
        the phones' view does not show), who is here and who has voted is left out."""
        await self.load(presence)
        return self.loaded_facts(presence)

    def loaded_facts(self, presence: bool = True) -> RoomFacts:
        """`facts` from what is loaded (what is not is read on this thread)."""
        info = SessionInfo(self.code, self.title, self.service, self.created_at, self.groups)
        return RoomFacts(
            session=info, plan=self.plan, steps=self.public_steps, state=self.state,
            results={question.id: self.results(question.id) for question in self.plan.questions
                     if question.kind != "text" and self.state.question(question.id).status != "pending"},
            presence=self.presence() if presence else NO_PRESENCE, records=self.reads.records(),
            moderation=self.reads.moderation())

    def people(self) -> People:
        """The latest participants still in the room, for the console's list (its Remove buttons)."""
        items = tuple({**person, "connected": person["id"] in self.audience.connected,
                       "address": self.addresses.get(person["id"], "")} for person in self.reads.people())
        return People(items=items, total=self.reads.joined())

    def presence(self) -> Presence:
        return Presence(joined=self.reads.joined(), connected=self.audience.sockets(),
                        joins_by_address=self.joins_by_address.most_common(ADDRESSES_SHOWN),
                        refused_joins=dict(self.refused_joins),
                        not_voted={question.id: self._not_voted(question.id)
                                   for question in self.plan.questions
                                   if question.kind != "text" and self.state.question(question.id).status == "open"})

    def _not_voted(self, qid: str) -> dict:
        """Connected phones without a vote in this round: a count, and names where given."""
        return self.audience.not_voted(self.ballots.round(qid, self.state.question(qid).round).votes)

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
        self.attendance.saw((participant["id"],))
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

    def present(self) -> int:
        """Participants with a phone connected, here and on other processes."""
        return self.audience.present()

    def present_here(self) -> set[int]:
        return set(self.audience.connected)

    def set_remote_present(self, participants: set[int]) -> None:
        if participants != self.audience.elsewhere:
            self.audience.elsewhere = participants
            self.attendance.saw(participants)
            self.changed()  # cached results are checked against the count present

    def _publish(self, event: Event) -> None:
        if self.broker is not None:
            self.broker.publish(self.code, event.to_dict())

    def rebuild(self) -> None:
        """Forget every figure and reread the state: another process changed what this one cannot follow."""
        self.ballots = Ballots(self.store, self.code)
        self._committed(StateChanged(), here=False)

    async def _refresh(self) -> None:
        await self._reread_state()
        self._results.clear()
        self.reads.forget()
        self.changed(phones=True)

    def apply_remote(self, event: dict) -> None:
        """A change committed by another process, as its broker carried it (ValueError if malformed)."""
        self._committed(event_from_dict(event), here=False)

    # every committed change, here or elsewhere, is followed in one place

    def _committed(self, event: Event, here: bool = True) -> None:
        """Follow a committed change: the mirror of the votes, the cached reads and figures, the
        broadcast flags; and, when it was committed `here`, tell the other processes."""
        self._follows[type(event)](event, here)
        if here:
            self._publish(event)

    def _voted(self, event: Voted, here: bool) -> None:
        self.ballots.record(event.participant, event.question, event.round, event.value, event.group)
        self._results.pop(event.question, None)
        self.changed(phones=self.state.question(event.question).revealed)

    def _submitted(self, event: Submitted, here: bool) -> None:
        self.reads.forget(MODERATION)
        self.changed()

    def _joined(self, event: Joined, here: bool) -> None:
        if self.ballots.joined({"id": event.participant, "group": event.group}):
            self._results.clear()  # the per-group figures changed: a phone rejoined in another group
        self.reads.forget(PEOPLE)
        self.changed()

    def _removed(self, event: Removed, here: bool) -> None:
        self._forget(event.participant)
        self.changed(phones=True)

    def _replaced(self, event: PhoneReplaced, here: bool) -> None:
        if not here:  # here, `add_phone` has closed the older phones already
            newer = (event.at, event.origin) if event.at is not None else None
            self._close_phones_of(event.participant, REPLACED, REPLACED_REASON, before=newer)

    def _state_changed(self, event: StateChanged, here: bool) -> None:
        self.reads.forget()  # rare, and a command may change what any screen reads
        if here:  # the new state is held already (`_new_state`)
            self._results.pop(event.question or "", None)
            self.timers.follow(self.state)
            return
        # The session's state changed elsewhere (or anything this process cannot follow): read it
        # again off the event loop.
        self._results.clear()
        self._rereads.start(self._refresh())

    def _moderated(self, event: Moderated, here: bool) -> None:
        self.reads.forget(MODERATION)
        self.changed(phones=True)  # the projector shows approved examples

    def _record_saved(self, event: RecordSaved, here: bool) -> None:
        self.reads.forget(RECORDS)
        self.changed(phones=True)


def _optional_text(value: object, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refusal("invalid_field", f"'{field}' must be a string")
    if len(value.strip()) > limit:
        raise Refusal("invalid_field", f"'{field}' must be at most {limit} characters")
    return normal_name(value)  # no bidi controls, capped marks; nothing visible is no name
