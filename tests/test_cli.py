"""The `workshop` command's library-backed subcommands."""

from starlette.testclient import TestClient

from workshop.cli import main
from workshop.config import Settings
from workshop.web.app import create_app


def test_plans_lists_the_default_and_reports_invalid_ones(tmp_path, capsys):
    (tmp_path / "broken.toml").write_text('title = "Broken"\ngroups = ["IT"]\n[[steps]]\nid = "x"\nkind = "nope"\ntitle = "X"\n')
    assert main(["plans", "--plans", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("frei-variability\t")
    assert "broken.toml" in err and "step 'x'" in err and "kind" in err


def test_rotate_key_signs_out_the_old_key_without_a_restart(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WORKSHOP_KEY", raising=False)
    db = tmp_path / "workshop.db"
    with TestClient(create_app(Settings(db_path=db))) as client:
        old = client.app.state.auth.key
        assert client.get("/api/sessions", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        assert main(["rotate-key", "--db", str(db)]) == 0
        new = capsys.readouterr().out.split("New facilitator key: ")[1].split()[0]
        assert new != old
        assert client.get("/api/sessions", headers={"Authorization": f"Bearer {old}"}).status_code == 403
        assert client.get("/api/sessions", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_export_refuses_unknown_codes_and_formats(tmp_path, capsys):
    db = tmp_path / "workshop.db"
    with TestClient(create_app(Settings(db_path=db, key="k"))):
        pass
    assert main(["export", "NOPE00", "--format", "json", "--db", str(db)]) == 2
    assert "no session with code 'NOPE00'" in capsys.readouterr().err
    assert main(["export", "NOPE00", "--format", "docx", "--db", str(db)]) == 2
    assert "unknown format 'docx'" in capsys.readouterr().err
    assert main(["export", "NOPE00", "--format", "json", "--db", str(tmp_path / "missing.db")]) == 2
    assert "no database" in capsys.readouterr().err


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
