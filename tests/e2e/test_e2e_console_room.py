"""The console at 40 phones on a 1440x900 laptop: the open question's live tally is above the fold,
its figure tiles keep their text inside them, and who has not voted and who is in the room are
summarised (counts, the first few names, a list that scrolls and a search) rather than walls."""

import asyncio
import json
import re

import websockets
from playwright.sync_api import expect

from .e2e_support import CONSOLE, assert_accessible, command, console_card, create_session, screenshot
from .test_e2e_projector import SocketPhones


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
  return { fold: window.innerHeight, chartBottom: chart && Math.round(chart.bottom), overflowing,
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
    finally:
        room.close()
    surfaces.check()
