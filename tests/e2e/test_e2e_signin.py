"""Signing in from the printed address in Chromium: the key leaves the history entry at once."""

from playwright.sync_api import expect

from servers import KEY

from .e2e_support import CONSOLE


def test_the_key_is_not_left_in_history_and_back_does_not_replay_it(surfaces, server):
    context = surfaces.context(**CONSOLE)
    page = context.new_page()
    page.goto(f"{server.base}/join")
    page.goto(f"{server.base}/?key={KEY}")
    expect(page).to_have_url(f"{server.base}/")
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    entries = page.evaluate("history.length")
    page.go_back()
    assert KEY not in page.url
    page.go_forward()
    assert KEY not in page.url
    page.reload()
    assert KEY not in page.url and page.evaluate("history.length") == entries
    # Another browser, without the printed address, is not signed in.
    surfaces.allow_console_errors(r"status of 401 \(Unauthorized\)")  # the locked page, as expected
    fresh = surfaces.context(**CONSOLE).new_page()
    fresh.goto(f"{server.base}/")
    expect(fresh.get_by_role("heading", name="This page is for the facilitator")).to_be_visible()
