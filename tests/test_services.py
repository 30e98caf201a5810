"""The throwaway database services the tests start, and what the PostgreSQL record needs of them."""

import socket
import threading

import psycopg

from workshop.store import open_store
from workshop.store.pg_migrations import MIGRATIONS


def test_the_throwaway_redis_answers(redis_server):
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as connection:
        connection.sendall(b"PING\r\n")
        assert connection.recv(64) == b"+PONG\r\n"


def test_processes_starting_at_once_apply_the_migrations_once(postgres_url):
    opened, failures = [], []

    def start() -> None:
        try:
            opened.append(open_store(postgres_url))
        except Exception as error:  # reported below with the others
            failures.append(error)

    starters = [threading.Thread(target=start) for _ in range(6)]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join(30)
    for store in opened:
        store.close()
    assert not failures and len(opened) == 6
    with psycopg.connect(postgres_url) as connection:
        applied = [row[0] for row in connection.execute("select name from schema_migrations order by name")]
        assert applied == [name for name, _ in MIGRATIONS]  # each once
        tables = {row[0] for row in connection.execute(
            "select tablename from pg_tables where schemaname = 'public'")}
    assert {"sessions", "questions", "participants", "votes", "messages", "submissions",
            "consensus_records", "settings"} <= tables
