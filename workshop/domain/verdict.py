"""The verdict on one round of votes: whether its figures can carry a decision, in one word.

`assess` adds to a round's figures the phones present, a percentile-bootstrap interval for Cns and
agreement (n >= 8), how the groups split, and a verdict: `too_few_votes` (below the plan's minimum
or quorum), `polarised` (groups far apart, each agreeing within itself), `fragile` (an interval
crosses a threshold), `reached` or `not_reached`. Plain functions over plain values.
"""

import hashlib
import math
import random
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from .figures import Thresholds
from .plan_model import Question

VERDICTS: tuple[str, ...] = ("reached", "not_reached", "too_few_votes", "fragile", "polarised")
BOOTSTRAP_MIN_N = 8
RESAMPLES = 2000
CONFIDENCE = 0.95
SPLIT_GAP = 1.0         # points between two groups' means that count as a split
POLAR_MIN_GROUP = 3     # votes a group needs before it counts as a camp of its own


def assess(question: Question, round_: int, figures: dict, present: int | None,
           thresholds: Thresholds, with_interval: bool = True, resamples: int = RESAMPLES) -> dict:
    """A round's figures (overall, with by_group) plus present, quorum, interval, split and verdict.

    `present` is the number of phones connected when the figures were computed (None when not
    known), and never fewer than voted in the round. Below the minimum votes or the quorum, `reached`
    is False whatever the figures say.
    Without `with_interval` (a round still taking votes) the costly bootstrap is skipped.
    """
    n = figures["n"]
    if present is not None:
        # whoever voted in the round was there, even if their phone has since gone
        present = max(present, n + figures["abstain"])
    enough = n > 0 and n >= thresholds.min_votes and quorum_met(n, present, thresholds.quorum)
    interval = None
    if with_interval and n >= BOOTSTRAP_MIN_N and question.kind != "text":
        interval = bootstrap_interval(question, figures["counts"], bootstrap_seed(question.id, round_),
                                      resamples)
    split = group_split(question, figures, thresholds)
    judged = {**figures, "present": present, "quorum_needed": quorum_needed(present, thresholds.quorum),
              "interval": interval, "split": split, "reached": bool(figures["reached"] and enough)}
    judged["verdict"] = verdict(judged, enough, thresholds)
    return judged


def verdict(figures: dict, enough: bool, thresholds: Thresholds) -> str:
    """One word for a judged round; see the module's docstring for the order of the rules."""
    if not enough:
        return "too_few_votes"
    if figures["split"] and figures["split"]["polarised"]:
        return "polarised"
    if figures["interval"] and crosses(figures["interval"], thresholds, figures.get("consensus") is not None):
        return "fragile"
    return "reached" if figures["reached"] else "not_reached"


def quorum_needed(present: int | None, quorum: float) -> int | None:
    """Votes needed for the quorum of the phones present (None when presence is not known)."""
    if present is None:
        return None
    # The small tolerance keeps 0.5 * 7 from needing 4 because of a rounding error upwards.
    return math.ceil(quorum * present - 1e-9)


def quorum_met(n: int, present: int | None, quorum: float) -> bool:
    needed = quorum_needed(present, quorum)
    return needed is None or n >= needed


def crosses(interval: Mapping[str, Sequence[float] | None], thresholds: Thresholds, scale: bool) -> bool:
    """True when a threshold lies inside an interval: the resampled rooms fall on both sides of it."""
    pairs = [("agreement", thresholds.agreement)]
    if scale:
        pairs.append(("consensus", thresholds.consensus))
    ranges = [(interval.get(key), level) for key, level in pairs]
    return any(found is not None and found[0] < level <= found[1] for found, level in ranges)


# --- bootstrap ---------------------------------------------------------------------------------------

def bootstrap_seed(question_id: str, round_: int) -> int:
    """A seed fixed by question and round, so every export of the same votes shows the same interval."""
    digest = hashlib.sha256(f"{question_id}#{round_}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def bootstrap_interval(question: Question, counts: Mapping[str, int], seed: int,
                       resamples: int = RESAMPLES) -> dict:
    """Percentile-bootstrap interval (95%) of agreement, and of Cns on a scale: {key: [low, high]}.

    Each resample draws n votes from the tally as a multinomial (one binomial per point), so
    the cost grows with the points of the scale, not with the votes.
    """
    found = _cached_interval(question, tuple(counts.items()), seed, resamples)
    return {key: list(value) if isinstance(value, list) else value for key, value in found.items()}


# Exports and snapshots ask again for the same closed rounds; the answer cannot change.
@lru_cache(maxsize=1024)
def _cached_interval(question: Question, counts: tuple[tuple[str, int], ...], seed: int,
                     resamples: int) -> dict:
    tally = [count for _, count in counts]
    n = sum(tally)
    rng = random.Random(seed)
    shares = [count / n for count in tally]
    if question.kind == "scale":
        statistic = _scale_statistic(question)
        samples = [statistic(multinomial(rng, n, shares), n) for _ in range(resamples)]
        cns = sorted(sample[0] for sample in samples)
        agreement = sorted(sample[1] for sample in samples)
        return {"consensus": _percentiles(cns), "agreement": _percentiles(agreement),
                "resamples": resamples, "seed": seed}
    agreement = sorted(max(multinomial(rng, n, shares)) / n for _ in range(resamples))
    return {"consensus": None, "agreement": _percentiles(agreement), "resamples": resamples, "seed": seed}


