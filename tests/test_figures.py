"""Tests for workshop.domain.figures against hand-computed reference values."""

import math
import statistics
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.figures import (
    Thresholds,
    choice_figures,
    choice_figures_from_tally,
    group_gap,
    round_shift,
    scale_figures,
    scale_figures_from_tally,
    shift_from_moves,
)

SCALE_KEYS = {"n", "abstain", "counts", "mean", "median", "iqr",
              "consensus", "agreement", "reached"}
CHOICE_KEYS = SCALE_KEYS | {"leader"}


def _ballot(frequencies: dict[int, int]) -> list[int]:
    return [value for value, count in frequencies.items() for _ in range(count)]


# --- scale_figures: reference values ---------------------------------------

def test_published_tastle_wierman_example():
    # Tastle & Wierman: frequencies 30,40,210,130,530,50,10 on 1..7, n = 1000.
    # mean = (1*30 + 2*40 + 3*210 + 4*130 + 5*530 + 6*50 + 7*10) / 1000
    #      = (30 + 80 + 630 + 520 + 2650 + 300 + 70) / 1000 = 4280 / 1000 = 4.28
    # width = 7 - 1 = 6; Cns = 1 + sum p_i * log2(1 - |X_i - 4.28| / 6) = 0.7257
    ballot = _ballot({1: 30, 2: 40, 3: 210, 4: 130, 5: 530, 6: 50, 7: 10})
    figures = scale_figures(ballot, 1, 7)
    assert figures["n"] == 1000
    assert figures["mean"] == pytest.approx(4.28)
    assert round(figures["consensus"], 4) == 0.7257
    # agreement: adjacent pairs 1-2: 70, 2-3: 250, 3-4: 340, 4-5: 660, 5-6: 580,
    # 6-7: 60 -> best is 4-5 with 130 + 530 = 660 -> 660 / 1000 = 0.66
    assert figures["agreement"] == pytest.approx(0.66)
    assert figures["reached"] is False  # 0.7257 >= 0.70 but 0.66 < 0.75


@pytest.mark.parametrize("lo, hi, value", [(1, 5, 3), (-2, 2, -2), (1, 5, 5), (0, 1, 1)])
def test_unanimity_gives_full_consensus_and_agreement(lo, hi, value):
    figures = scale_figures([value] * 9, lo, hi)
    assert figures["consensus"] == 1.0
    assert figures["agreement"] == 1.0
    assert figures["iqr"] == 0.0
    assert figures["reached"] is True


@pytest.mark.parametrize("lo, hi", [(-2, 2), (1, 5), (1, 7), (0, 1)])
def test_even_split_between_extremes_gives_zero_consensus(lo, hi):
    # mean sits at the midpoint, each extreme is half the width away:
    # Cns = 1 + 0.5 * log2(1 - 0.5) + 0.5 * log2(1 - 0.5) = 1 - 0.5 - 0.5 = 0
    figures = scale_figures([lo, hi] * 5, lo, hi)
    assert figures["consensus"] == pytest.approx(0.0, abs=1e-12)
    assert figures["reached"] is False


