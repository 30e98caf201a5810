"""Every screen a workshop goes through, at the sizes it is seen at: the facilitator's pages (home,
plans, console, report) at 1920x1080 and 1280x720, the join page and the phone at 390x844 and
360x640, from the join form to the thank-you page. Each state is screenshotted (to look at) and
checked: the page is no wider than the window, no text is cut off without an ellipsis to say so,
and no word is split over two lines.
The projector's own walk through its states, with its type-size rule, is test_e2e_projector."""

from playwright.sync_api import Page, expect

from .e2e_support import assert_accessible, command, create_session, join_phone, screenshot, tap_vote
from .test_e2e_projector import EXAMPLES, SocketPhones

SCREENS = {"1920x1080": {"width": 1920, "height": 1080}, "1280x720": {"width": 1280, "height": 720}}
PHONES = {"390x844": {"width": 390, "height": 844}, "360x640": {"width": 360, "height": 640}}

# What a look would catch: the page scrolls sideways, an element hides part of its text (overflow
# hidden or clipped, no ellipsis), text runs past its own box into its neighbour's, or a word is split
# over two lines.
LOOK = r"""() => {
  const width = window.innerWidth;
  const cut = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length || el.closest('.visually-hidden, svg, [hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || !el.textContent.trim()) continue;
    const clips = ['hidden', 'clip'].includes(style.overflowX) && style.textOverflow !== 'ellipsis';
    const spills = style.overflowX === 'visible' && !el.children.length;
    if ((clips || spills) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
      cut.push(`${el.tagName.toLowerCase()}.${el.className}: "${el.textContent.trim().slice(0, 40)}" needs ${el.scrollWidth} of ${el.clientWidth} px`);
    }
  }
  // A word split over two lines ("agreemen / t") without a hyphen or a slash to split at. A run of
  // more than 24 letters is no word of the page's own but something pasted: that may wrap.
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('.visually-hidden, [hidden], script, style, title') || !parent.getClientRects().length) continue;
    for (const match of node.textContent.matchAll(/[^\s\-\/·–—]{2,}/g)) {
      if (match[0].length > 24) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size > 1) broken.push(`${parent.tagName.toLowerCase()}.${parent.className}: "${match[0]}"`);
    }
  }
  return { wider: document.documentElement.scrollWidth > width + 1, cut: cut.slice(0, 8), broken: broken.slice(0, 8) };
}"""


def look(page: Page, name: str, folder, whole: bool = False) -> None:
    """Screenshot the page as it is (`whole`: all of it, not the first screenful) and fail on what a
    look at it would catch."""
    page.evaluate("window.scrollTo(0, 0)")
    if whole:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True, animations="disabled")
    else:
        screenshot(page, name, folder)
    seen = page.evaluate(LOOK)
    assert not seen["wider"] and not seen["cut"] and not seen["broken"], (name, seen)


def look_at_sizes(page: Page, name: str, sizes: dict, folder, whole: bool = False) -> None:
    for label, size in sizes.items():
        page.set_viewport_size(size)
        look(page, f"{name}-{label}", folder, whole)


def phones_at(surfaces, code: str, folder) -> dict[str, Page]:
    """A phone of each size, joined by the join page (the second one by typing the code)."""
    phones = {}
    for number, (label, size) in enumerate(PHONES.items()):
        page = surfaces.context(viewport=size, has_touch=True, is_mobile=True).new_page()
        page.goto(f"{surfaces.origin}/join")
        look(page, f"join-page-{label}", folder)
        if number:
            assert_accessible(page, "join page")
            page.get_by_label("Session code").fill(code)
            page.get_by_role("button", name="Join").tap()
            expect(page).to_have_url(f"{surfaces.origin}/j/{code}")
        else:
            page.goto(f"{surfaces.origin}/j/{code}")
        look(page, f"phone-join-form-{label}", folder)
        if number:
            assert_accessible(page, "phone's join form")
        join_phone(page, page.url, name="Ana María de los Ángeles" if number else "Ben", group="IT")
        phones[label] = page
    return phones


def look_at_phones(phones: dict[str, Page], state: str, folder) -> None:
    for label, page in phones.items():
        look(page, f"phone-{state}-{label}", folder)


def look_at_the_pages_before(base: str, page: Page, folder) -> None:
    """The home page and the plans page, before the session starts."""
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    look_at_sizes(page, "home", SCREENS, folder)
    page.goto(f"{base}/plans")
    expect(page.locator("main")).to_contain_text("frei-variability")
    look_at_sizes(page, "plans", SCREENS, folder)
    assert_accessible(page, "plans page")


