"""The workshop's flow as people see it: countdowns, the end, the console's room controls, close codes
on phones, links that work as printed, two console tabs, and the phone in landscape.

Screenshots for looking at go to a temporary folder (WORKSHOP_FLOW_SHOTS, else the test's tmp_path),
never into docs/screenshots.
"""

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect
from websockets.sync.client import connect

from servers import Server
from workshop.exports import EXPORT_FORMATS

from .e2e_support import (
    PHONE,
    card,
    command,
    console_card,
    create_session,
    expect_received,
    join_phone,
    snapshot,
    stop,
    tap_vote,
)

DIRECTION = "arrival.direction"
TEXT_QUESTION = "arrival.examples"


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("WORKSHOP_FLOW_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def console_page(surfaces, code: str, **options) -> Page:
    page = surfaces.facilitator(**options).new_page()
    page.goto(f"{surfaces.origin}/s/{code}/facilitate")
    expect(page.locator("#connection")).to_have_attribute("data-status", "open")
    return page


def stopped_with(page: Page, title: str) -> None:
    expect(page.locator("#stopped-view")).to_be_visible()
    expect(page.locator("#stopped-title")).to_have_text(title)
    expect(page.locator("#connection")).to_have_attribute("data-status", "stopped")
    page.wait_for_timeout(1500)  # long enough for a first reconnect, had one been scheduled
    expect(page.locator("#connection")).to_have_attribute("data-status", "stopped")


def test_a_countdown_runs_on_console_and_phone_and_the_server_closes_the_question(surfaces, server, shots):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    console = console_page(surfaces, code, viewport={"width": 1920, "height": 1080})
    phone = surfaces.phone()
    join_phone(phone, f"{server.base}/j/{code}", name="Ann")
    chooser = console_card(console, DIRECTION)
    chooser.locator(".timer-select").select_option("custom")
    chooser.get_by_label("Countdown in seconds").fill("4")
    chooser.get_by_role("button", name="Open voting").click()
    expect(chooser.locator(".badge--timer")).to_have_text(re.compile(r"Closes in 0:0[1-4]"))
    expect(card(phone, DIRECTION).locator(".countdown")).to_have_text(re.compile(r"Closes in 0:0[1-4]"))
    tap_vote(phone, DIRECTION, "-1")
    expect_received(phone, DIRECTION, "−1")
    console.screenshot(path=str(shots / "console-timer-1920.png"))
    phone.screenshot(path=str(shots / "phone-timer-390.png"))
    expect(card(phone, DIRECTION).locator(".vote-status")).to_contain_text("Voting closed. Your vote: −1")
    expect(chooser.locator(".badge--closed")).to_be_visible()
    assert snapshot(server, code)["questions"][DIRECTION]["status"] == "closed"
    # A countdown started on an open question, then stopped, leaves the question open.
    chooser.get_by_role("button", name="Reopen voting").click()
    chooser.locator(".timer-select").select_option("60")
    chooser.get_by_role("button", name="Start timer").click()
    expect(card(phone, DIRECTION).locator(".countdown")).to_have_text(re.compile(r"Closes in (1:00|0:5\d)"))
    chooser.get_by_role("button", name="Stop timer").click()
    expect(card(phone, DIRECTION).locator(".countdown")).to_have_count(0)
    assert snapshot(server, code)["questions"][DIRECTION]["closes_at"] is None


def test_ending_the_workshop_thanks_phones_with_the_records(surfaces, server, shots):
    code = create_session(server, title="A very long workshop title that cannot possibly fit on one phone line")
    server.api("PUT", f"/api/sessions/{code}/consensus/arrival",
               json={"direction": "less", "strategy": "classic_reduction", "status": "agreed"})
    phone = surfaces.phone()
    join_phone(phone, f"{server.base}/j/{code}")
    title = phone.locator(".phone-header h1")
    assert title.evaluate("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).textOverflow === 'ellipsis'")
    assert title.evaluate("e => e.getBoundingClientRect().height") < 40  # one line
    console = console_page(surfaces, code, viewport={"width": 1280, "height": 720})
    summary = len(snapshot(server, code)["steps"]) - 1
    command(server, code, command="goto", step=summary)
    console.get_by_role("button", name="End workshop").click()
    expect(phone.locator("#ended-view")).to_be_visible()
    expect(phone.locator("#ended-title")).to_have_text("Thank you for taking part")
    expect(phone.locator(".ended-record")).to_have_count(1)
    expect(phone.locator(".ended-record")).to_contain_text("Arrival variability")
    expect(phone.locator(".ended-record")).to_contain_text("Less variability · Classic reduction")
    expect(phone.locator("#waiting")).to_be_hidden()
    expect(console.locator("#ended-banner")).to_be_visible()
    phone.screenshot(path=str(shots / "phone-ended-390.png"))
    console.screenshot(path=str(shots / "console-ended-1280.png"))
    # Stopping the server after the end leaves the records on screen, without "Reconnecting".
    surfaces.allow_console_errors(r"WebSocket connection to .* failed")
    stop(server)
    expect(phone.locator("#connection")).to_have_attribute("data-status", "reconnecting")
    expect(phone.locator("#ended-view")).to_be_visible()
    expect(phone.locator("#connection-note")).to_be_hidden()
    expect(phone.locator("#connection")).to_be_hidden()


def test_the_console_controls_a_hostile_room(surfaces, server, shots):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question=TEXT_QUESTION)
    fake = surfaces.phone()
    join_phone(fake, f"{server.base}/j/{code}", name='<img src=x onerror="window.__owned=1">')
    url = f"ws://127.0.0.1:{server.port}/ws/{code}"
    for number in range(18):  # 54 examples waiting: more than the console's page of 50
        with connect(url) as phone:
            phone.send(json.dumps({"type": "join", "name": f"Phone {number}"}))
            for index in range(3):
                phone.send(json.dumps({"type": "submit", "id": f"{number}-{index}", "question": TEXT_QUESTION,
                                       "text": f"Example {number}.{index}"}))
            acks = 0
            while acks < 3:
                acks += json.loads(phone.recv(timeout=10))["type"] == "ack"
    console = console_page(surfaces, code, viewport={"width": 1920, "height": 1080})
    expect(console.locator("#pending-count")).to_have_text("54")
    expect(console.locator("#pending-more")).to_have_text(re.compile(r"^4 more waiting"))
    expect(console_card(console, TEXT_QUESTION).locator(".q-tally")).to_have_text(
        "54 sent · 54 to review · 0 shown to the room")
    expect(console.locator("#people-total")).to_have_text("19")
    expect(console.locator("#addresses")).to_contain_text("127.0.0.1")
    expect(console.locator("#addresses")).to_contain_text("19")
    person = console.locator(".person").filter(has_text="<img src=x")
    expect(person).to_have_count(1)  # the name is shown as text, not as markup
    assert console.evaluate("window.__owned") is None
    console.locator("#pending .submission").first.get_by_role("button", name="Reject").click()
    expect(console.locator("#rejected .submission")).to_have_count(1)
    console.locator("#rejected-details summary").click()
    console.locator("#rejected .submission").get_by_role("button", name="Restore").click()
    expect(console.locator("#rejected-details")).to_be_hidden()
    expect(console.locator("#pending-count")).to_have_text("54")
    lock = console.get_by_label("Lock joining")
    lock.check()
    console.get_by_label("Expected room size").fill("250")
    set_size = console.locator("#room-size-form").get_by_role("button", name="Set")
    set_size.click()
    for control in (lock, set_size):  # each stays disabled until the server has acknowledged its command
        expect(control).to_be_enabled()
    expect(console.get_by_label("Expected room size")).to_have_value("250")
    room = snapshot(server, code)["room"]
    assert room["joining_locked"] is True and room["room_size"] == 250
    console.locator(".room-panel").scroll_into_view_if_needed()
    console.screenshot(path=str(shots / "console-room-1920.png"))
    console.set_viewport_size({"width": 1280, "height": 720})
    console.locator(".room-panel").scroll_into_view_if_needed()
    console.screenshot(path=str(shots / "console-room-1280.png"))
    console.once("dialog", lambda dialog: dialog.accept())
    person.get_by_role("button", name=re.compile("^Remove")).click()
    stopped_with(fake, "The facilitator removed this phone")
    expect(console.locator("#people-total")).to_have_text("18")
    fake.reload()  # a removed phone that comes back is refused at its join, and says so
    stopped_with(fake, "The facilitator removed this phone")


