"""A room's read model: what it holds in memory of its session (the state, the votes of each round, who
was present, the people and what its screens read from the record, the figures made from them).

What the record holds changes here only by applying committed events (`apply`), the state the room
stored (`hold`) or read again (`reread`); besides, the room notes what it sees of its sockets (who
joined from which address, joins turned away, phones present). It makes the `RoomFacts` every view
is built from; it sends nothing and writes nothing (`tests/test_architecture.py`).
"""

from collections import Counter
from typing import Any

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
)
from ..domain.plans import Question
from ..domain.records import RecordError, round_to_rest_on
from ..domain.refusal import Refusal
from ..domain.session import SessionRecord, SessionState, closed_rounds, open_rounds
from ..domain.tally import UNKNOWN, Attendance, question_results
from ..store.interface import RecordStore
from .attendance import Attendance as OpenAttendance
from .audience import Audience
from .ballots import Ballots
from .reads import MODERATION, PEOPLE, RECORDS, RoomReads
from .views import People, Presence, RoomFacts, SessionInfo

NO_PRESENCE = Presence(joined=0, connected=0)  # in the facts phones are shown, which never read it
ADDRESSES_SHOWN = 10
NO_BROADCAST = None  # what `apply` returns for a change no screen shows


class Mirror:
    def __init__(self, store: RecordStore, session: SessionRecord, audience: Audience) -> None:
        self.store = store
        self.code = session.code
        self.info = SessionInfo(session.code, session.title, session.service, session.created_at, session.groups)
        self.plan = session.plan
        self.state = session.state
        self.audience = audience  # read for who is here: presence and the rounds' attendance
        self.public_steps = [step.to_public() for step in self.plan.steps]  # the plan never changes mid-session
        # Per question: (each round's attendance, results), dropped when its votes or state change.
        self._results: dict[str, tuple[tuple[Attendance, ...], dict]] = {}
        self.joins_by_address: Counter[str] = Counter()  # new participants per network address
        self.refused_joins: Counter[str] = Counter()  # new phones turned away here, by reason
        self.addresses: dict[int, str] = {}  # participant id -> the address they joined from
        self.ballots = Ballots(store, self.code)
        self.reads = RoomReads(store, self.code)
        self.attendance = OpenAttendance()
        self.follow_rounds()
        self._appliers: dict[type[Event], Any] = {
            Voted: self._voted, Submitted: self._submitted, Joined: self._joined, Removed: self._removed,
            PhoneReplaced: lambda event, here: NO_BROADCAST, StateChanged: self._state_changed,
            Moderated: self._moderated, RecordSaved: self._record_saved}

    def question(self, qid: object) -> Question:
        question = self.plan.question(qid) if isinstance(qid, str) else None
        if question is None:
            raise Refusal("unknown_question", f"no question {qid!r} in this session")
        return question

    # changing it

    def apply(self, event: Event, here: bool) -> bool | None:
        """Follow a committed event (`here`: committed by this process, whose new state is held already);
        return whether the phones' view changed too, or None when no screen shows it."""
        applied: bool | None = self._appliers[type(event)](event, here)
        return applied

    def hold(self, state: SessionState, closing: list[tuple[str, int]]) -> None:
        """A new state committed: the rounds `closing` are read again, fixed, with who was present."""
        self.state = state
        self.ballots.closed(closing)
        self.follow_rounds()

    def reread(self, state: SessionState) -> None:
        """The state as read again from the record, after a change this process did not make."""
        self.hold(state, closed_rounds(self.state, state))
        self._results.clear()

    def rebuild(self) -> None:
        """Forget every vote held: another process changed what this one cannot follow."""
        self.ballots = Ballots(self.store, self.code)

    def forget_reads(self) -> None:
        self._results.clear()
        self.reads.forget()

    def follow_rounds(self) -> None:
        """Start an attendance list for each round that opened, with the phones here now."""
        self.attendance.follow(open_rounds(self.state), self.audience.connected.keys() | self.audience.elsewhere,
                               lambda key: (self.ballots.stored_attendance(key) or {}).get("groups", {}))

    def joined_from(self, participant: dict, address: str, token: object) -> None:
        """Note the address a phone joined from; a new participant counts against it."""
        if participant["id"] not in self.addresses:
            self.addresses[participant["id"]] = address
            if participant["token"] != token:
                self.joins_by_address[address] += 1

    def _voted(self, event: Voted, here: bool) -> bool:
        self.ballots.record(event.participant, event.question, event.round, event.value, event.group)
        self._results.pop(event.question, None)
        return self.state.question(event.question).revealed

    def _submitted(self, event: Submitted, here: bool) -> bool:
        self.reads.forget(MODERATION)
        return False

    def _joined(self, event: Joined, here: bool) -> bool:
        if self.ballots.joined({"id": event.participant, "group": event.group}):
            self._results.clear()  # the per-group figures changed: a phone rejoined in another group
        self.reads.forget(PEOPLE)
        return False

    def _removed(self, event: Removed, here: bool) -> bool:
        self.ballots.forget(event.participant)
        self.attendance.forget(event.participant)
        self.reads.forget(PEOPLE, MODERATION)  # a removed phone's waiting examples are rejected
        self._results.clear()
        return True

    def _state_changed(self, event: StateChanged, here: bool) -> None:
        self.reads.forget()  # rare, and a command may change what any screen reads
        if here:
            self._results.pop(event.question or "", None)
        else:
            self._results.clear()  # the room reads the state again, then broadcasts

    def _moderated(self, event: Moderated, here: bool) -> bool:
        self.reads.forget(MODERATION)
        return True  # the projector shows approved examples

    def _record_saved(self, event: RecordSaved, here: bool) -> bool:
        self.reads.forget(RECORDS)
        return True

    # reading it

    async def presence_in(self, closing: list[tuple[str, int]]) -> dict[tuple[str, int], set[int]]:
        """Who was present for each of these closing rounds (read off the event loop if not loaded)."""
        await self.ballots.load(closing)
        return {key: self.attendance.present(key, self.ballots.round(*key).votes) for key in closing}

    async def evidence(self, kind: str, named_round: int | None = None) -> dict:
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
        """Read, off the event loop, what the views need and is not held yet (the votes of every round
        shown, who was present, the decisions, the queue and, with `presence`, the people)."""
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
                self.plan, self.info.groups, question, rounds, attendance, last_open=open_now))
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

    def facts(self, presence: bool = True) -> RoomFacts:
        """What the room knows now, from what is loaded (what is not is read on this thread)."""
        shown = [question.id for question in self.plan.questions
                 if question.kind != "text" and self.state.question(question.id).status != "pending"]
        return RoomFacts(
            session=self.info, plan=self.plan, steps=self.public_steps, state=self.state,
            results={qid: self.results(qid) for qid in shown},
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
                        not_voted={question.id: self.not_voted(question.id)
                                   for question in self.plan.questions
                                   if question.kind != "text" and self.state.question(question.id).status == "open"})

    def not_voted(self, qid: str) -> dict:
        """Connected phones without a vote in this round: a count, and names where given."""
        return self.audience.not_voted(self.ballots.round(qid, self.state.question(qid).round).votes)
