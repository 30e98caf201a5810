"""What a round's verdict costs, against the figures alone (the baseline, measured in the same run).

    python -m bench.verdict_cost 10 100 1000 10000

For each number of votes, times on the -2..+2 direction scale: the figures (Cns, agreement on the
decision's side), `assess` without the interval (what a round still taking votes gets on every
refresh), and `assess` with the 2,000-resample bootstrap (a closed round, first time; later calls
for the same tally are served from a cache, timed as "cached").
"""

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.domain.figures import Thresholds, scale_figures_from_tally
from workshop.domain.plans import Question, default_plans_dir, load_plan
from workshop.domain.verdict import _cached_interval, assess


def _question(qid: str) -> Question:
    question = load_plan(default_plans_dir() / "frei-variability.toml").question(qid)
    assert question is not None, f"{qid} is not in the plan"
    return question


QUESTION = _question("arrival.direction")


def _tally(n: int, seed: int) -> dict[int, int]:
    rng = random.Random(seed)
    weights = [0.1, 0.45, 0.3, 0.1, 0.05]
    tally = {point: 0 for point in range(-2, 3)}
    for point in rng.choices(range(-2, 3), weights, k=n):
        tally[point] += 1
    return tally


def _time(action, repeat: int) -> float:
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        found.append(time.perf_counter() - started)
    return statistics.median(found) * 1000


def measure(n: int, repeat: int = 7) -> dict:
    thresholds = Thresholds()
    tallies = [_tally(n, seed) for seed in range(repeat)]
    figures = [{**scale_figures_from_tally(t, -2, 2, 0, thresholds, QUESTION.sides), "by_group": {},
                "group_gap": None} for t in tallies]
    index = iter(range(10**9))
    baseline = _time(lambda: scale_figures_from_tally(tallies[0], -2, 2, 0, thresholds, QUESTION.sides), repeat)
    open_round = _time(lambda: assess(QUESTION, 1, figures[0], n, thresholds, with_interval=False), repeat)
    _cached_interval.cache_clear()
    # a different round each time, so every call runs the bootstrap afresh
    closed = _time(lambda: assess(QUESTION, next(index) + 1, figures[0], n, thresholds), repeat)
    cached = _time(lambda: assess(QUESTION, 1, figures[0], n, thresholds), repeat)
    return {"n": n, "figures_ms": baseline, "open_ms": open_round, "closed_ms": closed, "cached_ms": cached}


def main(sizes: list[int]) -> None:
    print(f"{'votes':>7} {'figures ms':>11} {'open ms':>9} {'closed ms':>10} {'cached ms':>10}")
    for n in sizes:
        found = measure(n)
        print(f"{found['n']:>7} {found['figures_ms']:>11.3f} {found['open_ms']:>9.3f} {found['closed_ms']:>10.2f}"
              f" {found['cached_ms']:>10.3f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10, 100, 1000, 10000])
