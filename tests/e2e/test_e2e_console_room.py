"""The console at 40 and at 400 phones on a 1440x900 laptop: the open question's live tally is above
the fold, its figure tiles keep their text inside them, and who has not voted and who is in the room
are summarised (counts, the first few names, a list that scrolls and a search) rather than walls."""

import asyncio
import json
import re
import time

import websockets
from playwright.sync_api import expect

from .e2e_support import CONSOLE, assert_accessible, command, console_card, create_session, screenshot
from .test_e2e_projector import SocketPhones
from .test_e2e_screens import LOOK


class NamedPhones(SocketPhones):
    """Phones that give a name as they join, as most people do."""

    async def _connect(self, groups: list[str]) -> list:
        sockets = await super()._connect([])
        for number, group in enumerate(groups):
            socket = await websockets.connect(self.url)
            socket.inbox = asyncio.Queue()
            socket.reader = asyncio.create_task(self._read(socket))
            await socket.send(json.dumps({"type": "join", "group": group, "name": f"Person {number + 1:02d}"}))
            await self._until(socket, "welcome")
            sockets.append(socket)
        return sockets


class Crowd(SocketPhones):
    """Hundreds of named phones on raw sockets, joining a few at a time as a hall does after the QR
    code goes up: a light client, so 400 of them cost seconds, not 400 browser pages."""

    AT_ONCE = 25

    def __init__(self, port: int, code: str, people: list[tuple[str, str]]) -> None:
        self.people = people
        super().__init__(port, code, [])

    async def _connect(self, groups: list[str]) -> list:
        gate = asyncio.Semaphore(self.AT_ONCE)

        async def join(name: str, group: str):
            async with gate:
                socket = await websockets.connect(self.url)
                socket.inbox = asyncio.Queue()
                socket.reader = asyncio.create_task(self._read(socket))
                await socket.send(json.dumps({"type": "join", "group": group, "name": name}))
                await self._until(socket, "welcome")
                return socket
        return list(await asyncio.gather(*(join(name, group) for name, group in self.people)))

    @staticmethod
    async def _read(socket) -> None:
        # A phone the facilitator removes is closed by the server (4403): its close code says so.
        try:
            async for message in socket:
                socket.inbox.put_nowait(json.loads(message))
        except websockets.ConnectionClosedError:
            pass

    def closed_by_server(self) -> list[int]:
        return [socket.close_code for socket in self.sockets if socket.close_code is not None]

    def send(self, kind: str, question: str, values: list) -> None:
        """As SocketPhones.send, but the phones send at once rather than each waiting for the last."""
        async def one(socket, value, number: int) -> None:
            field = "text" if kind == "submit" else "value"
            await socket.send(json.dumps({"type": kind, "id": str(number), "question": question, field: value}))
            await self._until(socket, "ack")

        async def send_all() -> None:
            sending = [(socket, value) for socket, value in zip(self.sockets, values) if value is not None]
            await asyncio.gather(*(one(socket, value, self.sent + n + 1) for n, (socket, value) in enumerate(sending)))
            self.sent += len(sending)
        self._run(send_all())


# Where the tally's parts sit, and any figure tile whose text runs out of it.
LAYOUT = """(id) => {
  const card = document.querySelector(`article[aria-labelledby="card-${id}"]`);
  const box = (el) => el ? el.getBoundingClientRect() : null;
  const chart = box(card.querySelector('.chart-box'));
  const waiting = card.querySelector('.not-voted');
  const overflowing = [...document.querySelectorAll('.figure, .figure *')]
    .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === 'visible')
    .map((el) => el.textContent.slice(0, 40));
  const people = document.getElementById('people-list');
  return { fold: window.innerHeight, chartBottom: chart && Math.round(chart.bottom),
           chartTop: chart && Math.round(chart.top), overflowing,
           waitingHeight: waiting ? Math.round(waiting.getBoundingClientRect().height) : 0,
           peopleHeight: Math.round(people.getBoundingClientRect().height),
           peopleScrolls: people.scrollHeight > people.clientHeight };
}"""


