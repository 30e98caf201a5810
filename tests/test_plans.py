"""The default plan: its shape, its questions, and content that follows the framework."""

import json

import pytest

from workshop.domain.framework import KINDS, STRATEGIES, STRATEGIES_BY_ID
from workshop.domain.plans import Option, default_plans_dir, load_plan, plan_from_dict

KIND_IDS = [kind.id for kind in KINDS]
STRATEGY_IDS = [strategy.id for strategy in STRATEGIES]

@pytest.fixture(scope="module")
def default_plan():
    return load_plan(default_plans_dir() / "frei-variability.toml")


# --- the default plan ---------------------------------------------------------------------------

def test_default_plan_shape(default_plan):
    assert default_plan.id == "frei-variability"
    assert default_plan.groups == ("IT", "Business")
    assert (default_plan.min_consensus, default_plan.min_agreement) == (0.70, 0.75)
    assert [step.id for step in default_plan.steps] == ["intro", *KIND_IDS, "summary"]
    assert [step.kind for step in default_plan.steps] == ["intro"] + ["category"] * 5 + ["summary"]
    assert [step.index for step in default_plan.steps] == list(range(7))
    assert default_plan.title and default_plan.description and default_plan.steps[0].body


def test_default_plan_questions(default_plan):
    expected = ["intro.culture"] + [f"{kind}.{suffix}" for kind in KIND_IDS
                                    for suffix in ("impact", "direction", "strategy", "examples", "dissent")]
    assert [question.id for question in default_plan.questions] == expected
    for kind in KIND_IDS:
        impact = default_plan.question(f"{kind}.impact")
        assert (impact.kind, impact.min, impact.max) == ("scale", 1, 5)
        assert set(impact.labels) == {1, 3, 5}
        direction = default_plan.question(f"{kind}.direction")
        assert (direction.min, direction.max) == (-2, 2)
        assert direction.labels == {-2: "Much less", -1: "Less", 0: "As today", 1: "More", 2: "Much more"}
        strategy = default_plan.question(f"{kind}.strategy")
        assert strategy.options == tuple(Option(s.id, s.name) for s in STRATEGIES)
        assert default_plan.question(f"{kind}.examples").kind == "text"
        dissent = default_plan.question(f"{kind}.dissent")
        assert (dissent.kind, dissent.prompt) == ("text", "What would change your vote?")


def test_default_plan_category_steps(default_plan):
    for kind in KIND_IDS:
        step = default_plan.category_step(kind)
        assert step.category == kind and step.title
        assert step.definition and step.it_example and step.everyday_example and step.sla_hint
        assert 2 <= len(step.prompts) <= 3
        assert [strategy.id for strategy in step.strategies] == STRATEGY_IDS
        assert all(2 <= len(strategy.tactics) <= 3 for strategy in step.strategies)
        assert [question.id.split(".")[0] for question in step.questions] == [kind] * 5
        assert default_plan.step_of(f"{kind}.impact") is step
    assert default_plan.category_step("nonsense") is None


def test_default_plan_content_follows_the_framework(default_plan):
    intro = default_plan.steps[0]
    assert any("culture" in prompt for prompt in intro.prompts)
    assert default_plan.question("intro.culture").kind == "scale"
    # explaining the standard makes customers conform: classic reduction; simple self-service absorbs: low-cost
    assert any("explain" in tactic for tactic in default_plan.tactics("subjective_preference", "classic_reduction"))
    assert not any("xplain" in tactic
                   for tactic in default_plan.tactics("subjective_preference", "uncompromised_reduction"))
    assert "Make self-service so simple that skill hardly matters" in default_plan.tactics(
        "capability", "low_cost_accommodation")
    assert default_plan.tactics("arrival", "uncompromised_reduction")[0].startswith(
        "Fill the troughs with complementary demand")
    assert "outage" in default_plan.category_step("arrival").it_example
    assert "urgent" in default_plan.category_step("subjective_preference").it_example


def test_default_plan_public_form_is_json(default_plan):
    public = json.loads(json.dumps(default_plan.to_public()))
    assert public["id"] == "frei-variability" and len(public["steps"]) == 7
    arrival = public["steps"][1]
    assert arrival["strategies"][0] == {**arrival["strategies"][0], "id": "classic_accommodation",
                                        "name": "Classic accommodation", "family": "accommodate"}
    assert {s["family"] for s in arrival["strategies"]} == {"accommodate", "reduce"}
    assert arrival["questions"][1]["labels"]["-2"] == "Much less"
    assert arrival["questions"][2]["options"][3] == {
        "id": "uncompromised_reduction", "label": STRATEGIES_BY_ID["uncompromised_reduction"].name}
    assert arrival["questions"][3]["max_length"] == 280


def test_default_plan_round_trips_through_its_source(default_plan):
    stored = json.loads(json.dumps(default_plan.source))
    rebuilt = plan_from_dict(stored, default_plan.id, "session ABC123")
    assert rebuilt == default_plan
    assert hash(rebuilt) == hash(default_plan)


def test_lookups_for_unknown_ids(default_plan):
    assert default_plan.question("nope") is None
    assert default_plan.step_of("nope") is None
