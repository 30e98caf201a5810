"""The projector in a meeting: one screen, never scrolled, at 1920x1080 and 1280x720, through a whole
kind (join, the step, voting, a result, a second round, the strategies, examples, a decision) and the
summary; small groups never shown; results said in plain words (static/js/plain-words.js)."""

import asyncio
import json
import re
import threading

import pytest
import stopwordsiso
import websockets
from playwright.sync_api import Page, expect

from servers import Server
from workshop.domain.plans import default_plans_dir

from .e2e_support import assert_accessible, command, create_session, screenshot, stop

# The address phones are told to use, as in the README's example (the browsers still use 127.0.0.1).
PUBLIC_URL = "http://192.168.1.20:8000"
SIZES = {"1080p": {"width": 1920, "height": 1080}, "720p": {"width": 1280, "height": 720}}

# How the page fits: the document is exactly the window, and no visible element pokes out of it or
# is cut off by the stage (the stage hides what overflows it, so that would be text nobody can read).
FIT = """() => {
  const width = window.innerWidth, height = window.innerHeight;
  const outside = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('[hidden]') || !el.getClientRects().length) continue;
    const box = el.getBoundingClientRect();
    if (box.left < -1 || box.top < -1 || box.right > width + 1 || box.bottom > height + 1) {
      outside.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}: ${Math.round(box.left)},${Math.round(box.top)} to ${Math.round(box.right)},${Math.round(box.bottom)}`);
    }
  }
  const stage = document.getElementById('stage');
  return { scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
           height, width, outside: outside.slice(0, 8),
           stageCut: stage.scrollHeight > stage.clientHeight + 1 || stage.scrollWidth > stage.clientWidth + 1 };
}"""


# Type size as the back row sees it: every visible piece of text, its rendered size (an SVG text's
# font size times the drawing's scale) against the window's height, and its characters; the words of
# prose on the stage (the room's own examples aside); and how far fit.js had to shrink the stage.
TYPE = """() => {
  const height = window.innerHeight;
  const items = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('[hidden], .visually-hidden, title, desc, style, script')) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) {
      const ctm = el.getScreenCTM();
      size *= ctm ? Math.hypot(ctm.a, ctm.b) : 1;
    }
    items.push({ text: text.slice(0, 40), chars: text.length, share: size / height });
  }
  const total = items.reduce((sum, item) => sum + item.chars, 0);
  const large = items.filter((item) => item.share >= 0.03 - 1e-4).reduce((sum, item) => sum + item.chars, 0);
  const smallest = items.reduce((low, item) => (item.share < low.share ? item : low), { share: 1, text: '' });
  const prose = [...document.querySelectorAll('#stage > section:not([hidden]) :is(p, li, h2, h3, h4)')]
    .filter((el) => !el.closest('.pj-card, .pj-words, .pj-summary-table, .pj-join, .pj-options, .pj-strategies, .pj-result-meta, .groups-line, li p'))
    .map((el) => el.innerText).join(' ').split(/\\s+/).filter(Boolean).length;
  return { smallest, largeShare: total ? large / total : 1, chars: total, prose,
           fit: parseFloat(getComputedStyle(document.getElementById('stage')).getPropertyValue('--fit') || '1') };
}"""

MAX_PROSE_WORDS = 45



def assert_readable(page: Page, state: str) -> None:
    """No text under 2% of the window's height, half the characters at 3% or more, ~40 words at most."""
    seen = page.evaluate(TYPE)
    where = f"{state} at {page.viewport_size['width']}x{page.viewport_size['height']}"
    smallest = seen["smallest"]
    assert smallest["share"] >= 0.02 - 1e-4, (
        f"{where}: {smallest['text']!r} is {smallest['share']:.2%} of the screen's height (fit {seen['fit']})")
    assert seen["largeShare"] >= 0.5, f"{where}: only {seen['largeShare']:.0%} of the characters at 3% or more"
    assert seen["prose"] <= MAX_PROSE_WORDS, f"{where}: {seen['prose']} words of prose on one slide"


