"""Meeting-hall load benchmark: N simulated phones against the real server and a raw baseline.

    python -m bench.load --phones 1000 --repeat 3                      # the default, about 75 s
    python -m bench.load --phones 5000 --repeat 2 --json /tmp/bench.json
    python -m bench.load --phones 10000 --burst 5000 --repeat 1

Diagnosis (the servers run under bench.probe; nothing in them changes):
    --gc-probe      garbage-collector pauses per phase, and a census of tracked objects by type
    --gc-freeze     experiment: both servers call gc.freeze() once the phones have joined
    --profile PATH  cProfile of the real server's event loop during --profile-phases only

Each repetition starts both servers in turn as subprocesses on a free loopback port (the order
alternates: real/raw, raw/real, ...) and runs the same phases against each:

  connect    N phones open /ws/CODE, send `join` and wait for `welcome`; server RSS before and after.
  burst      every phone votes at once; all must be acknowledged; time from the first send to the
             last ack, ack latency p50/p99, and vote-to-console latency under that burst.
  sustained  votes at a target rate (phones in turn, fresh message ids), stepping the rate up; the
             highest rate whose every vote is acknowledged with ack p99 <= --p99-ms.
  console    a new round; every phone votes once, paced; vote-to-console latency p50/p99: from
             sending a vote to the first console snapshot whose `voted` count includes it.
  reveal     the console sends `reveal`; time until every phone has a `state` showing it revealed.
  verify     the stored results of every round (the server's own results endpoint) must count exactly
             the distinct acknowledged voters, with the last acknowledged value of each.

The report gives medians over the repetitions for both servers and the ratio real/raw.
"""

import argparse
import asyncio
import atexit
import bisect
import gc
import http.client
import json
import math
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
QID = "arrival.direction"
VALUES = (-2, -1, 0, 1, 2, "abstain")
LADDER = (500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 15000, 20000)
FIRST_RATE = 2000  # where the first repetition starts on the ladder; later ones start below the best
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROFILE_START, PROFILE_STOP = signal.SIGRTMIN + 1, signal.SIGRTMIN + 2  # bench.probe's profiler
clock = time.perf_counter


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# servers


LIVE: set[subprocess.Popen] = set()  # server processes to kill if the load generator is stopped