def _percentiles(ordered: list[float]) -> list[float]:
    tail = (1 - CONFIDENCE) / 2
    last = len(ordered) - 1
    return [ordered[math.floor(tail * last)], ordered[math.ceil((1 - tail) * last)]]


def _scale_statistic(question: Question) -> Callable[[list[int], int], tuple[float, float]]:
    """(Cns, agreement) of a resampled tally, computed as `figures` computes them."""
    assert question.min is not None and question.max is not None
    points = list(range(question.min, question.max + 1))
    width = question.max - question.min
    side_index = [[point - question.min for point in side_points] for _, side_points in question.sides]

    def statistic(tally: list[int], n: int) -> tuple[float, float]:
        mean = sum(point * count for point, count in zip(points, tally)) / n
        total = 0.0
        for point, count in zip(points, tally):
            if count:
                total += (count / n) * math.log2(max(1.0 - abs(point - mean) / width, 1e-300))
        if side_index:
            best = max(sum(tally[i] for i in indices) for indices in side_index)
        else:
            best = max(tally[i] + tally[i + 1] for i in range(len(tally) - 1))
        return min(1.0, max(0.0, 1.0 + total)), best / n

    return statistic


def multinomial(rng: random.Random, n: int, shares: Sequence[float]) -> list[int]:
    """n draws over categories with the given shares (summing to 1), as counts per category."""
    found = []
    left, mass = n, 1.0
    for share in shares[:-1]:
        drawn = binomial(rng, left, min(1.0, share / mass)) if left and mass > 0 else 0
        found.append(drawn)
        left -= drawn
        mass -= share
    found.append(left)
    return found


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw: Devroye's geometric method for small n*p, Hörmann's BTRS otherwise.

    The algorithm of Python 3.12's random.binomialvariate, kept here so that a seed gives the
    same interval on every supported Python.
    """
    if p <= 0.0 or n == 0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        return _geometric_binomial(rng, n, p)
    return _btrs(rng, n, p)


def _geometric_binomial(rng: random.Random, n: int, p: float) -> int:
    x = y = 0
    c = math.log(1.0 - p)
    if not c:
        return x
    while True:
        y += math.floor(math.log(1.0 - rng.random()) / c) + 1
        if y > n:
            return x
        x += 1


def _btrs(rng: random.Random, n: int, p: float) -> int:
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    setup: tuple[float, float, int, float] | None = None  # most draws pass the squeeze without it
    while True:
        u = rng.random() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c) if us > 0 else -1
        if k < 0 or k > n:
            continue
        v = rng.random()
        if us >= 0.07 and v <= vr:
            return k
        if setup is None:
            m = math.floor((n + 1) * p)
            setup = ((2.83 + 5.1 / b) * spq, math.log(p / (1.0 - p)), m,
                     math.lgamma(m + 1) + math.lgamma(n - m + 1))
        alpha, lpq, m, h = setup
        v *= alpha / (a / (us * us) + b)
        if v > 0 and math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


# --- groups ------------------------------------------------------------------------------------------

def group_split(question: Question, figures: dict, thresholds: Thresholds) -> dict | None:
    """How the groups stand against the room: None with fewer than two groups holding votes.

    Returns gap (between group means, scale only), against (groups whose majority decision differs
    from the room's), split (any such group, or a gap of SPLIT_GAP points or more), and polarised
    with its camps: two groups of POLAR_MIN_GROUP votes or more, each agreeing within itself
    (its own thresholds met), that stand apart.
    """
    voting = {group: found for group, found in (figures.get("by_group") or {}).items() if found["n"]}
    if len(voting) < 2:
        return None
    overall = position(figures)
    against = sorted(group for group, found in voting.items()
                     if overall is not None and position(found) not in (None, overall))
    gap = figures.get("group_gap")
    wide = gap is not None and gap >= SPLIT_GAP - 1e-9
    camps = _camps(voting, thresholds)
    return {"gap": gap, "against": against, "split": bool(against) or wide,
            "polarised": camps is not None, "camps": camps or []}


def position(figures: dict) -> str | None:
    """The decision a set of votes leans to: its side on a sided scale, the leader of a choice."""
    if "side" in figures:
        return figures["side"]
    return figures.get("leader")


def _camps(voting: Mapping[str, dict], thresholds: Thresholds) -> list[str] | None:
    agreeing = {group: found for group, found in voting.items()
                if found["n"] >= POLAR_MIN_GROUP and _agrees(found, thresholds)}
    names = sorted(agreeing)
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            if _apart(agreeing[first], agreeing[second]):
                return [first, second]
    return None


def _agrees(found: dict, thresholds: Thresholds) -> bool:
    if found.get("agreement") is None or found["agreement"] < thresholds.agreement:
        return False
    return found.get("consensus") is None or found["consensus"] >= thresholds.consensus


def _apart(first: dict, second: dict) -> bool:
    one, other = position(first), position(second)
    if one is not None and other is not None:
        return one != other
    if first.get("mean") is None or second.get("mean") is None:
        return False
    return abs(first["mean"] - second["mean"]) >= SPLIT_GAP - 1e-9
