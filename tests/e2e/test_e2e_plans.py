"""Plans in the browser, as a facilitator makes the workshop theirs: duplicate the default plan, edit
it, save it, run a session with it; a refused value is marked at its field and nothing is saved; a
session created before the edit keeps the plan it started with."""

import re
import tomllib

from playwright.sync_api import Page, expect

from .e2e_support import PROJECTOR, assert_accessible, card, command, create_session, join_phone, screenshot

COPY = "frei-variability-copy"
OLD_PROMPT = "How much does the uneven timing of demand hurt the service today?"
NEW_PROMPT = "How badly do Monday mornings hurt the service desk today?"
NEW_EXAMPLE = "A bakery that sells out of bread by nine on Saturdays."
NEW_SLIDE = "Demand comes in waves: Monday mornings and month-end."
PREVIEW_CARD = 'section[aria-labelledby="preview-q-arrival-impact"]'


def step_card(page: Page, position: int):
    return page.locator(".step-card").nth(position - 1)


def field(scope, label: str):
    return scope.get_by_label(label, exact=True)


def saved(server) -> dict:
    response = server.api("GET", f"/api/plans/{COPY}")
    assert response.status_code == 200, response.text
    return response.json()


def open_question(server, code: str, qid: str) -> None:
    steps = server.api("GET", f"/api/sessions/{code}").json()["steps"]
    step = next(step["index"] for step in steps if any(q["id"] == qid for q in step["questions"]))
    command(server, code, command="goto", step=step)
    command(server, code, command="open", question=qid)


