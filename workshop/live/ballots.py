"""The committed votes of one session, mirrored in memory so live figures need no SQL per broadcast.

Each round is read from the database the first time it is needed (after a restart, say) and then
kept up to date by the room as votes commit; the database stays the truth. Besides each voter's
value, a round keeps its counts overall and per group, and how its voters moved from the round
before, so refreshing the figures of a hall of thousands costs no more than those of a table of five.
"""

from ..domain.tally import RoundBallots
from ..store.interface import RecordStore


class Ballots:
    def __init__(self, store: RecordStore, code: str) -> None:
        self._store = store
        self._code = code
        self._rounds: dict[tuple[str, int], RoundBallots] = {}
        self._groups: dict[int, str] | None = None
        self._attendance: dict[tuple[str, int], dict] | None = None
        self._changes = 0  # counts what changed the mirror, so a read overtaken by a change is made again

    def round(self, qid: str, round_: int) -> RoundBallots:
        """A round's ballots, read from the store if not loaded (on the event loop, `load` them first)."""
        found = self._rounds.get((qid, round_))
        if found is None:
            if self._groups is None:
                self._groups = self._store.groups_of(self._code)
            found = self._make((qid, round_), self._store.votes(self._code, qid, round_))
        return found

    def _make(self, key: tuple[str, int], votes: dict[int, str]) -> RoundBallots:
        qid, round_ = key
        earlier = self.round(qid, round_ - 1).votes if round_ > 1 else None
        stored = self.stored_attendance(key)
        # A closed round counts its voters in the groups stored with it when it closed.
        groups = (self._groups or {}) if stored is None else {**(self._groups or {}), **stored["groups"]}
        found = self._rounds[key] = RoundBallots(votes, groups, earlier, fixed=stored is not None)
        return found

    async def load(self, shown: list[tuple[str, int]]) -> None:
        """Read, off the event loop, rounds 1..n of each (question, n) not loaded yet, and who was present
        for the closed rounds if that was forgotten."""
        for _ in range(3):  # a round closed mid-read forgets it again
            if self._attendance is not None:
                break
            before = self._changes
            attendance = await self._store.awaited(self._store.attendance, self._code)
            if before == self._changes:
                self._attendance = attendance
        for qid, count in shown:
            for number in range(1, count + 1):
                if (qid, number) not in self._rounds:
                    await self._load_round((qid, number))

    async def _load_round(self, key: tuple[str, int]) -> None:
        store = self._store
        for _ in range(3):  # a vote or a removal committed mid-read: read again
            before = self._changes
            if self._groups is None:
                groups = await store.awaited(store.groups_of, self._code)
                if self._groups is None:
                    self._groups = groups
            if self._attendance is None:
                attendance = await store.awaited(store.attendance, self._code)
                if self._attendance is None:
                    self._attendance = attendance
            votes = await store.awaited(store.votes, self._code, *key)
            if key in self._rounds:
                return
            if before == self._changes and self._attendance is not None:
                self._make(key, votes)
                return

    def stored_attendance(self, key: tuple[str, int]) -> dict | None:
        """Who was present for a closed round, as stored when it closed (None for a round never closed)."""
        if self._attendance is None:
            self._attendance = self._store.attendance(self._code)
        return self._attendance.get(key)

    def closed(self, keys: list[tuple[str, int]]) -> None:
        """Rounds have closed (here or elsewhere): read them again, fixed, with who was present."""
        self._attendance = None
        self._changes += 1
        for key in keys:
            self._rounds.pop(key, None)

    def rounds(self, qid: str, count: int) -> list[RoundBallots]:
        """Rounds 1..count of a question."""
        return [self.round(qid, number) for number in range(1, count + 1)]

    def record(self, participant_id: int, qid: str, round_: int, value: str, group: str | None = None) -> None:
        """A vote has committed; a round not yet loaded will read it from the database instead.

        `group` is the voter's group when the vote was committed by another process, whose join this
        process may not have seen yet; a repeated vote only replaces the voter's value."""
        self._changes += 1
        found = self._rounds.get((qid, round_))
        if found is not None and self._groups is not None:  # the groups are loaded with the first round
            if group is not None:
                self._groups.setdefault(participant_id, group)
            found.record(participant_id, value, self._groups.get(participant_id, ""))

    def forget(self, participant_id: int) -> None:
        """A participant was removed: their votes leave every loaded round (the store stops counting them),
        and the closed rounds they were present for are amended."""
        self._attendance = None
        self._changes += 1
        group = self._groups.get(participant_id, "") if self._groups is not None else ""
        # Latest rounds first: a round reads the one before it to undo the participant's move between them.
        for key in sorted(self._rounds, key=lambda key: key[1], reverse=True):
            self._rounds[key].forget(participant_id, group)

    def joined(self, participant: dict) -> bool:
        """Note a participant's group; True when their votes moved to another group."""
        self._changes += 1
        if self._groups is None:
            return False
        participant_id, group = participant["id"], participant["group"]
        old = self._groups.get(participant_id)
        self._groups[participant_id] = group
        if old is None or old == group:
            return False
        for found in self._rounds.values():  # a phone rejoined in another group: its votes move with it
            found.regroup(participant_id, old, group)
        return True
