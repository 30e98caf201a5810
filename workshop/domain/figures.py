"""Consensus figures for a group's votes: plain functions over plain values.

Scale questions get the Tastle-Wierman consensus (Cns) and percentage agreement;
choice questions get the leader's share. Abstentions are counted by the caller
and passed in; they never enter the figures. A scale whose points stand for
decisions (the direction scale: less, same, more) is given its `sides`, and its
agreement is then the share on one side, so a block of votes never spans two
different decisions.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

Sides = Sequence[tuple[str, Sequence[int]]]


@dataclass(frozen=True)
class Thresholds:
    """Levels a group must reach for its consensus to count as reached."""

    consensus: float = 0.70   # Cns must be >= this
    agreement: float = 0.75   # agreement must be >= this
    min_votes: int = 5        # fewer votes than this are too few to reach anything
    quorum: float = 0.5       # share of the phones present that must have taken part (voted or abstained)
    min_group_size: int = 3   # a group with fewer votes is never shown, told or used to judge a round


def scale_figures(values: Sequence[int], lo: int, hi: int, abstain: int = 0,
                  thresholds: Thresholds = Thresholds(), sides: Sides | None = None) -> dict:
    """Figures for the non-abstaining votes on an integer scale lo..hi.

    Returns n, abstain, counts (every point lo..hi as a string key, ascending),
    mean, median, iqr (inclusive quartiles), consensus (Tastle-Wierman Cns),
    agreement and reached. Agreement is the largest share on at most two
    adjacent points; with `sides` ((decision, points) pairs that partition the
    scale) it is the largest side's share instead, and the figures also carry
    side_counts and side (the leading decision, None on a tie). reached needs
    both thresholds and at least thresholds.min_votes votes. With no votes the
    statistics are None and reached is False. Raises ValueError if lo >= hi, a
    value is not an integer in lo..hi, abstain is negative or the sides do not
    partition the scale.
    """
    return scale_figures_from_tally(Counter(values), lo, hi, abstain, thresholds, sides)


def scale_figures_from_tally(tally: Mapping[int, int], lo: int, hi: int, abstain: int = 0,
                             thresholds: Thresholds = Thresholds(), sides: Sides | None = None) -> dict:
    """The figures of `scale_figures`, from the number of votes on each point.

    The work grows with the points of the scale, not with the votes, so live
    figures for a hall of thousands cost the same as for a table of five.
    """
    _check_tally(tally, lo, hi)
    _check_abstain(abstain)
    if sides is not None:
        check_sides(sides, lo, hi)
    counts = {str(point): tally.get(point, 0) for point in range(lo, hi + 1)}
    n = sum(counts.values())
    figures: dict = {"n": n, "abstain": abstain, "counts": counts,
                     "mean": None, "median": None, "iqr": None,
                     "consensus": None, "agreement": None, "reached": False}
    if sides is not None:
        figures.update(side_counts=side_counts(counts, sides), side=None)
    if n == 0:
        return figures
    points = [(point, count) for point, count in zip(range(lo, hi + 1), counts.values()) if count]
    mean = sum(point * count for point, count in points) / n
    consensus = _tastle_wierman(counts, mean, n, lo, hi)
    if sides is None:
        agreement = _adjacent_agreement(counts, n, lo, hi)
    else:
        agreement = max(figures["side_counts"].values()) / n
        figures["side"] = _single_leader(figures["side_counts"])
    figures.update(
        mean=mean,
        median=_median(points, n),
        iqr=_iqr(points, n),
        consensus=consensus,
        agreement=agreement,
        reached=(n >= thresholds.min_votes
                 and consensus >= thresholds.consensus
                 and agreement >= thresholds.agreement),
    )
    return figures


def check_sides(sides: Sides, lo: int, hi: int) -> None:
    """Raise ValueError unless the sides name each point of lo..hi exactly once, each side non-empty."""
    seen: list[int] = []
    for name, points in sides:
        if not points:
            raise ValueError(f"side {name!r} holds no points")
        seen.extend(points)
    if sorted(seen) != list(range(lo, hi + 1)):
        raise ValueError(f"sides must hold each point of {lo}..{hi} exactly once")


def side_counts(counts: Mapping[str, int], sides: Sides) -> dict[str, int]:
    """Votes per decision, from the votes per point (string keys)."""
    return {name: sum(counts.get(str(point), 0) for point in points) for name, points in sides}


def _single_leader(counts: Mapping[str, int]) -> str | None:
    top = max(counts.values(), default=0)
    leaders = [name for name, count in counts.items() if count == top]
    return leaders[0] if top and len(leaders) == 1 else None


def choice_figures(values: Sequence[str], options: Sequence[str], abstain: int = 0,
                   thresholds: Thresholds = Thresholds()) -> dict:
    """Figures for the non-abstaining votes on a choice between option ids.

    Returns n, abstain, counts (every option in the given order), leader (None
    when there are no votes or the top count is tied), agreement (top count / n,
    None with no votes), reached (agreement threshold met by a single leader
    with at least thresholds.min_votes votes),
    and consensus, mean, median, iqr as None since options have no order.
    Raises ValueError for a value not among options, or a negative abstain.
    """
    return choice_figures_from_tally(Counter(values), options, abstain, thresholds)


def choice_figures_from_tally(tally: Mapping[str, int], options: Sequence[str], abstain: int = 0,
                              thresholds: Thresholds = Thresholds()) -> dict:
    """The figures of `choice_figures`, from the number of votes on each option."""
    _check_abstain(abstain)
    unknown = [value for value, count in tally.items() if count and value not in options]
    if unknown:
        raise ValueError(f"vote {unknown[0]!r} is not one of the options")
    counts = {option: tally.get(option, 0) for option in options}
    n = sum(counts.values())
    top = max(counts.values(), default=0)
    leaders = [option for option, count in counts.items() if count == top]
    leader = leaders[0] if n > 0 and len(leaders) == 1 else None
    agreement = top / n if n > 0 else None
    return {
        "n": n, "abstain": abstain, "counts": counts,
        "leader": leader, "agreement": agreement,
        "consensus": None, "mean": None, "median": None, "iqr": None,
        "reached": (leader is not None
                    and agreement is not None
                    and n >= thresholds.min_votes
                    and agreement >= thresholds.agreement),
    }


def group_gap(by_group: Mapping[str, dict]) -> float | None:
    """Spread of the groups' means: max(mean) - min(mean) over groups with votes.

    Takes {group name: scale_figures result}. Returns None when fewer than two
    groups have any votes.
    """
    means = [figures["mean"] for figures in by_group.values()
             if figures.get("n", 0) > 0 and figures.get("mean") is not None]
    if len(means) < 2:
        return None
    return max(means) - min(means)


def round_shift(previous: Mapping[object, object], current: Mapping[object, object],
                previous_figures: dict, current_figures: dict) -> dict:
    """How the group moved between an earlier and a later round.

    previous and current map a participant key to that participant's value
    (abstention is "abstain"); the figures are the two rounds' results.
    Returns consensus_change and agreement_change (None when either side is
    None), voters_both, changed, changed_share (None when nobody voted in
    both rounds) and transitions {str(from): {str(to): count}} over the
    participants present in both rounds, unchanged ones included.
    """
    moves = Counter((previous[key], current[key]) for key in previous if key in current)
    return shift_from_moves(moves, previous_figures, current_figures)


def shift_from_moves(moves: Mapping[tuple[Any, Any], int],
                     previous_figures: dict, current_figures: dict) -> dict:
    """The figures of `round_shift`, from the number of participants per (earlier value, later value)."""
    voters_both = sum(moves.values())
    changed = sum(count for (before, after), count in moves.items() if before != after)
    return {
        "consensus_change": _change(previous_figures, current_figures, "consensus"),
        "agreement_change": _change(previous_figures, current_figures, "agreement"),
        "voters_both": voters_both,
        "changed": changed,
        "changed_share": changed / voters_both if voters_both else None,
        "transitions": _transitions(moves),
    }


def _check_abstain(abstain: int) -> None:
    if abstain < 0:
        raise ValueError(f"abstain count cannot be negative, got {abstain}")


def _check_tally(tally: Mapping[int, int], lo: int, hi: int) -> None:
    if lo >= hi:
        raise ValueError(f"scale needs lo < hi, got {lo}..{hi}")
    for value, count in tally.items():
        if count < 0:
            raise ValueError(f"scale point {value!r} has a negative count")
        if not count:
            continue
        # bool is an int subclass, but True is not a vote on a scale
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"scale vote {value!r} is not an integer")
        if not lo <= value <= hi:
            raise ValueError(f"scale vote {value} is outside {lo}..{hi}")


def _tastle_wierman(counts: Mapping[str, int], mean: float, n: int, lo: int, hi: int) -> float:
    width = hi - lo
    total = 0.0
    # walk the points in scale order, not vote order, so the float sum (and
    # hence Cns) is identical for any ordering of the same ballot
    for point in range(lo, hi + 1):
        count = counts[str(point)]
        if count == 0:
            continue
        # a point holding votes lies strictly inside the reach of the mean,
        # so the log argument is positive; max() only guards rounding
        distance = abs(point - mean) / width
        total += (count / n) * math.log2(max(1.0 - distance, 1e-300))
    return min(1.0, max(0.0, 1.0 + total))


def _adjacent_agreement(counts: Mapping[str, int], n: int, lo: int, hi: int) -> float:
    best = max(counts[str(point)] + counts[str(point + 1)] for point in range(lo, hi))
    return best / n


def _nth(points: list[tuple[int, int]], index: int) -> int:
    """The value at `index` (from 0) of the votes in ascending order, given (point, count) ascending."""
    for point, count in points:
        if index < count:
            return point
        index -= count
    raise IndexError(index)


def _median(points: list[tuple[int, int]], n: int) -> float:
    middle = n // 2
    if n % 2:
        return float(_nth(points, middle))
    return (_nth(points, middle - 1) + _nth(points, middle)) / 2


def _iqr(points: list[tuple[int, int]], n: int) -> float:
    # The inclusive quartiles of statistics.quantiles(values, n=4, method="inclusive"),
    # computed the same way so the floats match; it needs two data points.
    if n < 2:
        return 0.0
    q1, q3 = (_inclusive_quartile(points, n, i) for i in (1, 3))
    return float(q3 - q1)


def _inclusive_quartile(points: list[tuple[int, int]], n: int, i: int) -> float:
    j, delta = divmod(i * (n - 1), 4)
    return (_nth(points, j) * (4 - delta) + _nth(points, j + 1) * delta) / 4


def _change(before: dict, after: dict, key: str) -> float | None:
    old, new = before.get(key), after.get(key)
    if old is None or new is None:
        return None
    return new - old


def _transitions(moves: Mapping[tuple[Any, Any], int]) -> dict:
    grouped: dict[object, Counter] = {}
    for (before, after), count in moves.items():
        if count:
            grouped.setdefault(before, Counter())[after] += count
    return {str(before): {str(after): grouped[before][after]
                          for after in _ordered(grouped[before])}
            for before in _ordered(grouped)}


def _ordered(keys: Iterable[Any]) -> list[Any]:
    keys = list(keys)
    if all(isinstance(key, int) and not isinstance(key, bool) for key in keys):
        return list(sorted(cast(list[int], keys)))
    return sorted(keys, key=str)
