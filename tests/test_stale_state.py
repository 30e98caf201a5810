"""A process working from stale memory never undoes what another stored: commands and countdowns are
compare-and-set on the record. Two rooms over one real SQLite record play two processes that cannot
hear each other (Redis cut off): each decides from its own memory, and the record decides who wins."""

import asyncio
from pathlib import Path

import pytest

from workshop.domain.plans import default_plans_dir, load_plan
from workshop.domain.refusal import Refusal
from workshop.live.room import Room
from workshop.live.rooms import Rooms
from workshop.store.store import Store

PLAN = load_plan(default_plans_dir() / "frei-variability.toml")
QID = "arrival.direction"


async def _two_processes(folder: Path) -> tuple[Store, Room, Room]:
    store = Store(folder / "workshop.db")
    store.start()
    first = await Rooms(store).create("t", "", PLAN, ["IT"])
    record = store.session_record(first.code)
    assert record is not None
    return store, first, Room(store, record)  # the second process loaded the session before any change


def test_a_countdown_stopped_elsewhere_does_not_close_the_question(tmp_path):
    async def scenario() -> None:
        store, here, there = await _two_processes(tmp_path)
        try:
            await here.command({"command": "open", "question": QID, "seconds": 60})
            await there._reread_state()  # both processes saw the countdown armed
            deadline = there.state.question(QID).closes_at
            await here.command({"command": "timer", "question": QID, "seconds": None})  # stopped on A
            await there.expire(QID, deadline)  # B, cut off, reaches the old deadline
            stored = store.session_state(here.code).question(QID)
            assert (stored.status, stored.closes_at) == ("open", None)
        finally:
            store.close()
    asyncio.run(scenario())


def test_a_stale_countdown_never_rolls_back_a_new_round(tmp_path):
    async def scenario() -> None:
        store, here, there = await _two_processes(tmp_path)
        try:
            await here.command({"command": "open", "question": QID, "seconds": 60})
            await there._reread_state()
            deadline = there.state.question(QID).closes_at
            await here.command({"command": "new_round", "question": QID})  # round 2 opens on A
            await there.expire(QID, deadline)
            stored = store.session_state(here.code).question(QID)
            assert (stored.status, stored.round) == ("open", 2)
        finally:
            store.close()
    asyncio.run(scenario())


def test_commands_racing_on_two_processes_are_both_kept(tmp_path):
    async def scenario() -> None:
        store, here, there = await _two_processes(tmp_path)
        try:
            await here.command({"command": "open", "question": QID})
            await there._reread_state()
            await here.command({"command": "reveal", "question": QID})
            await there.command({"command": "new_round", "question": QID})  # decided again on the stored state
            stored = store.session_state(here.code).question(QID)
            assert (stored.status, stored.round) == ("open", 2)
            await here.command({"command": "close", "question": QID})  # A still thinks round 1 is open
            stored = store.session_state(here.code).question(QID)
            assert (stored.status, stored.round) == ("closed", 2)
        finally:
            store.close()
    asyncio.run(scenario())


def test_the_record_refuses_a_change_decided_on_a_state_it_no_longer_holds(tmp_path):
    async def scenario() -> None:
        store, here, there = await _two_processes(tmp_path)
        try:
            await here.command({"command": "open", "question": QID})
            stale = there.state
            fresh = store.session_state(here.code)
            from workshop.domain.commands import Command, apply_command
            closing = apply_command(PLAN, stale, Command("open", question=QID))
            with pytest.raises(Refusal) as refused:
                await asyncio.wrap_future(store.save_state(here.code, stale, closing))
            assert refused.value.code == "stale_state"
            assert store.session_state(here.code) == fresh  # nothing written
        finally:
            store.close()
    asyncio.run(scenario())
