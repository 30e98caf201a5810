"""What the collector policy costs and buys: memory through a soak of reconnects, and collector pauses in
a burst of votes from a connected hall, for the server's policy and two baselines in the same run.

    python -m bench.reconnect_soak --phones 2000 --reconnects 10000

Policies (`workshop/live/collector.py`):
  sweeps       as shipped: freeze once a second, sweep the frozen set once enough sockets have closed
  freeze only  the earlier policy: freeze once a second, never sweep
  no freezing  Python's own collector, untouched

Each policy runs `python -m workshop serve` under bench.probe (which logs every collection with its
pause) on a free loopback port, through this module (`--serve POLICY`), which swaps the collector's
lifespan task before the app is built and changes nothing else. Phases on each:
  connect  --phones phones join (spread over 127.1.x.y source addresses, 100 each) and stay
  burst    every phone votes at once; time to the last ack, and the collector's pauses meanwhile
  soak     while the hall stays connected, --reconnects joins with 20 known tokens, 20 at a time, half
           closed without a close frame; VmRSS after a warm-up of a tenth as many and 2.5 s of rest,
           and again 2.5 s after the soak
"""

import argparse
import asyncio
import gc
import json
import os
import re
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
import websockets

from bench.ping_flood import rss_mib

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-soak-key"
QUESTION = "arrival.direction"
TOKENS = 20
POLICIES = ("sweeps", "freeze only", "no freezing")
READERS: set[asyncio.Task] = set()  # the phones' reading tasks, kept until the run ends


def _serve(policy: str, probe_dir: str, argv: list[str]) -> None:
    from workshop.live import collector

    async def freeze_only(churn: collector.Churn, interval: float = collector.FREEZE_EVERY) -> None:
        while True:
            await asyncio.sleep(interval)
            gc.freeze()

    async def untouched(churn: collector.Churn, interval: float = collector.FREEZE_EVERY) -> None:
        await asyncio.Event().wait()

    swapped = {"freeze only": freeze_only, "no freezing": untouched}.get(policy)
    if swapped is not None:
        collector.keep_frozen = swapped  # before workshop.web.app imports it
    sys.argv = ["bench.probe", probe_dir, "-m", "workshop", *argv]
    runpy.run_module("bench.probe", run_name="__main__", alter_sys=True)


class Run:
    def __init__(self, policy: str, folder: Path) -> None:
        self.policy, self.folder = policy, folder
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKSHOP_KEY": KEY}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.reconnect_soak", "--serve", policy, str(folder / "probe"), "serve",
             "--port", "0", "--host", "127.0.0.1", "--db", str(folder / "workshop.db")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None  # stdout=PIPE
        for line in self.process.stdout:
            if match := re.search(r"Listening on port (\d+)", line):
                self.port = int(match.group(1))
                break
        else:
            raise SystemExit(f"the {policy} server did not start")

    def session(self, phones: int) -> str:
        def call(method: str, path: str, body: dict) -> dict:
            response = httpx.request(method, f"http://127.0.0.1:{self.port}{path}", json=body, timeout=30,
                                     headers={"Authorization": f"Bearer {KEY}"})
            response.raise_for_status()
            return response.json()

        code = call("POST", "/api/sessions", {"title": "Soak"})["code"]
        for body in ({"command": "goto", "step": 1}, {"command": "open", "question": QUESTION},
                     {"command": "room_size", "size": phones + TOKENS}):
            call("POST", f"/api/sessions/{code}/commands", body)
        return code

    def pauses(self, start: float, end: float) -> list[tuple[int, float]]:
        """The collector's passes (generation, pause in ms) that began between `start` and `end`
        (time.monotonic)."""
        path = self.folder / "probe" / "gc.tsv"
        rows = [line.split("\t") for line in path.read_text().splitlines() if line.count("\t") == 3]
        return [(int(generation), float(seconds) * 1e3) for began, generation, seconds, _ in rows
                if start <= float(began) <= end]

    def stop(self) -> None:
        # SIGINT, as bench.load stops it: uvicorn re-raises a SIGTERM after shutting down, which would end
        # the probe before it writes out its log.
        self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=60)


async def _phone(url: str, index: int, acks: dict[int, asyncio.Future]) -> websockets.ClientConnection:
    source = (f"127.1.{index // 100 // 250}.{index // 100 % 250 + 1}", 0)
    socket = await websockets.connect(url, ping_interval=None, local_addr=source, max_queue=64)
    await socket.send(json.dumps({"type": "join"}))
    while json.loads(await socket.recv())["type"] != "welcome":
        pass

    async def read() -> None:
        try:
            async for text in socket:
                message = json.loads(text)
                if message["type"] in ("ack", "error") and index in acks and not acks[index].done():
                    acks[index].set_result(message["type"])
        except websockets.ConnectionClosed:
            pass

    READERS.add(asyncio.create_task(read()))
    return socket


