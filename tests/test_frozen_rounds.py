"""A round's figures are fixed when it closes: random sequences of joins, departures, votes, closes, new
rounds and reopenings, played on a live room over a real SQLite record, never change a closed round's
figures or verdict; only a removal may, and it marks the round amended. The results the room serves
and the exports computed from the record agree on every round, and `reached` is the verdict."""

import asyncio
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.plans import default_plans_dir, load_plan
from workshop.exports.collect import collect
from workshop.live.rooms import Rooms
from workshop.live.subscribers import Subscriber
from workshop.store.store import Store

PLAN = load_plan(default_plans_dir() / "frei-variability.toml")
QID = "arrival.direction"
PHONES = 8
GROUPS = ["IT", "Business"]
KEYS = ("n", "abstain", "counts", "present", "taking_part", "quorum_needed", "verdict", "reached", "certainty",
        "interval", "split", "small_room", "amended", "side")

phone = st.integers(0, PHONES - 1)
actions = st.lists(st.one_of(
    st.tuples(st.just("join"), phone),
    st.tuples(st.just("leave"), phone),
    st.tuples(st.just("vote"), phone, st.sampled_from([-2, -1, 0, 1, 2, "abstain"])),
    st.tuples(st.sampled_from(["close", "open", "new_round"])),
    st.tuples(st.just("remove"), phone),
), min_size=1, max_size=40)


class _Screen:
    """A socket that takes every frame (what a phone's browser would do)."""

    async def send_text(self, data: str) -> None:
        pass

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


class _Play:
    def __init__(self, room) -> None:
        self.room = room
        self.people: dict[int, dict] = {}
        self.sockets: dict[int, Subscriber] = {}
        self.removed: set[int] = set()

    async def join(self, index: int) -> None:
        if index in self.removed or index in self.sockets:
            return
        known = self.people.get(index)
        person = await self.room.join(known["token"] if known else None, "", GROUPS[index % 2])
        self.people[index] = person
        self.sockets[index] = Subscriber(_Screen())
        self.room.add_phone(self.sockets[index], person)

    async def leave(self, index: int) -> None:
        connection = self.sockets.pop(index, None)
        if connection is not None:
            self.room.remove(connection)

    async def vote(self, index: int, value: object) -> None:
        if index not in self.sockets or self.room.state.question(QID).status != "open":
            return
        await self.room.vote(self.people[index], f"m{index}-{value}-{id(value)}", QID, value)

    async def command(self, name: str) -> None:
        status = self.room.state.question(QID).status
        if name in ("close", "new_round") and status == "pending":
            return
        await self.room.command({"command": name, "question": QID})

    async def remove(self, index: int) -> None:
        if index not in self.people or index in self.removed:
            return
        self.removed.add(index)
        self.sockets.pop(index, None)
        await self.room.command({"command": "remove", "participant": self.people[index]["id"]})


def _closed(room) -> dict[int, dict]:
    if room.state.question(QID).status == "pending":
        return {}
    return {found["round"]: {key: found.get(key) for key in KEYS}
            for found in room.results(QID)["rounds"] if not found["open"]}


async def _play(steps: list[tuple], folder: Path) -> None:
    store = Store(folder / "workshop.db")
    store.start()
    try:
        room = await Rooms(store).create("t", "", PLAN, GROUPS)
        play = _Play(room)
        fixed: dict[int, dict] = {}
        for step in steps:
            name, *args = step
            await (play.command(name) if name in ("close", "open", "new_round") else getattr(play, name)(*args))
            if name == "remove":
                fixed = {}  # a removal may amend a closed round (and marks it so)
            now = _closed(room)
            for number, figures in now.items():
                assert figures["reached"] is (figures["verdict"] == "reached")
                assert not figures["amended"] or play.removed
                if number in fixed:
                    assert figures == fixed[number], (step, number)
            fixed = now  # a reopened round is open again, so it leaves the comparison until it closes
        await _agree_with_the_export(room, store)
    finally:
        store.close()


async def _agree_with_the_export(room, store) -> None:
    if room.state.question(QID).status == "pending":
        return
    exported = collect(store, room.code)["kinds"][0]["questions"]["direction"]["rounds"]
    live = room.results(QID)["rounds"]
    console = (await room.snapshot())["questions"][QID]["rounds"]
    projector = (await room.projector_view())["questions"][QID].get("rounds", [])
    for number, (found, seen) in enumerate(zip(exported, live, strict=True)):
        said = {key: seen.get(key) for key in KEYS}
        assert {key: console[number].get(key) for key in KEYS} == said
        if number < len(projector):  # the projector carries the rounds the room may see
            assert {key: projector[number].get(key) for key in KEYS} == said
        if seen["open"]:
            continue  # an open round is provisional: the export counts who joined, the room who is here
        assert {key: found.get(key) for key in KEYS} == said


@settings(max_examples=40, deadline=None)
@given(actions)
def test_a_closed_rounds_figures_and_verdict_never_change_and_every_surface_agrees(steps):
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_play(steps, Path(folder)))


def test_latecomers_do_not_change_a_closed_round():
    """Six phones vote "less" and the round closes: 34 latecomers joining, then leaving, change nothing."""
    async def scenario(folder: Path) -> None:
        store = Store(folder / "workshop.db")
        store.start()
        try:
            room = await Rooms(store).create("t", "", PLAN, GROUPS)
            play = _Play(room)
            await play.command("open")
            for index in range(6):
                await play.join(index)
                await play.vote(index, -1)
            await play.command("close")
            before = _closed(room)[1]
            assert (before["verdict"], before["n"], before["present"]) == ("reached", 6, 6)
            latecomers = [await room.join(None, "", "IT") for _ in range(34)]
            sockets = [Subscriber(_Screen()) for _ in latecomers]
            for socket, person in zip(sockets, latecomers):
                room.add_phone(socket, person)
            assert _closed(room)[1] == before
            for socket in sockets:
                room.remove(socket)
            assert _closed(room)[1] == before
            exported = collect(store, room.code)["kinds"][0]["questions"]["direction"]["rounds"][0]
            assert (exported["verdict"], exported["present"]) == ("reached", 6)
        finally:
            store.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(scenario(Path(folder)))
