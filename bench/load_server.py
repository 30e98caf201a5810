"""The servers under test for bench.load: one subprocess each, and the CPU and memory they use.

`Server` starts the real server (`python -m workshop serve`) or the raw baseline (`python -m
bench.raw_server`) on a free loopback port, optionally under bench.probe, and reads its memory,
per-thread CPU, stored results and probe logs. `Meter` measures one phase's wall time and CPU.
"""

import asyncio
import atexit
import http.client
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROFILE_START, PROFILE_STOP = signal.SIGRTMIN + 1, signal.SIGRTMIN + 2  # bench.probe's profiler

LIVE: set[subprocess.Popen] = set()  # server processes to kill if the load generator is stopped


@atexit.register
def _kill_live_servers() -> None:
    for proc in list(LIVE):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def client_cpu() -> float:
    """CPU seconds used so far by the load generator itself."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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

    def argv(self) -> list[str]:
        db = self.tmp / ("workshop.db" if self.kind == "real" else "raw.db")
        if self.kind == "real":
            argv = [sys.executable, "-m", "workshop", "serve", "--port", "0", "--host", "127.0.0.1", "--db", str(db)]
        else:
            argv = [sys.executable, "-m", "bench.raw_server", "--port", "0", "--host", "127.0.0.1",
                    "--db", str(db), "--key", self.key]
        if self.probe:
            argv[1:1] = ["-m", "bench.probe", str(self.probe)]
        return argv

    async def start(self) -> None:
        self.log = open(self.tmp / "server.log", "w+")  # noqa: SIM115 -- the server writes it until stopped
        def limit_files() -> None:  # --server-nofile: start the server with a smaller soft limit
            if self.nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE,
                                   (self.nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        self.proc = subprocess.Popen(self.argv(), cwd=ROOT, env={**os.environ, "WORKSHOP_KEY": self.key},
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

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.kind} server not started")
        return self.proc.pid

    def tail(self) -> str:
        return (self.tmp / "server.log").read_text(errors="replace")[-2000:]

    async def http(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        def call() -> tuple[int, Any]:
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

    async def stored_rounds(self, question: str) -> dict[int, Counter]:
        """The stored counts of every round of `question`, from the server's own results endpoint."""
        path = (f"/api/sessions/{self.code}/results/{question}" if self.kind == "real" else f"/results/{question}")
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
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def threads_cpu(self) -> tuple[float, float]:
        """CPU seconds of the main thread (the event loop) and of all other threads (writer, pools)."""
        main = other = 0.0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            seconds = (int(fields[11]) + int(fields[12])) / CLK_TCK
            if int(task.name) == self.pid:
                main += seconds
            else:
                other += seconds
        return main, other

    async def census(self, label: str) -> None:
        """Ask a probed server for a census of the objects its collector tracks (kept in self.censuses)."""
        if not self.probe or self.proc is None:
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

    def copy_profile(self, destination: str) -> bool:
        """Copy a probed server's cProfile stats to `destination`, if it wrote any."""
        if not self.probe or not (self.probe / "profile.out").exists():
            return False
        shutil.copy(self.probe / "profile.out", destination)
        return True

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
        if self.proc:
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
        self.t = time.perf_counter()
        self.since = time.monotonic()

    def read(self) -> dict:
        main, other = self.server.threads_cpu()
        return {"wall_s": time.perf_counter() - self.t, "server_loop_cpu_s": main - self.main,
                "server_other_cpu_s": other - self.other, "client_cpu_s": client_cpu() - self.client,
                "window": (self.since, time.monotonic())}
