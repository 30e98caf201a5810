"""The committed votes of one session, mirrored in memory so live figures need no SQL per broadcast.

Each round is read from the database the first time it is needed (after a restart, say) and then
kept up to date by the room as votes commit; the database stays the truth.
"""

from ..store.store import Store


class Ballots:
    def __init__(self, store: Store, code: str) -> None:
        self._store = store
        self._code = code
        self._rounds: dict[tuple[str, int], dict[int, str]] = {}
        self._groups: dict[int, str] | None = None

    def round(self, qid: str, round_: int) -> dict[int, str]:
        """Participant id -> value for one round."""
        key = (qid, round_)
        if key not in self._rounds:
            self._rounds[key] = self._store.votes(self._code, qid, round_)
        return self._rounds[key]

    def record(self, participant_id: int, qid: str, round_: int, value: str) -> None:
        """A vote has committed; a round not yet loaded will read it from the database instead."""
        if (qid, round_) in self._rounds:
            self._rounds[(qid, round_)][participant_id] = value

    def joined(self, participant: dict) -> None:
        if self._groups is not None:
            self._groups[participant["id"]] = participant["group"]

    def votes(self, qid: str, rounds: int) -> list[list[dict]]:
        """Every round's votes, each as {participant_id, group_name, value}, for the figures."""
        if self._groups is None:
            self._groups = self._store.groups_of(self._code)
        return [
            [{"participant_id": pid, "group_name": self._groups.get(pid, ""), "value": value}
             for pid, value in self.round(qid, number).items()]
            for number in range(1, rounds + 1)
        ]