def test_the_console_at_forty_phones_keeps_the_live_tally_in_view(surfaces, server, tmp_path):
    code = create_session(server)
    room = NamedPhones(server.port, code, ["IT"] * 25 + ["Business"] * 15)
    try:
        page = surfaces.facilitator(viewport=CONSOLE["viewport"]).new_page()
        page.goto(f"{server.base}/s/{code}/facilitate")
        command(server, code, command="goto", step=1)
        command(server, code, command="open", question="arrival.impact")
        room.send("vote", "arrival.impact", [4, 5, 3, 4] * 5 + [None] * 20)
        # the slide's few words, and the long texts as the facilitator's notes
        expect(page.locator("#step-content .step-slide")).to_have_text(
            "On the projector: Customers come when it suits them, not when we are ready: peaks, lulls and everyone at once.")
        expect(page.locator("#step-content .step-details summary").first).to_have_text("Speaker notes")
        expect(page.locator("#step-content .step-definition")).to_be_visible()
        card = console_card(page, "arrival.impact")
        expect(card.locator(".voted-count")).to_have_text("20")
        layout = page.evaluate(LAYOUT, "arrival-impact")
        screenshot(page, "console-40-phones", tmp_path)
        assert layout["chartBottom"] is not None and layout["chartBottom"] <= layout["fold"], layout
        assert layout["overflowing"] == [], layout
        assert layout["waitingHeight"] <= 80, layout  # a count and a few names, not a wall
        expect(card.locator(".not-voted")).to_have_text(re.compile(
            r"^20 connected phones have not voted yet: (Person \d\d, ){4}Person \d\d and 15 more$"))
        assert layout["peopleHeight"] <= 400 and layout["peopleScrolls"], layout
        # the people list is searched, not read through
        page.locator("#people-search").fill("person 07")
        expect(page.locator("#people-list .person")).to_have_count(1)
        expect(page.locator("#people-list .person-name")).to_have_text("Person 07")
        expect(page.locator("#people-found")).to_have_text("1 of 40 listed match")
        page.locator("#people-search").fill("business")
        expect(page.locator("#people-list .person")).to_have_count(15)
        page.locator("#people-search").fill("")
        expect(page.locator("#people-list .person")).to_have_count(40)
        assert_accessible(page, "console at 40 phones")
        # the summary step projects the decisions: its slide text is not promised to the projector
        steps = server.api("GET", f"/api/sessions/{code}").json()["steps"]
        command(server, code, command="goto", step=len(steps) - 1)
        expect(page.locator("#step-content .step-slide-label")).to_have_text(
            "Slide text (the projector shows the decisions instead): ")
    finally:
        room.close()
    surfaces.check()


# A name that would be markup if it were ever put in as HTML; it must show as the letters typed.
MARKUP_NAME = '<i>Zed</i> & <img src=x onerror=x()>'
HALL = 400

# Every sizeable part of the console that holds names, and how tall it is drawn: none may grow with the room.
NAME_PARTS = """() => {
  const parts = ['#people-list', '.not-voted', '#pending', '#addresses-table'];
  return Object.fromEntries(parts.map((selector) => {
    const el = document.querySelector(selector);
    return [selector, el && el.getClientRects().length ? Math.round(el.getBoundingClientRect().height) : 0];
  }));
}"""


def hall_people() -> list[tuple[str, str]]:
    people = [(f"Person {number:03d}", "IT" if number % 3 else "Business") for number in range(1, HALL)]
    return people + [(MARKUP_NAME, "Business")]


def open_console_at(surfaces, server, code: str, viewport: dict, people: int = HALL):
    page = surfaces.facilitator(viewport=viewport).new_page()
    page.goto(f"{server.base}/s/{code}/facilitate")
    expect(page.locator("#people-total")).to_have_text(str(people))
    return page


