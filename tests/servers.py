"""A real `workshop serve` in a subprocess, for tests that need the whole server."""

import asyncio
import atexit
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "server-test-key"


LIVE: set[subprocess.Popen] = set()  # servers not yet stopped: killed when the test run ends, whatever happened


@atexit.register
def _kill_leftovers() -> None:
    for process in list(LIVE):
        if process.poll() is None:
            process.kill()
            process.wait()


class Server:
    def __init__(self, folder: Path, *extra: str, key: str | None = KEY) -> None:
        """Start `workshop serve` in `folder`; with key=None, the server keeps its key in the database."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("WORKSHOP_KEY", None)
        if key is not None:
            env["WORKSHOP_KEY"] = key
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workshop", "serve", "--port", "0", "--host", "127.0.0.1", *extra],
            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        LIVE.add(self.process)
        self.output = []
        for line in self.process.stdout:
            self.output.append(line)
            if match := re.search(r"Listening on port (\d+)", line):
                self.port = int(match.group(1))
                break
        else:
            raise AssertionError("the server did not start:\n" + "".join(self.output))
        self.base = f"http://127.0.0.1:{self.port}"
        printed = re.search(r"\?key=(\S+)", "".join(self.output))
        self.key = printed.group(1) if printed else key
        # Read on in the background: a server whose output fills an unread pipe would block mid-log.
        self._printed_later: list[str] = []
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self._printed_later.append(line)

    def api(self, method: str, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        return httpx.request(method, self.base + path, headers={"Authorization": f"Bearer {key or self.key}"},
                             timeout=10, **kwargs)

    def stop(self) -> str:
        """Stop with SIGTERM, as a service manager would; return what the server printed since it started."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # the server prints every thread's stack
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            raise AssertionError(f"the server ignored SIGTERM for 30 s; it printed:\n{self._rest()}") from None
        finally:
            LIVE.discard(self.process)
        return self._rest()

    def _rest(self) -> str:
        self._reader.join(timeout=5)
        return "".join(self._printed_later)

    def kill(self) -> None:
        """Stop at once, as a power cut or the OOM killer would: no shutdown, no drain."""
        self.process.kill()
        self.process.wait()
        self._reader.join(timeout=5)
        LIVE.discard(self.process)


async def receive(socket, kind: str, timeout: float = 10) -> dict:
    """Skip a websockets client's messages until one of `kind` arrives."""
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message["type"] == kind:
            return message


async def until(check, what: str, deadline: float = 15, seen=lambda: "") -> None:
    """Poll `check()` until it holds; fail, saying `what`, if it does not within `deadline` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not check():
        assert loop.time() < end, f"not within {deadline} s: {what} {seen()}"
        await asyncio.sleep(0.01)
