"""Who has been present for each round still taking votes: every phone connected at any moment while
it was open, here or (as reported each second) on another process. When a round closes the room
stores this list with it (`Store.save_state`), and the round's figures are made from it from then on.
"""

from collections.abc import Callable, Iterable

Round = tuple[str, int]


class Attendance:
    def __init__(self) -> None:
        self._present: dict[Round, set[int]] = {}

    def follow(self, rounds: set[Round], connected: Iterable[int], stored: Callable[[Round], Iterable[int]]) -> None:
        """Keep lists for exactly the rounds open now; a round opened (or reopened) starts with the
        phones connected now and anyone already stored for it."""
        for key in list(self._present):
            if key not in rounds:
                del self._present[key]
        now = set(connected)
        for key in rounds - self._present.keys():
            self._present[key] = now | set(stored(key))

    def saw(self, participants: Iterable[int]) -> None:
        """Phones connected now count as present for every open round."""
        seen = set(participants)
        for present in self._present.values():
            present |= seen

    def present(self, key: Round, voters: Iterable[int]) -> set[int]:
        """Who was present for an open round so far: every phone seen while it was open, and every voter."""
        return self._present.get(key, set()) | set(voters)

    def forget(self, participant_id: int) -> None:
        for present in self._present.values():
            present.discard(participant_id)
