"""What people typed is drawn isolated wherever it is shown: a right-to-left name or example cannot
reorder the console's, the projector's or the phone's text around it, and a spoofing name arrives
already normalised."""

import json

from playwright.sync_api import Page, expect
from websockets.sync.client import connect

from .e2e_support import PHONE, command, create_session, join_phone

TEXT_QUESTION = "arrival.examples"
ISOLATED = "els => els.map(el => el.tagName + ':' + getComputedStyle(el).unicodeBidi + ':' + el.textContent)"


def _isolated(page: Page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all(ISOLATED)


def test_names_groups_and_examples_are_isolated_on_every_surface(surfaces, server):
    code = create_session(server, groups=["IT", "עסקים"])
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question=TEXT_QUESTION)
    phone = surfaces.context(**PHONE).new_page()
    join_phone(phone, f"{server.base}/j/{code}", name="שרה\u202e")
    with connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as socket:
        socket.send(json.dumps({"type": "join", "name": "דוד", "group": "עסקים"}))
        socket.send(json.dumps({"type": "submit", "id": "1", "question": TEXT_QUESTION, "text": "משאית 3 late"}))
        while json.loads(socket.recv(timeout=10))["type"] != "ack":
            pass
    console = surfaces.facilitator().new_page()
    console.goto(f"{server.base}/s/{code}/facilitate")
    expect(console.locator(".person-name")).to_have_count(2)
    assert sorted(_isolated(console, ".person-name bdi")) == ["BDI:isolate:דוד", "BDI:isolate:שרה"]
    assert _isolated(console, ".person-meta bdi") == ["BDI:isolate:עסקים"]
    assert _isolated(console, ".submission-text bdi") == ["BDI:isolate:משאית 3 late"]
    assert _isolated(console, ".submission-meta bdi") == ["BDI:isolate:דוד", "BDI:isolate:עסקים"]
    submission = server.api("GET", f"/api/sessions/{code}").json()["submissions"][0]
    command(server, code, command="approve", submission=submission["id"])
    command(server, code, command="close", question=TEXT_QUESTION)
    projector = surfaces.facilitator().new_page()
    projector.goto(f"{server.base}/s/{code}/present")
    expect(projector.locator("#examples .pj-card")).to_have_count(1)
    assert _isolated(projector, "#examples .pj-card bdi") == ["BDI:isolate:משאית 3 late"]
    expect(phone.locator("#examples-list li")).to_have_count(1)
    assert _isolated(phone, "#examples-list bdi") == ["BDI:isolate:משאית 3 late"]
