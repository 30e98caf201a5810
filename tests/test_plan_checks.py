"""Loading plans from folders: wrong or hostile files are refused with the file, step and field, later
folders override earlier ones, and a bad file never hides the good plans beside it."""

import os
import pickle
from pathlib import Path

import pytest

from workshop.domain.plans import PlanError, default_plans_dir, discover_plans, load_plan, plan_from_dict

# --- invalid plans --------------------------------------------------------------------------------

HEADER = 'title = "Test"\ngroups = ["IT", "Business"]\n'

INTRO = '[[steps]]\nid = "intro"\nkind = "intro"\ntitle = "Hello"\n'

ARRIVAL = """
[[steps]]
id = "arrival"
kind = "category"
category = "arrival"
title = "Arrival"
  [[steps.questions]]
  id = "arrival.impact"
  kind = "scale"
  prompt = "How much?"
  min = 1
  max = 5
"""


def _with_question(question: str, step_id: str = "arrival") -> str:
    return HEADER + INTRO + ARRIVAL.replace('id = "arrival"', f'id = "{step_id}"', 1) + question


INVALID = {
    "duplicate question id": (
        _with_question('[[steps.questions]]\nid = "arrival.impact"\nkind = "text"\nprompt = "Again"\n'),
        "'arrival' (#2)", "questions[1].id", "duplicate question id 'arrival.impact'"),
    "duplicate question id in another step": (
        HEADER + INTRO + ARRIVAL + ARRIVAL.replace('"arrival"', '"request"'),
        "'request' (#3)", "questions[0].id", "also in step 'arrival' (#2)"),
    "scale min equals max": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = 3\nmax = 3\n'),
        "'arrival' (#2)", "questions[1].max", "must be greater than min"),
    "scale min above max": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = 2\nmax = -2\n'),
        "'arrival' (#2)", "questions[1].max", "must be greater than min"),
    "scale bool bound": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = true\nmax = 3\n'),
        "'arrival' (#2)", "questions[1].min", "must be an integer"),
    "scale too wide": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = 0\nmax = 11\n'),
        "'arrival' (#2)", "questions[1].max", "at most 10"),
    "label outside the scale": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = 1\nmax = 5\n'
                       'labels = { "6" = "Too far" }\n'),
        "'arrival' (#2)", 'questions[1].labels."6"', "outside the scale 1..5"),
    "unknown key in a question": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "text"\nprompt = "?"\nmax_lenght = 50\n'),
        "'arrival' (#2)", "questions[1].max_lenght", "unknown key 'max_lenght'"),
    "unknown key in a step": (
        HEADER + INTRO.replace('title = "Hello"', 'titel = "Hello"'),
        "'intro' (#1)", "titel", "unknown key 'titel'"),
    "unknown category": (
        HEADER + INTRO + ARRIVAL.replace('category = "arrival"', 'category = "arival"'),
        "'arrival' (#2)", "category", "must be one of: arrival, request"),
    "category twice": (
        HEADER + ARRIVAL + ARRIVAL.replace('id = "arrival"', 'id = "again"', 1)
        .replace('"arrival.impact"', '"again.impact"'),
        "'again' (#2)", "category", "already has a step: 'arrival' (#1)"),
    "category on an intro step": (
        HEADER + INTRO + 'category = "arrival"\n',
        "'intro' (#1)", "category", "only allowed on steps of kind 'category'"),
    "missing step title": (
        HEADER + INTRO.replace('title = "Hello"\n', ""),
        "'intro' (#1)", "title", "is required"),
    "title of the wrong type": (
        HEADER + INTRO.replace('title = "Hello"', "title = 3"),
        "'intro' (#1)", "title", "must be a string"),
    "prompts of the wrong type": (
        HEADER + INTRO + 'prompts = ["one", 2]\n',
        "'intro' (#1)", "prompts", "must be a list of strings"),
    "bad step id": (
        HEADER + INTRO.replace('id = "intro"', 'id = "Intro Step"'),
        "'Intro Step' (#1)", "id", "must start with a lower-case letter"),
    "unknown strategy": (
        HEADER + ARRIVAL + '  [[steps.strategies]]\n  id = "magic"\n  tactics = ["x"]\n',
        "'arrival' (#1)", "strategies[0].id", "must be one of: classic_accommodation"),
    "choice with one option": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "choice"\nprompt = "?"\n'
                       'options = [{ id = "only", label = "Only" }]\n'),
        "'arrival' (#2)", "questions[1].options", "at least 2 options"),
    "choice with duplicate options": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "choice"\nprompt = "?"\n'
                       'options = [{ id = "x", label = "X" }, { id = "x", label = "Also X" }]\n'),
        "'arrival' (#2)", "questions[1].options[1].id", "duplicate option id 'x'"),
    "choice option with empty label": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "choice"\nprompt = "?"\n'
                       'options = [{ id = "x", label = "X" }, { id = "y", label = " " }]\n'),
        "'arrival' (#2)", "questions[1].options[1].label", "must not be empty"),
    "text too long": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "text"\nprompt = "?"\nmax_length = 2001\n'),
        "'arrival' (#2)", "questions[1].max_length", "from 1 to 2000"),
    "unknown question kind": (
        _with_question('[[steps.questions]]\nid = "a.b"\nkind = "slider"\nprompt = "?"\n'),
        "'arrival' (#2)", "questions[1].kind", "must be one of: scale, choice, text"),
    "no steps": (HEADER, None, "steps", "is required"),
    "empty groups": (HEADER.replace('["IT", "Business"]', "[]") + INTRO, None, "groups", "at least one group"),
    "duplicate group": (HEADER.replace('"Business"', '"it"') + INTRO, None, "groups[1]", "duplicate group"),
    "threshold out of range": (
        HEADER + "[consensus]\nmin_agreement = 1.5\n" + INTRO,
        None, "consensus.min_agreement", "from 0 to 1"),
    "group size below one": (HEADER + "min_group_size = 0\n" + INTRO, None, "min_group_size", "from 1 to 1000"),
    "group size not an integer": (HEADER + "min_group_size = 2.5\n" + INTRO, None, "min_group_size",
                                  "must be an integer"),
    "projector text too long": (HEADER + INTRO + f'projector_text = "{"p" * 301}"\n',
                                "'intro' (#1)", "projector_text", "at most 300 characters (got 301)"),
    "projector text not a string": (HEADER + INTRO + "projector_text = [\"a\"]\n",
                                    "'intro' (#1)", "projector_text", "must be a string"),
    "missing plan title": (HEADER.replace('title = "Test"\n', "") + INTRO, None, "title", "is required"),
    "bad TOML syntax": (HEADER + "[[steps]\nid = 1\n", None, None, "invalid TOML"),
}


