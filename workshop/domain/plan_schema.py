"""The JSON Schema of a session plan, built from the plan checks' own key sets and the model's bounds.

The schema describes the plan's shape: which tables hold which keys, their types, lengths, counts,
ranges and ids. It is built here from the same constants the checks read, and building it fails when
the checks accept a key the schema does not describe, so the two cannot drift apart. A few rules span
several fields and stay with the checks only: ids unique across the plan, a scale's max above its
min and its span, labels and decision sides inside the scale, at most 200 questions in all, groups
unique ignoring case and short once trimmed. A plan the checks load always passes the schema; a plan
that passes the schema may still be refused by them, with a message naming the step and field
(docs/plan-schema.md).

`python -m workshop.domain.plan_schema docs/plan-schema.json` writes the schema to a file;
without an argument it prints it.
"""

import functools
import json
import sys
from pathlib import Path

from .framework import KINDS, STRATEGIES
from .plan_checks import (
    CONSENSUS_KEYS,
    LABEL_KEY,
    OPTION_KEYS,
    PLAN_KEYS,
    QUESTION_COMMON_KEYS,
    QUESTION_KEYS,
    STEP_KEYS,
    STRATEGY_KEYS,
)
from .plan_fields import ID_PATTERN
from .plan_model import (
    ABSTAIN,
    DEFAULT_MIN_AGREEMENT,
    DEFAULT_MIN_CONSENSUS,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_MIN_VOTES,
    DEFAULT_QUORUM,
    DEFAULT_TEXT_LENGTH,
    MAX_GROUP_LENGTH,
    MAX_GROUPS,
    MAX_LIST_ITEMS,
    MAX_LONG_TEXT,
    MAX_MIN_GROUP_SIZE,
    MAX_MIN_VOTES,
    MAX_OPTIONS,
    MAX_QUESTIONS_PER_STEP,
    MAX_SCALE_SPAN,
    MAX_SHORT_TEXT,
    MAX_STEPS,
    MAX_TEXT_LENGTH,
    QUESTION_KINDS,
    STEP_KINDS,
)

SCHEMA_PATH = "docs/plan-schema.json"
REGENERATE = f"python -m workshop.domain.plan_schema {SCHEMA_PATH}"
NOT_BLANK = r"\S"


def _text(limit: int, description: str, *, required: bool = False) -> dict:
    # The checks measure a text before stripping it, as maxLength does.
    schema: dict = {"type": "string", "maxLength": limit, "description": description}
    if required:
        schema["pattern"] = NOT_BLANK
    return schema


def _identifier(description: str) -> dict:
    return {"type": "string", "pattern": f"^{ID_PATTERN.pattern}$", "maxLength": MAX_SHORT_TEXT,
            "description": description}


def _texts(description: str, *, at_least: int = 0) -> dict:
    schema: dict = {"type": "array", "maxItems": MAX_LIST_ITEMS, "description": description,
                    "items": {"type": "string", "pattern": NOT_BLANK, "maxLength": MAX_SHORT_TEXT}}
    if at_least:
        schema["minItems"] = at_least
    return schema


def _whole(low: int, high: int, default: int, description: str) -> dict:
    return {"type": "integer", "minimum": low, "maximum": high, "default": default, "description": description}


def _fraction(default: float, description: str) -> dict:
    return {"type": "number", "minimum": 0, "maximum": 1, "default": default, "description": description}


def _properties(keys: frozenset[str], fields: dict[str, dict], what: str) -> dict[str, dict]:
    """The fields for exactly the keys the checks accept in `what`: a key on one side only is an error."""
    if set(fields) != keys:
        raise ValueError(f"the schema of {what} and its checks disagree: only in the checks "
                         f"{sorted(keys - set(fields))}, only in the schema {sorted(set(fields) - keys)}")
    return {key: fields[key] for key in sorted(keys)}


def plan_schema() -> dict:
    """The JSON Schema (draft 2020-12) a plan file's data satisfies."""
    fields = {
        "title": _text(MAX_SHORT_TEXT, "The plan's name, as the plans page and the home page list it.", required=True),
        "description": _text(MAX_LONG_TEXT, "What the plan is for, shown on the plans page."),
        "groups": {"type": "array", "minItems": 1, "maxItems": MAX_GROUPS, "uniqueItems": True,
                   "description": ("The groups a participant may say they belong to: unique ignoring case, "
                                   f"at most {MAX_GROUP_LENGTH} characters once trimmed."),
                   "items": {"type": "string", "pattern": NOT_BLANK, "maxLength": MAX_SHORT_TEXT}},
        "min_group_size": _whole(1, MAX_MIN_GROUP_SIZE, DEFAULT_MIN_GROUP_SIZE,
                                 "The smallest group whose figures the projector shows."),
        "consensus": {"$ref": "#/$defs/consensus"},
        "steps": {"type": "array", "minItems": 1, "maxItems": MAX_STEPS, "items": {"$ref": "#/$defs/step"},
                  "description": "The agenda, in order."},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "variability-workshop session plan",
        "description": ("A session plan file (TOML) as data. Generated from workshop/domain/plan_checks.py and "
                        f"plan_model.py by `{REGENERATE}`; the server's plan checks add the rules that span "
                        "several fields."),
        "type": "object",
        "required": ["title", "groups", "steps"],
        "additionalProperties": False,
        "properties": _properties(PLAN_KEYS, fields, "the plan"),
        "$defs": {"consensus": _consensus_schema(), "step": _step_schema(), "strategy": _strategy_schema(),
                  "question": _question_schema(), "option": _option_schema()},
    }


