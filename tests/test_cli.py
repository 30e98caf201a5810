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


def test_the_unreachable_address_warning_is_for_guessed_addresses_only(tmp_path, capsys):
    from workshop.cli import _announce

    local = Settings(db_path=tmp_path / "workshop.db", public_url="http://127.0.0.1:8000")
    _announce(local, "k", 8000)
    assert "Phones cannot reach this address" in capsys.readouterr().out
    _announce(local, "k", 8000, public_url_given=True)  # a tunnel or proxy the facilitator chose
    out = capsys.readouterr().out
    assert "Phones cannot reach" not in out and "http://127.0.0.1:8000/join" in out
