"""What each export of a big session costs, against reading its votes with one raw query.

    python -m bench.export_cost 2000 10000

Builds a session in a temporary database (N participants, each voting on every kind's impact,
direction in two rounds, and strategy, as a full workshop would), then times every export format
through the same `render_export` the API and `workshop export` use. The baseline, measured in the
same run on the same file, is the least any export must do: one sqlite3 query that reads every vote.
"""

import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.domain.plans import default_plans_dir, discover_plans
from workshop.exports import EXPORT_FORMATS, render_export
from workshop.live.rooms import Rooms
from workshop.store.store import Store

KINDS = ("arrival", "request", "capability", "effort", "subjective_preference")
STRATEGIES = ("classic_accommodation", "low_cost_accommodation", "classic_reduction", "uncompromised_reduction")


async def _create(db: Path) -> str:
    store = Store(db)
    store.start()
    try:
        plans, _ = discover_plans((default_plans_dir(),))
        plan = plans["frei-variability"]
        room = await Rooms(store).create("export cost", "", plan, list(plan.groups))
        return room.code
    finally:
        store.close()


def _crowd(db: Path, code: str, people: int) -> None:
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "insert into participants (session_code, token, name, group_name, joined_at) values (?, ?, ?, ?, ?)",
            [(code, f"{code}-{index}", "", ("IT", "Business")[index % 2], "2026-01-01T09:00:00+00:00")
             for index in range(people)])
        ids = [row[0] for row in connection.execute("select id from participants where session_code = ?", (code,))]
        votes = []
        for kind in KINDS:
            for index, pid in enumerate(ids):
                at = f"2026-01-01T09:{index % 60:02d}:00+00:00"
                votes += [(code, f"{kind}.impact", 1, pid, str(1 + index % 5), at),
                          (code, f"{kind}.direction", 1, pid, str(index % 5 - 2), at),
                          (code, f"{kind}.direction", 2, pid, str(index % 3 - 1), at),
                          (code, f"{kind}.strategy", 1, pid, STRATEGIES[index % 4], at)]
            connection.execute("update questions set status = 'closed' where session_code = ?"
                               " and question_id like ?", (code, f"{kind}.%"))
            connection.execute("update questions set round = 2 where session_code = ? and question_id = ?",
                               (code, f"{kind}.direction"))
        connection.executemany("insert into votes (session_code, question_id, round, participant_id, value,"
                               " voted_at) values (?, ?, ?, ?, ?, ?)", votes)


def _median_ms(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def measure(people: int, repeat: int = 3) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        db = folder / "workshop.db"
        code = asyncio.run(_create(db))
        _crowd(db, code, people)
        store = Store.open_read_only(db)
        with sqlite3.connect(db) as raw:
            figures = {"raw votes query": _median_ms(lambda: raw.execute(
                "select * from votes where session_code = ?", (code,)).fetchall(), repeat)}
        for fmt in EXPORT_FORMATS:
            figures[fmt] = _median_ms(lambda fmt=fmt: render_export(store, code, fmt), repeat)
        store.close()
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    for people in [int(arg) for arg in sys.argv[1:]] or [2000]:
        figures = measure(people)
        baseline = figures["raw votes query"]
        print(f"{people} participants, {people * 20} votes (median of 3, ms; x = times the raw query):")
        for name, ms in figures.items():
            print(f"  {name:>16} {ms:9.1f} ms  {ms / baseline:8.1f}x")


if __name__ == "__main__":
    main()
