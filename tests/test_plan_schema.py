"""The plan's JSON Schema: generated from the plan checks, committed as docs/plan-schema.json, passed by
every shipped plan, failed by invalid ones (which the checks refuse too), and served to facilitators."""

import copy
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import AUTH
from workshop.domain import plan_schema as plan_schema_module
from workshop.domain.plan_checks import STEP_KEYS, plan_from_dict
from workshop.domain.plan_model import PlanError
from workshop.domain.plan_schema import REGENERATE, SCHEMA_PATH, plan_schema, schema_text
from workshop.domain.plans import default_plans_dir

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {path.stem: tomllib.loads(path.read_text(encoding="utf-8"))
           for path in sorted(default_plans_dir().glob("*.toml"))}
VALIDATOR = jsonschema.Draft202012Validator(plan_schema())


def test_the_committed_schema_is_the_generated_one():
    committed = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_text(), f"{SCHEMA_PATH} is out of date: run `{REGENERATE}` and commit it"


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(plan_schema())


@pytest.mark.parametrize("plan_id", sorted(SHIPPED))
def test_every_shipped_plan_passes_the_schema(plan_id):
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(SHIPPED[plan_id])]
    assert errors == []


def _step(plan: dict, kind: str) -> dict:
    return next(step for step in plan["steps"] if step["kind"] == kind)


def _question(plan: dict, kind: str) -> dict:
    return next(q for step in plan["steps"] for q in step.get("questions", []) if q["kind"] == kind)


