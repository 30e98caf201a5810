"""The committed votes of one session, mirrored in memory so live figures need no SQL per broadcast.

Each round is read from the database the first time it is needed (after a restart, say) and then
kept up to date by the room as votes commit; the database stays the truth. Besides each voter's
value, a round keeps its counts overall and per group, and how its voters moved from the round
before, so refreshing the figures of a hall of thousands costs no more than those of a table of five.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping

from ..store.store import Store


class RoundBallots:
    """One round of one question: each voter's value, and the counts the figures are made from."""

    def __init__(self, votes: Mapping[int, str], groups: Mapping[int, str],
                 earlier: Mapping[int, str] | None = None) -> None:
        self.votes: dict[int, str] = dict(votes)
        self.counts: Counter[str] = Counter(self.votes.values())
        self.by_group: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for participant_id, value in self.votes.items():
            self.by_group[groups.get(participant_id, "")][value] += 1
        # The round before no longer changes: votes only ever go to a question's latest round.
        self._earlier = earlier
        self.moves: Counter[tuple[str, str]] = Counter(
            (earlier[participant_id], value) for participant_id, value in self.votes.items()
            if participant_id in earlier) if earlier is not None else Counter()

    def record(self, participant_id: int, value: str, group: str) -> None:
        old = self.votes.get(participant_id)
        if old == value:
            return
        self.votes[participant_id] = value
        before = self._earlier.get(participant_id) if self._earlier is not None else None
        if old is not None:
            _take(self.counts, old)
            _take(self.by_group[group], old)
            if before is not None:
                _take(self.moves, (before, old))
        self.counts[value] += 1
        self.by_group[group][value] += 1
        if before is not None:
            self.moves[(before, value)] += 1

    def regroup(self, participant_id: int, old: str, new: str) -> None:
        value = self.votes.get(participant_id)
        if value is not None:
            _take(self.by_group[old], value)
            self.by_group[new][value] += 1


def _take(counter: Counter, key: object) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


class Ballots:
    def __init__(self, store: Store, code: str) -> None:
        self._store = store
        self._code = code
        self._rounds: dict[tuple[str, int], RoundBallots] = {}
        self._groups: dict[int, str] | None = None

    def round(self, qid: str, round_: int) -> RoundBallots:
        key = (qid, round_)
        found = self._rounds.get(key)
        if found is None:
            if self._groups is None:
                self._groups = self._store.groups_of(self._code)
            earlier = self.round(qid, round_ - 1).votes if round_ > 1 else None
            found = self._rounds[key] = RoundBallots(
                self._store.votes(self._code, qid, round_), self._groups, earlier)
        return found

    def rounds(self, qid: str, count: int) -> list[RoundBallots]:
        """Rounds 1..count of a question."""
        return [self.round(qid, number) for number in range(1, count + 1)]

    def record(self, participant_id: int, qid: str, round_: int, value: str) -> None:
        """A vote has committed; a round not yet loaded will read it from the database instead."""
        found = self._rounds.get((qid, round_))
        if found is not None:
            found.record(participant_id, value, self._groups.get(participant_id, ""))  # loaded with the round

    def joined(self, participant: dict) -> bool:
        """Note a participant's group; True when their votes moved to another group."""
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
