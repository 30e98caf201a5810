"""The verdict rules: agreement on the decision's own side, minimum votes and quorum, the bootstrap
interval, and how groups split or polarise."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.figures import Thresholds, scale_figures, scale_figures_from_tally
from workshop.domain.framework import DIRECTION_SIDES
from workshop.domain.plans import load_plan, plan_from_dict
from workshop.domain.verdict import (
    assess,
    binomial,
    bootstrap_interval,
    bootstrap_seed,
    group_split,
    multinomial,
    quorum_needed,
)

PLAN = load_plan("sessions/frei-variability.toml")
DIRECTION = PLAN.question("arrival.direction")
IMPACT = PLAN.question("arrival.impact")
STRATEGY = PLAN.question("arrival.strategy")
SIDE_OF = {point: name for name, points in DIRECTION_SIDES for point in points}
direction_tallies = st.dictionaries(st.integers(-2, 2), st.integers(0, 40))


def _direction(tally: dict, thresholds: Thresholds = Thresholds()) -> dict:
    return scale_figures_from_tally(tally, -2, 2, 0, thresholds, DIRECTION.sides)


def _judged(tally: dict, present: int | None = None, by_group: dict | None = None,
            thresholds: Thresholds = Thresholds(), round_: int = 1) -> dict:
    figures = {**_direction(tally, thresholds), "by_group": by_group or {}, "group_gap": None}
    if by_group:
        means = [found["mean"] for found in by_group.values() if found["n"]]
        figures["group_gap"] = max(means) - min(means) if len(means) > 1 else None
    return assess(DIRECTION, round_, figures, present, thresholds)


def test_less_and_as_today_are_not_one_block_of_agreement():
    figures = _direction({-1: 8, 0: 7})
    assert figures["agreement"] == pytest.approx(8 / 15)
    assert figures["side"] == "less"
    assert figures["side_counts"] == {"less": 8, "same": 7, "more": 0}
    assert figures["reached"] is False
    # the impact scale keeps the two-point window
    assert scale_figures([2] * 8 + [3] * 7, 1, 5)["agreement"] == 1.0


def test_the_plan_gives_direction_questions_their_sides():
    assert DIRECTION.sides == DIRECTION_SIDES
    assert IMPACT.sides == ()
    assert DIRECTION.to_public()["decision_sides"] == {"less": [-2, -1], "same": [0], "more": [1, 2]}


@given(direction_tallies)
def test_agreement_never_spans_two_decisions(tally):
    figures = _direction(tally)
    if figures["n"] == 0:
        assert figures["agreement"] is None
        return
    # agreement is exactly the share of one decision: the votes it counts all mean the same thing
    shares = {name: sum(count for point, count in tally.items() if SIDE_OF[point] == name) / figures["n"]
              for name, _ in DIRECTION_SIDES}
    assert figures["agreement"] == pytest.approx(max(shares.values()))
    if figures["side"] is not None:
        assert shares[figures["side"]] == pytest.approx(figures["agreement"])


@settings(deadline=None)  # a bootstrap per example
@given(direction_tallies, st.integers(1, 30))
def test_below_the_minimum_nothing_is_reached(tally, min_votes):
    thresholds = Thresholds(min_votes=min_votes)
    judged = _judged(tally, thresholds=thresholds)
    if judged["n"] < min_votes:
        assert judged["reached"] is False
        assert judged["verdict"] == "too_few_votes"


@settings(deadline=None)  # a bootstrap per example
@given(direction_tallies, st.integers(0, 200), st.floats(0, 1))
def test_below_the_quorum_nothing_is_reached(tally, present, quorum):
    judged = _judged(tally, present=present, thresholds=Thresholds(quorum=quorum, min_votes=1))
    if judged["n"] < quorum_needed(present, quorum):
        assert judged["reached"] is False and judged["verdict"] == "too_few_votes"


def test_quorum_counts_the_phones_present():
    assert quorum_needed(7, 0.5) == 4
    assert quorum_needed(10, 0.5) == 5
    assert quorum_needed(None, 0.5) is None
    unanimous = {-1: 6}
    assert _judged(unanimous, present=10)["verdict"] == "reached"
    assert _judged(unanimous, present=13)["verdict"] == "too_few_votes"
    assert _judged({-1: 4}, present=4)["verdict"] == "too_few_votes"  # under the minimum of 5


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.integers(-2, 2), st.integers(0, 30), min_size=1), st.integers(1, 3))
def test_the_bootstrap_is_reproducible_with_its_seed(tally, round_):
    counts = _direction(tally)["counts"]
    if sum(counts.values()) == 0:
        return
    seed = bootstrap_seed(DIRECTION.id, round_)
    first = bootstrap_interval(DIRECTION, counts, seed, resamples=300)
    again = bootstrap_interval(DIRECTION, dict(counts), seed, resamples=300)
    assert first == again
    for key in ("consensus", "agreement"):
        low, high = first[key]
        assert 0 <= low <= high <= 1


def test_the_seed_depends_on_question_and_round():
    assert bootstrap_seed("arrival.direction", 1) == bootstrap_seed("arrival.direction", 1)
    assert bootstrap_seed("arrival.direction", 1) != bootstrap_seed("arrival.direction", 2)
    assert bootstrap_seed("arrival.direction", 1) != bootstrap_seed("request.direction", 1)


def test_the_interval_holds_the_point_estimate_and_needs_eight_votes():
    judged = _judged({-2: 3, -1: 9, 0: 2})
    low, high = judged["interval"]["agreement"]
    assert low <= judged["agreement"] <= high
    low, high = judged["interval"]["consensus"]
    assert low <= judged["consensus"] <= high
    assert _judged({-1: 7})["interval"] is None


def test_a_verdict_whose_interval_crosses_a_threshold_is_fragile():
    # 12 of 15 on "less": agreement 0.80, just over 0.75; a few votes either way would change it
    judged = _judged({-1: 12, 0: 3})
    assert judged["reached"] is True
    assert judged["interval"]["agreement"][0] < 0.75
    assert judged["verdict"] == "fragile"
    # a room of 60 all on "less" is far from any threshold
    assert _judged({-1: 40, -2: 20})["verdict"] == "reached"


def test_multinomial_draws_sum_to_n_and_follow_the_shares():
    import random
    rng = random.Random(7)
    draws = [multinomial(rng, 1000, [0.1, 0.2, 0.7]) for _ in range(200)]
    assert all(sum(draw) == 1000 for draw in draws)
    mean_last = sum(draw[2] for draw in draws) / len(draws)
    assert 680 < mean_last < 720
    assert binomial(rng, 50, 0.0) == 0 and binomial(rng, 50, 1.0) == 50
    big = [binomial(rng, 10_000, 0.3) for _ in range(300)]
    assert 2950 < sum(big) / len(big) < 3050


def _group(tally: dict) -> dict:
    return _direction(tally)


def test_a_group_on_the_other_side_splits_the_room():
    by_group = {"IT": _group({-1: 9, -2: 1}), "Business": _group({0: 1})}
    judged = _judged({-1: 9, -2: 1, 0: 1}, by_group=by_group)
    assert judged["split"]["against"] == ["Business"]
    assert judged["split"]["split"] is True
    assert judged["split"]["polarised"] is False  # a group of one vote is not a camp
    assert judged["verdict"] in ("reached", "fragile")


def test_two_agreeing_groups_far_apart_are_polarised_not_weak():
    by_group = {"IT": _group({-2: 5, -1: 5}), "Business": _group({1: 4, 2: 4})}
    judged = _judged({-2: 5, -1: 5, 1: 4, 2: 4}, by_group=by_group)
    assert judged["split"]["polarised"] is True
    assert judged["split"]["camps"] == ["Business", "IT"]
    assert judged["verdict"] == "polarised"


def test_a_gap_of_a_point_between_group_means_is_a_split():
    by_group = {"IT": _group({-1: 6}), "Business": _group({-2: 6})}
    split = group_split(DIRECTION, {**_direction({-1: 6, -2: 6}), "by_group": by_group, "group_gap": 1.0},
                        Thresholds())
    assert split["split"] is True and split["against"] == [] and split["polarised"] is False
    assert group_split(DIRECTION, {**_direction({-1: 6}), "by_group": {"IT": _group({-1: 6})}}, Thresholds()) is None


@settings(deadline=None)  # a bootstrap per example
@given(st.dictionaries(st.integers(-2, 2), st.integers(0, 12)), st.dictionaries(st.integers(-2, 2), st.integers(0, 12)))
def test_polarised_groups_always_stand_on_different_sides(first, second):
    by_group = {"A": _group(first), "B": _group(second)}
    total = {point: first.get(point, 0) + second.get(point, 0) for point in range(-2, 3)}
    judged = _judged(total, by_group=by_group)
    if judged["split"] and judged["split"]["polarised"]:
        assert by_group["A"]["side"] != by_group["B"]["side"]
        assert judged["verdict"] in ("polarised", "too_few_votes")


def test_choice_questions_get_an_interval_on_the_leaders_share():
    from workshop.domain.figures import choice_figures
    options = [option.id for option in STRATEGY.options]
    figures = {**choice_figures(["classic_reduction"] * 9 + ["classic_accommodation"], options), "by_group": {},
               "group_gap": None}
    judged = assess(STRATEGY, 1, figures, 10, Thresholds())
    assert judged["interval"]["consensus"] is None
    assert judged["interval"]["agreement"][1] == 1.0
    assert judged["verdict"] in ("reached", "fragile")


def _plan(consensus: dict, question: dict | None = None) -> dict:
    question = question or {"id": "q", "kind": "scale", "prompt": "?", "min": 1, "max": 5}
    return {"title": "t", "groups": ["A"], "consensus": consensus,
            "steps": [{"id": "s", "kind": "content", "title": "S", "questions": [question]}]}


def test_plans_set_minimum_votes_quorum_and_decision_sides():
    plan = plan_from_dict(_plan({"min_votes": 3, "quorum": 0.25}, {
        "id": "q", "kind": "scale", "prompt": "?", "min": 1, "max": 4,
        "decision_sides": {"no": [1, 2], "yes": [3, 4]}}), "p", "p.toml")
    assert (plan.min_votes, plan.quorum) == (3, 0.25)
    assert plan.question("q").sides == (("no", (1, 2)), ("yes", (3, 4)))


@pytest.mark.parametrize("consensus, question, field", [
    ({"min_votes": 0}, None, "consensus.min_votes"),
    ({"min_votes": 2.5}, None, "consensus.min_votes"),
    ({"quorum": 1.5}, None, "consensus.quorum"),
    ({}, {"id": "q", "kind": "scale", "prompt": "?", "min": 1, "max": 4,
          "decision_sides": {"no": [1, 2], "yes": [2, 3, 4]}}, "questions[0].decision_sides"),
    ({}, {"id": "q", "kind": "scale", "prompt": "?", "min": 1, "max": 4,
          "decision_sides": {"no": [1, 2]}}, "questions[0].decision_sides"),
    ({}, {"id": "q", "kind": "scale", "prompt": "?", "min": 1, "max": 4,
          "decision_sides": {"no": [1, 2], "yes": ["3", 4]}}, "questions[0].decision_sides.yes"),
    ({}, {"id": "q", "kind": "choice", "prompt": "?", "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
          "decision_sides": {"no": [1]}}, "questions[0].decision_sides"),
])
def test_invalid_vote_settings_name_their_field(consensus, question, field):
    from workshop.domain.plans import PlanError
    with pytest.raises(PlanError) as refused:
        plan_from_dict(_plan(consensus, question), "p", "p.toml")
    assert refused.value.field == field


def test_a_seed_gives_the_same_interval_on_every_python():
    # the binomial draws are the module's own, not random.binomialvariate (Python 3.12+ only)
    found = bootstrap_interval(DIRECTION, {"-2": 200, "-1": 900, "0": 600, "1": 200, "2": 100}, 7)
    assert found["agreement"] == [0.5285, 0.5725]
    assert found["consensus"] == pytest.approx([0.6346205496135737, 0.6626084764947193])


@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=12), st.integers(1, 10))
def test_a_choice_below_the_minimum_is_never_reached(votes, min_votes):
    from workshop.domain.figures import choice_figures
    figures = choice_figures(votes, ["a", "b", "c"], thresholds=Thresholds(min_votes=min_votes, agreement=0.0))
    assert figures["reached"] is (len(votes) >= min_votes and figures["leader"] is not None)


def test_category_steps_offer_their_sla_fields():
    public = PLAN.category_step("effort").to_public()
    assert public["sla_fields"] == [{"id": "customer_responsibilities", "label": "Customer responsibilities"},
                                    {"id": "minimum_information", "label": "Minimum information a request must carry"}]
    assert PLAN.steps[0].to_public()["sla_fields"] == []