def test_a_facilitator_edits_a_copy_of_the_default_plan_and_runs_a_session_with_it(surfaces, server, screenshots, tmp_path):
    laptop = surfaces.facilitator()
    page = laptop.new_page()
    page.goto(f"{server.base}/")
    page.get_by_role("link", name="Session plans").first.click()
    expect(page.get_by_role("heading", name="Session plans", level=1)).to_be_visible()
    assert_accessible(page, "plans page")
    page.locator('[data-plan="frei-variability"]').get_by_role("button", name="Duplicate").click()
    expect(page).to_have_url(f"{server.base}/plans/{COPY}/edit")
    expect(step_card(page, 2)).to_contain_text("Arrival variability")
    # A session made from the copy before the edit: it must keep the wording it started with.
    before = create_session(server, "Before the edit", plan=COPY)

    field(page, "Title").first.fill("Our service desk workshop")
    arrival = step_card(page, 2)
    field(arrival, "Prompt").first.fill(NEW_PROMPT)
    field(arrival, "Everyday example").fill(NEW_EXAMPLE)
    field(arrival, "Slide text").fill(NEW_SLIDE)
    field(page, "Agreement needed (%)").fill("80")
    # Move the arrival step below the request step, by keyboard: focus stays on the moved step's button.
    arrival.get_by_role("button", name="Move step 2 down").focus()
    page.keyboard.press("Enter")
    expect(step_card(page, 3)).to_contain_text("Arrival variability")
    expect(page.get_by_role("button", name="Move step 3 down")).to_be_focused()
    # The preview draws the step being edited with the phone's own view: the new wording, its buttons.
    preview = page.locator("#plan-preview")
    preview_card = preview.locator(PREVIEW_CARD)
    expect(preview.locator("#preview-step")).to_contain_text("Step 3 of")
    expect(preview_card.locator(".question-prompt")).to_have_text(NEW_PROMPT)
    expect(preview_card.locator(".vote-status")).to_have_text("Tap your answer. You can change it while voting is open.")
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#save-status")).to_contain_text("Saved")
    assert_accessible(page, "plan editor")
    preview_choices = preview_card.locator(".choice").all_inner_texts()
    preview_step = preview.locator("#preview-step").inner_text()
    assert len(preview_choices) == 6  # five points and Abstain
    page.set_viewport_size({"width": 1920, "height": 1080})
    step_card(page, 3).evaluate("(card) => card.scrollIntoView({ block: 'start' })")
    screenshot(page, "plan-editor", screenshots)
    # The phone in the preview: a 390 x 844 screen, scaled to the pane beside a narrower form.
    for width, height, scale in ((1920, 1080, 1), (1280, 720, 0.86)):
        page.set_viewport_size({"width": width, "height": height})
        box = preview.locator(".preview-phone-screen").bounding_box()
        assert (round(box["width"]), round(box["height"])) == (round(390 * scale), round(844 * scale)), box
        preview.locator(".preview-phone-frame").scroll_into_view_if_needed()
        screenshot(page, f"plan-editor-preview-{width}", tmp_path)

    stored = saved(server)
    assert stored["title"] == "Our service desk workshop" and stored["plan"]["consensus"]["min_agreement"] == 0.8
    assert [step["id"] for step in stored["plan"]["steps"]][1:3] == ["request", "arrival"]
    arrival_data = stored["plan"]["steps"][2]
    assert arrival_data["questions"][0]["prompt"] == NEW_PROMPT and arrival_data["everyday_example"] == NEW_EXAMPLE
    assert arrival_data["projector_text"] == NEW_SLIDE
    text = server.api("GET", f"/api/plans/{COPY}.toml").text
    assert tomllib.loads(text) == stored["plan"] and "# The default session plan" in text  # comments kept
    assert "= []" not in text and "= {}" not in text  # nothing the form added only to bind its fields

    # An invalid edit: a scale whose minimum is above its maximum, marked at its field, nothing saved.
    arrival = step_card(page, 3)
    lowest = field(arrival, "Lowest").first
    lowest.fill("9")
    lowest.blur()
    # Checked as typed: marked at once, without taking the focus from where the facilitator is.
    highest = field(step_card(page, 3), "Highest").first
    expect(highest).to_have_attribute("aria-invalid", "true")
    expect(highest).not_to_be_focused()
    surfaces.allow_console_errors(r"status of 422 .*/api/plans/")  # the refused save, as the browser logs it
    page.get_by_role("button", name="Save plan").click()
    expect(highest).to_have_attribute("aria-invalid", "true")
    expect(highest).to_be_focused()
    message = "step 'arrival' (#3), field 'questions[0].max': must be greater than min (min is 9, max is 5)"
    expect(page.locator("#save-error")).to_contain_text(message)
    expect(step_card(page, 3).locator(".field-error:visible")).to_have_text("must be greater than min (min is 9, max is 5)")
    page.set_viewport_size({"width": 1280, "height": 720})
    screenshot(page, "plan-editor-refused-1280", tmp_path)
    assert saved(server)["version"] == stored["version"]
    lowest = field(step_card(page, 3), "Lowest").first
    lowest.fill("1")
    lowest.blur()
    expect(highest).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#save-error")).to_be_hidden()

    # A new session with the plan, from "Use for a new session" on the plans page (in a new tab: the
    # editor holds an unsaved change and would ask before it is left).
    page = laptop.new_page()
    page.goto(f"{server.base}/plans")
    page.locator(f'[data-plan="{COPY}"]').get_by_role("link", name="Use for a new session").click()
    expect(page.get_by_label("Session plan")).to_have_value(COPY)
    page.get_by_label("Title").fill("After the edit")
    page.get_by_role("button", name="Create session").click()
    expect(page).to_have_url(re.compile(r"/s/\w+/facilitate$"))
    after = page.url.split("/s/")[1].split("/")[0]

    projector = surfaces.facilitator(**PROJECTOR).new_page()
    projector.goto(f"{server.base}/s/{after}/present")
    command(server, after, command="goto", step=2)
    # The slide shows its short text; the examples are the facilitator's notes on the console.
    expect(projector.locator("#step-content .pj-lead")).to_have_text(NEW_SLIDE)
    expect(projector.get_by_text(NEW_EXAMPLE)).to_have_count(0)
    open_question(server, after, "arrival.impact")
    expect(projector.locator(".pj-open-prompt")).to_have_text(NEW_PROMPT)
    phone = surfaces.phone()
    join_phone(phone, f"{server.base}/j/{after}")
    expect(card(phone, "arrival.impact").locator(".question-prompt")).to_have_text(NEW_PROMPT)
    # What the preview showed is what the phone shows.
    assert card(phone, "arrival.impact").locator(".choice").all_inner_texts() == preview_choices
    assert phone.locator("#step").inner_text() == preview_step
    screenshot(phone, "phone-after-edit-390", tmp_path)
    phone.set_viewport_size({"width": 360, "height": 640})
    screenshot(phone, "phone-after-edit-360", tmp_path)

    # The session created before the edit still asks the old question.
    open_question(server, before, "arrival.impact")
    old_phone = surfaces.phone()
    join_phone(old_phone, f"{server.base}/j/{before}")
    expect(card(old_phone, "arrival.impact").locator(".question-prompt")).to_have_text(OLD_PROMPT)