def test_small_hand_case_on_direction_scale():
    # votes on -2..2: -1, 0, 0, 1, 1, 2 (n = 6)
    figures = scale_figures([1, 0, 2, -1, 1, 0], -2, 2)
    assert set(figures) == SCALE_KEYS
    assert figures["n"] == 6
    assert figures["counts"] == {"-2": 0, "-1": 1, "0": 2, "1": 2, "2": 1}
    assert list(figures["counts"]) == ["-2", "-1", "0", "1", "2"]
    # mean = (-1 + 0 + 0 + 1 + 1 + 2) / 6 = 3 / 6 = 0.5
    assert figures["mean"] == pytest.approx(0.5)
    # median of sorted [-1, 0, 0, 1, 1, 2] = (0 + 1) / 2 = 0.5
    assert figures["median"] == 0.5
    # inclusive quartiles interpolate at (n - 1) * p: 5 * 0.25 = 1.25 -> between
    # sorted[1] = 0 and sorted[2] = 0 -> Q1 = 0; 5 * 0.75 = 3.75 -> between
    # sorted[3] = 1 and sorted[4] = 1 -> Q3 = 1; IQR = 1 - 0 = 1
    assert figures["iqr"] == 1.0
    # adjacent pairs: (-2,-1) 0+1, (-1,0) 1+2, (0,1) 2+2 = 4, (1,2) 2+1 -> 4 / 6
    assert figures["agreement"] == pytest.approx(4 / 6)
    # width 4, mean 0.5: |-1-0.5|/4 = |2-0.5|/4 = 0.375, |0-0.5|/4 = |1-0.5|/4 = 0.125
    # Cns = 1 + (1/6 + 1/6) * log2(0.625) + (2/6 + 2/6) * log2(0.875)
    #     = 1 + (1/3)(-0.678072) + (2/3)(-0.192645) = 1 - 0.226024 - 0.128430 = 0.645546
    expected = 1 + (2 / 6) * math.log2(0.625) + (4 / 6) * math.log2(0.875)
    assert figures["consensus"] == pytest.approx(expected)
    assert figures["consensus"] == pytest.approx(0.645546, abs=1e-6)
    assert figures["reached"] is False  # 0.646 < 0.70 and 0.667 < 0.75


def test_reached_on_impact_scale_and_custom_thresholds():
    # votes 4, 4, 4, 4, 5 on 1..5: mean 4.2, width 4
    # Cns = 1 + 0.8 * log2(1 - 0.2/4) + 0.2 * log2(1 - 0.8/4)
    #     = 1 + 0.8 * log2(0.95) + 0.2 * log2(0.8)
    #     = 1 + 0.8(-0.074001) + 0.2(-0.321928) = 1 - 0.059201 - 0.064386 = 0.876414
    # agreement: pair (4,5) holds all five votes -> 1.0
    figures = scale_figures([4, 4, 4, 4, 5], 1, 5)
    assert figures["consensus"] == pytest.approx(0.876414, abs=1e-6)
    assert figures["agreement"] == 1.0
    assert figures["median"] == 4.0
    assert figures["reached"] is True
    strict = scale_figures([4, 4, 4, 4, 5], 1, 5, thresholds=Thresholds(consensus=0.9))
    assert strict["reached"] is False


def test_agreement_threshold_is_inclusive():
    # 1, 1, 1, 5 on 1..5: agreement (1,2) = 3/4 = 0.75 exactly, the default threshold
    figures = scale_figures([1, 1, 1, 5], 1, 5)
    assert figures["agreement"] == 0.75
    assert figures["reached"] is (figures["consensus"] >= 0.70)


def test_single_vote_has_zero_iqr():
    figures = scale_figures([2], 1, 5)
    assert figures["iqr"] == 0.0
    assert figures["mean"] == 2.0
    assert figures["median"] == 2.0
    assert isinstance(figures["median"], float)


def test_no_votes():
    figures = scale_figures([], -2, 2, abstain=3)
    assert set(figures) == SCALE_KEYS
    assert figures["n"] == 0
    assert figures["abstain"] == 3
    assert figures["counts"] == {"-2": 0, "-1": 0, "0": 0, "1": 0, "2": 0}
    for key in ("mean", "median", "iqr", "consensus", "agreement"):
        assert figures[key] is None
    assert figures["reached"] is False


def test_abstentions_counted_but_not_in_figures():
    with_abstentions = scale_figures([3, 3, 4], 1, 5, abstain=7)
    without = scale_figures([3, 3, 4], 1, 5)
    assert with_abstentions["abstain"] == 7
    assert with_abstentions["n"] == 3
    assert sum(with_abstentions["counts"].values()) == 3
    for key in ("counts", "mean", "median", "iqr", "consensus", "agreement", "reached"):
        assert with_abstentions[key] == without[key]


@pytest.mark.parametrize("values, lo, hi", [
    ([], 3, 3),         # lo == hi
    ([], 5, 1),         # lo > hi
    ([6], 1, 5),        # above hi
    ([-3], -2, 2),      # below lo
    ([True], 0, 1),     # bool is not a scale vote
    ([2.5], 1, 5),      # not an integer
])
def test_scale_rejects_invalid_input(values, lo, hi):
    with pytest.raises(ValueError):
        scale_figures(values, lo, hi)