@pytest.mark.parametrize("text, step, field, needle", INVALID.values(), ids=INVALID.keys())
def test_invalid_plans_are_refused_with_a_precise_message(tmp_path, text, step, field, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    error = caught.value
    assert (error.file, error.step, error.field) == (str(path), step, field)
    assert needle in error.message
    message = str(error)
    assert message.startswith(f"{path}: ")
    if step:
        assert f"step {step}" in message
    if field:
        assert f"field '{field}': " in message


def test_toml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(HEADER + "[[steps]\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"broken\.toml: invalid TOML: .*line 3"):
        load_plan(path)


def test_plan_error_reads_like_the_documented_form():
    error = PlanError("sessions/bad.toml", "must be greater than min", "'arrival' (#2)", "questions[1].max")
    assert str(error) == ("sessions/bad.toml: step 'arrival' (#2), field 'questions[1].max': "
                          "must be greater than min")
    assert str(PlanError("x.toml", "oops")) == "x.toml: oops"
    assert str(PlanError("x.toml", "oops", field="groups")) == "x.toml: field 'groups': oops"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_plan_from_dict_refuses_non_tables():
    with pytest.raises(PlanError, match="session X: a plan must be a table"):
        plan_from_dict(["not", "a", "table"], "p", "session X")  # type: ignore[arg-type]


def test_minimal_plan_gets_defaults(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(HEADER + INTRO, encoding="utf-8")
    plan = load_plan(path)
    assert (plan.id, plan.description, plan.min_consensus, plan.min_agreement) == ("mini", "", 0.70, 0.75)
    assert plan.min_group_size == 3
    assert plan.questions == ()


def test_a_step_carries_a_short_projector_text_and_old_plans_have_none(tmp_path):
    path = tmp_path / "slides.toml"
    path.write_text(HEADER + INTRO + 'projector_text = " Join on your phone. "\n' + ARRIVAL, encoding="utf-8")
    plan = load_plan(path)
    assert plan.steps[0].projector_text == "Join on your phone."
    assert plan.steps[0].to_public()["projector_text"] == "Join on your phone."
    assert plan.steps[1].projector_text == "" and plan.steps[1].to_public()["projector_text"] == ""


def test_a_plan_sets_the_smallest_group_the_big_screen_shows(tmp_path):
    path = tmp_path / "private.toml"
    path.write_text(HEADER + "min_group_size = 5\n" + INTRO, encoding="utf-8")
    assert load_plan(path).min_group_size == 5


# --- discovery ------------------------------------------------------------------------------------

def _write(folder: Path, name: str, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(HEADER.replace("Test", title) + INTRO, encoding="utf-8")


def test_discover_reports_invalid_files_and_lets_later_folders_override(tmp_path):
    shipped, mine = tmp_path / "shipped", tmp_path / "mine"
    _write(shipped, "alpha.toml", "Shipped alpha")
    _write(shipped, "beta.toml", "Shipped beta")
    _write(mine, "alpha.toml", "My alpha")
    (mine / "broken.toml").write_text("title = ", encoding="utf-8")
    (mine / "notes.txt").write_text("not a plan", encoding="utf-8")
    plans, errors = discover_plans([shipped, mine, tmp_path / "missing"])
    assert sorted(plans) == ["alpha", "beta"]
    assert plans["alpha"].title == "My alpha"
    assert plans["beta"].title == "Shipped beta"
    assert [error.file for error in errors] == [str(mine / "broken.toml"), str(tmp_path / "missing")]
    assert all(isinstance(error, PlanError) for error in errors)


def test_discover_finds_the_default_plan():
    plans, errors = discover_plans([default_plans_dir()])
    assert "frei-variability" in plans
    assert errors == []


# --- hostile plan files ---------------------------------------------------------------------------

def _many_steps(count: int) -> str:
    return HEADER + "".join(INTRO.replace('"intro"', f'"s{number}"', 1) for number in range(count))


def _many_questions(count: int) -> str:
    question = '[[steps.questions]]\nid = "q{n}"\nkind = "text"\nprompt = "?"\n'
    return HEADER + INTRO + "".join(question.format(n=number) for number in range(count))


def _many_options(count: int) -> str:
    options = ", ".join(f'{{ id = "o{number}", label = "O" }}' for number in range(count))
    return _with_question(f'[[steps.questions]]\nid = "a.b"\nkind = "choice"\nprompt = "?"\noptions = [{options}]\n')


HOSTILE = {
    "deeply nested array": (HEADER + "x = " + "[" * 10_000 + "]" * 10_000 + "\n" + INTRO,
                            None, None, "may nest at most 10 deep"),
    "deeply nested inline table": (HEADER + "x = " + "{a = " * 10_000 + "1" + "}" * 10_000 + "\n" + INTRO,
                                   None, None, "may nest at most 10 deep"),
    "nested just past the limit": (HEADER + INTRO + "prompts = " + "[" * 12 + "]" * 12 + "\n",
                                   None, None, "may nest at most 10 deep"),
    "thousands of steps": (_many_steps(5000), None, "steps", "at most 100 items (got 5000)"),
    "thousands of questions": (_many_questions(3000), "'intro' (#1)", "questions", "at most 20 items (got 3000)"),
    "thousands of options": (_many_options(2000), "'arrival' (#2)", "questions[1].options",
                             "at most 20 items (got 2000)"),
    "thousands of groups": (HEADER.replace('["IT", "Business"]', str([f"g{n}" for n in range(1000)])) + INTRO,
                            None, "groups", "at most 20 items (got 1000)"),
    "thousands of prompts": (HEADER + INTRO + f"prompts = {['p'] * 1000}\n",
                             "'intro' (#1)", "prompts", "at most 20 items"),
    "very long title": (HEADER.replace('"Test"', '"' + "T" * 100_000 + '"') + INTRO,
                        None, "title", "at most 300 characters (got 100000)"),
    "very long body": (HEADER + INTRO + f'body = "{"b" * 20_000}"\n',
                       "'intro' (#1)", "body", "at most 10000 characters"),
    "very long step id": (HEADER + INTRO.replace('"intro"', '"' + "i" * 50_000 + '"', 1),
                          "'" + "i" * 60 + "...' (#1)", "id", "at most 300 characters"),
    "very long unknown key": (HEADER + INTRO + "k" * 50_000 + " = 1\n",
                              "'intro' (#1)", "k" * 60 + "...", "unknown key"),
    "very long label": (_with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = 1\n'
                                       f'max = 5\nlabels = {{ "1" = "{"L" * 5000}" }}\n'),
                        "'arrival' (#2)", 'questions[1].labels."1"', "at most 300 characters"),
    "number where text is expected": (HEADER + INTRO.replace('title = "Hello"', "title = 1979-05-27"),
                                      "'intro' (#1)", "title", "must be a string"),
    "table where an id is expected": (HEADER + INTRO.replace('id = "intro"', "id = { a = 1 }"),
                                      "#1", "id", "must be a string"),
    "array where the plan title is expected": (HEADER.replace('"Test"', '["a"]') + INTRO,
                                               None, "title", "must be a string"),
    "number as a group": (HEADER.replace('"Business"', "7") + INTRO, None, "groups", "list of strings"),
    "table as a label": (_with_question('[[steps.questions]]\nid = "a.b"\nkind = "scale"\nprompt = "?"\nmin = 1\n'
                                        'max = 5\nlabels = { "1" = { x = 1 } }\n'),
                         "'arrival' (#2)", 'questions[1].labels."1"', "non-empty string"),
}


@pytest.mark.parametrize("text, step, field, needle", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_plans_are_refused_with_a_precise_message(tmp_path, text, step, field, needle):
    test_invalid_plans_are_refused_with_a_precise_message(tmp_path, text, step, field, needle)


def test_a_huge_plan_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_bytes((HEADER + INTRO).encode() + b"#" * (1024 * 1024))
    with pytest.raises(PlanError, match=r"huge\.toml: is larger than 1024 KiB"):
        load_plan(path)


def test_a_plan_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # opening it for reading would wait forever for a writer
    with pytest.raises(PlanError, match=r"fifo\.toml: is not a regular file"):
        load_plan(fifo)
    device = tmp_path / "zero.toml"
    device.symlink_to("/dev/zero")  # endless if read
    with pytest.raises(PlanError, match=r"zero\.toml: is not a regular file"):
        load_plan(device)


def test_an_unreadable_plan_is_refused(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    with pytest.raises(PlanError, match=r"loop\.toml: cannot be read: Too many levels of symbolic links"):
        load_plan(loop)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b'title = "\xff\xfe"\n')
    with pytest.raises(PlanError, match=r"binary\.toml: is not UTF-8 text"):
        load_plan(binary)


def test_hostile_files_never_hide_the_good_plans_beside_them(tmp_path):
    _write(tmp_path, "good.toml", "Good")
    (tmp_path / "nested.toml").write_text(HEADER + "x = " + "[" * 10_000 + "]" * 10_000 + "\n" + INTRO)
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "dangling.toml").symlink_to(tmp_path / "nowhere")
    (tmp_path / "huge.toml").write_bytes(b"#" * (2 * 1024 * 1024))
    plans, errors = discover_plans([tmp_path])
    assert list(plans) == ["good"]
    assert sorted(Path(error.file).name for error in errors) == [
        "dangling.toml", "fifo.toml", "huge.toml", "nested.toml"]
