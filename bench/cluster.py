"""Several app processes on one PostgreSQL and one Redis, against one SQLite process, in the same run.

    python -m bench.cluster --processes 3 --phones 20000 --sessions 200 --per-session 50 --repeat 2

Each repetition runs both set-ups in turn (the order alternates):
  sqlite    one `workshop serve` on a SQLite file (the default deployment);
  postgres  (with --setups) one process on PostgreSQL, no broker;
  cluster   N `workshop serve --db postgresql://... --broker redis://...` processes, no proxy: the
            phones are spread over the processes' ports in turn, and each console sits on another
            process than most of its phones, so what it shows crossed Redis.
and two scenarios on each:
  hall      one session, --phones phones; every phone votes at once;
  rooms     --sessions sessions of --per-session phones; every phone of every session votes at once.
Reported per scenario: burst time (first send to last ack), ack p50/p99, and vote-to-console p99:
from sending a vote to the first console snapshot whose count of votes includes it (the k-th vote
acknowledged is counted once a snapshot shows k votes), and how many phones a process turned away
(one process holds no more sockets than its descriptor limit allows).

The phones are driven by --crowds load-generating processes of this same module, started with
"--crowd"; each connects its share, reports ready, and votes when told to go. Times are taken on
CLOCK_MONOTONIC, which every process on the machine shares.

PostgreSQL is a throwaway cluster started WITHOUT the test-only speed options (fsync and
synchronous_commit on), Redis a throwaway server; both on this machine, like the app processes and
the simulated phones, so every figure includes their competition for the same cores.
"""

import argparse
import asyncio
import atexit
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from services import Postgres, Redis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake

from workshop.domain.plans import default_plans_dir, load_plan


def _step_of(qid: str) -> int:
    step = load_plan(default_plans_dir() / "frei-variability.toml").step_of(qid)
    assert step is not None, f"{qid} is in no step of the plan"
    return step.index


QID = "arrival.direction"
KEY = "bench-cluster-key"
STEP = _step_of(QID)
clock = time.monotonic  # CLOCK_MONOTONIC: one clock for this process and the load generators
LIVE: set[subprocess.Popen] = set()  # app processes to kill if the benchmark itself is stopped
CROWDS: set[asyncio.subprocess.Process] = set()  # load generators, likewise


@atexit.register
def _kill_live_apps() -> None:
    for proc in list(LIVE):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for crowd in list(CROWDS):
        if crowd.returncode is None:
            crowd.kill()


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


class App:
    """One `workshop serve` process."""

    def __init__(self, folder: Path, *extra: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = open(folder / "server.log", "w+")  # noqa: SIM115 -- the server writes it until stopped
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workshop", "serve", "--port", "0", "--host", "127.0.0.1",
             "--max-per-address", "100000", *extra],
            cwd=folder, env={**os.environ, "WORKSHOP_KEY": KEY, "PYTHONPATH": str(ROOT)},
            stdout=self.log, stderr=subprocess.STDOUT)
        LIVE.add(self.proc)
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.log.seek(0)
            if found := re.search(r"Listening on port (\d+)", self.log.read()):
                return int(found.group(1))
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise RuntimeError("the server did not start:\n" + self.log.read())

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        response = connection.getresponse()
        data = json.loads(response.read() or b"{}")
        connection.close()
        assert response.status < 300, data
        return data

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)  # the server prints every thread's stack into its log
            time.sleep(1)
            self.log.seek(0)
            print(f"a server (pid {self.proc.pid}) ignored SIGTERM for 60 s; its log:\n{self.log.read()[-3000:]}",
                  file=sys.stderr, flush=True)
            self.proc.kill()
            self.proc.wait()
        LIVE.discard(self.proc)
        self.log.close()


def open_session(app: App, phones: int) -> str:
    code = app.api("POST", "/api/sessions", {"title": "bench"})["code"]
    for body in ({"command": "room_size", "size": phones}, {"command": "goto", "step": STEP},
                 {"command": "open", "question": QID}):
        app.api("POST", f"/api/sessions/{code}/commands", body)
    return code


