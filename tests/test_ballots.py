"""The in-memory round counts stay equal to counts made afresh from the same votes."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.tally import RoundBallots

VALUES = ("-2", "-1", "0", "1", "2", "abstain")
GROUPS = ("IT", "Business", "")

votes = st.dictionaries(st.integers(1, 30), st.sampled_from(VALUES), max_size=30)
events = st.lists(st.one_of(
    st.tuples(st.just("vote"), st.integers(1, 30), st.sampled_from(VALUES)),
    st.tuples(st.just("regroup"), st.integers(1, 30), st.sampled_from(GROUPS)),
), max_size=80)


def _afresh(ballots: RoundBallots, groups: dict, earlier: dict) -> RoundBallots:
    return RoundBallots(ballots.votes, groups, earlier)


def _nonzero(counter: Counter) -> dict:
    return {key: count for key, count in counter.items() if count}


@settings(max_examples=200, deadline=None)
@given(earlier=votes, first=votes, groups=st.dictionaries(st.integers(1, 30), st.sampled_from(GROUPS)),
       changes=events)
def test_counts_groups_and_moves_follow_every_vote_and_regroup(earlier, first, groups, changes):
    groups = dict(groups)
    ballots = RoundBallots(first, groups, earlier)
    for kind, participant_id, value in changes:
        if kind == "vote":
            ballots.record(participant_id, value, groups.get(participant_id, ""))
        else:
            old = groups.get(participant_id, "")
            groups[participant_id] = value
            ballots.regroup(participant_id, old, value)
    fresh = _afresh(ballots, groups, earlier)
    assert _nonzero(ballots.counts) == _nonzero(fresh.counts)
    assert _nonzero(ballots.moves) == _nonzero(fresh.moves)
    for group in GROUPS:
        assert _nonzero(ballots.by_group.get(group, Counter())) == _nonzero(fresh.by_group.get(group, Counter()))


def test_a_replaced_vote_moves_between_values_and_transitions():
    ballots = RoundBallots({1: "-2", 2: "0"}, {1: "IT", 2: "Business"}, earlier={1: "-2", 2: "1"})
    ballots.record(1, "-1", "IT")
    assert ballots.counts == Counter({"-1": 1, "0": 1})
    assert ballots.by_group["IT"] == Counter({"-1": 1})
    assert ballots.moves == Counter({("-2", "-1"): 1, ("1", "0"): 1})
    ballots.record(3, "2", "")  # a voter new to this round has no earlier value to move from
    assert ballots.moves == Counter({("-2", "-1"): 1, ("1", "0"): 1})
    assert ballots.counts["2"] == 1
