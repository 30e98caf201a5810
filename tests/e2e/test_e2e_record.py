"""The consensus form records an SLA clause set: structured fields, ticked tactics, owner and due date;
the SLA hint is a placeholder, never recorded as input."""

from playwright.sync_api import expect

from .e2e_support import command, create_session

TACTIC = "Take installs and changes by appointment in bookable slots"


def test_the_form_records_sla_clauses_ticked_tactics_and_who_settles_it(surfaces, server):
    code = create_session(server)
    command(server, code, command="goto", step=1)
    console = surfaces.facilitator().new_page()
    console.goto(f"{server.base}/s/{code}/facilitate")
    expect(console.locator("#consensus")).to_be_visible()
    hint = console.locator("#consensus-sla")
    expect(hint).to_have_value("")
    assert "service hours" in (hint.get_attribute("placeholder") or "").lower()
    console.get_by_label("Less", exact=True).check()
    expect(console.locator("#clause-choices")).to_be_hidden()  # no strategy chosen yet: nothing to tick
    console.locator("input[name=strategy][value=classic_reduction]").check()
    console.get_by_label(TACTIC).check()
    console.locator("input[name=status][value=deferred]").check()
    expect(console.locator("#form-warnings")).to_contain_text("owner")
    console.get_by_label("Service hours").fill("Mon-Fri 08:00-18:00; Saturday mornings by booking")
    console.get_by_label("Owner").fill("Service desk lead")
    console.get_by_label("Due").fill("2027-01-31")
    expect(console.locator("#form-warnings")).not_to_contain_text("owner")
    console.get_by_role("button", name="Record consensus").click()
    expect(console.locator("#consensus-status")).to_contain_text("Recorded at")
    record = server.api("GET", f"/api/sessions/{code}/consensus").json()["records"]["arrival"]
    assert record["sla"]["service_hours"] == "Mon-Fri 08:00-18:00; Saturday mornings by booking"
    assert record["clauses"] == [TACTIC] and record["owner"] == "Service desk lead" and record["due"] == "2027-01-31"
    assert record["sla_input"] == ""
    expect(console.locator("#saved-record")).to_contain_text("Service desk lead")
    surfaces.check()