# The stop words the projector page carries, and the shared words of two examples full of filler.
FILLER = """async () => {
  const words = await import('/static/js/plain-words.js');
  const { STOP_WORDS } = await import('/static/js/stop-words.js');
  return { words: [...STOP_WORDS].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
           frequent: words.frequentWords(['Users asked when the printer jams',
                                          'They asked about the printer when it jams again'], STOP_WORDS) };
}"""


# Heat map labels whose boxes overlap another label or another kind's dot on screen.
LABELS_APART = """() => {
  const kinds = [...document.querySelectorAll('.pj-heatmap .heat-kind')];
  const labels = kinds.map((kind) => [kind.querySelector('text').textContent, kind.querySelector('text').getBoundingClientRect()]);
  const dots = kinds.map((kind) => kind.querySelector('circle').getBoundingClientRect());
  const meet = (p, q) => p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom;
  const clash = [];
  labels.forEach(([a, p], i) => {
    labels.slice(i + 1).forEach(([b, q]) => { if (meet(p, q)) clash.push(`${a} / ${b}`); });
    dots.forEach((dot, j) => { if (j !== i && meet(p, dot)) clash.push(`${a} / dot of ${labels[j][0]}`); });
  });
  return clash;
}"""


class SocketPhones:
    """Phones on raw sockets, kept connected on an event loop of their own (the browser's sync API
    holds one on this thread): they count as connected while the room votes."""

    def __init__(self, port: int, code: str, groups: list[str]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url = f"ws://127.0.0.1:{port}/ws/{code}"
        self.sockets = self._run(self._connect(groups))
        self.sent = 0

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _connect(self, groups: list[str]) -> list:
        sockets = []
        for group in groups:
            socket = await websockets.connect(self.url)
            # Every broadcast is read as it comes, so the server never waits on a phone that is slow to read.
            socket.inbox = asyncio.Queue()
            socket.reader = asyncio.create_task(self._read(socket))
            await socket.send(json.dumps({"type": "join", "group": group}))
            await self._until(socket, "welcome")
            sockets.append(socket)
        return sockets

    @staticmethod
    async def _read(socket) -> None:
        async for message in socket:
            socket.inbox.put_nowait(json.loads(message))

    @staticmethod
    async def _until(socket, kind: str) -> dict:
        while True:
            message = await asyncio.wait_for(socket.inbox.get(), 10)
            if message["type"] == kind:
                return message
            assert message["type"] != "error", message

    def send(self, kind: str, question: str, values: list) -> None:
        """Each phone in turn sends one value (a vote, or a text with kind="submit"); None skips a phone."""
        async def send_all() -> None:
            for socket, value in zip(self.sockets, values):
                if value is None:
                    continue
                self.sent += 1
                field = "text" if kind == "submit" else "value"
                await socket.send(json.dumps({"type": kind, "id": str(self.sent), "question": question, field: value}))
                await self._until(socket, "ack")
        self._run(send_all())

    def close(self) -> None:
        async def close_all() -> None:
            for socket in self.sockets:
                await socket.close()
                await socket.reader
        self._run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path, "--public-url", PUBLIC_URL)
    yield running
    stop(running)


@pytest.fixture
def phones(server):
    made = []

    def make(code: str, groups: list[str]) -> SocketPhones:
        made.append(SocketPhones(server.port, code, groups))
        return made[-1]
    yield make
    for room in made:
        room.close()


def projector_720p(surfaces, server, code: str) -> Page:
    """A projector at 1280x720 on the session, signed in as the facilitator's laptop is."""
    laptop = surfaces.facilitator()
    page = surfaces.context(viewport=SIZES["720p"]).new_page()
    page.context.add_cookies(laptop.cookies())
    page.goto(f"{server.base}/s/{code}/present")
    return page


def assert_fits(page: Page, state: str) -> None:
    fit = page.evaluate(FIT)
    where = f"{state} at {fit['width']}x{fit['height']}"
    assert fit["scrollHeight"] == fit["height"] and fit["scrollWidth"] == fit["width"], f"{where} scrolls: {fit}"
    assert not fit["outside"], f"{where}: elements outside the screen: {fit['outside']}"
    assert not fit["stageCut"], f"{where}: the stage cuts its content off"