def test_a_phone_opened_in_a_second_tab_stops_the_first(surfaces, server):
    code = create_session(server)
    context = surfaces.context(**PHONE)
    first = context.new_page()
    join_phone(first, f"{server.base}/j/{code}")
    second = context.new_page()  # the same phone: the same token in the same storage
    second.goto(f"{server.base}/j/{code}")
    expect(second.locator("#connection")).to_have_attribute("data-status", "joined")
    stopped_with(first, "This session is open on another tab or device")
    expect(second.locator("#connection")).to_have_attribute("data-status", "joined")


def close_first_socket_with(page: Page, close_code: int) -> dict:
    """Route the phone's socket: the first connection is closed with `close_code` after its welcome."""
    seen = {"connections": 0}

    def route(socket: WebSocketRoute) -> None:
        seen["connections"] += 1
        upstream = socket.connect_to_server()
        first = seen["connections"] == 1

        def from_server(message: str | bytes) -> None:
            socket.send(message)
            if first and json.loads(message).get("type") == "welcome":
                socket.close(code=close_code, reason="closed by the test")
                upstream.close()

        upstream.on_message(from_server)
        socket.on_message(upstream.send)

    page.route_web_socket(re.compile(r"/ws/"), route)
    return seen


def test_a_phone_stops_on_no_such_session_and_reconnects_when_it_fell_behind(surfaces, server):
    code = create_session(server)
    behind = surfaces.phone()
    seen = close_first_socket_with(behind, 1013)
    join_phone(behind, f"{server.base}/j/{code}")
    for _ in range(100):  # closed with 1013 after its welcome, the phone comes back by itself
        if seen["connections"] >= 2:
            break
        behind.wait_for_timeout(100)
    assert seen["connections"] >= 2, "the phone did not reconnect after 1013"
    expect(behind.locator("#connection")).to_have_attribute("data-status", "joined")
    expect(behind.locator("#stopped-view")).to_be_hidden()
    gone = surfaces.phone()
    close_first_socket_with(gone, 4404)
    gone.goto(f"{server.base}/j/{code}")
    gone.get_by_role("button", name="Join").tap()
    stopped_with(gone, "No such session")


