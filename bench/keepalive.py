"""Kept-alive HTTP latency of the real server, with and without TCP_NODELAY, in the same run.

    python -m bench.keepalive --requests 400 --repeat 3

Each repetition starts `python -m workshop serve` twice on a free loopback port (the order
alternates), once with WORKSHOP_TCP_NODELAY=1 (the default) and once with WORKSHOP_TCP_NODELAY=0,
then sends --requests GETs of /api/sessions one after another on one kept-alive connection and
times each from the first byte sent to the last byte of the response. The client sets TCP_NODELAY
on its own socket, as browsers do, so only the server's setting differs. Prints the median, p90 and
p99 per setting (medians over the repetitions) and the ratio.
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-keepalive-key"


def _start(folder: Path, nodelay: bool) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKSHOP_KEY": KEY, "WORKSHOP_TCP_NODELAY": str(int(nodelay))}
    process = subprocess.Popen([sys.executable, "-m", "workshop", "serve", "--port", "0", "--host", "127.0.0.1"],
                               cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None  # stdout=PIPE
    for line in process.stdout:
        if match := re.search(r"Listening on port (\d+)", line):
            return process, int(match.group(1))
    raise SystemExit("the server did not start")


def _get(connection: socket.socket, request: bytes) -> None:
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    found = re.search(rb"(?i)content-length: *(\d+)", head)
    assert found is not None, head  # the server sends a length with every response
    length = int(found.group(1))
    while len(body) < length:
        body += connection.recv(65536)


def _latencies(port: int, requests: int) -> list[float]:
    request = f"GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _get(connection, request)  # warm up: imports, first database read
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            _get(connection, request)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def _measure(nodelay: bool, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        process, port = _start(Path(folder), nodelay)
        try:
            timings = sorted(_latencies(port, requests))
        finally:
            process.terminate()
            process.communicate(timeout=20)
    return {"p50": timings[len(timings) // 2], "p90": timings[int(len(timings) * 0.9)],
            "p99": timings[int(len(timings) * 0.99)], "per_second": 1000 / statistics.mean(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for repetition in range(args.repeat):
        for nodelay in ((True, False) if repetition % 2 == 0 else (False, True)):
            runs[nodelay].append(_measure(nodelay, args.requests))
    medians = {nodelay: {figure: statistics.median(run[figure] for run in results) for figure in results[0]}
               for nodelay, results in runs.items()}
    print(f"kept-alive GET /api/sessions, {args.requests} requests x {args.repeat} repetitions (medians)")
    print(f"{'server setting':<22}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'requests/s':>12}")
    for nodelay, label in ((True, "TCP_NODELAY on"), (False, "TCP_NODELAY off")):
        figures = medians[nodelay]
        print(f"{label:<22}{figures['p50']:>10.2f}{figures['p90']:>10.2f}{figures['p99']:>10.2f}"
              f"{figures['per_second']:>12.0f}")
    print(f"p50 off/on: {medians[False]['p50'] / medians[True]['p50']:.0f}x")


if __name__ == "__main__":
    main()