# The states whose pictures the README shows; the others are taken for looking at, in a temporary folder.
DOCUMENTED = {"projector-voting-1080p", "projector-second-round-720p", "projector-examples-1080p",
              "projector-decision-720p", "projector-summary-1080p", "projector-ended-1080p"}


def check_every_size(projectors: dict[str, Page], state: str, folders: tuple, shown: str) -> None:
    """On every projector: the focus `shown` is up and fitted; then the page fits, and a screenshot
    (`folders`: where documented pictures go, and where the rest go)."""
    for size, page in projectors.items():
        expect(page.locator("main")).to_have_attribute("data-fitted", shown)
        assert_fits(page, state)
        assert_readable(page, state)
        name = f"projector-{state}-{size}"
        screenshot(page, name, folders[0] if name in DOCUMENTED else folders[1])


EXAMPLES = [
    "Month-end payroll tickets arrive all at once",
    "Monday morning password resets",
    "Everyone reports the same outage in the first ten minutes, so the queue jumps from five to eighty",
    "New starters in September",
    "Month-end closing: finance needs everything the same day",
    "Release days bring a wave of how-do-I questions",
]


def test_the_projector_fits_one_screen_through_a_whole_kind(surfaces, server, phones, screenshots, tmp_path):
    folders = (screenshots, tmp_path / "screenshots")
    code = create_session(server, "Service desk SLA workshop", service="IT service desk")
    laptop = surfaces.facilitator()
    projectors = {}
    for size, viewport in SIZES.items():
        page = surfaces.context(viewport=viewport).new_page()
        page.context.add_cookies(laptop.cookies())
        page.goto(f"{server.base}/s/{code}/present")
        expect(page.locator("#connection")).to_have_attribute("data-status", "open")
        projectors[size] = page
    # Twelve phones: nine from IT, two from the business (too few to show), one who gave no group.
    room = phones(code, ["IT"] * 9 + ["Business"] * 2 + [""])
    for page in projectors.values():
        expect(page.locator("#join-count")).to_have_text("12")
    check_every_size(projectors, "join", folders, "join")
    # "Words that come up" leaves out the maintained stop-word list, which the projector carries.
    carried = projectors["1080p"].evaluate(FILLER)
    assert carried["words"] == sorted(stopwordsiso.stopwords("en")) and "asked" in carried["words"]
    assert carried["frequent"] == [{"word": "jams", "count": 2}, {"word": "printer", "count": 2}]

    # The introduction's own question is projected like any other, and its result when revealed.
    command(server, code, command="open", question="intro.culture")
    for page in projectors.values():
        expect(page.locator(".pj-open-prompt")).to_contain_text("ideas of good service")
        expect(page.locator("#footer")).to_be_visible()  # the join address stays in sight
    check_every_size(projectors, "intro-voting", folders, "voting")
    room.send("vote", "intro.culture", [4, 4, 3, 5, 4, 4, 2, 4, 5])
    command(server, code, command="close", question="intro.culture")
    command(server, code, command="reveal", question="intro.culture")
    for page in projectors.values():
        expect(page.locator("#results .pj-result-prompt")).to_contain_text("ideas of good service")
    check_every_size(projectors, "intro-revealed", folders, "result")

    command(server, code, command="goto", step=1)
    for page in projectors.values():
        expect(page.locator("#step-content .pj-lead")).to_be_visible()
    check_every_size(projectors, "step", folders, "content")

    command(server, code, command="open", question="arrival.impact")
    room.send("vote", "arrival.impact", [4, 5, 4, 3, 4, 5, 2, 4, 5])
    for page in projectors.values():
        expect(page.locator(".pj-open-count")).to_have_text("9 of 12 voted")
        expect(page.locator(".pj-options .pj-option")).to_have_count(5)
    check_every_size(projectors, "voting", folders, "voting")

    command(server, code, command="close", question="arrival.impact")
    command(server, code, command="reveal", question="arrival.impact")
    command(server, code, command="open", question="arrival.direction")
    room.send("vote", "arrival.direction", [-1, -1, 0, -2, 0, 1, -1, 0, 1, -1, 2, "abstain"])
    command(server, code, command="close", question="arrival.direction")
    command(server, code, command="reveal", question="arrival.direction")
    for page in projectors.values():
        result = page.locator("#results .pj-result")
        expect(result).to_contain_text("less or more arrival variability")
        # IT: -1 -1 0 -2 0 1 -1 0 1 (less 4, as today 3, more 2); business +2 and -1; one abstained.
        expect(result.locator(".pj-verdict")).to_have_text("Split: 5 want less, 3 as today, 3 more")
        expect(result.locator(".groups-line")).to_have_text("IT: 4 of 9 less · Business: too few to show")
        shown = result.inner_text()  # what the room reads (the chart's spoken summary aside)
        assert not any(word in shown for word in ("%", "IQR", "Cns", "gap between", "consensus")), shown
    check_every_size(projectors, "revealed", folders, "result")

    command(server, code, command="new_round", question="arrival.direction")
    room.send("vote", "arrival.direction", [-1, -1, -1, -2, -1, 0, -1, -1])
    for page in projectors.values():
        expect(page.locator(".pj-open-count")).to_have_text("8 of 12 voted")
        expect(page.locator(".pj-open .pj-round-label")).to_have_text("Round 1")
        expect(page.locator(".pj-open .pj-round-sentence")).to_have_text("Split: 5 want less, 3 as today, 3 more")
    check_every_size(projectors, "second-round-voting", folders, "voting")
    command(server, code, command="close", question="arrival.direction")
    command(server, code, command="reveal", question="arrival.direction")
    for page in projectors.values():
        expect(page.locator("#results .pj-round-label")).to_have_text(["Round 1", "Round 2"])
        expect(page.locator("#results .pj-verdict")).to_have_text(
            "Clear agreement: 7 of 8 want less arrival variability")
        expect(page.locator("#results .pj-result-meta")).to_contain_text("round 2")
    check_every_size(projectors, "second-round", folders, "result")

    command(server, code, command="open", question="arrival.strategy")
    for page in projectors.values():
        expect(page.locator(".pj-open .pj-strategy")).to_have_count(4)
    check_every_size(projectors, "strategy-voting", folders, "voting")
    room.send("vote", "arrival.strategy", ["low_cost_accommodation"] * 7 + ["classic_reduction"] * 3
               + ["classic_accommodation"] * 2)
    command(server, code, command="close", question="arrival.strategy")
    command(server, code, command="reveal", question="arrival.strategy")
    for page in projectors.values():
        # judged by family: 9 of 12 for accommodating (7 low-cost, 2 classic), the strategy named beside
        expect(page.locator("#results .pj-verdict")).to_have_text(
            "Clear agreement: 9 of 12 would accommodate it; most choose Low-cost accommodation (7)")

    command(server, code, command="open", question="arrival.examples")
    room.send("submit", "arrival.examples", EXAMPLES)
    for item in server.api("GET", f"/api/sessions/{code}").json()["submissions"]:
        command(server, code, command="approve", submission=item["id"])
    command(server, code, command="close", question="arrival.examples")
    for page in projectors.values():
        expect(page.locator("#examples .pj-card")).to_have_count(len(EXAMPLES))
        expect(page.locator("#examples .pj-word").first).to_have_text("month-end")
    check_every_size(projectors, "examples", folders, "examples")

    # What would change a vote is a slide of its own, never mixed into the examples.
    command(server, code, command="open", question="arrival.dissent")
    room.send("submit", "arrival.dissent", ["A month-end freeze that the business signs off"])
    dissent = [item for item in server.api("GET", f"/api/sessions/{code}").json()["submissions"]
               if item["question_id"] == "arrival.dissent"]
    command(server, code, command="approve", submission=dissent[0]["id"])
    command(server, code, command="close", question="arrival.dissent")
    for page in projectors.values():
        expect(page.locator("#dissent .pj-section-title")).to_have_text("What would change your vote")
        expect(page.locator("#dissent .pj-card")).to_have_text(["A month-end freeze that the business signs off"])
        expect(page.locator("#examples")).not_to_contain_text("freeze")
    check_every_size(projectors, "dissent", folders, "dissent")

    record = {"direction": "less", "strategy": "low_cost_accommodation", "status": "agreed",
              "notes": "Book installs ahead; a month-end freeze on changes."}
    response = server.api("PUT", f"/api/sessions/{code}/consensus/arrival", json=record)
    assert response.status_code == 200, response.text
    for page in projectors.values():
        expect(page.locator("#record .pj-record-decision")).to_have_text("Less variability · Low-cost accommodation")
        expect(page.locator("#record .pj-record-context")).to_contain_text("7 of 8 want less")
    check_every_size(projectors, "decision", folders, "record")

    # Three more kinds; two of them voted alike, so their dots meet and their labels must not.
    for kind, impact, direction in (("request", [4] * 9, [-1] * 6 + [0] * 3), ("capability", [4] * 9, [-1] * 6 + [0] * 3),
                                    ("effort", [2, 3, 1, 2, 5, 1, 2, 4, 3], [-2, 2, 0, 1, -1, 2, -2, 0, 1])):
        for question, values in ((f"{kind}.impact", impact), (f"{kind}.direction", direction)):
            command(server, code, command="open", question=question)
            room.send("vote", question, values)
            command(server, code, command="reveal", question=question)
    response = server.api("PUT", f"/api/sessions/{code}/consensus/effort",
                          json={"direction": "same", "strategy": "classic_accommodation", "status": "deferred"})
    assert response.status_code == 200, response.text
    command(server, code, command="goto", step=6)
    for page in projectors.values():
        table = page.locator(".pj-summary-table")
        expect(table.locator("caption")).to_have_text("What we agreed")
        expect(table.locator("tbody tr").first).to_contain_text("Less variability")
        expect(table.locator("tbody tr")).to_have_count(5)
        expect(page.locator(".pj-heatmap .heat-kind")).to_have_count(4)
        expect(page.locator(".heat-legend li")).to_have_count(4)
        assert page.evaluate(LABELS_APART) == [], "heat map labels overlap"
    check_every_size(projectors, "summary", folders, "summary")

    # The end slide: thanks and what was agreed; not "Live", no invitation to join. Reopen: the deck again.
    command(server, code, command="end")
    for page in projectors.values():
        expect(page.locator("#ended")).to_contain_text("Thank you")
        expect(page.locator("#ended tbody tr")).to_have_count(2)  # the decisions recorded
        for hidden in ("#connection", "#footer", "#people"):
            expect(page.locator(hidden)).to_be_hidden()
        assert "Join" not in page.locator("main").inner_text()
    check_every_size(projectors, "ended", folders, "ended")
    assert_accessible(projectors["1080p"], "projector (end slide)")
    command(server, code, command="reopen")
    for page in projectors.values():
        expect(page.locator("main")).to_have_attribute("data-fitted", "summary")
        expect(page.locator("#connection")).to_be_visible()
        expect(page.locator("#footer")).to_be_visible()
    surfaces.check()


