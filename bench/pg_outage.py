"""A PostgreSQL outage as an operator would meet it: the database freezes (SIGSTOP of every process of
its cluster) while a phone votes, a console watches and a load balancer probes the process.

    python -m bench.pg_outage --pause 8

One `workshop serve --db postgresql://...` process on a throwaway cluster, with the key stored in the
database (as `workshop serve` keeps it by default). Reported:
  vote before   ack latency of a vote with the database up;
  vote during   from sending a vote while the database is frozen to its ack or typed error;
  healthz       /healthz latency, p50 and max, probed every 0.1 s during the pause;
  readyz back   from SIGCONT to the first /readyz answering 200;
  resend        the phone's resend after SIGCONT is acknowledged (and how long it took).
"""

import argparse
import asyncio
import http.client
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from services import Postgres
from websockets.asyncio.client import connect

from bench import cluster
from bench.cluster import App, open_session

clock = time.monotonic
PROBE_TIMEOUT = 5.0  # seconds a probe waits, as a load balancer's health check would


class KeyedApp(App):
    """A server keeping its facilitator key in the database; the key is read back from its output."""

    def __init__(self, folder: Path, *extra: str) -> None:
        cluster.KEY = ""  # App passes WORKSHOP_KEY; an empty one is none, so the stored key is used
        super().__init__(folder, *extra)
        self.log.seek(0)
        found = re.search(r"\?key=(\S+)", self.log.read())
        assert found, "the server printed no facilitator address"
        self.key = cluster.KEY = found.group(1)  # App.api sends cluster.KEY


def probe(port: int, path: str, timeout: float = 30) -> tuple[int, float]:
    started = clock()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, clock() - started


async def reply_to(socket, message_id: str) -> tuple[dict, float]:
    sent = clock()
    while True:
        message = json.loads(await socket.recv())
        if message["type"] in ("ack", "error") and message.get("id") == message_id:
            return message, clock() - sent


async def run(pause: float) -> dict:
    postgres = Postgres()
    folder = Path(postgres.folder) / "app"
    app = KeyedApp(folder, "--db", postgres.url())
    try:
        code = open_session(app, 10)
        async with connect(f"ws://127.0.0.1:{app.port}/ws/{code}") as phone, \
                connect(f"ws://127.0.0.1:{app.port}/ws/{code}/control",
                        additional_headers={"Authorization": f"Bearer {app.key}"}):
            await phone.send(json.dumps({"type": "join", "name": "Ann"}))
            while json.loads(await phone.recv())["type"] != "welcome":
                pass
            await phone.send(json.dumps({"type": "vote", "id": "v1", "question": "arrival.direction", "value": 1}))
            _, before = await reply_to(phone, "v1")
            postgres.pause()
            paused_at = clock()
            await phone.send(json.dumps({"type": "vote", "id": "v2", "question": "arrival.direction", "value": 2}))
            health: list[float] = []
            failed = 0
            waiting = asyncio.ensure_future(reply_to(phone, "v2"))
            while clock() - paused_at < pause:
                status, took = await asyncio.to_thread(probe, app.port, "/healthz", PROBE_TIMEOUT)
                health.append(took)
                failed += status != 200
                await asyncio.sleep(0.1)
            postgres.resume()
            resumed = clock()
            ready = None
            while ready is None and clock() - resumed < 60:
                status, _ = await asyncio.to_thread(probe, app.port, "/readyz")
                if status == 200:
                    ready = clock() - resumed
                else:
                    await asyncio.sleep(0.05)
            during, during_took = await waiting
            await phone.send(json.dumps({"type": "vote", "id": "v2", "question": "arrival.direction", "value": 2}))
            resend, resend_took = await reply_to(phone, "v2")
        return {"before": before, "during": (during["type"], during.get("code"), during_took),
                "healthz": (statistics.median(health), max(health), len(health), failed), "ready": ready,
                "resend": (resend["type"], resend_took)}
    finally:
        app.stop()
        postgres.remove()


def report(result: dict, pause: float) -> None:
    kind, code, took = result["during"]
    p50, worst, probes, failed = result["healthz"]
    print(f"PostgreSQL frozen (SIGSTOP) for {pause:.0f} s")
    print(f"  vote before the pause: ack in {result['before'] * 1000:.1f} ms")
    print(f"  vote during the pause: {kind}{' ' + code if code else ''} after {took:.2f} s")
    print(f"  /healthz during the pause: p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms"
          f" ({probes} probes, {failed} without an answer within {PROBE_TIMEOUT:.0f} s)")
    ready = result["ready"]
    print(f"  /readyz 200 after SIGCONT: {ready:.2f} s" if ready is not None else "  /readyz never ready")
    print(f"  the phone's resend after SIGCONT: {result['resend'][0]} in {result['resend'][1] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pause", type=float, default=8.0, help="seconds the database stays frozen")
    args = parser.parse_args()
    report(asyncio.run(run(args.pause)), args.pause)


if __name__ == "__main__":
    main()
