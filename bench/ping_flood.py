"""Server memory under a ping flood from one socket that never joins and never reads, against the same
server with uvicorn's own answer to pings (the baseline, in the same run).

    python -m bench.ping_flood --seconds 10

Each server is `python -m workshop serve` on a free loopback port; the baseline runs through this
module (`--stock`), which puts back uvicorn's `handle_ping` and `handle_pong` on the socket protocol
before it serves, and changes nothing else. One raw client upgrades `/ws/CODE` with a 4 KiB receive
buffer, then sends 125-byte pings in batches of 500 for --seconds, or until the server cuts it off,
and never reads. The server's VmRSS is read before the flood and 1 s after it ends.
"""

import argparse
import os
import re
import runpy
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-ping-flood-key"
PING = bytes([0x89, 0x80 | 125]) + b"\0\0\0\0" + b"p" * 125  # masked with a zero mask
BATCH = 500


def _serve_stock(argv: list[str]) -> None:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    from workshop.serve.transport import SocketProtocol

    SocketProtocol.handle_ping = WebSocketsSansIOProtocol.handle_ping  # type: ignore[method-assign]
    SocketProtocol.handle_pong = WebSocketsSansIOProtocol.handle_pong  # type: ignore[method-assign]
    sys.argv = ["workshop", *argv]
    runpy.run_module("workshop", run_name="__main__")


def _start(folder: Path, stock: bool) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKSHOP_KEY": KEY}
    module = ["bench.ping_flood", "--stock"] if stock else ["workshop"]
    process = subprocess.Popen([sys.executable, "-m", *module, "serve", "--port", "0", "--host", "127.0.0.1"],
                               cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None  # stdout=PIPE
    for line in process.stdout:
        if match := re.search(r"Listening on port (\d+)", line):
            return process, int(match.group(1))
    raise SystemExit("the server did not start")


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def _upgrade(port: int, code: str) -> socket.socket:
    peer = socket.socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    peer.connect(("127.0.0.1", port))
    peer.sendall((f"GET /ws/{code} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    if not peer.recv(12).startswith(b"HTTP/1.1 101"):
        raise SystemExit("the socket was not upgraded")
    return peer


def _flood(peer: socket.socket, seconds: float) -> tuple[int, float | None]:
    """Pings sent, and the seconds after which the server cut the socket off (None: it never did)."""
    batch = PING * BATCH
    sent = 0
    started = time.monotonic()
    peer.settimeout(seconds)
    try:
        while time.monotonic() - started < seconds:
            peer.sendall(batch)
            sent += BATCH
    except OSError:
        return sent, time.monotonic() - started
    return sent, None


def measure(stock: bool, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        process, port = _start(Path(folder), stock)
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/api/sessions", json={"title": "Pings"},
                                  headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
            code = response.json()["code"]
            time.sleep(0.5)
            before = rss_mib(process.pid)
            with _upgrade(port, code) as peer:
                sent, cut_off = _flood(peer, seconds)
                time.sleep(1)
                after = rss_mib(process.pid)
        finally:
            process.terminate()
            process.communicate(timeout=30)
    return {"before": before, "after": after, "sent": sent, "cut_off": cut_off}


def main() -> None:
    if sys.argv[1:2] == ["--stock"]:
        _serve_stock(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the flood may last")
    args = parser.parse_args()
    print(f"ping flood: 125-byte pings for up to {args.seconds:g} s from one socket that never joins or reads")
    print(f"{'server':<28}{'RSS before':>12}{'RSS after':>12}{'grown':>10}{'pings sent':>12}  cut off")
    grown = {}
    for stock, label in ((False, "workshop serve"), (True, "uvicorn's ping handling")):
        run = measure(stock, args.seconds)
        grown[stock] = run["after"] - run["before"]
        cut = f"after {run['cut_off']:.2f} s" if run["cut_off"] is not None else "no"
        print(f"{label:<28}{run['before']:>9.1f} MiB{run['after']:>9.1f} MiB{grown[stock]:>+7.1f} MiB"
              f"{run['sent']:>12}  {cut}")
    print(f"ping flood memory grown: {grown[False]:+.1f} MiB here, {grown[True]:+.1f} MiB with uvicorn's handling")


if __name__ == "__main__":
    main()
