"""Vote throughput of the two record backends, measured in the same run on the same machine.

    python -m bench.store_backends [VOTERS] [REPEAT]

For each backend (PostgreSQL twice: votes written set-based, as shipped, and one pipelined statement
per vote, the former way, as the baseline): one session, VOTERS participants, then
  - burst: every participant votes at once (all jobs queued together; the writer groups them into
    batches of up to 512 per COMMIT), timed until the last future has settled after its COMMIT;
  - one by one: 300 votes, each waited for before the next is sent (a COMMIT per vote), the baseline
    that shows what group commit buys.
PostgreSQL here is a throwaway cluster in a temporary folder started WITHOUT the test-only speed
options: fsync, synchronous_commit and full_page_writes are on, so every acknowledged vote is on disk.
SQLite runs with synchronous=FULL in WAL mode, as the server does. Both live on the same file system.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from services import Postgres, postgres_available

from workshop.domain.session import QuestionState, SessionState
from workshop.store import open_store, pg_jobs

QID = "q.scale"
ONE_BY_ONE = 300


def prepare(store, voters: int) -> tuple[str, list[int]]:
    code = store.create_session("bench", "", "plan", {"title": "bench"}, [], [QID]).result()
    closed = SessionState(0, {QID: QuestionState()})
    store.save_state(code, closed, SessionState(0, {QID: QuestionState("open")})).result()
    joins = [store.join(code, None, "", "") for _ in range(voters)]
    wait(joins)
    return code, [future.result()["id"] for future in joins]


def burst(store, code: str, people: list[int], label: str) -> tuple[float, int]:
    batches = store.writer.batches
    start = time.perf_counter()
    futures = [store.record_vote(code, person, label, QID, str(i % 5)) for i, person in enumerate(people)]
    wait(futures)
    elapsed = time.perf_counter() - start
    assert all(future.result()[2] for future in futures), "every vote should have been stored"
    return len(people) / elapsed, store.writer.batches - batches


def one_by_one(store, code: str, people: list[int], label: str) -> float:
    start = time.perf_counter()
    for i, person in enumerate(people[:ONE_BY_ONE]):
        store.record_vote(code, person, label, QID, str(i % 5)).result()
    return ONE_BY_ONE / (time.perf_counter() - start)


# How each PostgreSQL store writes a batch of votes (sqlite: not used)
WAYS = {"postgres": pg_jobs.votes_together, "postgres 1/vote": pg_jobs.pipelined_votes}


def measure(targets: dict, voters: int, repeat: int) -> dict:
    """Figures per backend; the backends take turns in every repeat, so a machine whose load changes
    during the run weighs on both alike."""
    stores = {name: open_store(target) for name, target in targets.items()}
    shipped = pg_jobs.vote.together  # type: ignore[attr-defined]
    runs: dict[str, dict[str, list]] = {name: {"burst": [], "batches": [], "single": []} for name in stores}
    try:
        for store in stores.values():
            store.start()
        sessions = {name: prepare(store, voters) for name, store in stores.items()}
        for n in range(repeat):
            for name, store in stores.items():
                pg_jobs.vote.together = WAYS.get(name, shipped)  # type: ignore[attr-defined]
                rate, batches = burst(store, *sessions[name], f"burst-{n}")
                runs[name]["burst"].append(rate)
                runs[name]["batches"].append(batches)
            for name, store in stores.items():
                runs[name]["single"].append(one_by_one(store, *sessions[name], f"single-{n}"))
        for name, store in stores.items():
            assert len(store.votes(sessions[name][0], QID, 1)) == voters  # one counted vote per voter
    finally:
        pg_jobs.vote.together = shipped  # type: ignore[attr-defined]
        for store in stores.values():
            store.close()
    return {name: {figure: statistics.median(values) for figure, values in figures.items()}
            for name, figures in runs.items()}


def main(voters: int = 5000, repeat: int = 3) -> None:
    if not postgres_available():
        sys.exit("PostgreSQL is not installed here (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    postgres = Postgres()  # durable: no test-only options
    try:
        results = measure({"sqlite": folder / "workshop.db", "postgres": postgres.create_database("bench"),
                           "postgres 1/vote": postgres.create_database("bench_former")}, voters, repeat)
    finally:
        postgres.remove()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{voters} voters, median of {repeat} runs; load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} cores at the end")
    print(f"{'backend':<17}{'burst votes/s':>15}{'commits/burst':>15}{'one-by-one votes/s':>20}")
    for name, figures in results.items():
        print(f"{name:<17}{figures['burst']:>15,.0f}{figures['batches']:>15.0f}{figures['single']:>20,.0f}")
    ratio = results["postgres"]["burst"] / results["sqlite"]["burst"]
    print(f"PostgreSQL burst throughput is {ratio:.2f}x SQLite's")
    former = results["postgres"]["burst"] / results["postgres 1/vote"]["burst"]
    print(f"set-based PostgreSQL writes take {former:.2f}x the votes/s of one statement per vote")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