# The sentences, straight from the module the projector uses, in the browser that runs it.
SENTENCES = """async () => {
  const words = await import('/static/js/plain-words.js');
  const direction = { id: 'arrival.direction', kind: 'scale', min: -2, max: 2,
    labels: { '-2': 'Much less', '-1': 'Less', '0': 'As today', '1': 'More', '2': 'Much more' } };
  const impact = { id: 'arrival.impact', kind: 'scale', min: 1, max: 5,
    labels: { '1': 'Hardly at all', '3': 'Noticeably', '5': 'Severely' } };
  const strategy = { id: 'arrival.strategy', kind: 'choice', options: [
    { id: 'low', label: 'Low-cost accommodation' }, { id: 'classic', label: 'Classic reduction' },
    { id: 'other', label: 'Classic accommodation' }] };
  const scale = (counts, reached, extra = {}) => ({ counts, reached, abstain: 0,
    n: Object.values(counts).reduce((a, b) => a + b, 0), ...extra });
  const subject = { subject: 'Arrival variability' };
  return {
    agreed: words.resultSentence(direction, scale({ '-2': 2, '-1': 7, '0': 3 }, true), subject),
    split: words.resultSentence(direction, scale({ '-2': 1, '-1': 4, '0': 4, '1': 3 }, false), subject),
    most: words.resultSentence(direction, scale({ '-2': 4, '-1': 3, '1': 2, '2': 1 }, false), subject),
    today: words.resultSentence(direction, scale({ '0': 8, '1': 1 }, true), subject),
    impact: words.resultSentence(impact, scale({ '4': 6, '5': 3, '3': 1 }, true)),
    impactSplit: words.resultSentence(impact, scale({ '1': 4, '2': 1, '3': 2, '5': 4 }, false)),
    choiceAgreed: words.resultSentence(strategy, { n: 12, abstain: 0, leader: 'low', reached: true, counts: { low: 10, classic: 2, other: 0 } }),
    choiceMost: words.resultSentence(strategy, { n: 12, abstain: 0, leader: 'low', reached: false, counts: { low: 7, classic: 3, other: 2 } }),
    choiceLeads: words.resultSentence(strategy, { n: 12, abstain: 1, leader: 'low', reached: false, counts: { low: 5, classic: 4, other: 3 } }),
    choiceTied: words.resultSentence(strategy, { n: 8, abstain: 0, leader: null, reached: false, counts: { low: 4, classic: 4, other: 0 } }),
    nobody: words.resultSentence(direction, scale({}, false, { abstain: 3 })),
    groups: words.groupsSentence(direction, { by_group: {
      IT: { n: 5, counts: { '-1': 3, '0': 1, '1': 1 } }, Business: { n: 2, hidden: true }, Legal: { n: 0, counts: {} } } }),
    oneGroup: words.groupsSentence(direction, { by_group: { IT: { n: 5, counts: { '-1': 5 } } } }),
    voted: [words.votedSentence(12, 20), words.votedSentence(3, 2), words.votedSentence(0, 0)],
    shift: [words.shiftSentence({ changed: 3, voters_both: 10 }), words.shiftSentence({ changed: 0, voters_both: 0 })],
    frequent: words.frequentWords(['Month-end close', 'the month-end rush', 'Monday rush', 'printer jams']),

  };
}"""


