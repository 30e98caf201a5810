"""The `workshop` command's library-backed subcommands."""

import json
import os
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from workshop.cli import main
from workshop.config import Settings
from workshop.web.app import create_app

from servers import ROOT, Server


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


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


def _hostile_plans(folder: Path) -> Path:
    folder.mkdir()
    (folder / "nested.toml").write_text("x = " + "[" * 10_000 + "]" * 10_000 + "\n")
    (folder / "huge.toml").write_bytes(b"#" * (2 * 1024 * 1024))
    os.mkfifo(folder / "fifo.toml")
    (folder / "mine.toml").write_text('title = "Mine"\ngroups = ["IT"]\n[[steps]]\nid = "a"\nkind = "intro"\ntitle = "A"\n')
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
