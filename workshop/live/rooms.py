"""The rooms of one server process: each session's `Room`, loaded from the record on first use."""

from ..domain.plans import Plan
from ..domain.session import SessionRecord
from ..store.interface import RecordStore
from .broker import Broker
from .room import Room, committed


class Rooms:
    """The rooms of one server, loaded from the store on first use."""

    def __init__(self, store: RecordStore, broker: Broker | None = None) -> None:
        self.store = store
        self.broker = broker
        self._rooms: dict[str, Room] = {}

    def loaded(self) -> list[Room]:
        return list(self._rooms.values())

    def expected_phones(self) -> int:
        """The phones the facilitator expects in the rooms loaded here and not ended (their room sizes)."""
        return sum(room.state.room_size for room in self._rooms.values() if not room.state.ended)

    def get(self, code: str) -> Room | None:
        """The room of `code`, read from the store on this thread if not loaded (on the event loop: `find`)."""
        code = code.upper()
        room = self._rooms.get(code)
        if room is None:
            session = self.store.session_record(code)
            if session is None:
                return None
            room = self._rooms.get(code) or self._install(session)
        return room

    async def find(self, code: str) -> Room | None:
        """The room of `code`, its session read off the event loop if not loaded; None if there is none."""
        code = code.upper()
        room = self._rooms.get(code)
        if room is None:
            session = await self.store.awaited(self.store.session_record, code)
            if session is None:
                return None
            room = self._rooms.get(code) or self._install(session)  # loaded meanwhile by another request
        return room

    def _install(self, session: SessionRecord) -> Room:
        room = self._rooms[session.code] = Room(self.store, session, self.broker)
        room.timers.follow(room.state)  # a countdown stored before a restart runs on
        if self.broker is not None:
            self.broker.follow(room)
        return room

    def resume_countdowns(self) -> None:
        """Load every room with a countdown running, so each closes on time after a restart."""
        for code in self.store.timed_sessions():
            self.get(code)

    def stop_countdowns(self) -> None:
        for room in self._rooms.values():
            room.timers.cancel_all()

    async def create(self, title: str, service: str, plan: Plan, groups: list[str]) -> Room:
        code = await committed(self.store.create_session(
            title, service, plan.id, plan.source, groups, [question.id for question in plan.questions]))
        room = await self.find(code)
        assert room is not None  # just committed
        return room
