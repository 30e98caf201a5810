"""What a plan's questions accept: votes on scales and choices, and texts."""

import pytest

from workshop.domain.plans import Option, Question

# --- votes and submissions ------------------------------------------------------------------------

SCALE = Question("q.scale", "scale", "How much?", min=-2, max=2)
STRICT_SCALE = Question("q.strict", "scale", "How much?", allow_abstain=False, min=1, max=5)
CHOICE = Question("q.choice", "choice", "Which?",
                  options=(Option("red", "Red"), Option("blue", "Blue")))
STRICT_CHOICE = Question("q.choice2", "choice", "Which?", allow_abstain=False,
                         options=(Option("red", "Red"), Option("blue", "Blue")))
TEXT = Question("q.text", "text", "Tell us", max_length=10)


@pytest.mark.parametrize("question, value, expected", [
    (SCALE, -2, -2), (SCALE, 0, 0), (SCALE, 2, 2), (SCALE, "abstain", "abstain"),
    (STRICT_SCALE, 1, 1), (STRICT_SCALE, 5, 5),
    (CHOICE, "red", "red"), (CHOICE, "abstain", "abstain"), (STRICT_CHOICE, "blue", "blue"),
])
def test_check_value_accepts(question, value, expected):
    assert question.check_value(value) == expected


@pytest.mark.parametrize("question, value, needle", [
    (SCALE, True, "integer"),
    (SCALE, False, "integer"),
    (SCALE, 3, "from -2 to 2"),
    (SCALE, -3, "from -2 to 2"),
    (SCALE, 1.0, "integer"),
    (SCALE, "1", "integer"),
    (SCALE, None, "integer"),
    (STRICT_SCALE, "abstain", "does not allow abstaining"),
    (CHOICE, "green", "one of: red, blue, abstain"),
    (CHOICE, 1, "one of"),
    (CHOICE, ["red"], "one of"),
    (STRICT_CHOICE, "abstain", "does not allow abstaining"),
    (TEXT, "hello", "takes text submissions, not votes"),
])
def test_check_value_refuses(question, value, needle):
    with pytest.raises(ValueError, match=needle):
        question.check_value(value)


def test_check_text():
    assert TEXT.check_text("  hello  ") == "hello"
    assert TEXT.check_text("x" * 10) == "x" * 10
    for bad, needle in [("x" * 11, "at most 10"), ("   ", "empty"), ("", "empty"), (5, "string")]:
        with pytest.raises(ValueError, match=needle):
            TEXT.check_text(bad)
    with pytest.raises(ValueError, match="takes votes, not text"):
        SCALE.check_text("hello")


def test_question_public_forms():
    assert SCALE.to_public()["labels"] == {}
    labelled = Question("q", "scale", "?", min=1, max=3, labels={3: "High", 1: "Low"})
    assert labelled.to_public() == {"id": "q", "kind": "scale", "prompt": "?", "allow_abstain": True,
                                    "min": 1, "max": 3, "labels": {"1": "Low", "3": "High"}}
    assert CHOICE.to_public()["options"] == [{"id": "red", "label": "Red"}, {"id": "blue", "label": "Blue"}]
    assert TEXT.to_public()["max_length"] == 10 and "options" not in TEXT.to_public()