def test_results_are_said_in_plain_words(surfaces, server):
    page = surfaces.phone()
    page.goto(f"{server.base}/join")
    said = page.evaluate(SENTENCES)
    assert said["agreed"] == "Clear agreement: 9 of 12 want less arrival variability"
    assert said["split"] == "Split: 5 want less, 4 as today, 3 more"
    assert said["most"] == "Most want less arrival variability (7 of 10), no clear agreement yet"
    assert said["today"] == "Clear agreement: 8 of 9 want arrival variability as today"
    assert said["impact"] == "Clear agreement: 9 of 10 answer 4–5 (severely)"
    assert said["impactSplit"] == ("Split: 5 answer 1–2 (hardly at all), 4 answer 4–5 (severely), "
                                   "2 answer 3 (noticeably)")
    assert said["choiceAgreed"] == "Clear agreement: 10 of 12 choose Low-cost accommodation"
    assert said["choiceMost"] == "Most choose Low-cost accommodation (7 of 12)"
    assert said["choiceLeads"] == "Low-cost accommodation leads with 5 of 12; no clear agreement yet"
    assert said["choiceTied"] == "Tied: 4 choose Low-cost accommodation, 4 choose Classic reduction"
    assert said["nobody"] == "All 3 abstained"
    assert said["groups"] == "IT: 3 of 5 less · Business: too few to show"
    assert said["oneGroup"] == ""
    assert said["voted"] == ["12 of 20 voted", "3 voted", "0 voted"]
    assert said["shift"] == ["3 of 10 changed their answer since the last round", ""]
    assert said["frequent"] == [{"word": "month-end", "count": 2}, {"word": "rush", "count": 2}]

    surfaces.check()