def test_a_shipped_plan_is_read_only_and_plans_are_uploaded_and_deleted_from_the_page(surfaces, server, tmp_path):
    laptop = surfaces.facilitator()
    page = laptop.new_page()
    page.goto(f"{server.base}/plans/one-kind-arrival/edit")
    expect(page.locator(".step-card")).to_have_count(3)
    expect(field(page, "Title").first).to_be_disabled()
    expect(page.get_by_role("button", name="Save plan")).to_have_count(0)
    page.get_by_role("button", name="Duplicate this plan").click()
    expect(page).to_have_url(f"{server.base}/plans/one-kind-arrival-copy/edit")
    expect(field(page, "Title").first).to_be_enabled()
    # Steps move by drag and drop too: the summary dragged onto the introduction goes first. (The
    # events are dispatched: a pointer drag across a page taller than the window scrolls it away.)
    transfer = page.evaluate_handle("() => new DataTransfer()")
    step_card(page, 3).locator(".drag-handle").dispatch_event("dragstart", {"dataTransfer": transfer})
    step_card(page, 1).dispatch_event("dragover", {"dataTransfer": transfer})
    step_card(page, 1).dispatch_event("drop", {"dataTransfer": transfer})
    expect(step_card(page, 1).locator("h3")).to_contain_text("What we agreed")
    expect(step_card(page, 2).locator("h3")).to_contain_text("When customers turn up")

    # Upload a file: it is stored as written, comments and all.
    upload = tmp_path / "Board Review.toml"
    text = "# our board's version\n" + server.api("GET", "/api/plans/one-kind-arrival.toml").text
    upload.write_text(text, encoding="utf-8")
    page.goto(f"{server.base}/plans")
    page.get_by_label("TOML file").set_input_files(str(upload))
    expect(page.get_by_label("Plan id (its file name)")).to_have_value("board-review")
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(f"{server.base}/plans/board-review/edit")
    assert server.api("GET", "/api/plans/board-review.toml").text == text

    # A file that is not a plan is refused with the plan checks' message, and nothing is stored.
    broken = tmp_path / "broken.toml"
    broken.write_text('title = "No steps"\ngroups = ["IT"]\n', encoding="utf-8")
    page.goto(f"{server.base}/plans")
    surfaces.allow_console_errors(r"status of 422 .*/api/plans")
    page.get_by_label("TOML file").set_input_files(str(broken))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-error")).to_contain_text("broken.toml: field 'steps': is required")
    assert server.api("GET", "/api/plans/broken").status_code == 404

    # Delete, after the browser's confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('[data-plan="board-review"]').get_by_role("button", name="Delete").click()
    expect(page.locator('[data-plan="board-review"]')).to_have_count(0)
    assert server.api("GET", "/api/plans/board-review").status_code == 404
