"""A question's rounds of votes and the results built from them with the consensus figures.

Pure: the live rooms keep `RoundBallots` up to date as votes commit, and the exports build the same
objects from stored votes, so both compute their figures with `question_results`.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .figures import (
    Thresholds,
    choice_figures_from_tally,
    group_gap,
    scale_figures_from_tally,
    shift_from_moves,
)
from .plans import Plan, Question
from .verdict import assess

ABSTAIN = "abstain"


class RoundBallots:
    """One round of one question: each voter's value, and the counts the figures are made from."""

    def __init__(self, votes: Mapping[int, str], groups: Mapping[int, str],
                 earlier: Mapping[int, str] | None = None, fixed: bool = False) -> None:
        # A closed round counts its voters in the groups stored with it: a later rejoin moves nothing.
        self.fixed = fixed
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

    def forget(self, participant_id: int, group: str) -> None:
        """A participant removed from the room: their vote leaves the counts."""
        old = self.votes.pop(participant_id, None)
        if old is None:
            return
        _take(self.counts, old)
        _take(self.by_group[group], old)
        before = self._earlier.get(participant_id) if self._earlier is not None else None
        if before is not None:
            _take(self.moves, (before, old))

    def regroup(self, participant_id: int, old: str, new: str) -> None:
        value = self.votes.get(participant_id)
        if value is not None and not self.fixed:
            _take(self.by_group[old], value)
            self.by_group[new][value] += 1


def _take(counter: Counter, key: object) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


def figures(question: Question, counts: Mapping[str, int], thresholds: Thresholds) -> dict:
    """Figures for the number of votes on each stored value (strings, as the votes table keeps them)."""
    abstain = counts.get(ABSTAIN, 0)
    chosen = {value: count for value, count in counts.items() if value != ABSTAIN}
    if question.kind == "scale":
        assert question.min is not None and question.max is not None  # a scale's plan check ensures it
        tally = {int(value): count for value, count in chosen.items()}
        return scale_figures_from_tally(tally, question.min, question.max, abstain, thresholds,
                                        question.sides or None)
    options = [option.id for option in question.options]
    return choice_figures_from_tally(chosen, options, abstain, thresholds)


def thresholds_of(plan: Plan) -> Thresholds:
    return Thresholds(consensus=plan.min_consensus, agreement=plan.min_agreement,
                      min_votes=plan.min_votes, quorum=plan.quorum, min_group_size=plan.min_group_size)


@dataclass(frozen=True)
class Attendance:
    """Who was present for a round: stored with it when it closed (`fixed`), or counted while it is open.

    `present` is None where nobody counted (rounds closed before presence was stored). `amended` marks
    a fixed round that a removal has changed since it closed."""

    present: int | None
    fixed: bool = False
    amended: bool = False


UNKNOWN = Attendance(present=None)


def hide_small_groups(figures: dict, min_size: int) -> dict:
    """A round's figures with each group smaller than `min_size` reduced to its size (`{"n", "hidden"}`):
    wherever the room or a reader sees group figures, a group of one or two would give its members'
    votes away. The gap, split and camps are already made from the shown groups only (`assess`)."""
    by_group = figures.get("by_group") or {}
    hidden = {name for name, group in by_group.items()
              if not group.get("hidden") and group["n"] < min_size and group["n"] + group["abstain"] > 0}
    if not hidden:
        return figures
    shown = {name: {"n": group["n"], "hidden": True} if name in hidden else group
             for name, group in by_group.items()}
    return {**figures, "by_group": shown}


def round_figures(question: Question, ballots: RoundBallots, groups: list[str], thresholds: Thresholds) -> dict:
    overall = figures(question, ballots.counts, thresholds)
    by_group = {group: figures(question, ballots.by_group.get(group, {}), thresholds) for group in groups}
    shown = {group: found for group, found in by_group.items() if found["n"] >= thresholds.min_group_size}
    gap = group_gap(shown) if question.kind == "scale" else None
    return {**overall, "by_group": by_group, "group_gap": gap}


def question_results(plan: Plan, groups: list[str], question: Question, rounds: Sequence[RoundBallots],
                     attendance: Sequence[Attendance], last_open: bool = False) -> dict:
    """Every round's judged figures for a scale or choice question, and the shift between the last two.

    `attendance` holds each round's presence (the same length as `rounds`); `last_open` marks the last
    round as still taking votes. A fixed round's figures depend only on its stored votes and presence.
    """
    thresholds = thresholds_of(plan)
    result_rounds = []
    for number, (ballots, present) in enumerate(zip(rounds, attendance, strict=True), start=1):
        judged = assess(question, round_figures(question, ballots, groups, thresholds), present.present, thresholds)
        result_rounds.append({"round": number, **judged, "open": last_open and number == len(rounds),
                              "fixed": present.fixed, "amended": present.amended})
    shift = None
    if len(rounds) >= 2:
        shift = shift_from_moves(rounds[-1].moves, result_rounds[-2], result_rounds[-1])
    return {"question": question.id, "kind": question.kind, "rounds": result_rounds, "shift": shift}
