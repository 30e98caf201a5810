"""A whole workshop in a real browser: one console, one projector and three phones.

The facilitator steps through a kind with the keyboard, phones join (by the join URL and by typing
the code at /join), vote and change a vote, the facilitator closes, reveals, runs a second round,
records the consensus and opens the report. Along the way: axe-core on every surface, the projector's
join screen, live count and animated chart, tap targets on the phone, and the screenshots in
docs/screenshots.
"""

import re

import pytest
from playwright.sync_api import expect

from servers import Server
from workshop.domain.plans import default_plans_dir

from .e2e_support import (
    PROJECTOR,
    assert_accessible,
    card,
    console_card,
    create_session,
    expect_received,
    join_phone,
    screenshot,
    snapshot,
    stop,
    tap_vote,
    watch_bar_heights,
)

IMPACT = "arrival.impact"
DIRECTION = "arrival.direction"
# The address phones are told to use, as on a laptop on the meeting's Wi-Fi (the README's example).
# The browsers here still reach the server on 127.0.0.1; this only changes what is shown and encoded.
PUBLIC_URL = "http://192.168.1.20:8000"

# Every control on the phone that a thumb might hit, with its size, if it is smaller than 44 x 44.
SMALL_TARGETS = """() => [...document.querySelectorAll('button, a[href], input, select, textarea, summary')]
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden'
    && !el.closest('.visually-hidden') && !el.classList.contains('skip-link'))
  .map((el) => ({ el: el.outerHTML.slice(0, 80), rect: el.getBoundingClientRect() }))
  .filter(({ rect }) => rect.width < 44 || rect.height < 44)
  .map(({ el, rect }) => `${el} is ${Math.round(rect.width)}x${Math.round(rect.height)}`)"""


def _small_room_plans(tmp_path):
    """The default plan for a room of three phones: its minimum of votes lowered from five to three."""
    folder = tmp_path / "plans"
    folder.mkdir()
    text = (default_plans_dir() / "frei-variability.toml").read_text(encoding="utf-8")
    assert "\nmin_votes = 5 " in text
    (folder / "frei-variability.toml").write_text(text.replace("\nmin_votes = 5 ", "\nmin_votes = 3 ", 1),
                                                 encoding="utf-8")
    return folder


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path, "--public-url", PUBLIC_URL, "--plans", str(_small_room_plans(tmp_path)))
    yield running
    stop(running)


