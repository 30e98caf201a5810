"""Results of a question, built from the stored votes with the domain's figures."""

from ..domain.figures import Thresholds, choice_figures, group_gap, round_shift, scale_figures
from ..domain.plans import Plan, Question

ABSTAIN = "abstain"


def figures(question: Question, values: list[str], thresholds: Thresholds) -> dict:
    """Figures for one set of stored vote values (strings, as the votes table keeps them)."""
    chosen = [value for value in values if value != ABSTAIN]
    abstain = len(values) - len(chosen)
    if question.kind == "scale":
        return scale_figures([int(value) for value in chosen], question.min, question.max, abstain, thresholds)
    options = [option.id for option in question.options]
    return choice_figures(chosen, options, abstain, thresholds)


def thresholds_of(plan: Plan) -> Thresholds:
    return Thresholds(consensus=plan.min_consensus, agreement=plan.min_agreement)


def round_figures(question: Question, votes: list[dict], groups: list[str], thresholds: Thresholds) -> dict:
    overall = figures(question, [vote["value"] for vote in votes], thresholds)
    by_group = {
        group: figures(question, [vote["value"] for vote in votes if vote["group_name"] == group], thresholds)
        for group in groups
    }
    gap = group_gap(by_group) if question.kind == "scale" else None
    return {**overall, "by_group": by_group, "group_gap": gap}


def question_results(plan: Plan, groups: list[str], question: Question, votes_by_round: list[list[dict]]) -> dict:
    """Every round's figures for a scale or choice question, and the shift between the last two.

    `votes_by_round` holds, for rounds 1..N, each vote as {participant_id, group_name, value}.
    """
    thresholds = thresholds_of(plan)
    result_rounds = [
        {"round": number, **round_figures(question, votes, groups, thresholds)}
        for number, votes in enumerate(votes_by_round, start=1)
    ]
    shift = None
    if len(votes_by_round) >= 2:
        previous, current = votes_by_round[-2], votes_by_round[-1]
        shift = round_shift(
            {vote["participant_id"]: vote["value"] for vote in previous},
            {vote["participant_id"]: vote["value"] for vote in current},
            result_rounds[-2], result_rounds[-1])
    return {"question": question.id, "kind": question.kind, "rounds": result_rounds, "shift": shift}
