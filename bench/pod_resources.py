"""What one app process needs, for a container's resource requests: memory idle and with N phones
joined and voted over real sockets, and the CPU time they cost. One real `workshop serve` (SQLite).

    python -m bench.pod_resources [PHONES ...]     # default 1000 3000
"""

import asyncio
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

servers = importlib.import_module("servers")  # the tests' real `workshop serve` in a subprocess (not type-checked)
Server, receive = servers.Server, servers.receive

QID = "arrival.direction"


def memory_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def phones_vote(server, code: str, count: int) -> list:
    async def phone(number: int) -> websockets.ClientConnection:
        socket = await websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}", open_timeout=60)
        await socket.send(json.dumps({"type": "join", "group": "IT"}))
        await receive(socket, "welcome", 60)
        await socket.send(json.dumps({"type": "vote", "id": "1", "question": QID, "value": number % 5 - 2}))
        await receive(socket, "ack", 60)
        return socket

    return list(await asyncio.gather(*(phone(number) for number in range(count))))


async def measure(phones: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder), "--max-per-address", str(2 * phones + 100))
        try:
            pid = server.process.pid
            await asyncio.sleep(1)
            idle = memory_mib(pid)
            code = server.api("POST", "/api/sessions", json={"title": "Resources"}).json()["code"]
            for command in ({"command": "open", "question": QID}, {"command": "room_size", "size": phones}):
                # one address for every phone here: the expected room size lets them all join at once
                assert server.api("POST", f"/api/sessions/{code}/commands", json=command).status_code == 200
            before = cpu_seconds(pid)
            sockets = await phones_vote(server, code, phones)
            await asyncio.sleep(2)
            used = memory_mib(pid), cpu_seconds(pid) - before
            for socket in sockets:
                await socket.close()
        finally:
            server.stop()
    return idle, *used


def main(counts: list[int]) -> None:
    print(f"{'phones':>7}{'idle MiB':>10}{'with phones MiB':>17}{'KiB a phone':>13}{'CPU s':>8}")
    for phones in counts:
        idle, busy, cpu = asyncio.run(measure(phones))
        started = time.strftime("%H:%M")
        print(f"{phones:>7}{idle:>10.0f}{busy:>17.0f}{1024 * (busy - idle) / phones:>13.0f}{cpu:>8.1f}  ({started})")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 3000])
