"""The table of settings: the one place a setting is read, and what README says of it."""

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.config import SETTINGS, START_WAIT, Settings, given, markdown_table
from workshop.errors import CommandError
from workshop.serve.connections import ConnectionLimits
from workshop.serve.options import ServeOptions, connection_limits

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
HEADER = "| setting | flag | variable | default |"
CLASSES = {"server": Settings, "connections": ConnectionLimits, "start": ServeOptions}
# A text each variable takes and the value it reads as.
SAMPLES = {
    "db": ("postgresql://workshop@db/workshop", "postgresql://workshop@db/workshop"),
    "plans": ("/srv/plans", Path("/srv/plans")), "public_url": ("https://w.example.org", "https://w.example.org"),
    "key": ("k3y", "k3y"), "broker": ("redis://cache:6379/0", "redis://cache:6379/0"),
    "trusted_proxies": ("10.0.0.5, 10.1.0.0/16", ["10.0.0.5", "10.1.0.0/16"]), "start_wait": ("2.5", 2.5),
    "key_file": ("/run/key", Path("/run/key")), "metrics": ("[::1]:9100", ("::1", 9100)),
    "log_format": ("json", "json"), "header_timeout": ("1.5", 1.5), "per_address": ("7", 7), "total": ("900", 900),
    "reserve": ("3", 3), "nodelay": ("off", False),
}


def test_readme_has_one_table_of_settings_and_it_is_the_codes():
    assert README.count(HEADER) == 1
    assert markdown_table() in README, ("README's table of settings differs from config.SETTINGS; paste "
                                        "`python -c 'from workshop.config import markdown_table; print(markdown_table())'`")


def test_every_variable_readme_names_is_in_the_table():
    named = set(re.findall(r"WORKSHOP_[A-Z_]+", README)) - {"WORKSHOP_CONTAINER_TESTS"}  # the tests' own switch
    assert named == {item.variable for item in SETTINGS if item.variable}


def _reads_a_workshop_variable(node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        key = node.slice
    elif isinstance(node, ast.Call) and node.args and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "get", "getenv", "pop"):
        key = node.args[0]
    else:
        return False
    return isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith("WORKSHOP_")


def test_no_module_but_the_table_reads_a_workshop_variable():
    package = ROOT / "workshop"
    readers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                     if any(_reads_a_workshop_variable(node) for node in ast.walk(ast.parse(path.read_text()))))
    assert readers == []


def test_the_search_for_readers_finds_one():
    assert _reads_a_workshop_variable(ast.parse('os.environ.get("WORKSHOP_KEY")').body[0].value)
    assert _reads_a_workshop_variable(ast.parse('os.environ["WORKSHOP_DB"]').body[0].value)


def test_every_row_fills_a_field_and_says_its_default_as_the_field_has_it():
    for item in SETTINGS:
        names = {field.name for field in fields(CLASSES[item.part])} | ({"db", "plans"} if item.part == "server" else set())
        assert item.name in names, item.name
    defaults = {**{field.name: field.default for field in fields(ConnectionLimits)},
                **{field.name: field.default for field in fields(ServeOptions)}}
    for name in ("header_timeout", "per_address", "reserve", "port", "start_wait"):
        (item,) = [item for item in SETTINGS if item.name == name]
        assert item.default.startswith(f"{defaults[name]:g}"), name
    assert defaults["start_wait"] == START_WAIT


@pytest.mark.parametrize("item", [item for item in SETTINGS if item.variable], ids=lambda item: item.name)
def test_a_variable_reads_and_a_flag_wins_over_it(item):
    text, value = SAMPLES[item.name]
    assert given(item.part, {}, {item.variable: text}) == {item.name: value}
    assert given(item.part, {}, {item.variable: ""}) == {}  # empty is unset
    flag = {item.name: value if item.flag_type else text}
    assert given(item.part, flag, {item.variable: "nonsense"}) == {item.name: value}


def test_the_parts_fill_their_objects(monkeypatch):
    for name, text in (("WORKSHOP_DB", "postgresql://w@db/w"), ("WORKSHOP_KEY", "k3y"),
                       ("WORKSHOP_MAX_PER_ADDRESS", "7"), ("WORKSHOP_TCP_NODELAY", "0"),
                       ("WORKSHOP_START_WAIT", "2"), ("WORKSHOP_TRUSTED_PROXIES", "10.0.0.5")):
        monkeypatch.setenv(name, text)
    settings = Settings.from_flags({"key": "flag"})
    assert settings.db_url == "postgresql://w@db/w" and settings.key == "flag"
    limits = connection_limits({"header_timeout": 2.0})
    assert (limits.per_address, limits.nodelay, limits.header_timeout) == (7, False, 2.0)
    options = ServeOptions.from_flags({"port": 0})
    assert (options.start_wait, options.trusted_proxies, options.port, options.host) == (2.0, ("10.0.0.5",), 0, "0.0.0.0")


@pytest.mark.parametrize("variable, text, message", [
    ("WORKSHOP_START_WAIT", "soon", "WORKSHOP_START_WAIT must be a number of seconds (got 'soon')"),
    ("WORKSHOP_START_WAIT", "-1", "--start-wait must be 0 seconds or more (got -1)"),
    ("WORKSHOP_LOG_FORMAT", "xml", "WORKSHOP_LOG_FORMAT must be one of text, json (got 'xml')"),
    ("WORKSHOP_TRUSTED_PROXIES", "*", "--trusted-proxies '*' would let any client name its own address"),
    ("WORKSHOP_METRICS", "9100", "--metrics must be HOST:PORT"),
])
def test_a_bad_variable_is_refused_in_one_line(monkeypatch, variable, text, message):
    monkeypatch.setenv(variable, text)
    with pytest.raises(CommandError, match=re.escape(message)):
        ServeOptions.from_flags({})


def test_a_bad_connection_variable_is_refused_as_before(monkeypatch):
    monkeypatch.setenv("WORKSHOP_MAX_CONNECTIONS", "lots")
    with pytest.raises(CommandError, match="a WORKSHOP_\\* connection setting is not a number"):
        connection_limits({})


def test_serve_refuses_a_bad_variable_before_it_binds_a_port(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WORKSHOP_LOG_FORMAT", "xml")
    assert main(["serve", "--db", str(tmp_path / "w.db"), "--port", "0"]) == 2
    assert capsys.readouterr().err.strip() == "workshop serve: WORKSHOP_LOG_FORMAT must be one of text, json (got 'xml')"
    assert not (tmp_path / "w.db").exists()
