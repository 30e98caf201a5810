"""What a round's verdict costs: the figures alone (the floor), the verdict as judged now (Wilson
interval of the leading share), and the previous release's bootstrap (`bench.bootstrap_reference`),
all measured in the same run.

    python -m bench.verdict_cost 10 100 1000 5000 10000

For each number of votes, on the -2..+2 direction scale with two groups of voters: the figures (Cns,
agreement on the decision's side), `assess` (every round, open or closed, on every refresh), and the
2,000-resample bootstrap the previous release ran once per closed round.
"""

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bootstrap_reference import bootstrap_interval, bootstrap_seed
from workshop.domain.figures import Thresholds, scale_figures_from_tally
from workshop.domain.plans import Question, default_plans_dir, load_plan
from workshop.domain.verdict import assess


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


def _figures(tally: dict[int, int], thresholds: Thresholds) -> dict:
    return scale_figures_from_tally(tally, -2, 2, 0, thresholds, QUESTION.sides)


def measure(n: int, repeat: int = 7) -> dict:
    thresholds = Thresholds()
    tally = _tally(n, 1)
    halves = [{point: count // 2 for point, count in tally.items()},
              {point: count - count // 2 for point, count in tally.items()}]
    judged = {**_figures(tally, thresholds), "group_gap": None,
              "by_group": {"IT": _figures(halves[0], thresholds), "Business": _figures(halves[1], thresholds)}}
    counts = {str(point): count for point, count in tally.items()}
    floor = _time(lambda: _figures(tally, thresholds), repeat)
    now = _time(lambda: assess(QUESTION, judged, n, thresholds), repeat)
    previous = _time(lambda: bootstrap_interval(QUESTION, counts, bootstrap_seed(QUESTION.id, 1)), max(1, repeat // 3))
    return {"n": n, "figures_ms": floor, "verdict_ms": now, "previous_ms": previous}


def main(sizes: list[int]) -> None:
    print(f"{'votes':>7} {'figures ms':>11} {'verdict ms':>11} {'previous (bootstrap) ms':>24}")
    for n in sizes:
        found = measure(n)
        print(f"{found['n']:>7} {found['figures_ms']:>11.3f} {found['verdict_ms']:>11.3f}"
              f" {found['previous_ms']:>24.2f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10, 100, 1000, 5000, 10000])
