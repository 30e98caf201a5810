"""Backups and restores as the README tells an operator to make them: PostgreSQL with pg_dump and
pg_restore into a fresh database, a SQLite file with SQLite's online backup while the server runs."""

import sqlite3
import subprocess
from concurrent.futures import wait

from servers import Server
from workshop.domain.session import QuestionState, SessionState
from workshop.store import open_store

QID = "q.scale"


def _session_with_votes(store, voters: int) -> tuple[str, dict[int, str]]:
    code = store.create_session("Backed up", "", "plan", {"title": "Backed up"}, [], [QID]).result()
    store.save_state(code, SessionState(0, {QID: QuestionState()}), SessionState(0, {QID: QuestionState("open")})).result()
    joins = [store.join(code, None, "", "") for _ in range(voters)]
    wait(joins)
    people = [future.result()["id"] for future in joins]
    wait([store.record_vote(code, person, f"m{person}", QID, str(person % 5)) for person in people])
    return code, {person: str(person % 5) for person in people}


def test_a_postgres_record_dumped_with_pg_dump_restores_into_a_fresh_database(tmp_path, postgres_server, postgres_url):
    from services import PG_BIN
    store = open_store(postgres_url)
    store.start()
    try:
        code, votes = _session_with_votes(store, 20)
    finally:
        store.close()
    dump = tmp_path / "workshop.dump"
    subprocess.run([PG_BIN / "pg_dump", "--format=custom", "--file", dump, "--dbname", postgres_url], check=True)
    restored = postgres_server.create_database(postgres_url.rsplit("/", 1)[1] + "_restored")
    subprocess.run([PG_BIN / "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, dump], check=True)

    store = open_store(restored)
    store.start()  # its migrations are all recorded: nothing is applied again
    try:
        assert store.votes(code, QID, 1) == votes
        newcomer = store.join(code, None, "", "").result()  # identities go on past the restored rows
        assert newcomer["id"] not in votes
        assert store.record_vote(code, newcomer["id"], "late", QID, "4").result()[2]
    finally:
        store.close()


def test_a_sqlite_record_backed_up_while_the_server_runs_holds_every_committed_session(tmp_path):
    server = Server(tmp_path)
    try:
        codes = {server.api("POST", "/api/sessions", json={"title": f"Room {n}"}).json()["code"] for n in range(3)}
        backup = tmp_path / "backup.db"
        with sqlite3.connect(tmp_path / "workshop.db") as live, sqlite3.connect(backup) as copy:
            live.backup(copy)  # SQLite's online backup: a consistent copy, the server writing on
        live.close()
        copy.close()
        assert not (tmp_path / "backup.db-wal").exists()  # one file holds it all
    finally:
        server.stop()
    store = open_store(backup)
    store.start()
    try:
        assert {session["code"] for session in store.list_sessions()} >= codes
    finally:
        store.close()