def test_negative_abstain_rejected():
    with pytest.raises(ValueError):
        scale_figures([1], 1, 5, abstain=-1)
    with pytest.raises(ValueError):
        choice_figures(["a"], ["a"], abstain=-1)


# --- choice_figures --------------------------------------------------------

def test_choice_clear_leader():
    # a: 4, b: 1, c: 0 -> leader a, agreement 4 / 5 = 0.8 >= 0.75
    figures = choice_figures(["a", "b", "a", "a", "a"], ["c", "a", "b"], abstain=2)
    assert set(figures) == CHOICE_KEYS
    assert figures["counts"] == {"c": 0, "a": 4, "b": 1}
    assert list(figures["counts"]) == ["c", "a", "b"]
    assert figures["n"] == 5
    assert figures["abstain"] == 2
    assert figures["leader"] == "a"
    assert figures["agreement"] == 0.8
    assert figures["reached"] is True
    for key in ("consensus", "mean", "median", "iqr"):
        assert figures[key] is None


def test_choice_leader_below_threshold():
    # a: 2, b: 1 -> agreement 2 / 3 < 0.75
    figures = choice_figures(["a", "b", "a"], ["a", "b"])
    assert figures["leader"] == "a"
    assert figures["agreement"] == pytest.approx(2 / 3)
    assert figures["reached"] is False


def test_choice_tie_has_no_leader():
    # a: 2, b: 2 -> tied, agreement still 2 / 4
    figures = choice_figures(["a", "b", "b", "a"], ["a", "b", "c"])
    assert figures["leader"] is None
    assert figures["agreement"] == 0.5
    assert figures["reached"] is False
    # a tie can never be reached, whatever the threshold
    lenient = choice_figures(["a", "b"], ["a", "b"], thresholds=Thresholds(agreement=0.0))
    assert lenient["reached"] is False


def test_choice_no_votes():
    figures = choice_figures([], ["a", "b"], abstain=4)
    assert figures["n"] == 0
    assert figures["abstain"] == 4
    assert figures["counts"] == {"a": 0, "b": 0}
    assert figures["leader"] is None
    assert figures["agreement"] is None
    assert figures["reached"] is False


def test_choice_rejects_unknown_option():
    with pytest.raises(ValueError):
        choice_figures(["a", "z"], ["a", "b"])


# --- group_gap -------------------------------------------------------------

def test_group_gap_over_groups_with_votes():
    by_group = {
        "ops": scale_figures([1, 2], 1, 5),     # mean 1.5
        "sales": scale_figures([5, 5], 1, 5),   # mean 5.0
        "legal": scale_figures([3], 1, 5),      # mean 3.0
        "empty": scale_figures([], 1, 5),       # no votes, ignored
    }
    assert group_gap(by_group) == 3.5           # 5.0 - 1.5


def test_group_gap_needs_two_groups_with_votes():
    assert group_gap({}) is None
    assert group_gap({"a": scale_figures([2], 1, 5)}) is None
    assert group_gap({"a": scale_figures([2], 1, 5),
                      "b": scale_figures([], 1, 5, abstain=3)}) is None


# --- round_shift -----------------------------------------------------------

def test_round_shift_hand_case():
    previous = {"a": -1, "b": -1, "c": -1, "d": -1, "e": 0, "f": 2}
    current = {"a": -1, "b": -1, "c": -1, "d": -2, "e": 1, "g": 0}
    # both rounds: a, b, c, d, e (f left, g joined) -> 5; changed: d, e -> 2 / 5
    shift = round_shift(previous, current,
                        {"consensus": 0.5, "agreement": 0.6},
                        {"consensus": 0.75, "agreement": 0.8})
    assert shift["voters_both"] == 5
    assert shift["changed"] == 2
    assert shift["changed_share"] == 0.4
    assert shift["consensus_change"] == pytest.approx(0.25)
    assert shift["agreement_change"] == pytest.approx(0.2)
    assert shift["transitions"] == {"-1": {"-2": 1, "-1": 3}, "0": {"1": 1}}
    assert list(shift["transitions"]) == ["-1", "0"]
    assert list(shift["transitions"]["-1"]) == ["-2", "-1"]