def test_many_long_examples_still_fit_and_say_how_many_are_left_out(surfaces, server, phones, tmp_path):
    code = create_session(server)
    page = projector_720p(surfaces, server, code)
    command(server, code, command="goto", step=1)
    room = phones(code, ["IT"] * 20)
    command(server, code, command="open", question="arrival.examples")
    room.send("submit", "arrival.examples", [
        f"Example {number}: the queue fills up every time a release goes out on a Friday afternoon and the "
        "people who could help have already left for the weekend, so tickets wait until Monday" for number in range(20)])
    for item in server.api("GET", f"/api/sessions/{code}").json()["submissions"]:
        command(server, code, command="approve", submission=item["id"])
    command(server, code, command="close", question="arrival.examples")
    expect(page.locator("main")).to_have_attribute("data-fitted", "examples")
    expect(page.locator("#examples .pj-wall-more")).to_have_text(re.compile(r"^and \d+ more on the facilitator’s screen$"))
    shown = page.locator("#examples .pj-card").count()
    left_out = int(page.locator("#examples .pj-wall-more").inner_text().split()[1])
    assert shown >= 1 and shown + left_out == 20
    # The newest stay on screen.
    expect(page.locator("#examples .pj-card").last).to_contain_text("Example 19:")
    assert_fits(page, "many examples")
    screenshot(page, "projector-many-examples-720p", tmp_path)
    surfaces.check()


