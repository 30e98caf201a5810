"""The shipped containers, run: compose.yaml brought up with podman-compose on locally built stand-in
images (deploy/containers/), phones voting through the proxy, an app container killed, nothing lost.

Slow (an image build), so it runs only with WORKSHOP_CONTAINER_TESTS=1, as `.ci/run`'s own step does;
asked to run where podman cannot, it fails rather than skip. The constraints check always runs.
"""

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

import httpx2 as httpx
import pytest
import websockets
from packaging.requirements import Requirement

from servers import receive

ROOT = Path(__file__).resolve().parents[1]
CONTAINERS = ROOT / "deploy" / "containers"
PROJECT = "workshopcheck"
PROXY = "http://127.0.0.30:8080"
APPS = ("127.0.0.21", "127.0.0.22")  # their loopback addresses (deploy/containers/compose.loopback.yaml)
QUESTION = "arrival.direction"
COME_WITH_PYTHON = {"pip", "setuptools"}  # in every virtual environment, the image's too
WANTED = os.environ.get("WORKSHOP_CONTAINER_TESTS") == "1"


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[_normal(name)] = version.strip()
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_constraints_pin_every_dependency_the_image_installs_at_a_version_pyproject_allows():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    wanted = [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["postgres"]]
    for requirement in wanted:
        name = _normal(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside pyproject's {requirement.specifier}"
    # What those need in turn, read from the installed packages where they are the pinned versions.
    for name, version in pins.items():
        try:
            installed = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if installed.version != version:
            continue
        for text in installed.requires or []:
            requirement = Requirement(text)
            if _normal(requirement.name) in COME_WITH_PYTHON:
                continue
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                assert _normal(requirement.name) in pins, f"{name} needs {requirement.name}, not in constraints.txt"


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def _missing() -> str | None:
    for tool in ("podman", "mmdebstrap", "runc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install podman buildah runc mmdebstrap uidmap fuse-overlayfs)"
    if _tool("podman-compose") is None:
        return "podman-compose is not installed (pip install podman-compose)"
    if os.geteuid() != 0:
        return "podman runs as root on these machines"
    return None


def _environment() -> dict[str, str]:
    script = f". {CONTAINERS / 'env.sh'} && env -0"
    output = subprocess.run(["bash", "-c", script], check=True, capture_output=True).stdout.decode()
    return dict(entry.split("=", 1) for entry in output.split("\0") if "=" in entry)


class Compose:
    def __init__(self) -> None:
        self.env = {**_environment(), "POSTGRES_PASSWORD": secrets.token_urlsafe(12)}
        self.base = [_tool("podman-compose") or "podman-compose", "-p", PROJECT, "-f", "compose.yaml",
                     "-f", "deploy/containers/compose.loopback.yaml"]

    def run(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run([*self.base, *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"podman-compose {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def podman(self, *args: str) -> str:
        done = subprocess.run(["podman", *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout


@pytest.fixture(scope="module")
def compose():
    if not WANTED:
        pytest.skip("brings compose.yaml up with podman (an image build): set WORKSHOP_CONTAINER_TESTS=1")
    if problem := _missing():
        pytest.fail(f"WORKSHOP_CONTAINER_TESTS=1 but containers cannot run here: {problem}")
    subprocess.run([str(CONTAINERS / "build-standins.sh")], check=True, timeout=900)
    running = Compose()
    running.run("down", "-v", timeout=300)  # what a failed earlier run left
    try:
        running.run("up", "-d", "--build", timeout=900)
        for address in APPS:  # each app, not just the proxy: the first one ready would answer for both
            _wait_ready(f"http://{address}:8000/readyz", 120)
        _wait_ready(f"{PROXY}/readyz", 30)
        yield running
    finally:
        running.run("down", "-v", timeout=300)


def _wait_ready(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} was not ready within {seconds:g} s"
        time.sleep(0.5)


def test_the_image_keeps_its_healthcheck_and_runs_as_a_numeric_user(compose):
    image = json.loads(compose.podman("image", "inspect", f"localhost/{PROJECT}_app1"))[0]
    assert "/healthz" in " ".join(image["Healthcheck"]["Test"])  # an OCI-format build drops it
    user = image["Config"]["User"].split(":")
    assert all(part.isdigit() and int(part) > 0 for part in user), image["Config"]["User"]
    assert compose.podman("exec", f"{PROJECT}_app1_1", "id", "-u").strip() == "10001"


async def test_votes_through_the_proxy_survive_an_app_container_killed(compose):
    key = compose.podman("exec", f"{PROJECT}_app1_1", "cat", "/tmp/workshop-facilitator").split("key=")[1].strip()
    auth = {"Authorization": f"Bearer {key}"}
    code = httpx.post(f"{PROXY}/api/sessions", json={"title": "Containers"}, headers=auth, timeout=10).json()["code"]
    opened = httpx.post(f"{PROXY}/api/sessions/{code}/commands", json={"command": "open", "question": QUESTION},
                        headers=auth, timeout=10)
    assert opened.status_code == 200, opened.text

    acked = await _phones_vote(code, 15, "before")
    compose.podman("kill", f"{PROJECT}_app1_1")
    acked += await _phones_vote(code, 15, "after")  # nginx sends every one to app2 now

    snapshot = httpx.get(f"{PROXY}/api/sessions/{code}", headers=auth, timeout=10).json()
    tally = snapshot["questions"][QUESTION]["tally"]
    assert tally["voted"] == acked == 30, tally
    assert sum(tally["counts"].values()) == 30


async def _phones_vote(code: str, count: int, tag: str) -> int:
    async def phone(number: int) -> int:
        for _attempt in range(20):  # a phone on the killed process reconnects, as the page does
            try:
                async with websockets.connect(f"ws://127.0.0.30:8080/ws/{code}", open_timeout=5) as socket:
                    await socket.send(json.dumps({"type": "join", "group": "IT", "name": f"{tag}{number}"}))
                    await receive(socket, "welcome")
                    await socket.send(json.dumps({"type": "vote", "id": "1", "question": QUESTION,
                                                  "value": number % 5 - 2}))
                    await receive(socket, "ack")
                    return 1
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.5)
        return 0

    return sum(await asyncio.gather(*(phone(number) for number in range(count))))
