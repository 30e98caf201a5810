"""The projector shows a question's countdown, and the question closes itself when it ends."""

import re

from playwright.sync_api import expect

from .e2e_support import PROJECTOR, command, create_session, snapshot


def test_the_projector_counts_down_and_the_server_closes_the_question(surfaces, server, tmp_path):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    projector = surfaces.facilitator(**PROJECTOR).new_page()
    projector.goto(f"{server.base}/s/{code}/present")
    command(server, code, command="open", question="arrival.impact", seconds=4)
    clock = projector.locator(".pj-countdown")
    expect(clock).to_have_text(re.compile(r"Closes in 0:0[1-4]"))
    projector.screenshot(path=str(tmp_path / "projector-countdown.png"))
    expect(clock).to_be_hidden(timeout=15_000)  # closed by the server: the voting screen gives way
    assert snapshot(server, code)["questions"]["arrival.impact"]["status"] == "closed"
    surfaces.check()