@atexit.register
def _kill_live_servers() -> None:
    for proc in list(LIVE):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Server:
    """One server subprocess (`real`: python -m workshop serve; `raw`: python -m bench.raw_server)."""

    def __init__(self, kind: str, key: str, probe: bool = False, nofile: int = 0) -> None:
        self.kind, self.key, self.nofile = kind, key, nofile
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.code = ""
        self.probe = self.tmp / "probe" if probe else None  # run under bench.probe (GC log, census, profile)
        self.censuses: dict[str, dict] = {}

    async def start(self) -> None:
        db = self.tmp / ("workshop.db" if self.kind == "real" else "raw.db")
        if self.kind == "real":
            argv = [sys.executable, "-m", "workshop", "serve", "--port", "0", "--host", "127.0.0.1", "--db", str(db)]
        else:
            argv = [sys.executable, "-m", "bench.raw_server", "--port", "0", "--host", "127.0.0.1",
                    "--db", str(db), "--key", self.key]
        if self.probe:
            argv[1:1] = ["-m", "bench.probe", str(self.probe)]
        self.log = open(self.tmp / "server.log", "w+")  # noqa: SIM115 -- the server writes it until stopped
        def limit_files() -> None:  # --server-nofile: start the server with a smaller soft limit
            if self.nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE,
                                   (self.nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        self.proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, "WORKSHOP_KEY": self.key},
                                     stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit_files)
        LIVE.add(self.proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            for line in (self.tmp / "server.log").read_text(errors="replace").splitlines():
                if line.startswith("Listening on port "):
                    self.port = int(line.split()[-1])
                    return
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"{self.kind} server did not start:\n{(self.tmp / 'server.log').read_text()[-3000:]}")

    def tail(self) -> str:
        return (self.tmp / "server.log").read_text(errors="replace")[-2000:]

    async def http(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        def call() -> tuple[int, object]:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                data = json.dumps(body).encode() if body is not None else None
                conn.request(method, path, body=data, headers={
                    "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
                response = conn.getresponse()
                return response.status, json.loads(response.read() or b"null")
            finally:
                conn.close()
        return await asyncio.to_thread(call)

    async def create_session(self) -> None:
        if self.kind == "raw":
            self.code = "RAWRAW"
            return
        status, body = await self.http("POST", "/api/sessions", {"title": "Benchmark", "service": "bench"})
        if status != 201:
            raise RuntimeError(f"POST /api/sessions -> {status} {body}")
        self.code = body["code"]

    @property
    def phone_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{self.code}"

    @property
    def control_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{self.code}/control"

    async def stored_rounds(self) -> dict[int, Counter]:
        """The stored counts of every round of QID, from the server's own results endpoint."""
        path = (f"/api/sessions/{self.code}/results/{QID}" if self.kind == "real" else f"/results/{QID}")
        status, body = await self.http("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status} {body}")
        rounds = {}
        for entry in body["rounds"]:
            counts = Counter({str(value): n for value, n in entry["counts"].items() if n})
            if entry.get("abstain"):
                counts["abstain"] = entry["abstain"]
            rounds[entry["round"]] = counts
        return rounds

    def rss_kib(self, field: str = "VmRSS") -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def threads_cpu(self) -> tuple[float, float]:
        """CPU seconds of the main thread (the event loop) and of all other threads (writer, pools)."""
        main = other = 0.0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            seconds = (int(fields[11]) + int(fields[12])) / CLK_TCK
            if int(task.name) == self.proc.pid:
                main += seconds
            else:
                other += seconds
        return main, other

    async def census(self, label: str) -> None:
        """Ask a probed server for a census of the objects its collector tracks (kept in self.censuses)."""
        if not self.probe:
            return
        path = self.probe / "objects.txt"
        before = path.stat().st_size if path.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(200):
            await asyncio.sleep(0.05)
            if path.exists() and path.stat().st_size > before:
                await asyncio.sleep(0.1)
                break
        lines = path.read_text()[before:].splitlines() if path.exists() else []
        self.censuses[label] = {"header": lines[0] if lines else "", "top": lines[1:12]}

    def signal(self, signum: int) -> None:
        if self.probe and self.proc and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def gc_pauses(self) -> list[tuple[float, int, float, int]]:
        """(monotonic start, generation, seconds, collected) of every collection of a probed server."""
        path = self.probe / "gc.tsv" if self.probe else None
        if not path or not path.exists():
            return []
        rows = [line.split("\t") for line in path.read_text().splitlines() if line.count("\t") == 3]
        return [(float(t), int(generation), float(seconds), int(collected))
                for t, generation, seconds, collected in rows]

    async def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            for _ in range(300):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.proc.kill()
                self.proc.wait()
        LIVE.discard(self.proc)
        if getattr(self, "log", None):
            self.log.close()

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


class Meter:
    """Server (main thread / other threads) and client CPU used during one phase."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.main, self.other = server.threads_cpu()
        self.client = client_cpu()
        self.t = clock()
        self.since = time.monotonic()

    def read(self) -> dict:
        main, other = self.server.threads_cpu()
        return {"wall_s": clock() - self.t, "server_loop_cpu_s": main - self.main,
                "server_other_cpu_s": other - self.other, "client_cpu_s": client_cpu() - self.client,
                "window": (self.since, time.monotonic())}


# ---------------------------------------------------------------------------------------------
# clients


class Phone:
    __slots__ = ("index", "ws", "pid", "revealed_at", "task")

    def __init__(self, index: int) -> None:
        self.index = index
        self.ws = None
        self.pid = None
        self.revealed_at: float | None = None
        self.task: asyncio.Task | None = None


class Fleet:
    """All phones, sharing the bookkeeping of votes in flight and acknowledged."""

    def __init__(self) -> None:
        self.phones: list[Phone] = []
        self.sent: dict[str, tuple[float, Phone, object]] = {}
        self.latencies: list[float] = []
        self.ack_log: list[tuple[float, float, int]] | None = None  # (sent, acked, round) while recording
        self.acked: dict[int, dict[int, object]] = {}  # round -> phone index -> last acknowledged value
        self.errors: Counter = Counter()
        self.closed = 0
        self.revealed = 0
        self.all_revealed = asyncio.Event()
        self.drained = asyncio.Event()
        self.drained.set()
        self.counter = 0

    def reset(self) -> None:
        """Forget votes still in flight (a phase is over) and start a fresh set of measurements."""
        self.sent.clear()
        self.drained.set()
        self.latencies, self.errors = [], Counter()

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    async def vote(self, phone: Phone, value: object, prefix: str) -> None:
        message_id = self.next_id(prefix)
        text = json.dumps({"type": "vote", "id": message_id, "question": QID, "value": value})
        self.drained.clear()
        self.sent[message_id] = (clock(), phone, value)
        try:
            await phone.ws.send(text)
        except ConnectionClosed:
            self.sent.pop(message_id, None)
            self.errors["send_closed"] += 1

    def on_message(self, phone: Phone, text: str) -> None:
        if text.startswith('{"type": "state"'):
            # Phones get big state messages; look only for the question's `revealed` flag.
            if phone.revealed_at is None:
                start = text.find(f'"id": "{QID}"')
                flag = text.find('"revealed": ', start) if start >= 0 else -1
                if flag >= 0 and text.startswith("true", flag + 12):
                    phone.revealed_at = clock()
                    self.revealed += 1
                    if self.revealed == len(self.phones):
                        self.all_revealed.set()
            return
        message = json.loads(text)
        kind = message.get("type")
        if kind == "ack":
            entry = self.sent.pop(message.get("id"), None)
            if entry is None:
                return
            now = clock()
            sent_at, who, value = entry
            self.latencies.append(now - sent_at)
            self.acked.setdefault(message["round"], {})[who.index] = value
            if self.ack_log is not None:
                self.ack_log.append((sent_at, now, message["round"]))
        elif kind == "error":
            self.errors[message.get("code", "?")] += 1
            self.sent.pop(message.get("id"), None)
        elif kind == "state":  # a state message formatted differently: parse it
            for question in message.get("questions", []):
                if question.get("id") == QID and question.get("revealed") and phone.revealed_at is None:
                    phone.revealed_at = clock()
                    self.revealed += 1
                    if self.revealed == len(self.phones):
                        self.all_revealed.set()
        if not self.sent:
            self.drained.set()

    async def read(self, phone: Phone) -> None:
        try:
            async for text in phone.ws:
                self.on_message(phone, text)
        except ConnectionClosed:
            pass
        finally:
            self.closed += 1

    async def join(self, url: str, index: int, semaphore: asyncio.Semaphore, per_address: int,
                   timeout: float) -> None:
        phone = Phone(index)
        # Phones in a hall have their own addresses: spread them over 127.1.x.y (the server still
        # sees loopback), `per_address` phones each, so a per-address join limit sees a hall, not a flood.
        block = index // per_address if per_address else 0
        source = (f"127.1.{block // 250}.{block % 250 + 1}", 0) if per_address else None
        async with semaphore:
            phone.ws = await connect(url, compression=None, ping_interval=None, open_timeout=timeout,
                                     close_timeout=2, max_size=2**22, max_queue=64, local_addr=source)
            try:
                await phone.ws.send(json.dumps({"type": "join"}))
                while True:
                    message = json.loads(await asyncio.wait_for(phone.ws.recv(), timeout))
                    if message["type"] == "welcome":
                        break
                    if message["type"] == "error":
                        raise RuntimeError(f"join refused: {message}")
            except BaseException:
                phone.ws.transport.abort()
                raise
        phone.pid = message["participant"]["id"]
        phone.task = asyncio.create_task(self.read(phone))
        self.phones.append(phone)

    async def wait_drained(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.drained.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def abort(self) -> None:
        for phone in self.phones:
            if phone.ws is not None and phone.ws.transport is not None:
                phone.ws.transport.abort()


class Console:
    """The facilitator socket: records (time, round, voted) of every snapshot; sends commands."""

    def __init__(self) -> None:
        self.snapshots: list[tuple[float, int, int]] = []
        self.first: dict | None = None
        self.commands: dict[str, asyncio.Future] = {}
        self.counter = 0

    async def open(self, url: str, key: str) -> None:
        self.ws = await connect(url, additional_headers={"Authorization": f"Bearer {key}"},
                                compression=None, ping_interval=None, max_size=2**26, max_queue=None)
        self.first = json.loads(await self.ws.recv())["snapshot"]
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for text in self.ws:
                now = clock()
                message = json.loads(text)
                if message["type"] == "snapshot":
                    tally = message["snapshot"]["questions"][QID]
                    if "tally" in tally:
                        self.snapshots.append((now, tally["round"], tally["tally"]["voted"]))
                elif message.get("id") in self.commands:
                    future = self.commands.pop(message["id"])
                    if message["type"] == "ack":
                        future.set_result(now)
                    else:
                        future.set_exception(RuntimeError(f"command refused: {message}"))
        except ConnectionClosed:
            pass

    async def caught_up(self, round_: int, voted: int, timeout: float) -> bool:
        """Wait until a snapshot of `round_` counts at least `voted` votes."""
        deadline = clock() + timeout
        while clock() < deadline:
            if any(r == round_ and n >= voted for _, r, n in self.snapshots[-5:]):
                return True
            await asyncio.sleep(0.05)
        return False

    async def command(self, name: str, **fields: object) -> float:
        self.counter += 1
        command_id = f"c{self.counter}"
        future = self.commands[command_id] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"type": "command", "id": command_id, "command": name, **fields}))
        return await asyncio.wait_for(future, 30)


def console_latencies(ack_log: list[tuple[float, float, int]], snapshots: list[tuple[float, int, int]],
                      round_: int) -> list[float]:
    """Vote-to-console latency of each first vote of a round.

    The i-th vote acknowledged in the round (ack order stands for commit order) is taken to be in the
    first snapshot after its sending whose `voted` count is at least i. A vote never seen counts as inf.
    """
    shots = [(t, voted) for t, r, voted in snapshots if r == round_]
    times = [t for t, _ in shots]
    # voted counts only grow within a round; make the sequence monotone for the search anyway
    running, counts = 0, []
    for _, voted in shots:
        running = max(running, voted)
        counts.append(running)
    latencies = []
    for rank, (sent_at, _, _) in enumerate(sorted((entry for entry in ack_log if entry[2] == round_),
                                                  key=lambda entry: entry[1]), start=1):
        index = bisect.bisect_left(counts, rank)
        index = max(index, bisect.bisect_left(times, sent_at))
        latencies.append(times[index] - sent_at if index < len(times) else math.inf)
    return latencies


# ---------------------------------------------------------------------------------------------
# one run against one server


async def run_server(kind: str, args: argparse.Namespace, start_rate: int | None) -> dict:
    key = "bench-" + secrets.token_urlsafe(12)
    profiling = bool(args.profile) and kind == "real"
    server = Server(kind, key, args.gc_probe or args.gc_freeze or profiling, args.server_nofile)

    async def profile(phase: str, on: bool) -> None:  # the probe's profiler, around the chosen phases
        if profiling and phase in args.profile_phases:
            server.signal(PROFILE_START if on else PROFILE_STOP)
            await asyncio.sleep(0.05)  # a signal sent twice before its handler runs is handled once

    fleet, console = Fleet(), Console()
    result: dict = {"server": kind, "phones": args.phones}
    try:
        await server.start()
        await server.create_session()
        await console.open(server.control_url, key)
        if kind == "real":
            step = next(step["index"] for step in console.first["steps"] if step.get("category") == "arrival")
            await console.command("goto", step=step)
        await console.command("open", question=QID)
        await asyncio.sleep(0.3)

        # connect
        rss_before = server.rss_kib()
        meter = Meter(server)
        semaphore = asyncio.Semaphore(args.connect_concurrency)
        joined = await asyncio.gather(
            *(fleet.join(server.phone_url, i, semaphore, args.phones_per_address, args.timeout)
              for i in range(args.phones)),
            return_exceptions=True)
        failures = [outcome for outcome in joined if isinstance(outcome, BaseException)]
        fleet.phones.sort(key=lambda phone: phone.index)
        connect = meter.read()
        await asyncio.sleep(args.settle)
        rss_after = server.rss_kib()
        await server.census("after connect")
        if args.gc_freeze:
            server.signal(signal.SIGUSR2)
            await asyncio.sleep(1.0)
        result["connect"] = {
            **connect, "connected": len(fleet.phones), "failed": len(failures),
            "failure_sample": repr(failures[0])[:300] if failures else None,
            "rss_before_kib": rss_before, "rss_after_kib": rss_after,
            "rss_per_phone_kib": (rss_after - rss_before) / max(1, len(fleet.phones)),
            "rss_total_per_phone_kib": rss_after / max(1, len(fleet.phones)),
        }
        if failures:
            print(f"  {kind}: {len(failures)} phones failed to join, e.g. {failures[0]!r}", file=sys.stderr)
        if not fleet.phones:
            raise RuntimeError("no phone could join")

        # The load generator's own collector would otherwise walk its thousands of phones in the
        # middle of a phase (once seen taking 0.8 s of its CPU in a 10,000-phone burst).
        gc.collect()
        gc.freeze()

        # burst: every phone (or --burst of them) votes at once
        burst_phones = fleet.phones[:args.burst] if args.burst else fleet.phones
        fleet.latencies, fleet.ack_log, fleet.errors = [], [], Counter()
        await profile("burst", True)
        meter = Meter(server)
        start = clock()
        for i, phone in enumerate(burst_phones):
            await fleet.vote(phone, VALUES[phone.index % len(VALUES)], "b")
            if i % 50 == 49:
                await asyncio.sleep(0)  # let acks in while sending, as independent phones would
        complete = await fleet.wait_drained(args.timeout)
        last_ack = max((acked for _, acked, _ in fleet.ack_log), default=math.nan)
        burst_cpu = meter.read()
        await profile("burst", False)
        await console.caught_up(1, len(fleet.acked.get(1, {})), args.timeout)
        lat = fleet.latencies
        console_lat = console_latencies(fleet.ack_log, console.snapshots, 1)
        result["burst"] = {
            **burst_cpu, "votes": len(burst_phones), "acked": len(lat), "complete": complete,
            "errors": dict(fleet.errors), "time_to_last_ack_s": last_ack - start,
            "ack_p50_ms": pct(lat, 0.5) * 1e3, "ack_p99_ms": pct(lat, 0.99) * 1e3,
            "ack_max_ms": max(lat, default=math.nan) * 1e3,
            "console_p50_ms": pct(console_lat, 0.5) * 1e3, "console_p99_ms": pct(console_lat, 0.99) * 1e3,
            "console_unseen": sum(1 for latency in console_lat if latency == math.inf),
        }
        fleet.ack_log = None
        fleet.reset()

        # sustained: step the rate; the best rate whose p99 stays at or under --p99-ms
        await profile("sustained", True)
        result["sustained"] = await sustained(server, fleet, args, start_rate)
        await profile("sustained", False)

        # console latency: a new round, every phone votes once at a steady pace
        await console.command("new_round", question=QID)
        await asyncio.sleep(0.3)
        rate = args.wave_rate or max(1000, len(fleet.phones) / 3)
        fleet.latencies, fleet.ack_log, fleet.errors = [], [], Counter()
        await profile("console", True)
        meter = Meter(server)
        start = clock()
        sent = 0
        while sent < len(fleet.phones):
            due = min(len(fleet.phones), int((clock() - start) * rate) + 1)
            for phone in fleet.phones[sent:due]:
                await fleet.vote(phone, VALUES[(phone.index + 2) % len(VALUES)], "w")
            sent = max(sent, due)
            await asyncio.sleep(0.004)
        complete = await fleet.wait_drained(args.timeout)
        await console.caught_up(2, len(fleet.acked.get(2, {})), args.timeout)
        wave_cpu = meter.read()
        await profile("console", False)
        console_lat = console_latencies(fleet.ack_log, console.snapshots, 2)
        result["console"] = {
            **wave_cpu, "votes": len(fleet.phones), "rate": rate, "acked": len(fleet.latencies),
            "complete": complete, "errors": dict(fleet.errors),
            "ack_p50_ms": pct(fleet.latencies, 0.5) * 1e3, "ack_p99_ms": pct(fleet.latencies, 0.99) * 1e3,
            "console_p50_ms": pct(console_lat, 0.5) * 1e3, "console_p99_ms": pct(console_lat, 0.99) * 1e3,
            "console_unseen": sum(1 for latency in console_lat if latency == math.inf),
            "snapshots_per_s": sum(1 for t, r, _ in console.snapshots if r == 2 and t >= start) / (clock() - start),
        }
        fleet.ack_log = None
        fleet.reset()

        # reveal: until every phone has a `state` showing the question revealed
        await profile("reveal", True)
        meter = Meter(server)
        start = clock()
        await console.command("reveal", question=QID)
        acked = clock()
        try:
            await asyncio.wait_for(fleet.all_revealed.wait(), args.timeout)
        except TimeoutError:
            pass
        reveal_cpu = meter.read()
        await profile("reveal", False)
        times = [phone.revealed_at - start for phone in fleet.phones if phone.revealed_at is not None]
        result["reveal"] = {
            **reveal_cpu, "reached": len(times), "of": len(fleet.phones),
            "command_ack_s": acked - start, "time_to_all_s": max(times, default=math.nan) if
            len(times) == len(fleet.phones) else math.inf, "p50_s": pct(times, 0.5),
        }

        # verify: the record counts exactly the acknowledged voters, each with its last value
        await fleet.wait_drained(2)
        stored = await server.stored_rounds()
        checks = {}
        for round_, votes in sorted(fleet.acked.items()):
            expected = Counter(str(value) for value in votes.values())
            found = stored.get(round_, Counter())
            checks[round_] = {"acknowledged_voters": len(votes), "stored": sum(found.values()),
                              "same_values": +expected == +found}
        result["verify"] = {"rounds": checks, "dropped": fleet.closed, "ok": bool(checks) and all(
            check["acknowledged_voters"] == check["stored"] and check["same_values"] for check in checks.values())}
        await server.census("at the end")
        result["rss_end_kib"] = server.rss_kib()
        result["rss_peak_kib"] = server.rss_kib("VmHWM")
        result["client_closed"] = fleet.closed
    except Exception as error:
        result["error"] = repr(error)
        result["server_log"] = server.tail()
        print(f"  {kind}: run failed: {error!r}\n{server.tail()}", file=sys.stderr)
    finally:
        fleet.abort()
        if getattr(console, "ws", None) is not None and console.ws.transport is not None:
            console.ws.transport.abort()
        for phone in fleet.phones:
            if phone.task:
                phone.task.cancel()
        await asyncio.sleep(0.1)
        await server.stop()
        attribute_gc(result, server.gc_pauses())
        if profiling and (server.probe / "profile.out").exists():
            shutil.copy(server.probe / "profile.out", args.profile)
            print(f"  real server profile ({', '.join(args.profile_phases)}) written to {args.profile}", flush=True)
        if server.censuses:
            result["census"] = server.censuses
        server.cleanup()
    return result


def attribute_gc(result: dict, pauses: list[tuple[float, int, float, int]]) -> None:
    """Add the collector's pauses inside each phase's window (run with --gc-probe) to that phase."""
    sections = [result.get(name) for name in ("connect", "burst", "console", "reveal")]
    sections += result.get("sustained", {}).get("steps", [])
    for section in sections:
        if not section or "window" not in section:
            continue
        start, end = section.pop("window")
        inside = [(generation, seconds, collected) for t, generation, seconds, collected in pauses
                  if start <= t <= end]
        if pauses:
            section["gc_pause_s"] = sum(seconds for _, seconds, _ in inside)
            section["gc_max_pause_ms"] = max((seconds for _, seconds, _ in inside), default=0.0) * 1e3
            section["gc_collections"] = dict(Counter(generation for generation, _, _ in inside))
            section["gc_full"] = [(round(seconds * 1e3, 1), collected) for generation, seconds, collected in inside
                                  if generation == 2]


def ladder_for(args: argparse.Namespace, phones: int) -> list[int]:
    """The sustained rates to try: at most --max-rate, and at most --max-per-phone votes/s per phone
    (the real server refuses a phone's messages above 10/s and closes it after 20 refusals)."""
    return [rate for rate in LADDER if rate <= args.max_rate and rate <= phones * args.max_per_phone] or [LADDER[0]]


async def sustained(server: Server, fleet: Fleet, args: argparse.Namespace, start_rate: int | None) -> dict:
    ladder = ladder_for(args, len(fleet.phones))
    start_rate = start_rate or FIRST_RATE
    index = ladder.index(start_rate) if start_rate in ladder else 0
    steps: list[dict] = []
    tried: dict[int, bool] = {}
    position = 0
    while 0 <= index < len(ladder) and ladder[index] not in tried:
        rate = ladder[index]
        step = await sustained_step(server, fleet, rate, args, position)
        position = step.pop("position")
        steps.append(step)
        tried[rate] = step["pass"]
        if step["pass"]:
            index += 1
        elif not any(tried.values()):
            index -= 1  # the starting rate failed: walk down until one passes
        else:
            break
        await asyncio.sleep(0.2)
    passed = [step for step in steps if step["pass"]]
    best = max(passed, key=lambda step: step["rate"]) if passed else None
    return {"best_rate": best["rate"] if best else 0, "best": best, "steps": steps}


async def sustained_step(server: Server, fleet: Fleet, rate: int, args: argparse.Namespace, position: int) -> dict:
    phones = fleet.phones
    fleet.latencies, fleet.errors = [], Counter()
    meter = Meter(server)
    start = clock()
    sent = 0
    while True:
        elapsed = clock() - start
        if elapsed >= args.step_seconds:
            break
        due = int(rate * elapsed) - sent
        for _ in range(due):
            phone = phones[position % len(phones)]
            position += 1
            await fleet.vote(phone, VALUES[(position // len(phones) + phone.index) % len(VALUES)], "s")
        sent += max(0, due)
        await asyncio.sleep(0.004)
    send_time = clock() - start
    drained = await fleet.wait_drained(args.timeout)
    cpu = meter.read()
    lat = list(fleet.latencies)
    missing = len(fleet.sent)
    errors = dict(fleet.errors)
    fleet.reset()
    p99 = pct(lat + [math.inf] * missing, 0.99) * 1e3 if lat or missing else math.nan
    achieved = sent / send_time
    ok = (drained and not errors and missing == 0 and p99 <= args.p99_ms and achieved >= 0.95 * rate)
    server_cpu = cpu["server_loop_cpu_s"] + cpu["server_other_cpu_s"]
    return {"rate": rate, "sent": sent, "achieved_rate": achieved, "acked": len(lat), "missing": missing,
            "errors": errors, "ack_p50_ms": pct(lat, 0.5) * 1e3, "ack_p99_ms": p99,
            "pass": ok, **cpu, "server_cpu_us_per_vote": server_cpu / max(1, sent) * 1e6,
            "position": position}


# ---------------------------------------------------------------------------------------------
# report

ROWS = [
    # (label, path, format, better)
    ("phones connected", ("connect", "connected"), "{:.0f}", None),
    ("connect all phones (s)", ("connect", "wall_s"), "{:.2f}", "low"),
    ("server RSS before (MiB)", ("connect", "rss_before_kib"), "{:.1f}", "low", 1 / 1024),
    ("server RSS with phones (MiB)", ("connect", "rss_after_kib"), "{:.1f}", "low", 1 / 1024),
    ("RSS per phone, added (KiB)", ("connect", "rss_per_phone_kib"), "{:.1f}", "low"),
    ("RSS per phone, total (KiB)", ("connect", "rss_total_per_phone_kib"), "{:.1f}", "low"),
    ("burst votes acknowledged", ("burst", "acked"), "{:.0f}", None),
    ("burst: time to last ack (s)", ("burst", "time_to_last_ack_s"), "{:.3f}", "low"),
    ("burst: ack p50 (ms)", ("burst", "ack_p50_ms"), "{:.1f}", "low"),
    ("burst: ack p99 (ms)", ("burst", "ack_p99_ms"), "{:.1f}", "low"),
    ("burst: vote-to-console p99 (ms)", ("burst", "console_p99_ms"), "{:.1f}", "low"),
    ("burst: server CPU loop+other (s)", ("burst", "server_cpu_s"), "{:.2f}", "low"),
    ("burst: load-generator CPU (s)", ("burst", "client_cpu_s"), "{:.2f}", None),
    ("sustained votes/s at ack p99<=limit", ("sustained", "best_rate"), "{:.0f}", "high"),
    ("  ack p99 at that rate (ms)", ("sustained", "best_p99_ms"), "{:.1f}", "low"),
    ("  server CPU per vote (us)", ("sustained", "best_cpu_us"), "{:.0f}", "low"),
    ("vote-to-console p50 (ms)", ("console", "console_p50_ms"), "{:.1f}", "low"),
    ("vote-to-console p99 (ms)", ("console", "console_p99_ms"), "{:.1f}", "low"),
    ("  paced wave: ack p99 (ms)", ("console", "ack_p99_ms"), "{:.1f}", "low"),
    ("reveal reaches every phone (s)", ("reveal", "time_to_all_s"), "{:.3f}", "low"),
    ("phone connections dropped by server", ("verify", "dropped"), "{:.0f}", "low"),
    ("every acknowledged vote counted", ("verify", "ok"), "{}", None),
]


def value_of(run: dict, path: tuple[str, str]) -> float | None:
    section, name = path
    data = run.get(section)
    if data is None:
        return None
    if section == "burst" and name == "server_cpu_s":
        return data["server_loop_cpu_s"] + data["server_other_cpu_s"]
    if section == "sustained" and name in ("best_p99_ms", "best_cpu_us"):
        best = data.get("best")
        return None if not best else best["ack_p99_ms" if name == "best_p99_ms" else "server_cpu_us_per_vote"]
    value = data.get(name)
    if isinstance(value, bool):
        return value
    return float(value) if isinstance(value, (int, float)) else value


def median_of(runs: list[dict], path: tuple[str, str]) -> object:
    values = [value_of(run, path) for run in runs]
    values = [value for value in values if value is not None]
    if not values:
        return None
    if all(isinstance(value, bool) for value in values):
        return all(values)
    return statistics.median(values)


def report(results: dict[str, list[dict]], args: argparse.Namespace) -> str:
    lines = [f"phones={args.phones} burst={args.burst or args.phones} repeat={args.repeat} "
             f"(medians over repetitions; ratio = real/raw)", ""]
    header = f"{'metric':38} {'real':>10} {'raw':>10} {'real/raw':>9}   per run (real | raw)"
    lines += [header, "-" * len(header)]
    for label, path, fmt, _better, *scale in ROWS:
        factor = scale[0] if scale else 1
        cells = []
        medians = []
        for kind in ("real", "raw"):
            value = median_of(results[kind], path)
            medians.append(value)
            if value is None:
                cells.append("-")
            elif isinstance(value, bool):
                cells.append("yes" if value else "NO")
            else:
                cells.append(fmt.format(value * factor))
        real, raw = medians
        ratio = (f"{real / raw:.2f}" if isinstance(real, float) and isinstance(raw, float) and raw
                 and math.isfinite(real) and math.isfinite(raw) else "")
        per_run = " | ".join(" ".join(_short(value_of(run, path), fmt, factor) for run in results[kind])
                             for kind in ("real", "raw"))
        lines.append(f"{label:38} {cells[0]:>10} {cells[1]:>10} {ratio:>9}   {per_run}")
    lines += ["", "Targets (real server):"] + targets(results, args)
    return "\n".join(lines)


def _short(value: object, fmt: str, factor: float) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ok" if value else "NO"
    return fmt.format(value * factor)


def targets(results: dict[str, list[dict]], args: argparse.Namespace) -> list[str]:
    real = {label: median_of(results["real"], path) for label, path, *_ in ROWS}
    raw = {label: median_of(results["raw"], path) for label, path, *_ in ROWS}
    burst = args.burst or args.phones
    out = []

    def line(text: str, ok: bool | None, applies: bool = True, note: str = "") -> None:
        verdict = "n/a" if not applies else ("met" if ok else "NOT met")
        out.append(f"  [{verdict:7}] {text}{'  (' + note + ')' if note and not applies else ''}")

    per_phone = real["RSS per phone, added (KiB)"]
    total = real["RSS per phone, total (KiB)"]
    line(f"10,000 phones held at <= 30 KiB each: {real['phones connected']:.0f} held, "
         f"{per_phone:.1f} KiB added / {total:.1f} KiB total per phone" if per_phone is not None else
         "10,000 phones held at <= 30 KiB each", per_phone is not None and per_phone <= 30
         and real["phones connected"] >= 10000, args.phones >= 10000, "needs --phones 10000")
    t = real["burst: time to last ack (s)"]
    line(f"burst of 5,000 all acknowledged within 1.5 s: {real['burst votes acknowledged']:.0f} of {burst} "
         f"in {t:.3f} s" if t is not None else "burst", t is not None and t <= 1.5
         and real["burst votes acknowledged"] == burst, burst >= 5000, "needs a burst of >= 5000")
    rate = real["sustained votes/s at ack p99<=limit"]
    top = ladder_for(args, args.phones)[-1]
    capped = f"; the ladder stops at {top} votes/s ({args.max_per_phone:g} per phone)" if rate and rate >= top else ""
    line(f">= 5,000 durable votes/s at ack p99 <= {args.p99_ms:g} ms: {rate or 0:.0f} votes/s{capped}",
         rate is not None and rate >= 5000)
    p99 = real["vote-to-console p99 (ms)"]
    line(f"vote-to-console p99 <= 300 ms: {p99:.1f} ms (paced wave)" if p99 is not None else "console",
         p99 is not None and p99 <= 300)
    for label in ("burst: time to last ack (s)", "burst: ack p99 (ms)"):
        a, b = real[label], raw[label]
        ratio = a / b if a is not None and b else None
        line(f"{label} within 1.5x of raw: {ratio:.2f}x" if ratio else label,
             ratio is not None and ratio <= 1.5)
    line("every acknowledged vote counted", bool(real["every acknowledged vote counted"]))
    return out


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    import sqlite3

    import starlette
    import uvicorn
    import websockets
    return (f"{os.cpu_count()} CPUs ({cpu}), {int(mem) / 1024 / 1024:.1f} GiB; Python {sys.version.split()[0]}, "
            f"starlette {starlette.__version__}, uvicorn {uvicorn.__version__}, websockets "
            f"{websockets.__version__}, SQLite {sqlite3.sqlite_version}; "
            f"open files {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")


async def main(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    for signum in (signal.SIGTERM, signal.SIGHUP):  # stopped from outside: still stop the servers
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    order = ("real", "raw")
    results: dict[str, list[dict]] = {"real": [], "raw": []}
    best: dict[str, int | None] = {"real": None, "raw": None}
    print(time.strftime("%Y-%m-%d %H:%M:%S %Z"), "|", machine(), flush=True)
    print("command: python -m bench.load " + " ".join(sys.argv[1:]), flush=True)
    started = clock()
    for repetition in range(args.repeat):
        for kind in (order if repetition % 2 == 0 else order[::-1]):
            if kind not in args.servers:
                continue
            start_rate = None
            if args.start_rate:
                start_rate = args.start_rate
            elif best[kind]:
                ladder = ladder_for(args, args.phones)
                start_rate = ladder[max(0, ladder.index(best[kind]) - 1)] if best[kind] in ladder else None
            print(f"repetition {repetition + 1}/{args.repeat}: {kind} ...", flush=True)
            run = await run_server(kind, args, start_rate)
            results[kind].append(run)
            best[kind] = run.get("sustained", {}).get("best_rate") or best[kind]
            print("  " + summary(run), flush=True)
    print(f"\nfinished in {clock() - started:.0f} s\n")
    text = report(results, args)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                                               "args": vars(args), "results": results},
                                              indent=1, default=str))
    return 0 if all("error" not in run for runs in results.values() for run in runs) else 1


def summary(run: dict) -> str:
    if "error" in run:
        return f"error: {run['error']}"
    c, b, s, w, r = run["connect"], run["burst"], run["sustained"], run["console"], run["reveal"]
    steps = " ".join(f"{step['rate']}:{step['ack_p99_ms']:.0f}ms" + ("" if step["pass"] else
                     f"(fail: sent {step['achieved_rate']:.0f}/s, {step['missing']} unacked, errors {step['errors']})")
                     for step in s["steps"])
    return (f"connect {c['connected']} in {c['wall_s']:.1f}s, {c['rss_per_phone_kib']:.1f} KiB/phone; "
            f"burst {b['acked']}/{b['votes']} last ack {b['time_to_last_ack_s']:.3f}s p99 {b['ack_p99_ms']:.0f}ms; "
            f"sustained [{steps}]; console p99 {w['console_p99_ms']:.0f}ms; reveal {r['time_to_all_s']:.3f}s; "
            f"verify {'ok' if run['verify']['ok'] else run['verify']}" + gc_summary(run))


def gc_summary(run: dict) -> str:
    phases = [(name, run[name]) for name in ("connect", "burst", "console", "reveal")]
    phases += [(f"{step['rate']}/s", step) for step in run["sustained"]["steps"]]
    if not any("gc_pause_s" in data for _, data in phases):
        return ""
    return "\n  GC pauses: " + ", ".join(
        f"{name} {data['gc_pause_s'] * 1e3:.0f} ms (max {data['gc_max_pause_ms']:.0f}, gens {data['gc_collections']})"
        for name, data in phases if "gc_pause_s" in data)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000, help="simulated phones (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions, alternating real/raw (default 3)")
    parser.add_argument("--burst", type=int, default=0, help="phones voting in the burst (default: all)")
    parser.add_argument("--servers", nargs="+", default=["real", "raw"], choices=["real", "raw"])
    parser.add_argument("--p99-ms", type=float, default=50.0, help="ack p99 limit of the sustained rate (50)")
    parser.add_argument("--step-seconds", type=float, default=2.0, help="length of each sustained step (2.0)")
    parser.add_argument("--start-rate", type=int, default=0, help="first sustained rate (default: ladder start)")
    parser.add_argument("--max-rate", type=int, default=20000, help="highest sustained rate tried")
    parser.add_argument("--max-per-phone", type=float, default=8.0,
                        help="highest sustained votes/s asked of one phone (default 8; the server allows 10)")
    parser.add_argument("--wave-rate", type=float, default=0, help="votes/s of the console-latency wave "
                        "(default max(1000, phones/3))")
    parser.add_argument("--phones-per-address", type=int, default=100,
                        help="phones sharing one source address in 127.1.0.0/16 (0: all from 127.0.0.1)")
    parser.add_argument("--server-nofile", type=int, default=0,
                        help="start the servers with this soft open-file limit (default: inherit the load "
                        "generator's, raised to the hard limit), to check that a server raises its own")
    parser.add_argument("--connect-concurrency", type=int, default=200, help="phones connecting at a time")
    parser.add_argument("--settle", type=float, default=1.0, help="pause after connecting before RSS (s)")
    parser.add_argument("--timeout", type=float, default=20.0, help="limit of each wait (s)")
    parser.add_argument("--profile", help="cProfile the real server's event loop during --profile-phases, "
                        "writing the stats to this file (use with --repeat 1)")
    parser.add_argument("--profile-phases", nargs="+", default=["burst", "sustained", "console", "reveal"],
                        choices=["burst", "sustained", "console", "reveal"])
    parser.add_argument("--json", help="write every measurement to this file")
    parser.add_argument("--gc-probe", action="store_true",
                        help="run the servers under bench.probe and report garbage-collector pauses per phase")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="experiment (implies --gc-probe): have both servers gc.freeze() once the phones "
                        "have joined")
    return parser.parse_args(argv)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one descriptor per phone; servers inherit it
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit(130)