def check_the_laptop_view(page, screenshots) -> None:
    """At 1440x900: the tally above the fold, nothing cut or split, who has not voted and the people summarised."""
    card = console_card(page, "arrival.impact")
    expect(card.locator(".voted-count")).to_have_text("300")
    layout = page.evaluate(LAYOUT, "arrival-impact")
    heights = page.evaluate(NAME_PARTS)
    screenshot(page, "console-400-phones", screenshots)
    assert layout["chartBottom"] is not None and layout["chartBottom"] <= layout["fold"], layout
    assert layout["overflowing"] == [], layout
    assert layout["waitingHeight"] <= 80, layout
    assert layout["peopleHeight"] <= 400 and layout["peopleScrolls"], layout
    seen = page.evaluate(LOOK)
    assert not seen["wider"] and not seen["cut"] and not seen["broken"], seen
    assert all(height <= 400 for height in heights.values()), heights
    expect(card.locator(".not-voted")).to_have_text(re.compile(
        "^100 connected phones have not voted yet: "  # sorted: "<" comes before "P"
        + re.escape(MARKUP_NAME) + r", (Person \d\d\d, ){3}Person \d\d\d and 95 more$"))
    expect(page.locator("#people-more")).to_have_text(
        "200 more joined earlier (the newest 200 are listed; the search looks through everyone).")
    # the markup name is text in the list and in the not-voted tooltip, never an element
    page.locator("#people-search").fill("zed")
    expect(page.locator("#people-list .person-name")).to_have_text(MARKUP_NAME)
    expect(page.locator("#people-found")).to_have_text("1 of 400 match")
    assert page.locator("#people-list img, #people-list i, .not-voted img").count() == 0
    assert MARKUP_NAME in (card.locator(".not-voted").get_attribute("title") or "")
    assert page.title().startswith("Console")


def check_the_search_reaches_everyone(page, hall: Crowd, folder) -> None:
    """The search finds one who joined before the newest 200, and Remove works on them."""
    page.locator("#people-search").fill("person 004")  # one who has not voted: the figures stay
    expect(page.locator("#people-found")).to_have_text("1 of 400 match")
    expect(page.locator("#people-list .person-name")).to_have_text("Person 004")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Person 004").click()
    expect(page.locator("#people-total")).to_have_text("399")
    for _ in range(50):  # the close reaches the phone's own thread a moment later
        if hall.closed_by_server():
            break
        time.sleep(0.1)
    assert hall.closed_by_server() == [4403]
    expect(page.locator("#people-found")).to_have_text("0 of 399 match")
    page.locator("#people-search").fill("business")
    business = sum(1 for _, group in hall_people() if group == "Business")
    expect(page.locator("#people-found")).to_have_text(f"{business} of 399 match (the newest 50 shown)")
    expect(page.locator("#people-list .person")).to_have_count(50)
    page.locator("#people-search").scroll_into_view_if_needed()
    screenshot(page, "console-400-phones-search", folder)
    page.locator("#people-search").fill("")


def test_the_console_at_four_hundred_phones_summarises_the_hall(surfaces, server, tmp_path, screenshots):
    code = create_session(server)
    # The room size raises the joins one address may make at once (every phone here is 127.0.0.1).
    command(server, code, command="room_size", size=HALL)
    hall = Crowd(server.port, code, hall_people())
    try:
        command(server, code, command="goto", step=1)
        command(server, code, command="open", question="arrival.impact")
        # three in four vote: 300 votes, 100 phones still to vote (the markup name, the last, among them)
        hall.send("vote", "arrival.impact", [None if n % 4 == 3 else [5, 4, 3][n % 3] for n in range(HALL)])
        page = open_console_at(surfaces, server, code, CONSOLE["viewport"])
        check_the_laptop_view(page, screenshots)
        check_the_search_reaches_everyone(page, hall, tmp_path)
        assert_accessible(page, "console at 400 phones")
        page.close()
        for label, size in {"1080p": {"width": 1920, "height": 1080}, "720p": {"width": 1280, "height": 720}}.items():
            page = open_console_at(surfaces, server, code, size, people=HALL - 1)
            expect(console_card(page, "arrival.impact").locator(".voted-count")).to_have_text("300")
            layout = page.evaluate(LAYOUT, "arrival-impact")
            screenshot(page, f"console-400-phones-{label}", tmp_path)
            assert layout["overflowing"] == [] and layout["peopleHeight"] <= 400, (label, layout)
            seen = page.evaluate(LOOK)  # no word split over two lines, no text cut off
            assert not seen["wider"] and not seen["cut"] and not seen["broken"], (label, seen)
            if label == "1080p":
                assert layout["chartBottom"] <= layout["fold"], (label, layout)
            else:  # a short screen: the count and the bars' upper part in view, the axis may fall below
                assert layout["chartTop"] <= layout["fold"] - 120, (label, layout)
            page.close()
    finally:
        hall.close()
    surfaces.check()
