"""The console warns about an inconsistent record while it is filled in, and the summary step shows
the heat map of impact against consensus on the console and the projector."""

import asyncio
import json
import re
import threading

import websockets
from playwright.sync_api import expect

from .e2e_support import PROJECTOR, command, create_session


async def vote(port: int, code: str, ballots: list[dict]) -> None:
    for ballot in ballots:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/{code}") as phone:
            await phone.send(json.dumps({"type": "join", "group": ballot.pop("group")}))
            for index, (qid, value) in enumerate(ballot.items()):
                await phone.send(json.dumps({"type": "vote", "id": str(index), "question": qid, "value": value}))
            acks = 0
            while acks < len(ballot):
                acks += json.loads(await phone.recv())["type"] == "ack"


def test_console_warns_and_summary_shows_the_heat_map(surfaces, server):
    code = create_session(server)
    for qid in ("arrival.impact", "arrival.direction", "effort.impact", "effort.direction"):
        command(server, code, command="open", question=qid)
    # The browser's sync API keeps an event loop on this thread: the phones vote from another.
    voting = threading.Thread(target=asyncio.run, args=(vote(server.port, code, [
        {"group": "IT", "arrival.impact": 5, "arrival.direction": -1, "effort.impact": 2, "effort.direction": -2},
        {"group": "Business", "arrival.impact": 4, "arrival.direction": -2, "effort.impact": 1, "effort.direction": 2},
    ]),))
    voting.start()
    voting.join()
    command(server, code, command="goto", step=1)
    facilitator = surfaces.facilitator()
    console = facilitator.new_page()
    console.goto(f"{server.base}/s/{code}/facilitate")
    expect(console.locator("#consensus")).to_be_visible()
    console.get_by_label("Less", exact=True).check()
    console.locator("input[name=status][value=agreed]").check()
    console.locator("input[name=strategy][value=classic_accommodation]").check()
    expect(console.locator("#form-warnings")).to_contain_text("accommodation strategy")
    # a record never rests on a round still open; once it closes, the form checks again by itself
    expect(console.locator("#form-warnings")).to_contain_text("no closed round of the direction vote")
    command(server, code, command="close", question="arrival.direction")
    # both phones present voted "less": a small room that reaches, and says so
    expect(console.locator("#form-warnings")).to_contain_text("A small room: everyone present (2) voted the same way")
    console.locator("input[name=strategy][value=uncompromised_reduction]").check()
    expect(console.locator("#form-warnings")).not_to_contain_text("accommodation strategy")
    command(server, code, command="reveal", question="arrival.impact")
    command(server, code, command="reveal", question="arrival.direction")
    projector = surfaces.facilitator(**PROJECTOR).new_page()
    projector.goto(f"{server.base}/s/{code}/present")
    # the console shows every group; no gap is told between groups too small to show
    groups = re.compile(r"IT: mean [-−]1\.00, consensus 100% · Business: mean [-−]2\.00, consensus 100%$")
    expect(console.locator(".groups-line").last).to_have_text(groups)
    # On the big screen a group of one would give its member's vote away (the plan's min_group_size is 3).
    expect(projector.locator("#results .pj-result")).to_contain_text("less or more arrival variability")
    expect(projector.locator("#results .groups-line")).to_have_text("IT: too few to show · Business: too few to show")

    # The projector's channel carries a kind's figures only once they are revealed to the room.
    for qid in ("effort.impact", "effort.direction"):
        command(server, code, command="reveal", question=qid)
    command(server, code, command="goto", step=6)
    expect(console.locator("#summary-map .heat-kind")).to_have_count(2)
    # Placed by the agreement the verdict rests on: arrival's -1 and -2 are both "less" (100%); effort's -2
    # and +2 are one "less" and one "more" (50%).
    expect(console.locator("#summary-map svg")).to_have_attribute("aria-label", "Heat map of impact against "
        "agreement: Arrival variability, impact 4.5, agreement 100%; Effort variability, impact 1.5, agreement 50%")
    expect(projector.locator(".pj-heatmap .heat-kind")).to_have_count(2)
    surfaces.check()