def look_through_a_kind(server, code: str, console: Page, phones: dict[str, Page], room: SocketPhones, folder) -> None:
    """A kind's two votes, from opening to both results revealed, on the console and the phones."""
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question="arrival.impact")
    room.send("vote", "arrival.impact", [4, 5, 4, 3, 2, 4, 5, 3])
    expect(console.locator("#step-title")).to_have_text("Arrival variability")
    look_at_phones(phones, "question", folder)
    for page in phones.values():
        tap_vote(page, "arrival.impact", "4")
    look_at_phones(phones, "voted", folder)
    look_at_sizes(console, "console-voting", SCREENS, folder)
    strategies = ["low_cost_accommodation"] * 5 + ["uncompromised_reduction"] * 3
    for qid, votes in (("arrival.impact", None), ("arrival.direction", [-1, -1, -2, -1, 0, -1, -1, 1]),
                       ("arrival.strategy", strategies)):
        if votes:
            command(server, code, command="open", question=qid)
            room.send("vote", qid, votes)
        command(server, code, command="close", question=qid)
        command(server, code, command="reveal", question=qid)
    expect(console.locator("#consensus")).to_be_visible()
    look_at_phones(phones, "revealed", folder)
    look_at_sizes(console, "console-revealed", SCREENS, folder)
    assert_accessible(phones["360x640"], "phone with results")
    look_at_examples(server, code, console, phones, room, folder)


def look_at_examples(server, code: str, console: Page, phones: dict[str, Page], room: SocketPhones, folder) -> None:
    """Examples asked for: the phones' text box, then the console's queue with some shown to the room."""
    command(server, code, command="open", question="arrival.examples")
    expect(phones["390x844"].locator("textarea").first).to_be_visible()
    look_at_phones(phones, "examples", folder)
    room.send("submit", "arrival.examples", EXAMPLES + ["x" * 280])  # one long word a person might paste
    for item in server.api("GET", f"/api/sessions/{code}").json()["submissions"][:3]:
        command(server, code, command="approve", submission=item["id"])
    expect(console.locator("#pending-count")).to_have_text(str(len(EXAMPLES) - 2))
    look_at_sizes(console, "console-examples", SCREENS, folder)
    assert_accessible(console, "console with examples to review")
    command(server, code, command="close", question="arrival.examples")


def look_at_the_end(server, code: str, console: Page, phones: dict[str, Page], folder) -> None:
    """A decision recorded, the summary, the workshop ended, and the report."""
    record = {"direction": "less", "strategy": "classic_reduction", "status": "agreed",
              "notes": "Book installs ahead; month-end freeze."}
    saved = server.api("PUT", f"/api/sessions/{code}/consensus/arrival", json=record)
    assert saved.status_code == 200, saved.text
    command(server, code, command="goto", step=6)
    expect(console.locator("#summary-map")).to_be_visible()
    look_at_sizes(console, "console-summary", SCREENS, folder)
    command(server, code, command="end")
    expect(console.locator("#ended-banner")).to_be_visible()
    look_at_sizes(console, "console-ended", SCREENS, folder)
    assert_accessible(console, "console, ended")
    for page in phones.values():
        expect(page.locator("main")).to_contain_text("Thank you")
    look_at_phones(phones, "ended", folder)
    assert_accessible(phones["360x640"], "phone, ended")
    report = console.context.new_page()
    report.goto(f"{server.base}/s/{code}/report")
    expect(report.locator("main")).to_contain_text("Classic reduction")
    look_at_sizes(report, "report", {**SCREENS, **PHONES}, folder, whole=True)


def test_every_screen_in_the_states_of_a_workshop(surfaces, server, tmp_path):
    code = create_session(server, "Service desk SLA workshop with a title long enough to wrap", service="IT service desk")
    laptop = surfaces.facilitator(viewport=SCREENS["1920x1080"])
    look_at_the_pages_before(server.base, laptop.new_page(), tmp_path)
    console = laptop.new_page()
    console.goto(f"{server.base}/s/{code}/facilitate")
    expect(console.locator("#connection")).to_have_attribute("data-status", "open")
    phones = phones_at(surfaces, code, tmp_path)
    assert_accessible(phones["360x640"], "phone on the intro step")
    room = SocketPhones(server.port, code, ["IT"] * 4 + ["Business"] * 4)
    try:
        look_at_sizes(console, "console-gathering", SCREENS, tmp_path)
        look_at_phones(phones, "intro", tmp_path)
        look_through_a_kind(server, code, console, phones, room, tmp_path)
        look_at_the_end(server, code, console, phones, tmp_path)
    finally:
        room.close()
    surfaces.check()