def test_links_codes_and_back_work_as_printed(surfaces, tmp_path):
    folder = tmp_path / "printed"  # its own database: the surfaces' server holds the lock on the other
    folder.mkdir()
    printed = Server(folder, "--public-url", "http://192.0.2.10:8000")  # an address this browser cannot use
    try:
        code = create_session(printed)
        surfaces.server = printed
        console = console_page(surfaces, code)
        formats = console.locator("#export-menu a").evaluate_all("links => links.map(a => a.dataset.format)")
        assert formats == list(EXPORT_FORMATS) and set(formats) >= {"json", "csv", "votes.csv", "xlsx", "md", "html"}
        with console.expect_popup() as opened:
            console.get_by_role("link", name="Open projector").click()
        projector = opened.value
        expect(projector).to_have_url(f"{printed.base}/s/{code}/present")
        expect(projector.locator(".pj-qr")).to_be_visible()  # the projector itself, not the locked page
        phone = surfaces.phone()
        phone.goto(f"{printed.base}/join")
        phone.get_by_label("Session code").fill(f" {code[:3].lower()}-{code[3:].lower()} ")
        phone.get_by_role("button", name="Join").tap()
        expect(phone).to_have_url(f"{printed.base}/j/{code}")
        phone.get_by_role("button", name="Join").tap()
        expect(phone.locator("#connection")).to_have_attribute("data-status", "joined")
        phone.go_back()
        expect(phone).to_have_url(f"{printed.base}/j/{code}")
        expect(phone.locator("#connection")).to_have_attribute("data-status", "joined")
    finally:
        stop(printed)


def test_two_console_tabs_do_not_overwrite_each_others_records(surfaces, server):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    context = surfaces.facilitator()
    tabs = []
    for _ in range(2):
        tab = context.new_page()
        tab.goto(f"{server.base}/s/{code}/facilitate")
        expect(tab.locator("#consensus")).to_be_visible()
        tabs.append(tab)
    first, second = tabs
    second.get_by_label("Facilitator notes").fill("Written in the second tab")  # the form is being edited
    for tab, notes in ((first, "Saved from the first tab"),):
        tab.get_by_label("Facilitator notes").fill(notes)
        tab.locator("#consensus-form input[name=direction][value=less]").check()
        tab.locator("#consensus-form input[name=strategy][value=classic_reduction]").check()
        tab.locator("#consensus-form input[name=status][value=agreed]").check()
        tab.get_by_role("button", name="Record consensus").click()
        expect(tab.locator("#consensus-status")).to_contain_text("Recorded at")
    second.locator("#consensus-form input[name=direction][value=more]").check()
    second.locator("#consensus-form input[name=strategy][value=classic_accommodation]").check()
    second.locator("#consensus-form input[name=status][value=deferred]").check()
    surfaces.allow_console_errors(r"status of 409 \(Conflict\)")  # the refusal this test is about
    second.get_by_role("button", name="Record consensus").click()
    expect(second.locator("#consensus-status")).to_contain_text("recorded from another console")
    stored = server.api("GET", f"/api/sessions/{code}/consensus").json()["records"]["arrival"]
    assert stored["notes"] == "Saved from the first tab" and stored["direction"] == "less"
    second.get_by_role("button", name="Load the saved record").click()
    expect(second.get_by_label("Facilitator notes")).to_have_value("Saved from the first tab")


def test_a_phone_in_landscape_shows_every_option(surfaces, server, shots):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question=DIRECTION)
    phone = surfaces.context(viewport={"width": 844, "height": 390}, has_touch=True, is_mobile=True).new_page()
    join_phone(phone, f"{server.base}/j/{code}")
    choices = card(phone, DIRECTION).locator(".choice")
    expect(choices).to_have_count(6)
    phone.screenshot(path=str(shots / "phone-landscape-844.png"))
    card(phone, DIRECTION).scroll_into_view_if_needed()
    bottoms = choices.evaluate_all("buttons => buttons.map(b => b.getBoundingClientRect().bottom)")
    tops = choices.evaluate_all("buttons => buttons.map(b => b.getBoundingClientRect().top)")
    header = phone.locator(".phone-header").evaluate("e => e.getBoundingClientRect().bottom")
    assert max(bottoms) - min(tops) <= 390 - header, "the options do not fit on one landscape screen"
