"""The plans that ship with the server: each loads, keeps the shape its description promises, and
runs a session."""

import pytest

from helpers import AUTH
from workshop.domain.framework import KINDS
from workshop.domain.plans import default_plans_dir, discover_plans

KIND_IDS = [kind.id for kind in KINDS]
SHIPPED, ERRORS = discover_plans([default_plans_dir()])


def test_every_shipped_plan_loads():
    assert ERRORS == []
    assert set(SHIPPED) == {"frei-variability", "frei-45-minutes", "everyday-services", "one-kind-arrival",
                            "quarterly-sla-review"}
    assert len({plan.title for plan in SHIPPED.values()}) == len(SHIPPED)
    assert all(plan.description and plan.steps[0].body for plan in SHIPPED.values())


@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_each_kind_a_plan_covers_can_be_recorded(plan_id):
    """A consensus record reads the kind's direction and strategy questions."""
    plan = SHIPPED[plan_id]
    kinds = [step.category for step in plan.steps if step.kind == "category"]
    assert kinds
    for kind in kinds:
        assert plan.question(f"{kind}.direction").sides, (plan_id, kind)
        assert len(plan.question(f"{kind}.strategy").options) == 4
        assert plan.category_step(kind).sla_hint


def test_the_45_minute_plan_asks_one_direction_and_one_strategy_question_per_kind():
    plan = SHIPPED["frei-45-minutes"]
    assert [step.category for step in plan.steps if step.category] == KIND_IDS
    assert [q.id for q in plan.questions] == [f"{kind}.{part}" for kind in KIND_IDS for part in ("direction", "strategy")]
    full = SHIPPED["frei-variability"]
    for kind in KIND_IDS:
        assert len(plan.category_step(kind).definition) < len(full.category_step(kind).definition)


def test_the_everyday_plan_draws_its_examples_from_outside_it():
    plan = SHIPPED["everyday-services"]
    for kind in KIND_IDS:
        step = plan.category_step(kind)
        assert step.everyday_example and not step.it_example
        assert all(len(strategy.tactics) == 2 for strategy in step.strategies)


def test_the_single_kind_plan_has_one_kind():
    plan = SHIPPED["one-kind-arrival"]
    assert [step.kind for step in plan.steps] == ["intro", "category", "summary"]


def test_the_quarterly_review_asks_what_held_and_what_changed():
    plan = SHIPPED["quarterly-sla-review"]
    for kind in KIND_IDS:
        assert plan.question(f"{kind}.held").kind == "choice"
        changed = plan.question(f"{kind}.change")
        assert (changed.min, changed.max, changed.sides) == (-2, 2, ())


@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_each_shipped_plan_runs_a_session(client, plan_id):
    response = client.post("/api/sessions", json={"title": "Library", "plan": plan_id}, headers=AUTH)
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    plan = SHIPPED[plan_id]
    snapshot = client.get(f"/api/sessions/{code}", headers=AUTH).json()
    assert len(snapshot["steps"]) == len(plan.steps)
    for question in plan.questions:
        if question.kind == "text":
            continue
        results = client.get(f"/api/sessions/{code}/results/{question.id}", headers=AUTH)
        assert results.status_code == 200, (question.id, results.text)


@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_every_step_of_a_shipped_plan_has_its_own_slide_text(plan_id):
    """Written for the projector (issue 22): a few words of its own, never the notes' first sentence cut short."""
    for step in SHIPPED[plan_id].steps:
        words = step.projector_text.split()
        assert 5 <= len(words) <= 40, (plan_id, step.id, len(words))
        notes = step.definition if step.kind == "category" else step.body
        assert notes and step.projector_text not in notes, (plan_id, step.id)