async def _burst(url: str, phones: int) -> tuple[list[websockets.ClientConnection], tuple[float, float, float]]:
    """Connect the hall, and have every phone vote at once: the phones, and the burst's start and end
    (time.monotonic) and duration."""
    acks: dict[int, asyncio.Future] = {}
    semaphore = asyncio.Semaphore(200)

    async def joined(index: int) -> websockets.ClientConnection:
        async with semaphore:
            return await _phone(url, index, acks)

    sockets = await asyncio.gather(*(joined(index) for index in range(phones)))
    await asyncio.sleep(2)  # the joins settle, and the server's collector task has run
    loop = asyncio.get_running_loop()
    acks.update({index: loop.create_future() for index in range(phones)})
    start, started = time.monotonic(), time.perf_counter()
    for index, socket in enumerate(sockets):
        await socket.send(json.dumps({"type": "vote", "id": f"b{index}", "question": QUESTION, "value": 1}))
    results = await asyncio.gather(*acks.values())
    elapsed = time.perf_counter() - started
    if set(results) != {"ack"}:
        raise SystemExit(f"burst: {results.count('error')} votes refused")
    return sockets, (start, time.monotonic(), elapsed)


async def _reconnect(url: str, token: str, clean: bool) -> None:
    socket = await websockets.connect(url, ping_interval=None)
    await socket.send(json.dumps({"type": "join", "token": token}))
    while json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] != "welcome":
        pass
    if clean:
        await socket.close()
    else:
        socket.transport.abort()  # no close frame, as a phone that loses the network


async def _soak(url: str, tokens: list[str], count: int) -> None:
    for number in range(0, count, len(tokens)):
        await asyncio.gather(*(_reconnect(url, token, (number // len(tokens) + index) % 2 == 0)
                               for index, token in enumerate(tokens)))


async def _tokens(url: str) -> list[str]:
    tokens = []
    for _ in range(TOKENS):
        async with websockets.connect(url, ping_interval=None) as socket:
            await socket.send(json.dumps({"type": "join"}))
            tokens.append(json.loads(await socket.recv())["participant"]["token"])
    return tokens


async def measure(policy: str, phones: int, reconnects: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        run = Run(policy, Path(folder))
        try:
            url = f"ws://127.0.0.1:{run.port}/ws/{run.session(phones)}"
            hall, (start, end, burst) = await _burst(url, phones)
            tokens = await _tokens(url)
            await _soak(url, tokens, reconnects // 10)  # while the hall stays connected
            await asyncio.sleep(2.5)
            warm, soak_start = rss_mib(run.process.pid), time.monotonic()
            await _soak(url, tokens, reconnects)
            soak_end = time.monotonic()
            await asyncio.sleep(2.5)
            after = rss_mib(run.process.pid)
            for socket in hall:
                socket.transport.abort()
        finally:
            run.stop()  # the probe's log is complete once the server has stopped
        burst_pauses, soak_pauses = run.pauses(start, end), run.pauses(soak_start, soak_end)
    return {"burst": burst, "burst_gc_max": max((ms for _, ms in burst_pauses), default=0.0),
            "burst_gc": sum(ms for _, ms in burst_pauses), "warm": warm, "grown": after - warm,
            "soak_gc_max": max((ms for _, ms in soak_pauses), default=0.0),
            "soak_full": sum(1 for generation, _ in soak_pauses if generation == 2)}


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        _serve(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--reconnects", type=int, default=10000)
    parser.add_argument("--policy", choices=POLICIES, action="append",
                        help="measure only this collector policy (repeatable; default: all, in one run)")
    args = parser.parse_args()
    gc.freeze()  # this load generator's own collector stays off its phones
    print(f"{args.phones} phones: a burst of votes; then {args.reconnects} reconnects, half without a close frame")
    print(f"{'policy':<14}{'burst s':>9}{'burst GC max ms':>17}{'burst GC ms':>13}{'RSS warm MiB':>14}"
          f"{'soak grown MiB':>16}{'soak GC max ms':>16}{'soak full GCs':>15}")
    for policy in args.policy or POLICIES:
        figures = asyncio.run(measure(policy, args.phones, args.reconnects))
        print(f"{policy:<14}{figures['burst']:>9.3f}{figures['burst_gc_max']:>17.1f}{figures['burst_gc']:>13.1f}"
              f"{figures['warm']:>14.1f}{figures['grown']:>+16.1f}{figures['soak_gc_max']:>16.1f}"
              f"{figures['soak_full']:>15}")
    print("soak memory grown: see above; every burst vote acknowledged")


if __name__ == "__main__":
    main()