def test_round_shift_orders_ints_numerically():
    shift = round_shift({"a": 10, "b": 9, "c": 9}, {"a": 10, "b": 10, "c": 2}, {}, {})
    # numeric order 9 < 10, where string order would put "10" first
    assert list(shift["transitions"]) == ["9", "10"]
    assert list(shift["transitions"]["9"]) == ["2", "10"]


def test_round_shift_with_abstentions_and_missing_figures():
    previous = {"a": "abstain", "b": 1}
    current = {"a": 2, "b": "abstain"}
    prev_figures = scale_figures([1], 1, 5, abstain=1)
    curr_figures = scale_figures([], 1, 5, abstain=1)   # consensus None
    shift = round_shift(previous, current, prev_figures, curr_figures)
    assert shift["consensus_change"] is None
    assert shift["agreement_change"] is None
    assert shift["voters_both"] == 2
    assert shift["changed"] == 2
    assert shift["changed_share"] == 1.0
    # mixed keys sort by string: "1" < "abstain"
    assert shift["transitions"] == {"1": {"abstain": 1}, "abstain": {"2": 1}}
    assert list(shift["transitions"]) == ["1", "abstain"]


def test_round_shift_with_nobody_in_both_rounds():
    shift = round_shift({"a": 1}, {"b": 1}, {"consensus": 1.0}, {"consensus": 1.0})
    assert shift["voters_both"] == 0
    assert shift["changed"] == 0
    assert shift["changed_share"] is None
    assert shift["transitions"] == {}
    assert shift["consensus_change"] == 0.0


# --- properties ------------------------------------------------------------

@st.composite
def ballots(draw):
    lo = draw(st.integers(-3, 3))
    hi = lo + draw(st.integers(1, 7))
    values = draw(st.lists(st.integers(lo, hi), min_size=1, max_size=200))
    return values, lo, hi


@settings(max_examples=200, deadline=None)
@given(ballot=ballots(), data=st.data())
def test_properties_hold_for_any_ballot(ballot, data):
    values, lo, hi = ballot
    figures = scale_figures(values, lo, hi)
    n = len(values)
    assert 0.0 <= figures["consensus"] <= 1.0
    assert 0.0 <= figures["agreement"] <= 1.0
    assert sum(figures["counts"].values()) == n == figures["n"]
    assert len(figures["counts"]) == hi - lo + 1
    assert figures["agreement"] >= max(figures["counts"].values()) / n
    shuffled = data.draw(st.permutations(values))
    again = scale_figures(shuffled, lo, hi)
    assert again["consensus"] == figures["consensus"]
    assert again["agreement"] == figures["agreement"]


@settings(max_examples=300, deadline=None)
@given(ballot=ballots())
def test_mean_median_and_iqr_from_counts_match_the_statistics_module(ballot):
    values, lo, hi = ballot
    figures = scale_figures_from_tally(Counter(values), lo, hi)
    assert figures["mean"] == statistics.fmean(values)
    assert figures["median"] == float(statistics.median(values))
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
        assert figures["iqr"] == float(q3 - q1)
    else:
        assert figures["iqr"] == 0.0


@pytest.mark.parametrize("tally", [{6: 1}, {-3: 2}, {2: -1}, {True: 1}])
def test_tally_rejects_points_off_the_scale_and_negative_counts(tally):
    with pytest.raises(ValueError):
        scale_figures_from_tally(tally, -2, 5)


def test_choice_from_counts_rejects_unknown_options_but_ignores_empty_ones():
    with pytest.raises(ValueError):
        choice_figures_from_tally({"z": 1}, ["a", "b"])
    assert choice_figures_from_tally({"z": 0, "a": 2}, ["a", "b"])["leader"] == "a"


def test_shift_from_moves_drops_emptied_transitions():
    moves = {("-1", "-2"): 1, ("-1", "-1"): 0, ("0", "1"): 2}
    shift = shift_from_moves(moves, {}, {})
    assert shift["transitions"] == {"-1": {"-2": 1}, "0": {"1": 2}}
    assert shift["voters_both"] == 3 and shift["changed"] == 3