def test_a_projector_opened_again_mid_step_shows_what_the_room_saw_happen_last(surfaces, server, phones):
    """The server decides the focus (workshop/live/focus.py; its rules are tested in
    tests/test_projector_focus.py): a projector reloaded after a result was revealed on top of
    approved examples shows that result, not the step's flow order (examples after results)."""
    code = create_session(server)
    page = projector_720p(surfaces, server, code)
    command(server, code, command="goto", step=1)
    room = phones(code, ["IT", "IT"])
    command(server, code, command="open", question="arrival.examples")
    expect(page.locator("main")).to_have_attribute("data-focus", "voting")
    room.send("submit", "arrival.examples", ["Month-end", None])
    item = server.api("GET", f"/api/sessions/{code}").json()["submissions"][0]
    command(server, code, command="approve", submission=item["id"])
    command(server, code, command="close", question="arrival.examples")
    expect(page.locator("main")).to_have_attribute("data-focus", "examples")
    command(server, code, command="open", question="arrival.impact")
    room.send("vote", "arrival.impact", [4, 5])
    command(server, code, command="close", question="arrival.impact")
    command(server, code, command="reveal", question="arrival.impact")
    expect(page.locator("main")).to_have_attribute("data-focus", "result")
    page.reload()
    expect(page.locator("main")).to_have_attribute("data-fitted", "result")
    expect(page.locator("#results")).to_contain_text("hurt")
    surfaces.check()


SHIPPED = sorted(path.stem for path in default_plans_dir().glob("*.toml"))


@pytest.mark.parametrize("plan", SHIPPED)
def test_every_shipped_plan_reads_as_slides(surfaces, server, plan):
    """Each shipped plan's steps, as the room first sees them (their slide, or how to join), keep the
    type-size rule and fit one screen at 1920x1080 and 1280x720: two projectors on one session."""
    code = create_session(server, plan=plan)
    laptop = surfaces.facilitator()
    pages = {}
    for name, size in SIZES.items():
        pages[name] = surfaces.context(viewport=size).new_page()
        pages[name].context.add_cookies(laptop.cookies())
        pages[name].goto(f"{server.base}/s/{code}/present")
    steps = server.api("GET", f"/api/sessions/{code}").json()["steps"]
    for step in steps:
        command(server, code, command="goto", step=step["index"])
        for page in pages.values():
            expect(page.locator("#step-count")).to_have_text(f"Step {step['index'] + 1} of {len(steps)}")
            expect(page.locator("main")).to_have_attribute("data-fitted", re.compile("^(join|content|summary)$"))
            if step["kind"] != "summary":  # the summary's slide is the table of decisions, not its text
                expect(page.locator("#step-content")).to_contain_text(step["projector_text"])
            assert_fits(page, f"{plan} step {step['index'] + 1}")
            assert_readable(page, f"{plan} step {step['index'] + 1}")
    surfaces.check()
