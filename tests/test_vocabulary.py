"""The shared vocabulary: taken from the modules that enforce each value, and handed safely to every page."""

import ast
import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from helpers import AUTH
from workshop.domain.figures import Thresholds
from workshop.domain.framework import DIRECTIONS, KINDS, RECORD_STATUSES, STRATEGIES
from workshop.domain.records import MAX_TEXT
from workshop.vocabulary import (
    CERTAINTY_LABELS,
    DIRECTION_CHOICES,
    DIRECTION_LABELS,
    MAX_NAME,
    NO_RECORD_LABEL,
    NO_RECORD_PHRASE,
    NOT_DECIDED,
    QUESTION_STATUS_LABELS,
    RECORD_DIRECTION_LABELS,
    RECORD_STATUS_LABELS,
    VERDICT_LABELS,
    vocabulary,
)

BLOCK = re.compile(r'<script type="application/json" id="vocabulary">(.*?)</script>', re.S)


def test_the_vocabulary_follows_the_framework_and_the_limits_in_force():
    words = vocabulary()
    assert list(words["directions"]) == list(DIRECTIONS)
    assert list(words["direction_choices"]) == list(DIRECTIONS)
    assert list(words["record_statuses"]) == list(RECORD_STATUSES)
    assert list(words["question_statuses"]) == ["pending", "open", "closed"]
    assert [item["id"] for item in words["strategies"]] == [item.id for item in STRATEGIES]
    assert [item["family"] for item in words["strategies"]] == [item.family for item in STRATEGIES]
    assert [item["sla_hint"] for item in words["kinds"]] == [kind.sla_hint for kind in KINDS]
    assert words["limits"]["name"] == MAX_NAME and words["limits"]["record_text"] == MAX_TEXT
    assert words["limits"]["code"] == 6 and words["limits"]["submission_text"] == 280
    assert words["thresholds"] == asdict(Thresholds())
    assert words["close_codes"]["policy_violation"] == 1008 and words["close_codes"]["unknown_session"] == 4404
    assert json.loads(json.dumps(words)) == words


def test_a_caller_cannot_change_the_vocabulary_of_the_next_page():
    vocabulary()["limits"]["name"] = 1
    vocabulary()["strategies"].clear()
    assert vocabulary()["limits"]["name"] == MAX_NAME and len(vocabulary()["strategies"]) == len(STRATEGIES)


@pytest.mark.parametrize("path, authorised", [
    ("/", True), ("/s/{code}/facilitate", True), ("/s/{code}/present", True),
    ("/j/{code}", False), ("/join", False), ("/join?code=NOPE00", False), ("/", False),
])
def test_every_page_carries_the_vocabulary(client, session_code, path, authorised):
    response = client.get(path.format(code=session_code), headers=AUTH if authorised else {})
    (block,) = BLOCK.findall(response.text)
    assert json.loads(block) == vocabulary()


def test_the_vocabulary_block_cannot_be_closed_by_its_contents(client):
    hostile = {"label": "</script><script>alert(1)</script> & <!-- 'x'"}
    page = client.app.state.templates.env.get_template("base.html").render(vocabulary=hostile)
    (block,) = BLOCK.findall(page)
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block) == hostile


def test_pages_take_their_input_limits_from_the_vocabulary(client, session_code):
    limits = vocabulary()["limits"]
    phone = client.get(f"/j/{session_code}").text
    assert f'id="join-name" name="name" type="text" maxlength="{limits["name"]}"' in phone
    join = client.get("/join").text
    # A code may be typed with a dash and spaces ("abc-def", " Abc Def "): room for them, no pattern.
    assert f'maxlength="{limits["code"] * 2 + 4}" required' in join and "pattern=" not in join
    console = client.get(f"/s/{session_code}/facilitate", headers=AUTH).text
    assert console.count(f'maxlength="{limits["record_text"]}"') == 3
    for value, label in vocabulary()["record_statuses"].items():
        assert f'name="status" value="{value}"' in console and f"> {label}</label>" in console


# --- Words said once ------------------------------------------------------------------------------
# The layers above the vocabulary (exports, live rooms, web) take their labels from it; the domain sits
# below it and is not scanned.
LABEL_TABLES = {"DIRECTION_LABELS": DIRECTION_LABELS, "DIRECTION_CHOICES": DIRECTION_CHOICES,
                "RECORD_DIRECTION_LABELS": RECORD_DIRECTION_LABELS, "RECORD_STATUS_LABELS": RECORD_STATUS_LABELS,
                "QUESTION_STATUS_LABELS": QUESTION_STATUS_LABELS, "VERDICT_LABELS": VERDICT_LABELS,
                "CERTAINTY_LABELS": CERTAINTY_LABELS}
ABOVE_THE_VOCABULARY = ("exports", "live", "web")


def redefined_labels(source: str) -> list[str]:
    """The vocabulary's labels a module writes out itself: a label as a string of its own, or a table
    that maps two or more of a vocabulary table's values to fixed strings."""
    labels = {label: name for name, table in LABEL_TABLES.items() for label in table.values()}
    labels.update({label: "the vocabulary" for label in (NO_RECORD_LABEL, NO_RECORD_PHRASE, NOT_DECIDED)})
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in labels:
            found.append(f"{node.value!r} is in {labels[node.value]}")
        if isinstance(node, ast.Dict) and all(isinstance(value, ast.Constant) for value in node.values):
            keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
            found += [f"a table of {name}: {sorted(keys & set(table))}" for name, table in LABEL_TABLES.items()
                      if len(keys & set(table)) >= 2]
    return found


def test_no_module_above_the_vocabulary_says_its_labels_again():
    package = Path(__file__).resolve().parents[1] / "workshop"
    found = {str(path.relative_to(package)): redefined_labels(path.read_text(encoding="utf-8"))
             for layer in ABOVE_THE_VOCABULARY for path in sorted((package / layer).rglob("*.py"))}
    assert {path: words for path, words in found.items() if words} == {}


@pytest.mark.parametrize("source", [
    'STATUS_NAMES = {"agreed": "Agreed", "no_consensus": "No consensus", "deferred": "Deferred"}',
    'NAMES = {"less": "Less allowed", "more": "More allowed"}',
    'def badge():\n    return "Not reached"',
])
def test_a_label_written_out_again_is_found(source):
    assert redefined_labels(source) != []


def test_every_direction_has_its_words_in_full():
    assert list(RECORD_DIRECTION_LABELS) == list(DIRECTIONS)
