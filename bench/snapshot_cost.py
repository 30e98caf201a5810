"""What one console snapshot costs the real server's event loop, against the number of voters.

    python -m bench.snapshot_cost 1000 5000 10000

Builds a session in a temporary database through the server's own Store and Room (N participants,
each voting in round 1 and again in round 2 of arrival.direction, as in bench.load), then times
Room.snapshot() (the console view) and its parts, clearing the room's result cache first as every committed vote does.
The room broadcasts at most ten snapshots a second, so 100 ms per snapshot is the whole event loop.
"""

import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workshop.domain.plans import default_plans_dir, discover_plans
from workshop.live import views
from workshop.live.rooms import Rooms
from workshop.store.store import Store

QID = "arrival.direction"


class Quiet:
    """A phone's outbox that takes every frame (the room broadcasts while we build the session)."""

    def offer(self, text: str) -> bool:
        return True

    def close_with(self, code: int, reason: str) -> None:
        pass


async def measure(n: int, repeat: int = 7) -> dict:
    folder = tempfile.mkdtemp(prefix="bench-snapshot-")
    store = Store(Path(folder) / "workshop.db")
    store.start()
    try:
        plans, _ = discover_plans((default_plans_dir(),))
        plan = plans["frei-variability"]
        room = await Rooms(store).create("snapshot cost", "", plan, list(plan.groups))
        step = next(step.index for step in plan.steps if step.category == "arrival")
        await room.command({"command": "goto", "step": step})
        await room.command({"command": "open", "question": QID})
        participants = await asyncio.gather(*(room.join(None, "", "") for _ in range(n)))
        for participant in participants:
            room.add_phone(Quiet(), participant)  # type: ignore[arg-type]
        for round_ in (1, 2):
            if round_ == 2:
                await room.command({"command": "new_round", "question": QID})
            await asyncio.gather(*(room.vote(participant, f"r{round_}-{i}", QID, i % 5 - 2)
                                   for i, participant in enumerate(participants)))
        await asyncio.sleep(0.3)  # let the room's own conflated broadcasts finish

        def timed(fn) -> float:
            samples = []
            for _ in range(repeat):
                cache = getattr(room.mirror, "_results", None)
                if isinstance(cache, dict):
                    cache.clear()  # as after any committed vote
                start = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - start)
            return statistics.median(samples) * 1e3

        question = plan.question(QID)
        assert question is not None, f"{QID} is not in the plan"
        state = room.state.question(QID)
        await room.load()
        facts = room.loaded_facts()
        # The baseline, in the same run: the snapshot without the console's list of people; then the
        # snapshot as sent, and the baseline again, so warming up favours neither.
        baseline = timed(lambda: views.console_view(room.loaded_facts()))
        snapshot = timed(lambda: views.console_view(room.loaded_facts(), room.people()))
        return {
            "voters": n,
            "snapshot_ms": snapshot,
            "without_people_ms": min(baseline, timed(lambda: views.console_view(room.loaded_facts()))),
            "people_ms": timed(room.people),
            "console_question_ms": timed(lambda: views._console_question(facts, question)),
            "results_ms": timed(lambda: room.results(QID)),
            "not_voted_ms": timed(lambda: room.mirror.not_voted(QID)),
            "voters_query_ms": timed(lambda: store.votes(room.code, QID, state.round)),
            "phone_state_ms": timed(lambda: views.phone_view(room.loaded_facts(presence=False))),
            "snapshot_bytes": len(json.dumps(await room.snapshot())),
        }
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 5000, 10000]
    print(f"{'voters':>7} {'snapshot':>9} {'w/o people':>11} {'people':>7} {'arrival.direction':>18} "
          f"{'results()':>10} {'not_voted':>10} {'voters()':>9} {'phone_state':>12} {'JSON bytes':>11}   (median ms)")
    for n in sizes:
        row = asyncio.run(measure(n))
        print(f"{row['voters']:>7} {row['snapshot_ms']:>9.1f} {row['without_people_ms']:>11.1f} "
              f"{row['people_ms']:>7.1f} {row['console_question_ms']:>18.1f} "
              f"{row['results_ms']:>10.1f} {row['not_voted_ms']:>10.1f} {row['voters_query_ms']:>9.1f} "
              f"{row['phone_state_ms']:>12.2f} {row['snapshot_bytes']:>11}")


if __name__ == "__main__":
    main()
