"""Plans as TOML text and back: what the editor saves is what the server loads, and a file's comments
and layout survive an edit."""

import copy
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.domain.plan_model import PlanError
from workshop.domain.plan_toml import error_path, plan_from_toml, plan_to_toml
from workshop.domain.plans import default_plans_dir

TEXT = (default_plans_dir() / "frei-variability.toml").read_text(encoding="utf-8")
DATA = tomllib.loads(TEXT)


def test_an_unchanged_plan_is_written_back_byte_for_byte():
    assert plan_to_toml(copy.deepcopy(DATA), "x.toml", TEXT) == TEXT


def test_an_edit_changes_only_the_edited_lines():
    data = copy.deepcopy(DATA)
    data["consensus"]["min_agreement"] = 0.8
    data["steps"][1]["questions"][0]["prompt"] = "New wording"
    written = plan_to_toml(data, "x.toml", TEXT)
    changed = [(old, new) for old, new in zip(TEXT.splitlines(), written.splitlines()) if old != new]
    assert changed == [("min_agreement = 0.75", "min_agreement = 0.8"),
                       ('  prompt = "How much does the uneven timing of demand hurt the service today?"',
                        '  prompt = "New wording"')]
    assert len(written.splitlines()) == len(TEXT.splitlines())


def test_moved_steps_keep_their_comments_and_come_back_in_the_new_order():
    data = copy.deepcopy(DATA)
    data["steps"][1], data["steps"][2] = data["steps"][2], data["steps"][1]
    written = plan_to_toml(data, "x.toml", TEXT)
    assert tomllib.loads(written) == data
    assert "# The default session plan" in written and "# fewer votes than this" in written


def test_a_new_plan_is_laid_out_as_people_write_them():
    written = plan_to_toml(copy.deepcopy(DATA), "x.toml")
    assert tomllib.loads(written) == DATA
    assert "[[steps]]" in written and "[[steps.questions]]" in written
    assert 'labels = {1 = "Close together", 3 = "Somewhat apart", 5 = "Far apart"}' in written  # inline
    assert 'body = """No two customers' in written  # long text on several lines


def test_an_invalid_plan_is_refused_with_the_load_message_and_its_path():
    data = copy.deepcopy(DATA)
    data["steps"][1]["questions"][0]["min"] = 9
    with pytest.raises(PlanError) as refused:
        plan_to_toml(data, "mine.toml", TEXT)
    assert str(refused.value).startswith("mine.toml: step 'arrival' (#2), field 'questions[0].max': ")
    assert error_path(refused.value) == "steps[1].questions[0].max"


@pytest.mark.parametrize("error, path", [
    (PlanError("f", "m"), None),
    (PlanError("f", "m", None, "consensus.min_votes"), "consensus.min_votes"),
    (PlanError("f", "m", "#3", None), "steps[2]"),
    (PlanError("f", "m", "'a' (#12)", "questions[0].labels.\"3\""), 'steps[11].questions[0].labels."3"'),
])
def test_error_paths_name_the_editors_fields(error, path):
    assert error_path(error) == path


def test_a_plan_over_the_size_limit_is_refused_before_it_is_parsed():
    with pytest.raises(PlanError, match="larger than 1024 KiB"):
        plan_from_toml("#" * (1024 * 1024 + 1), "big", "big.toml")


# Text as people type it: any printable or control character, several lines, quotes and backslashes.
TYPED = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200).filter(lambda t: t.strip())


@settings(max_examples=60, deadline=None)
@given(title=TYPED, body=TYPED, prompt=TYPED)
def test_whatever_is_typed_survives_the_trip_through_toml(title, body, prompt):
    data = copy.deepcopy(DATA)
    data["title"] = title
    data["steps"][0]["body"] = body
    data["steps"][1]["questions"][0]["prompt"] = prompt
    for previous in (TEXT, None):
        written = plan_to_toml(data, "x.toml", previous)
        assert tomllib.loads(written) == data
        assert plan_from_toml(written, "x", "x.toml").title == title.strip()
