"""The projector's full-screen toggle (on the projector, and by F from the console), and reduced motion
on the phone and the projector."""

import re

from playwright.sync_api import expect

from .e2e_support import (
    PROJECTOR,
    card,
    command,
    create_session,
    expect_received,
    join_phone,
    tap_vote,
    watch_bar_heights,
)

IMPACT = "arrival.impact"

FULLSCREEN = "() => document.fullscreenElement !== null"

# Full screen is granted only with a fresh user gesture, and granting it spends the gesture.
SPEND_USER_ACTIVATION = """async () => {
  await document.documentElement.requestFullscreen();
  await document.exitFullscreen();
  return navigator.userActivation.isActive;
}"""


def test_f_puts_the_projector_in_full_screen_from_either_window(surfaces, server):
    code = create_session(server)
    laptop = surfaces.facilitator()
    console = laptop.new_page()
    console.goto(f"{server.base}/s/{code}/facilitate")
    expect(console.locator("#connection")).to_have_attribute("data-status", "open")
    projector = laptop.new_page()
    projector.set_viewport_size(PROJECTOR["viewport"])
    projector.goto(f"{server.base}/s/{code}/present")
    expect(projector.locator("#connection")).to_have_attribute("data-status", "open")

    # On the projector itself: F, and the button (mouse or touch), both toggle.
    projector.locator("body").press("f")
    projector.wait_for_function(FULLSCREEN)
    expect(projector.locator("main")).to_have_class("projector is-fullscreen")
    projector.keyboard.press("F")
    projector.wait_for_function(f"() => !({FULLSCREEN})()")
    projector.get_by_role("button", name="Full screen").click()
    projector.wait_for_function(FULLSCREEN)
    projector.get_by_role("button", name="Exit full screen").click()
    projector.wait_for_function(f"() => !({FULLSCREEN})()")

    # From the console, when the projector's window has had no recent key press or click (Playwright's
    # own calls into a page count as one, so this spends it): the browser refuses full screen, so the
    # projector asks for F there, and the console says so. Chromium logs the refusal.
    surfaces.allow_console_errors(r"requestFullscreen.*user gesture")
    assert projector.evaluate(SPEND_USER_ACTIVATION) is False
    console.locator("body").press("f")
    expect(console.locator("#projector-status")).to_contain_text("press F on the projector window")
    prompt = projector.get_by_role("button", name="Press F here to go full screen")
    expect(prompt).to_be_visible()
    projector.keyboard.press("f")
    projector.wait_for_function(FULLSCREEN)
    expect(prompt).to_be_hidden()
    # Leaving full screen needs no gesture: F on the console does it.
    console.locator("body").press("f")
    projector.wait_for_function(f"() => !({FULLSCREEN})()")
    expect(console.locator("#projector-status")).to_have_text("The projector left full screen.")
    # The console's button does what F does (the answer depends on the projector's recent gestures).
    console.get_by_role("button", name="Projector full screen").click()
    expect(console.locator("#projector-status")).to_have_text(
        re.compile(r"The projector is full screen\.|press F on the projector window"))

    surfaces.check()


def test_reduced_motion_turns_the_animations_off(surfaces, server):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    command(server, code, command="open", question=IMPACT)
    still = surfaces.phone(reduced_motion="reduce")
    moving = surfaces.phone()
    join_phone(still, f"{server.base}/j/{code}")
    join_phone(moving, f"{server.base}/j/{code}")
    tap_vote(still, IMPACT, "2")
    expect_received(still, IMPACT, "2")
    tap_vote(moving, IMPACT, "2")
    expect_received(moving, IMPACT, "2")

    laptop = surfaces.facilitator(**PROJECTOR, reduced_motion="reduce")
    projector = laptop.new_page()
    projector.goto(f"{server.base}/s/{code}/present")
    expect(projector.locator("#connection")).to_have_attribute("data-status", "open")
    projector.evaluate(watch_bar_heights(400))
    command(server, code, command="reveal", question=IMPACT)
    bars = projector.evaluate("window.__heights")
    assert bars[0] == bars[-1] == 170, f"with reduced motion the bars should not grow: {bars}"

    transition = "(el) => getComputedStyle(el).transitionDuration"
    for phone in (still, moving):
        expect(card(phone, IMPACT).locator(".chart-bar").first).to_be_attached()
    assert still.evaluate(transition, still.locator(".chart-bar").first.element_handle()) == "0s"
    assert moving.evaluate(transition, moving.locator(".chart-bar").first.element_handle()) == "0.8s"
    assert still.evaluate(transition, still.locator("#connection .connection-dot").element_handle()) == "0s"
    animation = "(el) => getComputedStyle(el).animationName"
    assert still.evaluate(animation, still.locator("#connection .connection-dot").element_handle()) == "none"

    surfaces.check()


def test_the_watch_fails_on_requests_off_the_server_and_on_csp_violations(surfaces, server):
    """The guards of every other test: they must see what they exist to catch."""
    phone = surfaces.phone()
    phone.goto(f"{server.base}/join")
    # An inline script is refused by the page's content security policy (and the refusal is logged).
    phone.evaluate("() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }")
    # A page that is not the server's (so no CSP) asks a host off the server for an image.
    phone.goto('data:text/html,<img src="http://127.0.0.1:9/logo.png" alt="">')
    phone.wait_for_load_state()
    try:
        surfaces.check()
    except AssertionError as error:
        report = str(error)
    else:
        raise AssertionError("the watch saw nothing wrong")
    assert "Content Security Policy" in report
    surfaces.errors.clear()
    try:
        surfaces.check()
    except AssertionError as error:
        assert "requests outside the server" in str(error) and "http://127.0.0.1:9/logo.png" in str(error)
    else:
        raise AssertionError("the watch missed a request off the server")
    surfaces.requests.clear()
