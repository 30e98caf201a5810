"""What a room's screens read from the record besides the votes (decisions, the moderation queue, the
people in the room), kept until a change to that part is committed here or announced by another
process. A burst of votes then costs no query per broadcast, which matters most when every query is a
round trip to PostgreSQL."""

from typing import Any

from ..store.interface import RecordStore

RECORDS, MODERATION, PEOPLE, JOINED = "records", "moderation", "people", "joined"
PEOPLE_SHOWN = 200  # participants listed on the console, newest first


class RoomReads:
    def __init__(self, store: RecordStore, code: str) -> None:
        self._store = store
        self._code = code
        self._kept: dict[str, Any] = {}
        self._forgotten = 0  # counts `forget` calls, so a read overtaken by a change is not kept

    async def load(self, people: bool = True) -> None:
        """Read, off the event loop, every part not kept (without `people`, the people in the room and
        their count are left out); a part changed mid-read is read again."""
        store = self._store
        reads: dict[str, tuple] = {RECORDS: (store.records, self._code), MODERATION: (store.moderation, self._code)}
        if people:
            reads.update({PEOPLE: (store.recent_people, self._code, PEOPLE_SHOWN),
                          JOINED: (store.participant_count, self._code)})
        for _ in range(3):
            for part, (read, *args) in reads.items():
                if part not in self._kept:
                    before = self._forgotten
                    found = await store.awaited(read, *args)
                    if before == self._forgotten:
                        self._kept[part] = found
            if all(part in self._kept for part in reads):
                return

    def forget(self, *parts: str) -> None:
        """Read these parts again next time; with none, every part. PEOPLE goes with JOINED."""
        self._forgotten += 1
        for part in parts or (RECORDS, MODERATION, PEOPLE):
            if part == PEOPLE:
                self._kept.pop(JOINED, None)
            self._kept.pop(part, None)

    def records(self) -> dict[str, dict]:
        if RECORDS not in self._kept:
            self._kept[RECORDS] = self._store.records(self._code)
        return self._kept[RECORDS]

    def moderation(self) -> dict:
        if MODERATION not in self._kept:
            self._kept[MODERATION] = self._store.moderation(self._code)
        return self._kept[MODERATION]

    def people(self) -> list[dict]:
        """The latest participants still in the room, newest first."""
        if PEOPLE not in self._kept:
            self._kept[PEOPLE] = self._store.recent_people(self._code, PEOPLE_SHOWN)
        return self._kept[PEOPLE]

    def joined(self) -> int:
        """How many joined and were not removed."""
        if JOINED not in self._kept:
            self._kept[JOINED] = self._store.participant_count(self._code)
        return self._kept[JOINED]
