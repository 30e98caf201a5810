"""The metrics listener of a real `workshop serve --metrics`, scraped after real votes, and JSON logs."""

import asyncio
import json
import re

import httpx2 as httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from servers import KEY, Server, receive
from workshop.cli import main

QUESTION = "arrival.direction"


def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _metrics_port(server: Server) -> int:
    match = re.search(r"Metrics on http://127\.0\.0\.1:(\d+)/metrics", "".join(server.output))
    assert match, "".join(server.output)
    return int(match.group(1))


@pytest.fixture
def measured(tmp_path):
    running = Server(tmp_path, "--metrics", "127.0.0.1:0")
    yield running
    if running.process.poll() is None:
        running.stop()


async def test_a_scrape_after_real_votes_counts_acks_commits_sockets_and_refusals(measured):
    port = _metrics_port(measured)
    code = measured.api("POST", "/api/sessions", json={"title": "Measured"}).json()["code"]
    measured.api("POST", f"/api/sessions/{code}/commands", json={"command": "open", "question": QUESTION})
    assert httpx.get(measured.base + "/api/sessions").status_code == 401  # one HTTP refusal
    url = f"ws://127.0.0.1:{measured.port}/ws/{code}"
    async with websockets.connect(url) as first, websockets.connect(url) as second, \
            websockets.connect(url + "/control", additional_headers={"Authorization": f"Bearer {KEY}"}) as console:
        await receive(console, "snapshot")
        for phone, vote in ((first, -2), (second, 1)):
            await phone.send(json.dumps({"type": "join", "group": "IT"}))
            await receive(phone, "welcome")
            await phone.send(json.dumps({"type": "vote", "id": "1", "question": QUESTION, "value": vote}))
            await receive(phone, "ack")
        await first.send(json.dumps({"type": "vote", "id": "2", "question": "no.such", "value": 0}))
        assert (await receive(first, "error"))["code"] == "unknown_question"
        figures = _scrape(port)

    assert figures[("workshop_votes_acked_total", ())] == 2
    assert figures[("workshop_open_sockets", (("kind", "phone"),))] == 2
    assert figures[("workshop_open_sockets", (("kind", "console"),))] == 1
    assert figures[("workshop_open_sockets", (("kind", "projector"),))] == 0
    assert ("workshop_send_queue_frames", (("kind", "phone"),)) in figures
    # the session, the open, two joins and two votes at least, each committed in some batch
    assert figures[("workshop_commit_batch_size_sum", (("backend", "sqlite"),))] >= 6
    assert figures[("workshop_commit_seconds_count", (("backend", "sqlite"),))] >= 1
    assert figures[("workshop_refusals_total", (("channel", "socket"), ("code", "unknown_question")))] == 1
    assert figures[("workshop_refusals_total", (("channel", "http"), ("code", "unauthorized")))] == 1
    assert figures[("process_open_fds", ())] > 0


def test_metrics_are_on_their_own_listener_only(measured):
    assert httpx.get(measured.base + "/metrics").status_code == 401  # the phones' port: behind the key
    assert measured.api("GET", "/metrics").status_code == 404  # and not there with it either


def test_json_logs_are_one_object_a_line(tmp_path):
    server = Server(tmp_path, "--log-format", "json")
    assert server.api("GET", "/healthz").status_code == 200  # serving: the lifespan has begun
    printed = server.stop()
    logged = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    assert any(entry["level"] == "info" and "the writer has drained" in entry["message"] for entry in logged), printed
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in logged)
    assert not [line for line in printed.splitlines() if "drained" in line and not line.startswith("{")]


@pytest.mark.parametrize("argv", [["--metrics", "9100"], ["--metrics", "host:port"], ["--metrics", ":9100"]])
def test_a_bad_metrics_address_is_one_line(argv, capsys):
    assert main(["serve", *argv]) == 2
    assert "--metrics must be HOST:PORT" in capsys.readouterr().err


async def test_two_processes_report_postgresql_commits_and_the_broker_lag(tmp_path, postgres_url, redis_server):
    servers = []
    for name, extra in (("a", ("--metrics", "127.0.0.1:0")), ("b", ())):
        (tmp_path / name).mkdir()
        servers.append(Server(tmp_path / name, "--db", postgres_url, "--broker", redis_server.url, *extra))
    measured, other = servers
    try:
        code = measured.api("POST", "/api/sessions", json={"title": "Two"}).json()["code"]  # loaded on a
        measured.api("POST", f"/api/sessions/{code}/commands", json={"command": "open", "question": QUESTION})
        async with websockets.connect(f"ws://127.0.0.1:{other.port}/ws/{code}") as phone:
            await phone.send(json.dumps({"type": "join", "group": "IT"}))
            await receive(phone, "welcome")
            await phone.send(json.dumps({"type": "vote", "id": "1", "question": QUESTION, "value": 2}))
            await receive(phone, "ack")
        lag = ("workshop_broker_lag_seconds_count", ())
        for _ in range(100):
            figures = _scrape(_metrics_port(measured))
            if figures.get(lag, 0) >= 2:  # the join and the vote, published by b and applied on a
                break
            await asyncio.sleep(0.1)
        assert figures[lag] >= 2, figures.get(lag)
        assert figures[("workshop_broker_lag_seconds_sum", ())] < 5
        assert figures[("workshop_commit_batch_size_count", (("backend", "postgresql"),))] >= 2
        assert figures[("workshop_votes_acked_total", ())] == 0  # the vote was acked by b
        assert figures[("workshop_broker_outbox", ())] == 0
    finally:
        for server in servers:
            server.stop()
