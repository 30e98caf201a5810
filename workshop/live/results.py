"""Results of a question, built from the counts of its stored votes with the domain's figures."""

from collections.abc import Mapping, Sequence

from ..domain.figures import (
    Thresholds,
    choice_figures_from_tally,
    group_gap,
    scale_figures_from_tally,
    shift_from_moves,
)
from ..domain.plans import Plan, Question
from ..domain.verdict import assess
from .ballots import RoundBallots

ABSTAIN = "abstain"


def figures(question: Question, counts: Mapping[str, int], thresholds: Thresholds) -> dict:
    """Figures for the number of votes on each stored value (strings, as the votes table keeps them)."""
    abstain = counts.get(ABSTAIN, 0)
    chosen = {value: count for value, count in counts.items() if value != ABSTAIN}
    if question.kind == "scale":
        tally = {int(value): count for value, count in chosen.items()}
        return scale_figures_from_tally(tally, question.min, question.max, abstain, thresholds,
                                        question.sides or None)
    options = [option.id for option in question.options]
    return choice_figures_from_tally(chosen, options, abstain, thresholds)


def thresholds_of(plan: Plan) -> Thresholds:
    return Thresholds(consensus=plan.min_consensus, agreement=plan.min_agreement,
                      min_votes=plan.min_votes, quorum=plan.quorum)


def round_figures(question: Question, ballots: RoundBallots, groups: list[str], thresholds: Thresholds) -> dict:
    overall = figures(question, ballots.counts, thresholds)
    by_group = {group: figures(question, ballots.by_group.get(group, {}), thresholds) for group in groups}
    gap = group_gap(by_group) if question.kind == "scale" else None
    return {**overall, "by_group": by_group, "group_gap": gap}


def question_results(plan: Plan, groups: list[str], question: Question, rounds: Sequence[RoundBallots],
                     present: int | None = None, last_open: bool = False) -> dict:
    """Every round's figures for a scale or choice question, and the shift between the last two.

    `present` is the number of phones connected now; a last round still open (`last_open`)
    gets no bootstrap interval until it closes.
    """
    thresholds = thresholds_of(plan)
    result_rounds = [
        {"round": number, **assess(question, number, round_figures(question, ballots, groups, thresholds),
                                   present, thresholds, with_interval=not (last_open and number == len(rounds)))}
        for number, ballots in enumerate(rounds, start=1)
    ]
    shift = None
    if len(rounds) >= 2:
        shift = shift_from_moves(rounds[-1].moves, result_rounds[-2], result_rounds[-1])
    return {"question": question.id, "kind": question.kind, "rounds": result_rounds, "shift": shift}