def _consensus_schema() -> dict:
    fields = {
        "min_consensus": _fraction(DEFAULT_MIN_CONSENSUS, "The consensus measure (Cns) a scale must reach."),
        "min_agreement": _fraction(DEFAULT_MIN_AGREEMENT, "The share one side must hold for consensus."),
        "min_votes": _whole(1, MAX_MIN_VOTES, DEFAULT_MIN_VOTES, "The fewest votes a round is judged on."),
        "quorum": _fraction(DEFAULT_QUORUM, "The share of those present who must take part."),
    }
    return {"type": "object", "additionalProperties": False,
            "properties": _properties(CONSENSUS_KEYS, fields, "consensus")}


def _step_schema() -> dict:
    fields = {
        "id": _identifier("The step's id, unique in the plan."),
        "kind": {"enum": list(STEP_KINDS)},
        "title": _text(MAX_SHORT_TEXT, "The step's title, on the projector and the console.", required=True),
        "body": _text(MAX_LONG_TEXT, "The step's text: the facilitator's notes when projector_text is set."),
        "projector_text": _text(MAX_SHORT_TEXT, "The slide's few words (about 40 at most)."),
        "category": {"enum": [kind.id for kind in KINDS], "description": "The kind of variability (category steps)."},
        "definition": _text(MAX_LONG_TEXT, "The kind's definition, in the speaker notes."),
        "it_example": _text(MAX_LONG_TEXT, "An example from IT services."),
        "everyday_example": _text(MAX_LONG_TEXT, "An example from everyday services."),
        "prompts": _texts("Questions for the discussion."),
        "sla_hint": _text(MAX_LONG_TEXT, "What a decision on this kind puts into an SLA."),
        "strategies": {"type": "array", "maxItems": len(STRATEGIES), "items": {"$ref": "#/$defs/strategy"}},
        "questions": {"type": "array", "maxItems": MAX_QUESTIONS_PER_STEP, "items": {"$ref": "#/$defs/question"}},
    }
    category = {"if": {"properties": {"kind": {"const": "category"}}, "required": ["kind"]},
                "then": {"required": ["category"]}, "else": {"not": {"required": ["category"]}}}
    return {"type": "object", "required": ["id", "kind", "title"], "additionalProperties": False,
            "properties": _properties(STEP_KEYS, fields, "a step"), "allOf": [category]}


def _strategy_schema() -> dict:
    fields = {"id": {"enum": [strategy.id for strategy in STRATEGIES]},
              "tactics": _texts("The tactics this strategy offers on this kind.", at_least=1)}
    return {"type": "object", "required": sorted(STRATEGY_KEYS), "additionalProperties": False,
            "properties": _properties(STRATEGY_KEYS, fields, "a strategy")}


def _question_schema() -> dict:
    common = {
        "id": _identifier("The question's id, unique in the plan."),
        "kind": {"enum": list(QUESTION_KINDS)},
        "prompt": _text(MAX_SHORT_TEXT, "The question as phones and the projector show it.", required=True),
        "allow_abstain": {"type": "boolean", "default": True},
    }
    extra = {"scale": _scale_fields(), "choice": _choice_fields(), "text": _text_fields()}
    by_kind = [{"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"required": required, "properties": _properties(
                    QUESTION_KEYS[kind] - QUESTION_COMMON_KEYS, fields, f"a {kind} question")}}
               for kind, (fields, required) in extra.items()]
    # unevaluatedProperties sees the properties of the kind's branch: each kind allows its own keys.
    return {"type": "object", "required": ["id", "kind", "prompt"], "unevaluatedProperties": False,
            "properties": _properties(QUESTION_COMMON_KEYS, common, "a question"), "allOf": by_kind}


def _scale_fields() -> tuple[dict, list[str]]:
    label = {"type": "string", "pattern": NOT_BLANK, "maxLength": MAX_SHORT_TEXT}
    side = {"type": "array", "minItems": 1, "items": {"type": "integer"}}
    return {
        "min": {"type": "integer", "description": "The lowest point of the scale."},
        "max": {"type": "integer", "description": f"The highest point, above min by at most {MAX_SCALE_SPAN}."},
        "labels": {"type": "object", "propertyNames": {"pattern": f"^{LABEL_KEY.pattern}$"},
                   "additionalProperties": label, "description": 'A label per point, like { "1" = "Low" }.'},
        "decision_sides": {"type": "object", "minProperties": 2, "additionalProperties": side,
                           "propertyNames": {"pattern": f"^{ID_PATTERN.pattern}$"},
                           "description": "The decisions the points stand for, partitioning the scale."},
    }, ["min", "max"]


def _choice_fields() -> tuple[dict, list[str]]:
    return {"options": {"type": "array", "minItems": 2, "maxItems": MAX_OPTIONS,
                        "items": {"$ref": "#/$defs/option"}}}, ["options"]


def _option_schema() -> dict:
    fields = {"id": {**_identifier("The option's id, unique in the question."), "not": {"const": ABSTAIN}},
              "label": _text(MAX_SHORT_TEXT, "The option as phones show it.", required=True)}
    return {"type": "object", "required": sorted(OPTION_KEYS), "additionalProperties": False,
            "properties": _properties(OPTION_KEYS, fields, "an option")}


def _text_fields() -> tuple[dict, list[str]]:
    return {"max_length": _whole(1, MAX_TEXT_LENGTH, DEFAULT_TEXT_LENGTH, "The longest answer, in characters.")}, []


@functools.cache
def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Print the schema, or write it to the file named."""
    if not argv:
        sys.stdout.write(schema_text())
        return 0
    Path(argv[0]).write_text(schema_text(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