# Each breaks one rule of the shape; the name says which.
BREAKS = {
    "an unknown top-level key": lambda plan: plan.update(agenda=[]),
    "no title": lambda plan: plan.pop("title"),
    "a blank title": lambda plan: plan.update(title="   "),
    "no groups": lambda plan: plan.update(groups=[]),
    "a group name over 300 characters": lambda plan: plan["groups"].append("g" * 301),
    "a repeated group": lambda plan: plan["groups"].append(plan["groups"][0]),
    "a smallest group of 0": lambda plan: plan.update(min_group_size=0),
    "an agreement above 1": lambda plan: plan.setdefault("consensus", {}).update(min_agreement=1.5),
    "a vote count of 0": lambda plan: plan.setdefault("consensus", {}).update(min_votes=0),
    "an unknown consensus key": lambda plan: plan.setdefault("consensus", {}).update(majority=0.5),
    "no steps": lambda plan: plan.update(steps=[]),
    "a step id in capitals": lambda plan: plan["steps"][0].update(id="Arrival"),
    "an unknown step kind": lambda plan: plan["steps"][0].update(kind="lecture"),
    "a step without a title": lambda plan: plan["steps"][0].pop("title"),
    "an unknown step key": lambda plan: plan["steps"][0].update(notes="speak slowly"),
    "a category on an intro step": lambda plan: _step(plan, "intro").update(category="arrival"),
    "a category step without its kind": lambda plan: _step(plan, "category").pop("category"),
    "an unknown kind of variability": lambda plan: _step(plan, "category").update(category="weather"),
    "a slide text over 300 characters": lambda plan: plan["steps"][0].update(projector_text="x" * 301),
    "a blank prompt": lambda plan: _step(plan, "category").update(prompts=["Why?", " "]),
    "an unknown strategy": lambda plan: _step(plan, "category")["strategies"][0].update(id="ignore"),
    "a strategy without tactics": lambda plan: _step(plan, "category")["strategies"][0].update(tactics=[]),
    "an unknown question kind": lambda plan: _question(plan, "scale").update(kind="rank"),
    "a scale without a max": lambda plan: _question(plan, "scale").pop("max"),
    "options on a scale": lambda plan: _question(plan, "scale").update(options=[]),
    "a label key that is not a number": lambda plan: _question(plan, "scale").update(labels={"one": "Low"}),
    "a blank label": lambda plan: _question(plan, "scale").update(labels={"0": " "}),
    "one decision side": lambda plan: _question(plan, "scale").update(decision_sides={"all": [-2, -1, 0, 1, 2]}),
    "a choice of one option": lambda plan: _question(plan, "choice").update(
        options=_question(plan, "choice")["options"][:1]),
    "an option called abstain": lambda plan: _question(plan, "choice")["options"][0].update(id="abstain"),
    "a text answer of length 0": lambda plan: _question(plan, "text").update(max_length=0),
    "a prompt that is a number": lambda plan: _question(plan, "scale").update(prompt=3),
    "abstaining allowed as a word": lambda plan: _question(plan, "scale").update(allow_abstain="yes"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_an_invalid_plan_fails_the_schema_and_the_checks(name):
    plan = copy.deepcopy(SHIPPED["frei-variability"])
    BREAKS[name](plan)
    assert not VALIDATOR.is_valid(plan), name
    with pytest.raises(PlanError):
        plan_from_dict(plan, "broken", "broken.toml")


@pytest.mark.parametrize("name, break_it", [
    ("a scale whose max is below its min", lambda plan: _question(plan, "scale").update(min=3, max=1)),
    ("a group name of 41 characters", lambda plan: plan["groups"].append("g" * 41)),
    ("a question id used twice", lambda plan: _step(plan, "category")["questions"][1].update(
        id=_step(plan, "category")["questions"][0]["id"])),
])
def test_rules_across_fields_are_left_to_the_checks(name, break_it):
    """What the schema's description says it leaves to the checks: the schema passes it, the checks refuse it."""
    plan = copy.deepcopy(SHIPPED["frei-variability"])
    break_it(plan)
    assert VALIDATOR.is_valid(plan), name
    with pytest.raises(PlanError):
        plan_from_dict(plan, "broken", "broken.toml")


def _places(value: object, path: tuple = ()) -> list[tuple]:
    """Every table key and list position in a plan, as paths from its top."""
    found = [path] if path else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.extend(_places(child, (*path, key)))
    return found


DEFAULT_PLACES = _places(SHIPPED["frei-variability"])
# Values near the bounds the checks and the schema hold: lengths 0, 1, 40, 41, 300, 301; numbers around 0,
# 1, 10, 1000, 10,000; fractions just above 1; ids, label keys and words that only some fields take.
EDGE_TEXT = st.sampled_from(["", " ", "x", "Arrival", "arrival", "a.b-c_d", "abstain", "-2", "07", "5",
                             "g" * 40, "g" * 41, "t" * 300, "t" * 301, "scale", "choice", "text", "category",
                             "summary", "classic_reduction", "request"])
EDGE_NUMBER = st.sampled_from([-3, -2, -1, 0, 1, 2, 5, 10, 11, 1000, 1001, 2000, 2001, 10_000, 10_001,
                               0.0, 0.5, 1.0, 1.0001, -0.1])
VALUES = st.recursive(st.none() | st.booleans() | EDGE_NUMBER | EDGE_TEXT,
                      lambda children: st.lists(children, max_size=3) | st.dictionaries(EDGE_TEXT, children, max_size=3),
                      max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=st.sampled_from(DEFAULT_PLACES), action=st.sampled_from(["set", "remove", "add"]), value=VALUES,
       key=EDGE_TEXT)
def test_a_plan_the_checks_load_always_passes_the_schema(place, action, value, key):
    """One change anywhere in the default plan: if the server's checks still load it, the schema passes it."""
    plan = copy.deepcopy(SHIPPED["frei-variability"])
    *parents, last = place
    holder = plan
    for part in parents:
        holder = holder[part]
    if action == "set":
        holder[last] = value
    elif action == "remove":
        del holder[last]
    elif isinstance(holder[last], dict):
        holder[last][key] = value
    try:
        plan_from_dict(plan, "changed", "changed.toml")
    except PlanError:
        return
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(plan)]
    assert errors == [], (place, action)


def test_a_key_the_checks_accept_but_the_schema_lacks_stops_the_schema_being_built(monkeypatch):
    monkeypatch.setattr(plan_schema_module, "STEP_KEYS", STEP_KEYS | {"speaker_notes"})
    with pytest.raises(ValueError, match="only in the checks \\['speaker_notes'\\]"):
        plan_schema()


def test_the_schema_is_served_to_the_facilitator_only(client):
    served = client.get("/api/plans/schema.json", headers=AUTH)
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/schema+json")
    assert json.loads(served.text) == plan_schema()
    assert client.get("/api/plans/schema.json").status_code == 401
