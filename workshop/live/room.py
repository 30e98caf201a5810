"""A room is one live session: its plan and state, its phones and consoles, and every change to it.

The database is the truth: a room changes its in-memory state only after the store has committed,
and what it broadcasts follows commits.
"""

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable
from concurrent.futures import Future
from typing import Any, Protocol

from ..domain.plans import Plan, Question, plan_from_dict
from ..domain.records import ConsensusInput, record_warnings
from ..domain.session import SUBMISSION_COMMANDS, CommandError, SessionState, apply_command, parse_command
from ..store.store import Store
from . import results
from .ballots import Ballots
from .views import phone_state, snapshot

log = logging.getLogger(__name__)

BROADCAST_INTERVAL = 0.1  # seconds: live tallies reach consoles at most ten times a second
MAX_NAME = 40


class Connection(Protocol):
    async def send_text(self, data: str) -> None: ...


def committed(future: "Future | asyncio.Future") -> Awaitable[Any]:
    """Await a store write from the event loop."""
    return future if isinstance(future, asyncio.Future) else asyncio.wrap_future(future)


class Room:
    def __init__(self, store: Store, session: dict, plan: Plan, state: SessionState) -> None:
        self.store = store
        self.code: str = session["code"]
        self.title: str = session["title"]
        self.service: str = session["service"]
        self.created_at: str = session["created_at"]
        self.groups: list[str] = session["groups"]
        self.plan = plan
        self.state = state
        self.phones: dict[Connection, dict] = {}
        self.connected: Counter[int] = Counter()  # participant id -> open connections
        self.named: dict[int, str] = {}  # connected participants who gave a name
        self.consoles: set[Connection] = set()
        self._lock = asyncio.Lock()
        self._pending: asyncio.TimerHandle | None = None
        self._pending_phones = False
        self._results: dict[str, dict] = {}  # per question, dropped when its votes or state change
        self.ballots = Ballots(store, self.code)
        self.public_steps = [step.to_public() for step in plan.steps]  # the plan never changes mid-session

    def question(self, qid: object) -> Question:
        question = self.plan.question(qid) if isinstance(qid, str) else None
        if question is None:
            raise CommandError("unknown_question", f"no question {qid!r} in this session")
        return question

    # participants

    async def join(self, token: object, name: object, group: object) -> dict:
        if token is not None and not isinstance(token, str):
            raise CommandError("invalid_field", "'token' must be a string")
        name = _optional_text(name, "name", MAX_NAME)
        group = _optional_text(group, "group", MAX_NAME)
        if group and group not in self.groups:
            raise CommandError("invalid_field", f"'group' must be one of {', '.join(self.groups)}")
        participant = await committed(self.store.join(self.code, token or None, name, group))
        if self.ballots.joined(participant):
            self._results.clear()  # the per-group figures changed
        return participant

    async def vote(self, participant: dict, message_id: str, qid: object, value: object) -> tuple[str, int]:
        question = self.question(qid)
        try:
            checked = question.check_value(value)
        except ValueError as error:
            raise CommandError("invalid_value", str(error)) from None
        qid, round_, fresh = await committed(
            self.store.record_vote(self.code, participant["id"], message_id, question.id, str(checked)))
        if fresh:
            self.ballots.record(participant["id"], qid, round_, str(checked))
            self._results.pop(qid, None)
            self.changed(phones=self.state.question(qid).revealed)
        return qid, round_

    async def submit(self, participant: dict, message_id: str, qid: object, text: object) -> tuple[str, int]:
        question = self.question(qid)
        try:
            checked = question.check_text(text)
        except ValueError as error:
            raise CommandError("invalid_value", str(error)) from None
        qid, round_, _ = await committed(
            self.store.submit_text(self.code, participant["id"], message_id, question.id, checked))
        self.changed()
        return qid, round_

    # facilitator

    async def command(self, data: object) -> None:
        """Apply a facilitator command once it is committed; raise CommandError if refused."""
        command = parse_command(data)
        async with self._lock:
            if command.name in SUBMISSION_COMMANDS:
                status = "approved" if command.name == "approve" else "rejected"
                await committed(self.store.moderate(self.code, command.submission, status))
            else:
                updated = apply_command(self.plan, self.state, command)
                if updated is not self.state:
                    await committed(self.store.save_state(self.code, self.state, updated))
                    self.state = updated
                    self._results.pop(command.question or "", None)
        self.changed(phones=True, now=True)

    async def record_consensus(self, record: ConsensusInput) -> dict:
        evidence = self._evidence(record.kind)
        warnings = record_warnings(record, evidence)
        evidence["warnings"] = [warning["message"] for warning in warnings]
        stored = await committed(self.store.save_record(self.code, {
            **record.to_row(), "evidence": evidence, "warnings": warnings,
        }))
        self.changed()
        return stored

    def _evidence(self, kind: str) -> dict:
        """The latest round's figures of the kind's direction and strategy questions."""
        evidence: dict[str, Any] = {}
        for suffix in ("impact", "direction", "strategy"):
            question = self.plan.question(f"{kind}.{suffix}")
            if question is None or self.state.question(question.id).status == "pending":
                continue
            found = self.results(question.id)
            if self.state.question(question.id).status == "open":  # a decision needs the interval now
                found = self._question_results(question, last_open=False)
            evidence[suffix] = {"question": question.id, **found["rounds"][-1]} if found["rounds"] else None
        dissent = self.plan.question(f"{kind}.dissent")
        evidence["dissent_texts"] = [item["text"] for item in self.store.submissions(self.code, "approved")
                                     if dissent is not None and item["question_id"] == dissent.id]
        return evidence

    def results(self, qid: object) -> dict:
        """Every round's figures of a scale or choice question, and the shift between the last two."""
        question = self.question(qid)
        if question.kind == "text":
            raise CommandError("invalid_field", f"{question.id} takes text submissions; it has no figures")
        cached = self._results.get(question.id)
        if cached is None:
            open_now = self.state.question(question.id).status == "open"
            cached = self._results[question.id] = self._question_results(question, last_open=open_now)
        return cached

    def _question_results(self, question: Question, last_open: bool) -> dict:
        rounds = self.ballots.rounds(question.id, self.state.question(question.id).round)
        return results.question_results(self.plan, self.groups, question, rounds,
                                        present=len(self.connected), last_open=last_open)

    def snapshot(self) -> dict:
        return snapshot(self)

    def phone_state(self) -> dict:
        return phone_state(self)

    # connections and broadcasts

    def add_phone(self, connection: Connection, participant: dict) -> None:
        previous = self.phones.get(connection)
        if previous is not None:
            self._disconnected(previous)
        self.phones[connection] = participant
        self.connected[participant["id"]] += 1
        if participant["name"]:
            self.named[participant["id"]] = participant["name"]
        else:
            self.named.pop(participant["id"], None)
        self.changed()

    def add_console(self, connection: Connection) -> None:
        self.consoles.add(connection)

    def remove(self, connection: Connection) -> None:
        participant = self.phones.pop(connection, None)
        if participant is not None:
            self._disconnected(participant)
            self.changed()
        self.consoles.discard(connection)

    def _disconnected(self, participant: dict) -> None:
        participant_id = participant["id"]
        self.connected[participant_id] -= 1
        if self.connected[participant_id] <= 0:
            del self.connected[participant_id]
            self.named.pop(participant_id, None)

    def changed(self, phones: bool = False, now: bool = False) -> None:
        """Schedule a broadcast; bursts of changes are conflated into one message per interval."""
        self._pending_phones = self._pending_phones or phones
        if now:
            if self._pending is not None:
                self._pending.cancel()
            self._pending = None
            asyncio.get_running_loop().create_task(self._flush())
        elif self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(
                BROADCAST_INTERVAL, lambda: asyncio.ensure_future(self._flush()))

    async def _flush(self) -> None:
        self._pending = None
        to_phones, self._pending_phones = self._pending_phones, False
        if to_phones and self.phones:
            await self._send_all(list(self.phones), {"type": "state", **self.phone_state()})
        if self.consoles:
            await self._send_all(list(self.consoles), {"type": "snapshot", "snapshot": self.snapshot()})

    async def _send_all(self, connections: list[Connection], message: dict) -> None:
        text = json.dumps(message)  # serialised once, sent to every socket
        # One after another in this task: a send only waits when a socket's buffer is full, and the
        # transport cuts such a socket off at once (web/transport.py), so no socket holds up the rest.
        for connection in connections:
            try:
                await connection.send_text(text)
            except Exception as error:
                log.debug("dropping a connection that failed to receive: %s", error)
                self.remove(connection)


def _optional_text(value: object, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CommandError("invalid_field", f"'{field}' must be a string")
    value = value.strip()
    if len(value) > limit:
        raise CommandError("invalid_field", f"'{field}' must be at most {limit} characters")
    return value


class Rooms:
    """The rooms of one server, loaded from the store on first use."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rooms: dict[str, Room] = {}

    def get(self, code: str) -> Room | None:
        code = code.upper()
        room = self._rooms.get(code)
        if room is None:
            session = self.store.session(code)
            if session is None:
                return None
            plan = plan_from_dict(session["plan_source"], session["plan_id"], f"session {code}")
            room = self._rooms[code] = Room(self.store, session, plan, self.store.session_state(code))
        return room

    async def create(self, title: str, service: str, plan: Plan, groups: list[str]) -> Room:
        code = await committed(self.store.create_session(
            title, service, plan.id, plan.source, groups, [question.id for question in plan.questions]))
        return self.get(code)
