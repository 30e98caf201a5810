"""Start-up as an operator meets it: the app waits for PostgreSQL and Redis for a bounded time, saying
so, and otherwise exits with one line; the facilitator address can go to a file instead of the log."""

import os
import socket
import stat
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from services import Postgres, free_port, postgres_available, redis_available

from servers import KEY, ROOT, Server


def _serve(tmp_path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKSHOP_KEY": KEY}
    return subprocess.run([sys.executable, "-m", "workshop", "serve", "--port", "0", "--host", "127.0.0.1", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)


def _one_line_exit(done: subprocess.CompletedProcess, *expected: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("workshop serve: "), done.stderr
    for text in expected:
        assert text in last, last
    return last


@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL 15 is not installed here (.ci/run installs it)")
def test_the_app_waits_for_a_database_that_starts_later(tmp_path):
    database = Postgres()
    database.stop()  # installed, not up yet: as when every container starts at once
    try:
        later = threading.Timer(3, database.start)
        later.start()
        port = free_port()
        refused: list[bool] = []
        probe = threading.Timer(1.5, lambda: refused.append(_refuses(port)))
        probe.start()
        started = time.monotonic()
        server = Server(tmp_path, "--db", database.url(), "--start-wait", "30", "--port", str(port))
        try:
            assert time.monotonic() - started >= 2.5  # it did wait
            probe.join()
            assert refused == [True]  # while it waited, a balancer was turned away, not queued
            printed = "".join(server.output)
            assert "waiting for the database at" in printed and "answered after" in printed
            assert server.api("GET", "/readyz").json() == {"status": "ready"}
        finally:
            server.stop()
            later.join()
    finally:
        database.remove()


def _refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_no_database_means_one_line_after_the_wait(tmp_path):
    started = time.monotonic()
    done = _serve(tmp_path, "--db", f"postgresql://postgres@127.0.0.1:{free_port()}/none", "--start-wait", "2")
    took = time.monotonic() - started
    _one_line_exit(done, "the database at postgresql://", "did not answer within 2 s")
    assert 2 <= took < 20, took
    assert "waiting for the database" in done.stderr  # the tries were logged as they happened


@pytest.mark.skipif(not redis_available(), reason="redis-server is not installed here")
def test_no_broker_means_one_line_after_the_wait(tmp_path, postgres_url):
    done = _serve(tmp_path, "--db", postgres_url, "--broker", f"redis://127.0.0.1:{free_port()}/0",
                  "--start-wait", "1")
    _one_line_exit(done, "the broker at redis://", "did not answer within 1 s")


@pytest.mark.skipif(not redis_available(), reason="redis-server is not installed here")
def test_the_app_waits_for_a_broker_that_starts_later(tmp_path, postgres_url):
    from services import Redis

    broker = Redis()
    broker.kill()  # its port is known; it comes back 2 s after the app starts
    later = threading.Timer(2, broker.start)
    later.start()
    try:
        server = Server(tmp_path, "--db", postgres_url, "--broker", broker.url, "--start-wait", "30")
        try:
            printed = "".join(server.output)
            assert "waiting for the broker at redis://" in printed and "answered after" in printed
            assert server.api("GET", "/readyz").json() == {"status": "ready"}
        finally:
            server.stop()
    finally:
        later.join()
        broker.remove()


def test_the_start_wait_must_be_a_number(tmp_path):
    done = _serve(tmp_path, "--start-wait", "-1")
    _one_line_exit(done, "--start-wait")


def test_a_role_that_cannot_create_tables_gets_one_line(tmp_path, postgres_server):
    url = postgres_server.create_database("workshop_guest_test")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP ROLE IF EXISTS guest")
        connection.execute("CREATE ROLE guest LOGIN")  # not the owner: no CREATE on schema public (PG 15)
        connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    done = _serve(tmp_path, "--db", url.replace("postgres@", "guest@"), "--start-wait", "5")
    _one_line_exit(done, "cannot create the tables", "permission denied for schema public", "GRANT CREATE")


def test_the_key_file_holds_the_facilitator_address_and_the_log_does_not(tmp_path):
    key_file = tmp_path / "facilitator.txt"
    key_file.write_text("old contents\n")
    key_file.chmod(0o644)  # an existing file is narrowed before the key goes in
    server = Server(tmp_path, "--key-file", str(key_file))
    try:
        printed = "".join(server.output)
        assert KEY not in printed and "?key=" not in printed
        assert f"written to {key_file}" in printed
        assert key_file.read_text() == f"http://127.0.0.1:{server.port}/?key={KEY}\n"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    finally:
        server.stop()