class Console:
    """A console socket noting when each snapshot arrived and how many votes it counted."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, int]] = []

    async def run(self, port: int, code: str, ready: asyncio.Event) -> None:
        async with connect(f"ws://127.0.0.1:{port}/ws/{code}/control", max_size=2**24,
                           additional_headers={"Authorization": f"Bearer {KEY}"}) as socket:
            ready.set()
            async for text in socket:
                message = json.loads(text)
                if message["type"] == "snapshot":
                    tally = message["snapshot"]["questions"][QID].get("tally") or {}
                    self.seen.append((clock(), tally.get("voted", 0)))

    def latencies(self, sends: list[float], acks: list[float]) -> list[float]:
        """For the k-th vote acknowledged: from its send to the first snapshot counting k votes."""
        order = sorted(range(len(acks)), key=acks.__getitem__)
        found, index = [], 0
        for rank, vote in enumerate(order, start=1):
            while index < len(self.seen) and self.seen[index][1] < rank:
                index += 1
            if index == len(self.seen):
                break
            found.append(self.seen[index][0] - sends[vote])
        return found


async def phone(port: int, code: str, number: int, gate: asyncio.Semaphore, start: asyncio.Event,
                result: list) -> None:
    """Join, wait for the start, vote once; `result` gets the send and ack times, or "refused"."""
    source = (f"127.1.{number // 25600 % 256}.{number // 100 % 256 or 1}", 0)  # 100 phones per address
    async with gate:  # a few hundred connect at a time, as a hall does over a minute
        try:
            socket = await connect(f"ws://127.0.0.1:{port}/ws/{code}", local_addr=source, max_size=2**24)
        except (InvalidHandshake, OSError):  # a process past its own descriptor limit turns phones away
            result.append("refused")
            return
        await socket.send(json.dumps({"type": "join"}))
        while (reply := json.loads(await socket.recv()))["type"] not in ("welcome", "error"):
            pass
        if reply["type"] == "error":  # a join refused: turned away too, never waited on forever
            print(f"phone {number}: join refused: {reply.get('code')}", file=sys.stderr, flush=True)
            await socket.close()
            result.append("refused")
            return
    async with socket:
        result.append("joined")
        await start.wait()
        sent = clock()
        await socket.send(json.dumps({"type": "vote", "id": "b", "question": QID, "value": number % 5 - 2}))
        while (reply := json.loads(await socket.recv()))["type"] not in ("ack", "error"):
            pass
        assert reply["type"] == "ack", reply
        result[:] = [sent, clock()]
        await asyncio.sleep(2)  # stay present while the consoles catch up


async def crowd(assigned: list[list]) -> None:
    """A load-generating process: its share of the phones, [port, code, number] each, driven through
    stdin ("go") and stdout ("ready N", then the results as JSON)."""
    _raise_file_limit()
    gate, start = asyncio.Semaphore(200), asyncio.Event()
    results: list[list] = [[] for _ in assigned]
    tasks = [asyncio.create_task(phone(port, code, number, gate, start, result))
             for (port, code, number), result in zip(assigned, results, strict=True)]
    while sum(bool(result) for result in results) < len(tasks):
        await asyncio.sleep(0.05)
        for task in tasks:
            if task.done() and (error := task.exception()):
                raise error
    print("ready", sum(result == ["refused"] for result in results), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    start.set()
    await asyncio.gather(*tasks)
    print(json.dumps(results), flush=True)


class Crowd:
    """One load-generating process (a single process cannot hold 20,000 sockets under this machine's
    descriptor limit, nor drive them from one core)."""

    async def start(self, assigned: list[list]) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.cluster", "--crowd", cwd=ROOT, limit=2**26,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        CROWDS.add(self.proc)
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(assigned).encode() + b"\n")
        await self.proc.stdin.drain()

    async def ready(self) -> int:
        assert self.proc.stdout
        line = (await self.proc.stdout.readline()).decode()
        if not line.startswith("ready"):
            raise RuntimeError(f"a load generator stopped: {line!r}")
        return int(line.split()[1])

    def go(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(b"go\n")

    async def results(self) -> list[list]:
        assert self.proc.stdout
        found = json.loads(await self.proc.stdout.readline())
        await self.proc.wait()
        CROWDS.discard(self.proc)
        return found


async def scenario(apps: list[App], sessions: int, per_session: int, crowds: int) -> dict:
    codes = [open_session(apps[n % len(apps)], per_session) for n in range(sessions)]
    consoles, ready = [Console() for _ in codes], [asyncio.Event() for _ in codes]
    watching = [asyncio.create_task(console.run(apps[(n + 1) % len(apps)].port, code, ready[n]))
                for n, (console, code) in enumerate(zip(consoles, codes, strict=True))]
    await asyncio.gather(*(event.wait() for event in ready))
    total = sessions * per_session
    generators = [Crowd() for _ in range(crowds)]
    for index, generator in enumerate(generators):
        await generator.start([[apps[n % len(apps)].port, codes[n % len(codes)], n]
                               for n in range(index, total, crowds)])
    refused = sum([await generator.ready() for generator in generators])
    began = clock()
    for generator in generators:
        generator.go()
    shares = [await generator.results() for generator in generators]
    sends: list[list[float]] = [[] for _ in codes]
    acks: list[list[float]] = [[] for _ in codes]
    for index, share in enumerate(shares):
        for n, result in zip(range(index, total, crowds), share, strict=True):
            if result != ["refused"]:
                sends[n % len(codes)].append(result[0])
                acks[n % len(codes)].append(result[1])
    await asyncio.sleep(0.5)
    for task in watching:
        task.cancel()
    await asyncio.gather(*watching, return_exceptions=True)
    latency = [value for console, sent, acked in zip(consoles, sends, acks, strict=True)
               for value in console.latencies(sent, acked)]
    ack_latency = [at - sent for session_sends, session_acks in zip(sends, acks, strict=True)
                   for sent, at in zip(session_sends, session_acks, strict=True)]
    return {"burst_s": max(max(found) for found in acks if found) - began,
            "ack_p50_ms": 1000 * pct(ack_latency, 0.5), "ack_p99_ms": 1000 * pct(ack_latency, 0.99),
            "console_p99_ms": 1000 * pct(latency, 0.99), "console_counted": len(latency),
            "votes": len(ack_latency), "refused": refused}


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_setup(kind: str, folder: Path, processes: int, postgres: Postgres, redis: Redis, run: int) -> list[App]:
    if kind == "sqlite":
        return [App(folder / "sqlite", "--db", str(folder / "sqlite" / "workshop.db"))]
    url = postgres.create_database(f"bench_{run}_{secrets.token_hex(4)}")
    if kind == "postgres":
        return [App(folder / "app", "--db", url)]
    return [App(folder / f"app{n}", "--db", url, "--broker", redis.url) for n in range(processes)]


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    postgres, redis = Postgres(), Redis()  # durable PostgreSQL: no test-only options
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        for run in range(args.repeat):
            for kind in (args.setups if run % 2 == 0 else args.setups[::-1]):
                for name, sessions, per in [scenario for scenario in (("hall", 1, args.phones),
                                                                      ("rooms", args.sessions, args.per_session))
                                            if scenario[0] in args.scenarios]:
                    apps = start_setup(kind, folder / f"{run}-{kind}-{name}", args.processes, postgres, redis, run)
                    try:
                        found = await scenario(apps, sessions, per, args.crowds)
                    finally:
                        for app in apps:
                            app.stop()
                    results.setdefault(name, {}).setdefault(kind, []).append(found)
                    print(run, kind, name, json.dumps({k: round(v, 3) for k, v in found.items()}), flush=True)
    finally:
        postgres.remove()
        redis.remove()
        shutil.rmtree(folder, ignore_errors=True)
    report(results, args)


def report(results: dict, args: argparse.Namespace) -> None:
    print(f"\nmedians over {args.repeat} runs; cluster = {args.processes} processes on PostgreSQL + Redis")
    print(f"{'scenario':<8} {'set-up':<8} {'burst s':>8} {'ack p50':>8} {'ack p99':>8} {'console p99':>12}"
          f" {'acked':>7} {'refused':>7}")
    for name, kinds in results.items():
        for kind, runs in kinds.items():
            med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            print(f"{name:<8} {kind:<8} {med['burst_s']:>8.2f} {med['ack_p50_ms']:>7.0f}ms"
                  f" {med['ack_p99_ms']:>7.0f}ms {med['console_p99_ms']:>10.0f}ms"
                  f" {med['votes']:>7.0f} {med['refused']:>7.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--phones", type=int, default=1000, help="phones in the one-session hall (default 1000)")
    parser.add_argument("--sessions", type=int, default=20, help="sessions of the rooms scenario (default 20)")
    parser.add_argument("--per-session", type=int, default=50, help="phones per session (default 50)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--setups", nargs="+", default=["sqlite", "cluster"], choices=["sqlite", "cluster", "postgres"],
                        help="postgres: one process on PostgreSQL without a broker")
    parser.add_argument("--scenarios", nargs="+", default=["hall", "rooms"], choices=["hall", "rooms"])
    parser.add_argument("--crowds", type=int, default=0,
                        help="load-generating processes (default: one per 7,000 phones, at least one)")
    parser.add_argument("--crowd", action="store_true", help=argparse.SUPPRESS)  # a load generator itself
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a timeout's SIGTERM still cleans up
    options = parser.parse_args()
    if options.crowd:
        asyncio.run(crowd(json.loads(sys.stdin.readline())))
    else:
        busiest = max(options.phones, options.sessions * options.per_session)
        options.crowds = options.crowds or max(1, math.ceil(busiest / 7000))
        asyncio.run(main(options))
