"""The simulated clients of bench.load: phones that join and vote, and the facilitator's console.

A `Fleet` holds every `Phone` and the bookkeeping of their votes (in flight, acknowledged, refused)
and of reveals; the `Console` records the tally of every snapshot and sends commands.
`console_latencies` matches acknowledged votes to the console snapshots that first counted them.
"""

import argparse
import asyncio
import bisect
import json
import math
import time
from collections import Counter
from typing import cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

QID = "arrival.direction"  # the question every phone votes on
VALUES = (-2, -1, 0, 1, 2, "abstain")
LADDER = (500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 15000, 20000)
clock = time.perf_counter  # every send, ack and snapshot is timed on this clock


def ladder_for(args: argparse.Namespace, phones: int) -> list[int]:
    """The sustained rates to try: at most --max-rate, and at most --max-per-phone votes/s per phone
    (the real server refuses a phone's messages above 10/s and closes it after 20 refusals)."""
    return [rate for rate in LADDER if rate <= args.max_rate and rate <= phones * args.max_per_phone] or [LADDER[0]]


class Phone:
    __slots__ = ("index", "ws", "pid", "revealed_at", "task")

    def __init__(self, index: int, ws: ClientConnection, pid: str) -> None:
        self.index = index
        self.ws = ws
        self.pid = pid
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
                    self.on_revealed(phone)
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
                    self.on_revealed(phone)
        if not self.sent:
            self.drained.set()

    def on_revealed(self, phone: Phone) -> None:
        phone.revealed_at = clock()
        self.revealed += 1
        if self.revealed == len(self.phones):
            self.all_revealed.set()

    async def read(self, phone: Phone) -> None:
        try:
            async for text in phone.ws:
                self.on_message(phone, cast(str, text))  # the servers send text frames only
        except ConnectionClosed:
            pass
        finally:
            self.closed += 1

    async def join(self, url: str, index: int, semaphore: asyncio.Semaphore, per_address: int,
                   timeout: float) -> None:
        # Phones in a hall have their own addresses: spread them over 127.1.x.y (the server still
        # sees loopback), `per_address` phones each, so a per-address join limit sees a hall, not a flood.
        block = index // per_address if per_address else 0
        source = (f"127.1.{block // 250}.{block % 250 + 1}", 0) if per_address else None
        async with semaphore:
            ws = await connect(url, compression=None, ping_interval=None, open_timeout=timeout,
                               close_timeout=2, max_size=2**22, max_queue=64, local_addr=source)
            try:
                await ws.send(json.dumps({"type": "join"}))
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
                    if message["type"] == "welcome":
                        break
                    if message["type"] == "error":
                        raise RuntimeError(f"join refused: {message}")
            except BaseException:
                ws.transport.abort()
                raise
        phone = Phone(index, ws, message["participant"]["id"])
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
            if phone.ws.transport is not None:
                phone.ws.transport.abort()


class Console:
    """The facilitator socket: records (time, round, voted) of every snapshot; sends commands."""

    ws: ClientConnection  # set by open()

    def __init__(self) -> None:
        self.snapshots: list[tuple[float, int, int]] = []
        self.first: dict = {}  # the snapshot sent on connecting
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

    def abort(self) -> None:
        if getattr(self, "ws", None) is not None and self.ws.transport is not None:
            self.ws.transport.abort()


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
