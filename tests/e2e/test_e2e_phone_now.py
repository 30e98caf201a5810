"""The phone shows now first: the question just opened, else the latest revealed result, is in the
first screenful wherever the person had scrolled; older results fold under "Earlier"; the group is
chosen with large buttons, none chosen for you; a phone on its side lays its options out cleanly."""

from playwright.sync_api import Page, expect

from .e2e_support import assert_accessible, card, command, create_session, screenshot, tap_vote

# The box of `selector` in the window: top and bottom against the window's height.
IN_VIEW = """(el) => { const box = el.getBoundingClientRect();
  return { top: Math.round(box.top), bottom: Math.round(box.bottom), height: window.innerHeight }; }"""

# Each option's mark and label: their boxes must not meet, and the label stays inside its button.
MARKS_APART = """() => [...document.querySelectorAll('.question--open .choice')].flatMap((button) => {
  const mark = button.querySelector('.choice-mark').getBoundingClientRect();
  const label = button.querySelector('.choice-label');
  if (!label) return [];
  const text = label.getBoundingClientRect();
  const outer = button.getBoundingClientRect();
  const meet = text.left < mark.right && mark.left < text.right && text.top < mark.bottom && mark.top < text.bottom;
  const outside = text.right > outer.right + 1 || text.bottom > outer.bottom + 1;
  return meet || outside ? [label.textContent] : [];
})"""


def in_first_screenful(page: Page, qid: str) -> None:
    """The top of `qid`'s card is on screen, near enough the top that its prompt can be read."""
    box = card(page, qid).evaluate(IN_VIEW)
    assert 0 <= box["top"] < box["height"] * 0.5, f"{qid} at {box}"


def scroll_to_bottom(page: Page) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")


def reveal(server, code: str, qid: str) -> None:
    command(server, code, command="close", question=qid)
    command(server, code, command="reveal", question=qid)


def test_the_phone_shows_the_present_first_through_two_kinds(surfaces, server, tmp_path):
    code = create_session(server)
    page = surfaces.phone()
    page.goto(f"{server.base}/j/{code}")
    groups = page.get_by_role("radio")
    expect(groups).to_have_count(3)  # IT, Business and "Prefer not to say", as buttons
    for index in range(3):
        expect(groups.nth(index)).not_to_be_checked()  # nothing is chosen for the person
    page.get_by_role("radio", name="IT", exact=True).check()
    screenshot(page, "phone-join-390", tmp_path)
    page.get_by_role("button", name="Join").tap()
    expect(page.locator("#connection")).to_have_attribute("data-status", "joined")

    for step, kind in ((1, "arrival"), (2, "request")):
        command(server, code, command="goto", step=step)
        expect(page.locator(".step-title")).to_contain_text(kind.capitalize())
        for qid, value in ((f"{kind}.impact", "4"), (f"{kind}.direction", "-1")):
            scroll_to_bottom(page)
            command(server, code, command="open", question=qid)
            expect(card(page, qid).locator(".choice").first).to_be_visible()
            in_first_screenful(page, qid)  # opening a question brings it into view
            tap_vote(page, qid, value)
            expect(card(page, qid).locator(".vote-status")).to_have_attribute("data-mode", "received")
            reveal(server, code, qid)
            expect(card(page, qid).locator(".results .chart")).to_be_visible()
            # the newest result leads the list; the ones before it fold under "Earlier"
            expect(page.locator("#questions > section").first).to_have_attribute("aria-labelledby", f"q-{kind}-{qid.split('.')[1]}")
            page.evaluate("window.scrollTo(0, 0)")
            in_first_screenful(page, qid)
        expect(page.locator("#earlier")).to_be_visible()
        expect(page.locator("#earlier-list")).to_contain_text("hurt")  # the impact question, folded
        screenshot(page, f"phone-now-{kind}-390", tmp_path)
    assert_accessible(page, "phone with earlier results")
    surfaces.check()


def test_a_phone_on_its_side_keeps_marks_off_the_labels(surfaces, server, tmp_path):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question="arrival.strategy")
    pages = []
    for width, height in ((640, 360), (360, 640)):
        page = surfaces.context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=True).new_page()
        page.goto(f"{server.base}/j/{code}")
        page.get_by_role("radio", name="Prefer not to say").check()
        page.get_by_role("button", name="Join").tap()
        expect(card(page, "arrival.strategy").locator(".choice")).to_have_count(5)  # four and abstain
        in_first_screenful(page, "arrival.strategy")  # joined from low on the form: the question is in view
        assert page.evaluate(MARKS_APART) == [], f"marks over labels at {width}x{height}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"phone-strategy-{width}x{height}", tmp_path)
        tap_vote(page, "arrival.strategy", "low_cost_accommodation")
        pages.append(page)
    reveal(server, code, "arrival.strategy")
    for page in pages:
        expect(card(page, "arrival.strategy").locator(".results .chart")).to_be_visible()
        in_first_screenful(page, "arrival.strategy")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        size = page.viewport_size
        card(page, "arrival.strategy").locator(".results").scroll_into_view_if_needed()
        screenshot(page, f"phone-strategy-result-{size['width']}x{size['height']}", tmp_path)
    surfaces.check()
