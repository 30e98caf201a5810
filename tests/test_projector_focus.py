"""What the big screen shows, as the server decides it: the open question while a vote runs, else the
latest thing the room saw happen on the step, else the step itself (on the introduction, how to join)."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.commands import Command, apply_command
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.domain.session import SessionState
from workshop.live.focus import ProjectorFocus, candidates, open_questions

PLAN = load_plan(default_plans_dir() / "frei-variability.toml")
ARRIVAL = next(step for step in PLAN.steps if step.category == "arrival")
AT_ARRIVAL = replace(SessionState.initial(PLAN), current_step=ARRIVAL.index)
RECORD = {"direction": "less", "strategy": "classic_reduction", "status": "agreed", "notes": "kept off screen"}


class Room:
    """A step's state, approved texts and records, changed as a facilitator would."""

    def __init__(self) -> None:
        self.state = AT_ARRIVAL
        self.approved: list[dict] = []
        self.records: dict[str, dict] = {}

    def command(self, name: str, question: str) -> None:
        self.state = apply_command(PLAN, self.state, Command(name, question=question))

    def focus(self, memory: ProjectorFocus) -> str:
        chosen = memory.choose(PLAN.steps[self.state.current_step], self.state, self.approved, self.records)
        return f"{chosen['kind']} {chosen['question']}" if chosen.get("question") else chosen["kind"]


def test_the_open_question_else_the_latest_thing_to_happen_else_the_step():
    room, memory, seen = Room(), ProjectorFocus(), []

    def happen(what: str, change) -> None:
        change()
        seen.append([what, room.focus(memory)])

    happen("nothing yet", lambda: None)
    happen("impact open", lambda: room.command("open", "arrival.impact"))
    happen("impact revealed", lambda: (room.command("close", "arrival.impact"), room.command("reveal", "arrival.impact")))
    happen("decision recorded", lambda: room.records.update(arrival=RECORD))
    happen("notes changed only", lambda: room.records.update(arrival={**RECORD, "notes": "new"}))
    happen("direction revealed after it", lambda: (room.command("open", "arrival.direction"),
                                                   room.command("close", "arrival.direction"),
                                                   room.command("reveal", "arrival.direction")))
    happen("example approved", lambda: room.approved.append({"question_id": "arrival.examples", "text": "x"}))
    happen("direction hidden", lambda: room.command("hide", "arrival.direction"))
    happen("examples open", lambda: room.command("open", "arrival.examples"))
    seen.append(["a projector opened now", room.focus(memory)])
    room.command("close", "arrival.examples")
    seen.append(["the examples closed", room.focus(memory)])
    seen.append(["a room first seen now", room.focus(ProjectorFocus())])
    assert seen == [
        ["nothing yet", "content"],
        ["impact open", "voting arrival.impact"],
        ["impact revealed", "result arrival.impact"],
        ["decision recorded", "record"],
        ["notes changed only", "record"],
        ["direction revealed after it", "result arrival.direction"],
        ["example approved", "examples"],
        ["direction hidden", "examples"],
        ["examples open", "voting arrival.examples"],
        ["a projector opened now", "voting arrival.examples"],
        ["the examples closed", "examples"],
        # With no history seen: the step's flow order, results then examples then the decision.
        ["a room first seen now", "record"],
    ]


def test_the_end_the_summary_and_the_introduction_have_screens_of_their_own():
    memory = ProjectorFocus()
    intro = PLAN.steps[0]
    summary = next(step for step in PLAN.steps if step.kind == "summary")
    state = SessionState.initial(PLAN)
    assert memory.choose(intro, state, [], {})["kind"] == "join"
    assert memory.choose(summary, replace(state, current_step=summary.index), [], {}) == {"kind": "summary"}
    assert memory.choose(ARRIVAL, replace(AT_ARRIVAL, ended=True), [], {"arrival": RECORD}) == {"kind": "ended"}


def test_two_questions_open_show_the_first_and_name_the_other():
    room = Room()
    room.command("open", "arrival.direction")
    room.command("open", "arrival.impact")
    chosen = ProjectorFocus().choose(ARRIVAL, room.state, [], {})
    assert chosen == {"kind": "voting", "question": "arrival.impact", "others": ["arrival.direction"]}


def test_a_new_step_forgets_what_happened_on_the_last():
    room, memory = Room(), ProjectorFocus()
    room.records["arrival"] = RECORD
    assert room.focus(memory) == "record"
    room.command("open", "arrival.impact")
    room.command("reveal", "arrival.impact")
    room.command("close", "arrival.impact")
    assert room.focus(memory) == "result arrival.impact"  # revealed after the record was there
    room.state = replace(room.state, current_step=ARRIVAL.index + 1)
    room.focus(memory)
    room.state = replace(room.state, current_step=ARRIVAL.index)
    assert room.focus(memory) == "record"  # seen afresh: the flow order


# Any sequence of what a facilitator does on the arrival step.
QUESTIONS = [question.id for question in ARRIVAL.questions]
ACTIONS = st.one_of(
    st.tuples(st.sampled_from(["open", "close", "reveal", "hide", "new_round"]), st.sampled_from(QUESTIONS)),
    st.tuples(st.just("approve"), st.sampled_from(["arrival.examples", "arrival.dissent"])),
    st.tuples(st.just("record"), st.sampled_from(["agreed", "deferred"])),
)


def _act(room: Room, action: tuple[str, str]) -> None:
    name, target = action
    if name == "approve":
        room.approved.append({"question_id": target, "text": "t"})
    elif name == "record":
        room.records["arrival"] = {**RECORD, "status": target}
    else:
        try:
            room.command(name, target)
        except Exception:  # refused (e.g. closing a pending question): nothing changed
            pass


@settings(max_examples=200, deadline=None)
@given(st.lists(ACTIONS, max_size=25))
def test_the_focus_is_the_open_question_or_the_last_thing_changed(actions):
    room, memory = Room(), ProjectorFocus()
    for action in actions:
        before = {item.key: item.signature for item in candidates(ARRIVAL, room.state, room.approved, room.records)}
        _act(room, action)
        chosen = memory.choose(ARRIVAL, room.state, room.approved, room.records)
        assert memory.choose(ARRIVAL, room.state, room.approved, room.records) == chosen  # nothing changed, same focus
        found = candidates(ARRIVAL, room.state, room.approved, room.records)
        running = open_questions(ARRIVAL, room.state)
        if running:
            assert chosen["kind"] == "voting" and chosen["question"] == running[0].id
            continue
        if not found:
            assert chosen == {"kind": "content"}
            continue
        assert chosen["kind"] in {item.kind for item in found}
        changed = [item for item in found if before.get(item.key) != item.signature]
        if len(changed) == 1:  # the one thing that just happened is what the screen shows
            assert (chosen["kind"], chosen.get("question")) == (changed[0].kind, changed[0].question)
