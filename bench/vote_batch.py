"""Where one batch of votes on PostgreSQL spends its time, and what parts of the schema cost, in one run.

    python -m bench.vote_batch [VOTERS] [REPEAT]     # defaults: 5120 voters, 3 repeats; batches of 512

The shipped batch (`pg_jobs.votes_together`) on a throwaway **durable** PostgreSQL cluster (fsync and
synchronous_commit on), each statement timed from the writer's side: the three reads of the batch's
context, the two inserts, the COMMIT, and the CPU the writer's thread spent (what it takes from the
app's event loop). Then the same batches against variants of the votes schema, each in a database of
its own on the same cluster, the variants taking turns batch by batch with the shipped schema as the
baseline:
  shipped          the schema as migrated;
  no foreign keys  votes and messages without their REFERENCES participants(id) (a trigger per row);
  no 2nd index     votes without votes_by_participant (a phone's ballot on rejoin reads by it);
  fillfactor 70    votes pages kept 30% free, so a changed vote can be a HOT update (no index entries).
The first repeat writes new votes; later repeats change every vote (ON CONFLICT ... DO UPDATE).
The variants are measurements, not proposals: the shipped schema is what the app runs.
"""

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psycopg
from services import Postgres, postgres_available

from workshop.store import pg_jobs
from workshop.store.pg_migrations import apply_migrations
from workshop.store.pg_writer import Transaction

BATCH = 512  # the writer's largest batch (writer.MAX_BATCH)
NO_FOREIGN_KEYS = ["alter table votes drop constraint votes_participant_id_fkey",
                   "alter table messages drop constraint messages_participant_id_fkey"]
VARIANTS = {
    "shipped": [],
    "no foreign keys": NO_FOREIGN_KEYS,
    "no 2nd index": ["drop index votes_by_participant"],
    "fillfactor 70": ["alter table votes set (fillfactor = 70)"],
}


class Timed(Transaction):
    """The writer's transaction, timing each statement by its first words."""

    def __init__(self, connection: psycopg.Connection, times: dict[str, list[float]]) -> None:
        super().__init__(connection)
        self.times = times

    def execute(self, sql: Any, params: Any = None) -> psycopg.Cursor:
        started = time.perf_counter()
        cursor = super().execute(sql, params)
        self.times.setdefault(_label(str(sql)), []).append(time.perf_counter() - started)
        return cursor


def _label(sql: str) -> str:
    words = sql.split()
    return " ".join(words[:3]) if words[0] == "insert" else f"read {words[words.index('from') + 1]}"


def prepare(url: str, ddl: list[str], voters: int) -> tuple[psycopg.Connection, list[int]]:
    connection = psycopg.connect(url, autocommit=True)
    apply_migrations(connection)
    connection.execute("insert into sessions (code, title, plan_id, plan_json, groups_json, created_at)"
                       " values ('BENCH', 'bench', 'plan', '{}', '[]', '2026-12-05')")
    connection.execute("insert into questions (session_code, question_id, status) values ('BENCH', 'q', 'open')")
    connection.execute("insert into participants (session_code, token, joined_at)"
                       " select 'BENCH', 'token-' || n, '2026-12-05' from generate_series(1, %s) n", (voters,))
    for statement in ddl:
        connection.execute(statement)
    return connection, [row[0] for row in connection.execute("select id from participants order by id")]


def one_batch(connection: psycopg.Connection, people: list[int], repeat: int,
              times: dict[str, list[float]]) -> tuple[float, float]:
    """Seconds for one batch from BEGIN to COMMIT, and the CPU seconds of this thread in it."""
    calls = [("BENCH", person, f"m{repeat}-{person}", "q", str((person + repeat) % 5)) for person in people]
    started, cpu = time.perf_counter(), time.thread_time()
    connection.execute("BEGIN")
    outcomes = pg_jobs.votes_together(Timed(connection, times), calls)
    committing = time.perf_counter()
    connection.execute("COMMIT")
    times.setdefault("COMMIT", []).append(time.perf_counter() - committing)
    assert all(ok and value[2] for ok, value in outcomes), "every vote of the batch should be stored"
    return time.perf_counter() - started, time.thread_time() - cpu


def measure(server: Postgres, voters: int, repeat: int) -> tuple[dict, dict]:
    stores = {name: prepare(server.create_database(f"variant_{n}"), ddl, voters)
              for n, (name, ddl) in enumerate(VARIANTS.items())}
    batches: dict[str, dict[str, list[float]]] = {name: {"new": [], "changed": [], "cpu": []} for name in VARIANTS}
    statements: dict[str, list[float]] = {}
    try:
        for n in range(repeat):
            for start in range(0, voters, BATCH):
                for name, (connection, people) in stores.items():
                    times: dict[str, list[float]] = statements if name == "shipped" else {}
                    took, cpu = one_batch(connection, people[start:start + BATCH], n, times)
                    batches[name]["new" if n == 0 else "changed"].append(took)
                    batches[name]["cpu"].append(cpu)
    finally:
        for connection, _ in stores.values():
            connection.close()
    return batches, statements


def report(batches: dict, statements: dict, voters: int, repeat: int) -> None:
    print(f"{voters} voters, batches of {BATCH}, {repeat} repeats (the first new votes, then changed);"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")
    print("the shipped batch, median ms per statement:")
    for label, values in statements.items():
        print(f"  {label:<24}{statistics.median(values) * 1e3:>8.2f}")
    print(f"{'schema':<18}{'new: ms/batch':>15}{'votes/s':>10}{'changed: ms/batch':>19}{'votes/s':>10}"
          f"{'writer CPU ms':>15}")
    for name, figures in batches.items():
        new = statistics.median(figures["new"])
        changed = statistics.median(figures["changed"]) if figures["changed"] else float("nan")
        print(f"{name:<18}{new * 1e3:>15.1f}{BATCH / new:>10,.0f}{changed * 1e3:>19.1f}{BATCH / changed:>10,.0f}"
              f"{statistics.median(figures['cpu']) * 1e3:>15.1f}")


def main(voters: int = 5120, repeat: int = 3) -> None:
    if not postgres_available():
        sys.exit("PostgreSQL is not installed here (apt-get install postgresql)")
    server = Postgres()  # durable: no test-only options
    try:
        batches, statements = measure(server, voters, max(repeat, 2))
    finally:
        server.remove()
    report(batches, statements, voters, max(repeat, 2))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
