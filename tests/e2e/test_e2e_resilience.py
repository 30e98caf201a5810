"""When the Wi-Fi stutters: phones that lose the connection say so, reconnect with backoff, resume
with their token and the current state, and no vote tapped meanwhile is lost or counted twice.

Three ways to lose it, each on the real reconnect path (no reload anywhere):
- the browser goes offline (Playwright's offline mode; the phone drops its socket on the `offline`
  event, since an open socket survives offline mode, and tries again once the browser is online);
- the connection dies after the server stored a vote but before its ack reached the phone (the
  socket is routed through the test, which swallows that ack and cuts the line): the phone re-sends
  the same message id, and the server counts it once;
- the server restarts mid-question on the same address.
"""

import json
import re

from playwright.sync_api import Page, WebSocketRoute, expect

from servers import Server

from .e2e_support import PROJECTOR, card, command, create_session, expect_received, join_phone, snapshot, stop, tap_vote

DIRECTION = "arrival.direction"


def tally(server: Server, code: str) -> dict:
    found = snapshot(server, code)["questions"][DIRECTION]["tally"]
    return {"voted": found["voted"], "counts": {value: n for value, n in found["counts"].items() if n}}


def mark_document(page: Page) -> None:
    """Leave a mark in the page's JavaScript world: it survives anything but a reload."""
    page.evaluate("window.__sameDocument = true")


def expect_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def expect_saved_here(page: Page, label: str) -> None:
    status = card(page, DIRECTION).locator(".vote-status")
    expect(status).to_have_attribute("data-mode", "pending")
    expect(status).to_contain_text(f"Saved on this phone: {label}")
    expect(page.locator("#announcer")).to_contain_text("Saved on this phone")


def expect_reconnecting(page: Page) -> None:
    expect(page.locator("#connection")).to_have_attribute("data-status", "reconnecting")
    expect(page.locator("#connection")).to_have_text("Reconnecting…")
    expect(page.locator("#connection-note")).to_be_visible()


def test_a_phone_offline_keeps_its_tap_and_a_resent_vote_counts_once(surfaces, server):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question=DIRECTION)
    join_url = f"{server.base}/j/{code}"

    # 1. Offline mode on a phone that has voted: it says so, keeps the new tap, sends it when back.
    phone = surfaces.phone()
    join_phone(phone, join_url, name="Dee")
    mark_document(phone)
    tap_vote(phone, DIRECTION, "1")
    expect_received(phone, DIRECTION, "+1 More")

    phone.context.set_offline(True)
    expect_reconnecting(phone)
    expect(phone.locator("#connection-note")).to_contain_text("offline")
    tap_vote(phone, DIRECTION, "-1")
    expect_saved_here(phone, "−1 Less")
    expect(card(phone, DIRECTION).locator('.choice[data-value="-1"]')).to_have_attribute("aria-pressed", "true")
    # The server saw the phone go (the socket was closed) and still holds the earlier vote.
    assert tally(server, code) == {"voted": 1, "counts": {"1": 1}}

    phone.context.set_offline(False)
    expect(phone.locator("#connection")).to_have_attribute("data-status", "joined")
    expect(phone.locator("#connection-note")).to_be_hidden()
    expect_received(phone, DIRECTION, "−1 Less")
    expect(phone.locator("#announcer")).to_contain_text("Vote received")
    assert tally(server, code) == {"voted": 1, "counts": {"-1": 1}}
    expect_same_document(phone)

    # 2. The ack is lost: the vote is stored, but the line dies before the phone hears so.
    sent: list[str] = []
    cut = {"next_ack": False}

    def route(socket: WebSocketRoute) -> None:
        upstream = socket.connect_to_server()

        def from_phone(message: str | bytes) -> None:
            data = json.loads(message)
            if data.get("type") == "vote":
                sent.append(data["id"])
            upstream.send(message)

        def from_server(message: str | bytes) -> None:
            data = json.loads(message)
            if data.get("type") == "ack" and cut["next_ack"]:
                cut["next_ack"] = False
                socket.close(code=4000, reason="the test cut the line")
                upstream.close()
                return
            socket.send(message)

        socket.on_message(from_phone)
        upstream.on_message(from_server)

    routed = surfaces.phone()
    routed.route_web_socket(re.compile(r"/ws/"), route)
    join_phone(routed, join_url, name="Eli")
    mark_document(routed)
    cut["next_ack"] = True
    tap_vote(routed, DIRECTION, "2")
    expect_received(routed, DIRECTION, "+2 Much more")
    assert len(sent) == 2 and sent[0] == sent[1], f"the vote was not re-sent with its first id: {sent}"
    assert tally(server, code) == {"voted": 2, "counts": {"-1": 1, "2": 1}}
    expect_same_document(routed)

    surfaces.check()


def test_a_server_restart_mid_question_loses_no_tapped_vote(surfaces, server, tmp_path):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question=DIRECTION)
    laptop = surfaces.facilitator()
    console = laptop.new_page()
    console.goto(f"{server.base}/s/{code}/facilitate")
    projector = surfaces.facilitator(**PROJECTOR).new_page()
    projector.goto(f"{server.base}/s/{code}/present")
    first, second = surfaces.phone(), surfaces.phone()
    join_phone(first, f"{server.base}/j/{code}", name="Fay")
    join_phone(second, f"{server.base}/j/{code}")
    for page in (first, second, console, projector):
        mark_document(page)
    tap_vote(first, DIRECTION, "0")
    expect_received(first, DIRECTION, "0 As today")
    expect(projector.locator("#people-count")).to_have_text("2")

    # The server goes away. Reconnect attempts are refused meanwhile, and Chromium logs each one.
    surfaces.allow_console_errors(r"WebSocket connection to 'ws://127\.0\.0\.1:\d+/ws/\w+(/control|/present)?' failed")
    port = server.port
    server.stop()
    for phone in (first, second):
        expect_reconnecting(phone)
        expect(phone.locator("#connection-note")).to_contain_text("Connection lost")
    expect(console.locator("#connection")).to_have_attribute("data-status", "reconnecting")
    expect(projector.locator("#connection")).to_have_attribute("data-status", "reconnecting")
    tap_vote(second, DIRECTION, "-2")
    expect_saved_here(second, "−2 Much less")
    tap_vote(first, DIRECTION, "1")  # a change of mind while the server is down
    expect_saved_here(first, "+1 More")

    # Back on the same address: everything reconnects by itself, resumes and catches up.
    restarted = Server(tmp_path, "--port", str(port))
    try:
        assert restarted.base == server.base
        expect_received(second, DIRECTION, "−2 Much less")
        expect_received(first, DIRECTION, "+1 More")
        for phone in (first, second):
            expect(phone.locator("#connection")).to_have_attribute("data-status", "joined")
            expect(phone.locator(".step-title")).to_have_text("Arrival variability")
        assert tally(restarted, code) == {"voted": 2, "counts": {"1": 1, "-2": 1}}
        assert snapshot(restarted, code)["participants"]["joined"] == 2
        expect(console.locator("#connection")).to_have_attribute("data-status", "open")
        expect(console.locator("#people")).to_have_text("2 joined · 2 connected")
        expect(projector.locator("#connection")).to_have_attribute("data-status", "open")
        expect(projector.locator(".pj-open-count strong")).to_have_text("2")
        for page in (first, second, console, projector):
            expect_same_document(page)
        surfaces.check()
    finally:
        stop(restarted)
