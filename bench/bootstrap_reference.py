"""The previous release's certainty rule, kept only as the baseline `bench.verdict_cost` measures against:
a percentile bootstrap (2,000 multinomial resamples of the tally) of Cns and agreement for each closed
round. The product now uses the Wilson interval of the leading share (workshop/domain/verdict.py).
"""

import hashlib
import math
import random
from collections.abc import Callable, Mapping, Sequence

from workshop.domain.plan_model import Question

RESAMPLES = 2000
CONFIDENCE = 0.95


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
    return _interval(question, tuple(counts.items()), seed, resamples)


def _interval(question: Question, counts: tuple[tuple[str, int], ...], seed: int,
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
