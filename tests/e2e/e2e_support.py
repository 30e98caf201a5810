"""End-to-end tests in a real browser: Debian's Chromium, driven by Playwright, against a real
`workshop serve` (tests/servers.py).

Every browser context made here is watched: its requests and sockets must stay on the server's
origin (a meeting room may have no internet), and a page error or a console error (a CSP violation
is one) fails the test, unless the test says it expects that error (e.g. a refused reconnect while
the server is down).
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from servers import KEY, ROOT, Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
CONSOLE = {"viewport": {"width": 1440, "height": 900}}
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}}
SCREENSHOTS = ROOT / "docs" / "screenshots"
LOCAL_SCHEMES = ("data:", "blob:", "about:")

expect.set_options(timeout=10_000)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.stop()


class Surfaces:
    """The browsers of one test: a facilitator's, phones; each context watched for errors and egress."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        # A page without <link rel="icon"> makes Chromium ask for /favicon.ico, which the server does not
        # have (the report page, rendered by workshop/exports, has none): noise, not a fault of the page.
        self.allowed: list[re.Pattern] = [re.compile(r"status of 404 .*\(https?://[^/]+/favicon\.ico\)$")]
        self.checked = False

    @property
    def origin(self) -> str:
        return self.server.base

    def allow_console_errors(self, pattern: str) -> None:
        """Expect console errors matching `pattern` from here on (e.g. refused reconnects)."""
        self.allowed.append(re.compile(pattern))

    def context(self, **options) -> BrowserContext:
        context = self.browser.new_context(**options)
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def _watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: page error: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("websocket", lambda socket: self.requests.append(socket.url))

    def _console(self, page: Page, message) -> None:
        if message.type != "error":
            return
        where = message.location.get("url") or ""
        text = f"{message.text} ({where})" if where and where != page.url else message.text
        if any(pattern.search(text) for pattern in self.allowed):
            return
        self.errors.append(f"{page.url}: console error: {text}")

    def facilitator(self, **options) -> BrowserContext:
        """A browser signed in as the facilitator, as by opening the printed URL."""
        context = self.context(**(options or CONSOLE))
        page = context.new_page()
        page.goto(f"{self.origin}/?key={KEY}")
        # The address is rewritten before the token is traded for the cookie: wait for the page
        # the cookie opens, or closing this page could cancel the exchange.
        expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
        page.close()
        return context

    def phone(self, **options) -> Page:
        return self.context(**PHONE, **options).new_page()

    def check(self) -> None:
        """No page or console errors, and nothing fetched from anywhere but the server."""
        self.checked = True
        assert not self.errors, "errors in the browser:\n" + "\n".join(self.errors)
        origin = urlsplit(self.origin)
        outside = sorted({url for url in self.requests if not url.startswith(LOCAL_SCHEMES)
                          and (urlsplit(url).hostname, urlsplit(url).port) != (origin.hostname, origin.port)})
        assert not outside, "requests outside the server:\n" + "\n".join(outside)
        assert self.requests, "no requests were recorded"

    def close(self) -> None:
        for context in self.contexts:
            context.close()


# --- helpers used by the tests ---------------------------------------------------------------------


def create_session(server: Server, title: str = "Service desk SLA", **fields) -> str:
    response = server.api("POST", "/api/sessions", json={"title": title, **fields})
    assert response.status_code == 201, response.text
    return response.json()["code"]


def command(server: Server, code: str, **body) -> dict:
    response = server.api("POST", f"/api/sessions/{code}/commands", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def snapshot(server: Server, code: str) -> dict:
    response = server.api("GET", f"/api/sessions/{code}")
    assert response.status_code == 200, response.text
    return response.json()


def join_phone(page: Page, url: str, name: str = "", group: str = "") -> None:
    """Open a join URL on a phone, fill in the optional form and wait until it is connected."""
    page.goto(url)
    if name:
        page.get_by_label("Your name").fill(name)
    if group:
        page.get_by_role("radio", name=group, exact=True).check()
    page.get_by_role("button", name="Join").tap()
    expect(page.locator("#connection")).to_have_attribute("data-status", "joined")


def assert_accessible(page: Page, name: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = Axe().run(page)
    bad = [violation for violation in results.response["violations"]
           if violation["impact"] in ("serious", "critical")]
    details = "\n".join(
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in bad)
    assert not bad, f"axe-core on the {name}:\n{details}"


def screenshot(page: Page, name: str, folder: Path) -> Path:
    """Take a screenshot into `folder` (see the `screenshots` fixture); the docs' copies only change
    when the tests run with --update-screenshots."""
    target = folder / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), animations="disabled")
    return target


def card(page: Page, qid: str):
    return page.locator(f'section[aria-labelledby="q-{qid.replace(".", "-")}"]')


def console_card(page: Page, qid: str):
    return page.locator(f'article[aria-labelledby="card-{qid.replace(".", "-")}"]')


def tap_vote(page: Page, qid: str, value: str) -> None:
    card(page, qid).locator(f'.choice[data-value="{value}"]').tap()


def expect_received(page: Page, qid: str, label: str) -> None:
    status = card(page, qid).locator(".vote-status")
    expect(status).to_have_attribute("data-mode", "received")
    expect(status).to_contain_text(f"Vote received: {label}")
    expect(card(page, qid).locator('.choice[aria-pressed="true"]')).to_have_count(1)


def watch_bar_heights(milliseconds: int) -> str:
    """Script that samples the projector's tallest bar every frame, from the moment a chart appears in
    #results, for `milliseconds`; the heights end up in `window.__heights` (a promise)."""
    return """() => {
  window.__heights = new Promise((resolve) => {
    const results = document.getElementById('results');
    const observer = new MutationObserver(() => {
      const bars = [...results.querySelectorAll('.chart-bar')];
      if (!bars.length) return;
      observer.disconnect();
      const seen = [];
      const start = performance.now();
      const sample = () => {
        seen.push(Math.max(...bars.map((bar) => bar.getBBox().height)));
        if (performance.now() - start < MILLISECONDS) requestAnimationFrame(sample);
        else resolve(seen);
      };
      sample();
    });
    observer.observe(results, { childList: true, subtree: true });
  });
}""".replace("MILLISECONDS", str(int(milliseconds)))
