"""A soak of reconnects on a real `workshop serve`: phones that come and go, half of them without a close
frame, leave the server's memory flat once it has warmed up."""

import asyncio
import json
import time
from pathlib import Path

import pytest
import websockets

from servers import Server

PHONES = 20
WARM_UP = 1000
RECONNECTS = 10000
FLAT_MIB = 3.0


def _rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


async def _reconnect(url: str, token: str, clean: bool) -> None:
    socket = await websockets.connect(url)
    await socket.send(json.dumps({"type": "join", "token": token}))
    while json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] != "welcome":
        pass
    if clean:
        await socket.close()
    else:
        socket.transport.abort()  # gone without a close frame, as a phone that loses the network


async def _soak(url: str, tokens: list[str], count: int, start: int) -> None:
    for number in range(start, start + count, len(tokens)):
        await asyncio.gather(*(_reconnect(url, token, (number + index) % 2 == 0)
                               for index, token in enumerate(tokens)))


async def _tokens(url: str) -> list[str]:
    tokens = []
    for _ in range(PHONES):
        async with websockets.connect(url) as socket:
            await socket.send(json.dumps({"type": "join"}))
            tokens.append(json.loads(await socket.recv())["participant"]["token"])
    return tokens


@pytest.mark.drill
def test_memory_stays_flat_through_thousands_of_reconnects(tmp_path):
    server = Server(tmp_path)
    try:
        code = server.api("POST", "/api/sessions", json={"title": "Soak"}).json()["code"]
        url = f"ws://127.0.0.1:{server.port}/ws/{code}"

        async def soak() -> tuple[float, float]:
            tokens = await _tokens(url)
            await _soak(url, tokens, WARM_UP, 0)
            await asyncio.sleep(2.5)  # the server settles: its freezes and sweeps run once a second
            warm = _rss_mib(server.process.pid)
            started = time.monotonic()
            await _soak(url, tokens, RECONNECTS, WARM_UP)
            print(f"{RECONNECTS} reconnects in {time.monotonic() - started:.1f} s")
            await asyncio.sleep(2.5)
            return warm, _rss_mib(server.process.pid)

        warm, after = asyncio.run(soak())
        print(f"RSS after warm-up {warm:.1f} MiB, after the soak {after:.1f} MiB")
        assert after - warm < FLAT_MIB, f"RSS grew by {after - warm:.1f} MiB over {RECONNECTS} reconnects"
        assert server.api("GET", "/api/sessions").status_code == 200
    finally:
        server.stop()
