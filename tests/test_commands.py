"""One change, one place: every facilitator command is one row of the domain's command table, which
parses and applies it. Adding a command means its row, its line in the protocol's description and one
console control; these tests hold those three (and the README's API table) to the same names, and
check that every row is accepted by a real room over a real SQLite record and changes what the
console sees."""

import asyncio
import re
from pathlib import Path

import pytest

from workshop import protocol
from workshop.domain.commands import FIELDS, TABLE, Row
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.live.rooms import Rooms
from workshop.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
PLAN = load_plan(default_plans_dir() / "frei-variability.toml")
SCALE = "arrival.direction"
TEXT = "arrival.dissent"


def _effects(row: Row) -> list[str]:
    return [name for name, present in (("change", row.change is not None), ("status", row.status is not None),
                                       ("removes", row.removes)) if present]


@pytest.mark.parametrize("name", TABLE)
def test_every_row_does_exactly_one_thing_with_fields_the_table_knows(name):
    row = TABLE[name]
    assert len(_effects(row)) == 1, f"{name}: {_effects(row)}"
    assert set(row.fields) <= set(FIELDS)


def test_the_protocol_describes_exactly_the_rows_of_the_table():
    assert list(protocol.COMMANDS) == list(TABLE)
    for name, row in TABLE.items():
        named = set(re.findall(r"`(\w+)`", protocol.COMMANDS[name]))
        assert named == set(row.fields), f"{name}: the description names {named}, the row parses {row.fields}"


def test_the_readme_api_table_names_every_command():
    line = next(line for line in (ROOT / "README.md").read_text().splitlines()
                if line.startswith("| `POST /api/sessions/CODE/commands`"))
    named = set(re.findall(r'"(\w+)"', line)) - {"command"} - set(FIELDS)
    assert named == set(TABLE)


# How the console's scripts send a command: `command: 'name'` (or a choice of two names), a question
# card's `add('name', ...)` button, or a moderation action `['name', 'Label', 'button ...']`.
SENT = (r"command:\s*(?:[^,}\n]*\?\s*)?'(\w+)'(?:\s*:\s*'(\w+)')?", r"\badd\('(\w+)'", r"\[\s*'(\w+)',\s*'[^']+',\s*'button")


def _sent_by_the_console() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "static" / "js").glob("console*.js"):
        text = path.read_text()
        for pattern in SENT:
            found.update(name for match in re.findall(pattern, text)
                         for name in (match if isinstance(match, tuple) else (match,)) if name)
    return found


def test_the_console_sends_every_command_of_the_table_and_no_other():
    assert _sent_by_the_console() == set(TABLE)


def _sample(field: str, ids: dict[str, int]) -> object:
    return {"step": 1, "question": SCALE, "seconds": 30, "submission": ids["submission"],
            "participant": ids["participant"], "size": 10}[field]


def test_the_samples_cover_every_field():
    for field in FIELDS:
        _sample(field, {"submission": 1, "participant": 1})


def test_every_row_is_accepted_by_a_room_and_changes_what_the_console_sees(tmp_path):
    async def scenario() -> list[str]:
        store = Store(tmp_path / "workshop.db")
        store.start()
        try:
            room = await Rooms(store).create("t", "", PLAN, ["IT"])
            participant = await room.join(None, "Ann", "IT")
            await room.command({"command": "open", "question": TEXT})
            await room.submit(participant, "m1", TEXT, "late trains")
            submission = (await store.awaited(store.submissions, room.code))[0]["id"]
            ids = {"submission": submission, "participant": participant["id"]}
            unchanged = []
            for name, row in TABLE.items():  # in the table's order, each finds the state it can change
                before = await room.snapshot()
                await room.command({"command": name, **{field: _sample(field, ids) for field in row.fields}})
                if await room.snapshot() == before:
                    unchanged.append(name)
            return unchanged
        finally:
            store.close()

    assert asyncio.run(scenario()) == []
