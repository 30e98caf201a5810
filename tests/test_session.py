"""The session state machine, as plain unit tests."""

import pytest

from workshop.domain.commands import apply_command, parse_command
from workshop.domain.plans import default_plans_dir, load_plan
from workshop.domain.refusal import Refusal
from workshop.domain.session import QuestionState, SessionState


@pytest.fixture(scope="module")
def plan():
    return load_plan(default_plans_dir() / "frei-variability.toml")


def run(plan, state, **data):
    return apply_command(plan, state, parse_command(data))


def test_initial_state_has_every_question_pending(plan):
    state = SessionState.initial(plan)
    assert state.current_step == 0
    assert set(state.questions) == {q.id for q in plan.questions}
    assert all(q == QuestionState("pending", 1, False) for q in state.questions.values())


def test_question_lifecycle(plan):
    state = SessionState.initial(plan)
    state = run(plan, state, command="open", question="arrival.direction")
    assert state.question("arrival.direction") == QuestionState("open", 1, False)
    state = run(plan, state, command="close", question="arrival.direction")
    state = run(plan, state, command="reveal", question="arrival.direction")
    assert state.question("arrival.direction") == QuestionState("closed", 1, True)
    state = run(plan, state, command="new_round", question="arrival.direction")
    assert state.question("arrival.direction") == QuestionState("open", 2, False)
    state = run(plan, state, command="hide", question="arrival.direction")
    state = run(plan, state, command="open", question="arrival.direction")
    assert state.question("arrival.direction") == QuestionState("open", 2, False)


def test_repeated_commands_change_nothing(plan):
    state = run(plan, SessionState.initial(plan), command="open", question="effort.impact")
    assert run(plan, state, command="open", question="effort.impact") is state
    assert run(plan, state, command="hide", question="effort.impact") is state
    moved = run(plan, state, command="goto", step=3)
    assert run(plan, moved, command="goto", step=3) is moved


@pytest.mark.parametrize("data, code", [
    ({"command": "goto", "step": -1}, "invalid_field"),
    ({"command": "goto", "step": 7}, "invalid_field"),
    ({"command": "goto", "step": True}, "invalid_field"),
    ({"command": "goto"}, "invalid_field"),
    ({"command": "close", "question": "arrival.impact"}, "question_pending"),
    ({"command": "reveal", "question": "arrival.impact"}, "question_pending"),
    ({"command": "new_round", "question": "arrival.impact"}, "question_pending"),
    ({"command": "open", "question": "arrival.weather"}, "unknown_question"),
    ({"command": "open", "question": 3}, "invalid_field"),
    ({"command": "explode"}, "bad_command"),
    ({"step": 1}, "bad_command"),
    ({"command": "approve", "submission": "1"}, "invalid_field"),
])
def test_refused_commands(plan, data, code):
    with pytest.raises(Refusal) as refused:
        run(plan, SessionState.initial(plan), **data)
    assert refused.value.code == code and refused.value.message


def test_parse_command_refuses_non_objects():
    with pytest.raises(Refusal):
        parse_command(["goto", 1])
