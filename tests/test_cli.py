"""The `workshop` command's library-backed subcommands."""

import json
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from servers import ROOT, Server
from workshop.cli import main
from workshop.config import Settings
from workshop.web.app import create_app


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_plans_lists_the_default_and_reports_invalid_ones(tmp_path, capsys):
    (tmp_path / "broken.toml").write_text('title = "Broken"\ngroups = ["IT"]\n[[steps]]\nid = "x"\nkind = "nope"\ntitle = "X"\n')
    assert main(["plans", "--plans", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert any(line.startswith("frei-variability\t") for line in out.splitlines())
    assert "broken.toml" in err and "step 'x'" in err and "kind" in err


def test_plans_lists_the_plans_saved_beside_the_database(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WORKSHOP_PLANS", raising=False)
    (tmp_path / "plans").mkdir()
    shipped = (ROOT / "sessions" / "frei-variability.toml").read_text(encoding="utf-8")
    (tmp_path / "plans" / "ours.toml").write_text(shipped.replace('title = "Customer-', 'title = "Our customer-', 1))
    assert main(["plans", "--db", str(tmp_path / "workshop.db")]) == 0
    assert "ours\tOur customer-introduced variability (Frei)\t7 steps" in capsys.readouterr().out


def test_rotate_key_signs_out_the_old_key_without_a_restart(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WORKSHOP_KEY", raising=False)
    db = tmp_path / "workshop.db"
    with TestClient(create_app(Settings(db_path=db))) as client:
        old = client.app.state.auth.key
        assert client.get("/api/sessions", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        assert main(["rotate-key", "--db", str(db)]) == 0
        new = capsys.readouterr().out.split("New facilitator key: ")[1].split()[0]
        assert new != old
        # The server reads the stored key again every second, off its event loop.
        deadline = time.monotonic() + 5
        while client.get("/api/sessions", headers={"Authorization": f"Bearer {old}"}).status_code != 403:
            assert time.monotonic() < deadline, "the old key still opens the API 5 s after the rotation"
            time.sleep(0.1)
        assert client.get("/api/sessions", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_export_refuses_unknown_codes_and_formats(tmp_path, capsys):
    db = tmp_path / "workshop.db"
    with TestClient(create_app(Settings(db_path=db, key="k"))):
        pass
    assert main(["export", "NOPE00", "--format", "json", "--db", str(db)]) == 2
    assert "no session with code 'NOPE00'" in capsys.readouterr().err
    assert main(["export", "NOPE00", "--format", "odt", "--db", str(db)]) == 2
    assert "unknown format 'odt'" in capsys.readouterr().err
    assert main(["export", "NOPE00", "--format", "json", "--db", str(tmp_path / "missing.db")]) == 2
    assert "no database" in capsys.readouterr().err


def _hostile_plans(folder: Path) -> Path:
    folder.mkdir()
    (folder / "nested.toml").write_text("x = " + "[" * 10_000 + "]" * 10_000 + "\n")
    (folder / "huge.toml").write_bytes(b"#" * (2 * 1024 * 1024))
    os.mkfifo(folder / "fifo.toml")
    (folder / "mine.toml").write_text(
        'title = "Mine"\ngroups = ["IT"]\n[[steps]]\nid = "a"\nkind = "intro"\ntitle = "A"\n')
    return folder


def test_plans_reports_hostile_files_one_line_each_without_a_traceback(tmp_path):
    folder = _hostile_plans(tmp_path / "plans")
    result = subprocess.run([sys.executable, "-m", "workshop", "plans", "--plans", str(folder)],
                            capture_output=True, text=True, timeout=60, env=_env())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "mine\tMine\t1 steps" in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and all(line.startswith("invalid: ") for line in lines)
    assert any("nested.toml" in line and "nest at most" in line for line in lines)


def test_serve_starts_with_its_good_plans_beside_hostile_ones(tmp_path):
    folder = _hostile_plans(tmp_path / "plans")
    server = Server(tmp_path, "--plans", str(folder))
    try:
        plans = server.api("GET", "/api/plans").json()
        assert "mine" in json.dumps(plans) and "frei-variability" in json.dumps(plans)
    finally:
        server.stop()


# --- refusals: one line on standard error, no traceback, nothing written -------------------------------

def _workshop(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workshop", *args], capture_output=True, text=True,
                          timeout=60, env=_env(), cwd=cwd, **kwargs)


def _one_line(stderr: str, needle: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], stderr


@pytest.fixture
def recorded(tmp_path) -> tuple[Path, str]:
    db = tmp_path / "workshop.db"
    with TestClient(create_app(Settings(db_path=db, key="k"))) as client:
        code = client.post("/api/sessions", json={"title": "Export me"},
                           headers={"Authorization": "Bearer k"}).json()["code"]
    return db, code


def _bad_targets(folder: Path, db: Path) -> dict[str, tuple[Path, str]]:
    (folder / "copy.sqlite").write_bytes(db.read_bytes())
    os.link(db, folder / "hard-link")
    return {
        "missing folder": (folder / "missing" / "out.json", "does not exist"),
        "a folder": (folder, "is a folder"),
        "the live database": (db, "an export never writes over a database"),
        "its write-ahead log": (Path(f"{db}-wal"), "an export never writes over a database"),
        "another SQLite file": (folder / "copy.sqlite", "an export never writes over a database"),
        "a hard link to the database": (folder / "hard-link", "an export never writes over a database"),
    }


def test_export_refuses_bad_targets_in_one_line_and_writes_nothing(recorded, capsys):
    db, code = recorded
    before = db.read_bytes()
    for name, (target, needle) in _bad_targets(db.parent, db).items():
        assert main(["export", code, "--format", "json", "--db", str(db), "-o", str(target)]) == 2, name
        _one_line(capsys.readouterr().err, needle)
    assert db.read_bytes() == before
    assert (db.parent / "copy.sqlite").read_bytes() == before


def test_export_to_a_full_disk_says_so_in_one_line(recorded):
    db, code = recorded
    result = _workshop("export", code, "--format", "json", "--db", str(db), "-o", "/dev/full")
    assert result.returncode == 2
    _one_line(result.stderr, "cannot write /dev/full: No space left on device")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "workshop", "export", code, "--format", "md", "--db", str(db)],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, env=_env())
    assert result.returncode == 2
    _one_line(result.stderr, "cannot write standard output: No space left on device")


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def _big_session(folder: Path, voters: int = 2000) -> tuple[Path, str]:
    db = folder / "workshop.db"
    auth = {"Authorization": "Bearer k"}
    with TestClient(create_app(Settings(db_path=db, key="k"))) as client:
        code = client.post("/api/sessions", json={"title": "Big"}, headers=auth).json()["code"]
        client.post(f"/api/sessions/{code}/commands", json={"command": "open", "question": "arrival.direction"},
                    headers=auth)
        store = client.app.state.store
        joined = [store.join(code, None, f"voter {number}", "IT") for number in range(voters)]
        votes = [store.record_vote(code, future.result()["id"], "1", "arrival.direction", "1") for future in joined]
        assert all(vote.result()[2] for vote in votes)
    return db, code


def test_a_failed_export_leaves_the_old_file_whole_and_no_partial_file(tmp_path):
    db, code = _big_session(tmp_path)
    folder = db.parent / "exports"
    folder.mkdir()
    target = folder / "sla-inputs.json"
    target.write_text("the previous export\n")
    # A file size limit makes the write fail part-way, as a disk filling up would.
    result = _workshop("export", code, "--format", "votes.csv", "--db", str(db), "-o", str(target),
                       preexec_fn=_file_size_limit(64 * 1024))
    assert result.returncode == 2
    _one_line(result.stderr, f"cannot write {target}: File too large")
    assert target.read_text() == "the previous export\n"
    assert [path.name for path in folder.iterdir()] == ["sla-inputs.json"]
    assert main(["export", code, "--format", "votes.csv", "--db", str(db), "-o", str(target)]) == 0
    assert len(target.read_text().splitlines()) == 2001 and target.stat().st_size > 64 * 1024
    assert [path.name for path in folder.iterdir()] == ["sla-inputs.json"]


def test_rotate_key_on_a_mistyped_path_creates_no_database(tmp_path, capsys):
    assert main(["rotate-key", "--db", str(tmp_path / "wrokshop.db")]) == 2
    _one_line(capsys.readouterr().err, "no database at")
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_bad_and_busy_ports_in_one_line(tmp_path):
    for port, needle in (("70000", "--port must be from 0 to 65535 (got 70000)"),
                         ("-1", "--port must be from 0 to 65535 (got -1)")):
        result = _workshop("serve", "--port", port, cwd=tmp_path)
        assert result.returncode == 2
        _one_line(result.stderr, needle)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _workshop("serve", "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    _one_line(result.stderr, f"port {port} is already in use")
    assert list(tmp_path.iterdir()) == []


def _read_only_folder(tmp_path: Path) -> Path:
    # root may write in any folder it owns, whatever its mode; sysfs refuses new files even to root.
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o555)
        return folder
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no folder that root cannot write in")
    return Path("/sys")


def test_serve_refuses_a_missing_or_read_only_database_folder(tmp_path):
    result = _workshop("serve", "--port", "0", "--db", str(tmp_path / "missing" / "workshop.db"))
    assert result.returncode == 2
    _one_line(result.stderr, f"folder {tmp_path / 'missing'} for the database does not exist")
    folder = _read_only_folder(tmp_path)
    before = sorted(folder.iterdir())
    result = _workshop("serve", "--port", "0", "--host", "127.0.0.1", "--db", str(folder / "workshop.db"))
    assert result.returncode == 2
    _one_line(result.stderr, f"cannot write in {folder} (the database's folder): ")
    assert sorted(folder.iterdir()) == before


# --- one server per database -----------------------------------------------------------------------

def test_a_second_server_on_the_same_database_refuses_while_exports_and_plans_still_work(tmp_path):
    first = Server(tmp_path)
    try:
        code = first.api("POST", "/api/sessions", json={"title": "Locked"}).json()["code"]
        second = _workshop("serve", "--host", "127.0.0.1", "--port", "0", cwd=tmp_path)
        assert second.returncode == 2
        _one_line(second.stderr, f"another workshop server (process {first.process.pid}) is using workshop.db")
        exported = _workshop("export", code, "--format", "json", cwd=tmp_path)
        assert exported.returncode == 0 and json.loads(exported.stdout)["session"]["code"] == code
        assert _workshop("plans", cwd=tmp_path).returncode == 0
        assert first.api("GET", f"/api/sessions/{code}").status_code == 200  # the first is unharmed
    finally:
        first.stop()
    # The lock goes with the process that held it: the next server starts.
    after = Server(tmp_path)
    try:
        assert after.api("GET", f"/api/sessions/{code}").status_code == 200
    finally:
        after.stop()


def test_serve_and_rotate_key_take_a_postgres_url(tmp_path, postgres_url):
    from servers import Server
    url = postgres_url
    assert main(["rotate-key", "--db", url]) == 0
    server = Server(tmp_path, "--db", url)
    try:
        assert "Record: " + url in "".join(server.output)
        assert server.api("GET", "/readyz").json() == {"status": "ready"}
        code = server.api("POST", "/api/sessions", json={"title": "Shared record"}).json()["code"]
    finally:
        server.stop()
    assert not (tmp_path / "workshop.db").exists()  # nothing went to a SQLite file by mistake
    output = tmp_path / "brief.md"
    assert main(["export", code, "--format", "md", "--db", url, "-o", str(output)]) == 0
    assert "Shared record" in output.read_text()


def test_the_database_setting_takes_a_file_or_a_postgres_url(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_DB", "postgresql://workshop@db.example.org/workshop")
    from_env = Settings.from_env()
    assert from_env.db == "postgresql://workshop@db.example.org/workshop"
    flag = Settings.from_env(db=str(tmp_path / "meeting.db"))  # --db wins over the environment
    assert flag.db_url is None and flag.db == tmp_path / "meeting.db"
    monkeypatch.delenv("WORKSHOP_DB")
    assert Settings.from_env().db == Settings().db_path


def test_export_reads_without_migrating_and_refuses_a_damaged_or_older_file_in_one_line(tmp_path):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    result = _workshop("export", "ABCDEF", "--format", "json", "--db", str(damaged))
    assert result.returncode == 2
    _one_line(result.stderr, "cannot read")
    older = tmp_path / "older.db"
    with sqlite3.connect(older) as connection:  # a record from before the latest schema steps
        connection.execute("create table _sqlite_migrations (migration_set text, name text, applied_at text)")
    before = older.read_bytes()
    result = _workshop("export", "ABCDEF", "--format", "json", "--db", str(older))
    assert result.returncode == 2
    _one_line(result.stderr, "older version")
    assert older.read_bytes() == before  # nothing migrated, nothing written


def test_the_unreachable_address_warning_is_for_guessed_addresses_only(tmp_path, capsys):
    from workshop.serve.announce import announce as _announce

    local = Settings(db_path=tmp_path / "workshop.db", public_url="http://127.0.0.1:8000")
    _announce(local, "workshop.db", "k", 8000)
    assert "Phones cannot reach this address" in capsys.readouterr().out
    _announce(local, "workshop.db", "k", 8000, public_url_given=True)  # a tunnel or proxy the facilitator chose
    out = capsys.readouterr().out
    assert "Phones cannot reach" not in out and "http://127.0.0.1:8000/join" in out


# --- schema versions -------------------------------------------------------------------------------

def _database_from_a_newer_version(path: Path, step: str = "999_from_a_later_release") -> bytes:
    from workshop.store.store import Store

    Store(path).close()  # every step this version knows
    with sqlite3.connect(path) as connection:
        connection.execute("insert into _sqlite_migrations (migration_set, name, applied_at)"
                           " values ('workshop', ?, '2027-01-01 00:00:00+00:00')", (step,))
    connection.close()
    return path.read_bytes()


def test_a_database_records_its_schema_version(tmp_path):
    from workshop.store.migrations import known_steps
    from workshop.store.store import Store

    Store(tmp_path / "workshop.db").close()
    with sqlite3.connect(tmp_path / "workshop.db") as connection:
        assert connection.execute("pragma user_version").fetchone()[0] == len(known_steps()) >= 4
        names = [row[0] for row in connection.execute("select name from _sqlite_migrations order by id")]
    connection.close()
    assert names == known_steps()


def test_serve_and_export_refuse_a_database_from_a_newer_version_in_one_line(tmp_path):
    db = tmp_path / "workshop.db"
    before = _database_from_a_newer_version(db)
    served = _workshop("serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db))
    assert served.returncode == 2
    _one_line(served.stderr, "was written by a newer version of workshop (schema step 999_from_a_later_release")
    exported = _workshop("export", "ABCDEF", "--format", "json", "--db", str(db))
    assert exported.returncode == 2
    _one_line(exported.stderr, "newer version")
    rotated = _workshop("rotate-key", "--db", str(db))
    assert rotated.returncode == 2
    _one_line(rotated.stderr, "newer version")
    assert db.read_bytes() == before  # refused before anything was written


def test_serve_refuses_a_database_whose_recorded_version_is_beyond_its_own(tmp_path):
    from workshop.store.store import Store

    db = tmp_path / "workshop.db"
    Store(db).close()
    with sqlite3.connect(db) as connection:
        connection.execute("pragma user_version = 99")
    connection.close()
    served = _workshop("serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db))
    assert served.returncode == 2
    _one_line(served.stderr, "schema version 99")


def test_serve_refuses_a_postgres_database_from_a_newer_version_in_one_line(tmp_path, postgres_url):
    import psycopg

    from workshop.store import open_store
    from workshop.store.schema import SchemaTooNew

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("insert into schema_migrations (name) values ('999_from_a_later_release')")
    served = _workshop("serve", "--host", "127.0.0.1", "--port", "0", "--db", postgres_url)
    assert served.returncode == 2
    _one_line(served.stderr, "was written by a newer version of workshop (schema step 999_from_a_later_release")
    with pytest.raises(SchemaTooNew):
        open_store(postgres_url)