def test_a_workshop_from_join_to_report(surfaces, server, screenshots):
    base = server.base
    code = create_session(server, "Service desk SLA workshop", service="IT service desk")

    # The facilitator's laptop, signed in by the printed URL: the home page, then the console.
    laptop = surfaces.facilitator()
    home = laptop.new_page()
    home.goto(f"{base}/")
    expect(home.get_by_role("link", name="Service desk SLA workshop")).to_be_visible()
    assert_accessible(home, "facilitator home")
    home.close()

    console = laptop.new_page()
    # The console draws rounds and tallies from what its socket receives: it never asks for results.
    result_requests: list[str] = []
    console.on("request", lambda request: result_requests.append(request.url) if "/results/" in request.url else None)
    console.goto(f"{base}/s/{code}/facilitate")
    expect(console.locator("#connection")).to_have_attribute("data-status", "open")
    # The projector: a window of its own on the big screen. (A second page in the same context would
    # share a window with the console, and headless Chromium slows the frames of the one behind. The
    # console's F, which needs both in one browser, is tested in test_e2e_surfaces.)
    projector = surfaces.facilitator(**PROJECTOR).new_page()
    projector.goto(f"{base}/s/{code}/present")
    expect(projector.locator("#connection")).to_have_attribute("data-status", "open")

    # While the room gathers: the join code, the address and a QR code made by the server.
    join = projector.locator("#join")
    expect(join).to_be_visible()
    expect(join.locator(".pj-code")).to_have_text(code)
    expect(join.locator(".pj-url")).to_have_text(f"{PUBLIC_URL}/join")
    expect(projector.locator("#footer")).to_contain_text(f"{PUBLIC_URL}/join")
    qr = join.locator("img.pj-qr")
    expect(qr).to_have_attribute("src", f"/j/{code}/qr.svg")
    assert projector.evaluate("(img) => img.complete && img.naturalWidth > 100", qr.element_handle())
    expect(projector.locator("#join-count")).to_have_text("0")

    # Three phones: two by the join URL (the QR code's address), one by typing the code at /join.
    ana = surfaces.phone()
    join_phone(ana, f"{base}/j/{code}", name="Ana", group="IT")
    expect(projector.locator("#join-count")).to_have_text("1")
    ben = surfaces.phone()
    ben.goto(f"{base}/join")
    assert_accessible(ben, "join page")
    assert ben.evaluate(SMALL_TARGETS) == []
    ben.get_by_label("Session code").fill(code.lower())
    ben.get_by_role("button", name="Join").tap()
    expect(ben).to_have_url(f"{base}/j/{code}")
    assert_accessible(ben, "phone's first-join form")
    assert ben.evaluate(SMALL_TARGETS) == []
    join_phone(ben, ben.url, group="Business")
    cleo = surfaces.phone()
    join_phone(cleo, f"{base}/j/{code}")
    phones = [ana, ben, cleo]

    expect(projector.locator("#join-count")).to_have_text("3")
    expect(projector.locator("#people-count")).to_have_text("3")
    expect(console.locator("#people")).to_have_text("3 joined · 3 connected")
    screenshot(projector, "join", screenshots)
    assert_accessible(projector, "projector (join screen)")

    # Step to the first kind with the arrow key; every surface follows.
    console.locator("body").press("ArrowRight")
    expect(console.locator("#step-title")).to_have_text("Arrival variability")
    expect(projector.locator("#step-title")).to_have_text("Arrival variability")
    expect(projector.locator("#join")).to_be_hidden()
    for phone in phones:
        expect(phone.locator(".step-title")).to_have_text("Arrival variability")

    # The console marks the question Space and Enter act on.
    impact_card = console_card(console, IMPACT)
    expect(impact_card).to_have_class(re.compile(r"\bis-key-target\b"))
    expect(impact_card.locator(".q-keys")).to_contain_text("Space opens voting")
    expect(console.locator("#space-target")).to_contain_text("Next: open voting on “How much does")

    # Space does not steal a focused control: it opens the Export menu, not the vote.
    console.locator(".menu summary").focus()
    console.keyboard.press("Space")
    expect(console.locator(".menu")).to_have_attribute("open", "")
    console.locator(".menu summary").click()
    expect(console.locator(".menu")).not_to_have_attribute("open", "")
    assert snapshot(server, code)["questions"][IMPACT]["status"] == "pending"

    # Space opens the impact question; phones vote on it.
    console.locator("#step-title").click()  # focus back on the page, as a facilitator would
    console.keyboard.press("Space")
    expect(impact_card).to_have_attribute("data-status", "open")
    expect(impact_card.locator(".q-keys")).to_contain_text("Space closes voting")
    expect(projector.locator(".pj-open-prompt")).to_contain_text("hurt the service today")
    for phone, value, label in ((ana, "4", "4"), (ben, "5", "5 Severely"), (cleo, "4", "4")):
        tap_vote(phone, IMPACT, value)
        expect_received(phone, IMPACT, label)
    expect(ana.locator("#announcer")).to_have_text(re.compile(r"^Vote received"))
    expect(projector.locator(".pj-open-count strong")).to_have_text("3")
    expect(impact_card.locator(".voted-count")).to_have_text("3")
    console.evaluate("window.scrollTo(0, 0)")
    assert_accessible(console, "console (voting)")
    screenshot(console, "console", screenshots)

    # Space closes, Enter reveals: the projector's bars grow into place.
    console.keyboard.press("Space")
    expect(impact_card).to_have_attribute("data-status", "closed")
    for phone in phones:
        expect(card(phone, IMPACT).locator(".vote-status")).to_contain_text("Voting closed")
    projector.evaluate(watch_bar_heights(1000))
    console.keyboard.press("Enter")
    expect(impact_card.locator(".badge--revealed")).to_be_visible()
    chart = projector.locator("#results .pj-result").first
    expect(chart).to_contain_text("How much does the uneven timing")
    growth = projector.evaluate("window.__heights")
    # every bar is a share of the round's votes: the tallest, two of three votes, is two thirds of 170 px
    assert growth[0] < 20 and abs(growth[-1] - 170 * 2 / 3) < 0.5, growth
    assert any(20 < height < 112 for height in growth), f"the bars jumped instead of growing: {growth}"
    expect(card(ana, IMPACT).locator(".results .chart")).to_be_visible()
    expect(card(ana, IMPACT).locator(".chart-item--mine")).to_have_count(1)

    # Enter again hides the results, and once more shows them.
    console.keyboard.press("Enter")
    expect(impact_card.locator(".badge--hidden")).to_be_visible()
    expect(impact_card.locator(".q-keys")).to_contain_text("Enter reveals the results")
    expect(projector.locator("#results")).to_be_hidden()
    console.keyboard.press("Enter")
    expect(impact_card.locator(".badge--revealed")).to_be_visible()
    expect(projector.locator("#results")).to_be_visible()

    # The next question: Space opens direction; a phone changes its vote; each phone counts once.
    direction_card = console_card(console, DIRECTION)
    expect(direction_card.locator(".q-keys")).to_contain_text("Space opens voting")
    console.keyboard.press("Space")
    expect(direction_card).to_have_attribute("data-status", "open")
    tap_vote(ana, DIRECTION, "-1")
    expect_received(ana, DIRECTION, "−1 Less")
    tap_vote(ben, DIRECTION, "1")
    expect_received(ben, DIRECTION, "+1 More")
    tap_vote(cleo, DIRECTION, "-2")
    expect_received(cleo, DIRECTION, "−2 Much less")
    tap_vote(ben, DIRECTION, "-1")  # changes their mind while voting is open
    expect_received(ben, DIRECTION, "−1 Less")
    expect(direction_card.locator(".voted-count")).to_have_text("3")
    tally = snapshot(server, code)["questions"][DIRECTION]["tally"]
    counted = {value: count for value, count in tally["counts"].items() if count}
    assert tally["voted"] == 3 and counted == {"-1": 2, "-2": 1}, tally

    # The phone as a thumb and a screen reader meet it.
    assert ana.evaluate(SMALL_TARGETS) == []
    expect(card(ana, DIRECTION).get_by_role("group", name=re.compile("less or more arrival"))).to_be_visible()
    expect(card(ana, DIRECTION).get_by_role("button", name="−1 Less")).to_have_attribute("aria-pressed", "true")
    expect(ana.locator("#announcer")).to_have_attribute("aria-live", "polite")
    assert_accessible(ana, "phone (voting)")
    ana.evaluate("window.scrollTo(0, 0)")
    screenshot(ana, "phone", screenshots)
    expect(direction_card).to_have_class(re.compile(r"\bis-key-target\b"))
    assert_accessible(console, "console (second question)")

    # Close and reveal round 1; the room is split, so a second round (by mouse on the card).
    console.locator("#step-title").click()
    console.keyboard.press("Space")
    expect(direction_card).to_have_attribute("data-status", "closed")
    console.keyboard.press("Enter")
    expect(direction_card.locator(".badge--revealed")).to_be_visible()
    expect(card(ana, DIRECTION).locator(".results .chart")).to_be_visible()
    direction_card.get_by_role("button", name="New round").click()
    expect(direction_card.locator(".badges")).to_contain_text("Round 2")
    expect(direction_card).to_have_attribute("data-status", "open")
    for phone in phones:
        expect(card(phone, DIRECTION).locator(".question-meta")).to_contain_text("Round 2")
        expect(card(phone, DIRECTION).locator('.choice[aria-pressed="true"]')).to_have_count(0)
    for phone in phones:
        tap_vote(phone, DIRECTION, "-1")
        expect_received(phone, DIRECTION, "−1 Less")
    console.keyboard.press("Space")
    expect(direction_card).to_have_attribute("data-status", "closed")
    console.keyboard.press("Enter")
    expect(direction_card.locator(".badge--revealed")).to_be_visible()
    expect(direction_card.locator(".rounds-table")).to_contain_text("Round 2")
    expect(direction_card.locator(".rounds-table tbody tr")).to_have_count(2)
    expect(direction_card.locator(".rounds-table + .hint")).to_contain_text("Since the previous round")
    assert result_requests == []
    direction_result = projector.locator(".pj-result", has_text="less or more arrival variability")
    expect(direction_result.locator(".pj-verdict")).to_have_text(
        "Clear agreement: 3 of 3 want less arrival variability")
    expect(direction_result.locator(".pj-round-label")).to_have_text(["Round 1", "Round 2"])
    expect(direction_result.locator(".pj-result-meta")).to_contain_text("round 2")
    assert_accessible(projector, "projector (results)")
    assert_accessible(ana, "phone (results)")
    screenshot(projector, "projector", screenshots)

    # Record the consensus: the form starts from what the votes lean to.
    form = console.locator("#consensus-form")
    expect(form.get_by_label("Less", exact=True)).to_be_checked()
    form.get_by_label("Classic reduction").check()
    form.get_by_label("Agreed").check()
    form.get_by_label("Facilitator notes").fill("Book installs ahead; month-end freeze.")
    form.get_by_role("button", name="Record consensus").click()
    expect(console.locator("#consensus-status")).to_contain_text("Recorded at")
    expect(projector.locator("#record")).to_contain_text("Recorded · Agreed")
    expect(projector.locator("#record")).to_contain_text("Less variability · Classic reduction")
    record = server.api("GET", f"/api/sessions/{code}/consensus").json()["records"]["arrival"]
    assert (record["direction"], record["strategy"], record["status"]) == ("less", "classic_reduction", "agreed")
    assert record["notes"] == "Book installs ahead; month-end freeze."

    # The report, opened from the console.
    with laptop.expect_page() as opened:
        console.get_by_role("link", name="Report").click()
    report = opened.value
    report.wait_for_load_state()
    expect(report.get_by_role("heading", name="Service desk SLA workshop", level=1)).to_be_visible()
    expect(report.locator("main")).to_contain_text("Classic reduction")
    assert_accessible(report, "report")
    screenshot(report, "report", screenshots)

    surfaces.check()
