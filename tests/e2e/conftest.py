"""Fixtures for the end-to-end tests in a real browser (see e2e_support for what they watch)."""

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from servers import Server

from .e2e_support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Surfaces, stop

# A page's first load and socket can take a few seconds on a busy two-core machine; what the tests
# wait for is behaviour, so a longer wait costs only a failing test's time.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Browser:
    # Module scope: the sync API keeps its own event loop while it runs, so it must be gone before
    # the rest of the suite (which uses asyncio) starts.
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: install Debian's chromium: "
                    "apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots(request, tmp_path_factory):
    """Where screenshots go: docs/screenshots with --update-screenshots, else a temporary folder, so a
    test run leaves the working tree as it found it."""
    if request.config.getoption("--update-screenshots"):
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path)
    yield running
    stop(running)


@pytest.fixture
def surfaces(browser, server, request):
    room = Surfaces(browser, server)
    yield room
    try:
        failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
        if not room.checked and not failed:
            room.check()
    finally:
        room.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
