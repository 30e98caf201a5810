"""What a session plan is: its groups, steps and questions, as immutable values."""

from dataclasses import dataclass, field
from functools import cached_property

from .framework import KINDS_BY_ID, STRATEGIES_BY_ID
from .text import blank, normal_text

STEP_KINDS: tuple[str, ...] = ("intro", "category", "summary", "content")
QUESTION_KINDS: tuple[str, ...] = ("scale", "choice", "text")
ABSTAIN = "abstain"
DEFAULT_MIN_CONSENSUS = 0.70
DEFAULT_MIN_AGREEMENT = 0.75
DEFAULT_MIN_VOTES = 5
DEFAULT_QUORUM = 0.5
MAX_MIN_VOTES = 10_000
DEFAULT_TEXT_LENGTH = 280
MAX_TEXT_LENGTH = 2000
MAX_SCALE_SPAN = 10
MAX_GROUP_LENGTH = 40
# Bounds on what a plan file may hold: far above any real workshop, low enough that a hostile or
# broken file cannot make the server spend memory or time on it.
MAX_PLAN_BYTES = 1024 * 1024
MAX_DEPTH = 10  # tables and arrays inside one another; a real plan uses 7
MAX_STEPS = 100
MAX_QUESTIONS_PER_STEP = 20
MAX_QUESTIONS = 200
MAX_OPTIONS = 20
MAX_GROUPS = 20
MAX_LIST_ITEMS = 20  # prompts of a step, tactics of a strategy
MAX_SHORT_TEXT = 300  # titles, prompts, labels, ids, list items
MAX_LONG_TEXT = 10_000  # a step's body, definition, examples, hint; the plan's description

# The big screen shows a group's figures only when at least this many of its members voted.
DEFAULT_MIN_GROUP_SIZE = 3
MAX_MIN_GROUP_SIZE = 1000

@dataclass(frozen=True)
class Option:
    """One answer of a choice question."""

    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """A question participants answer: a `scale` or `choice` vote, or a `text` submission."""

    id: str
    kind: str
    prompt: str
    allow_abstain: bool = True
    min: int | None = None
    max: int | None = None
    # A dict cannot be hashed, so it is left out of the hash (equality still compares it); the plan
    # never hands it out for writing: to_public copies it.
    labels: dict[int, str] = field(default_factory=dict, hash=False)
    options: tuple[Option, ...] = ()
    max_length: int = DEFAULT_TEXT_LENGTH
    # On a scale whose points stand for decisions: (decision, its points), partitioning the scale.
    sides: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # On a choice whose options stand for families of decisions: (family, its option ids), partitioning
    # the options (the strategy question's reduce and accommodate).
    families: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_public(self) -> dict:
        """The question as JSON-ready data; label keys become strings."""
        public: dict = {"id": self.id, "kind": self.kind, "prompt": self.prompt,
                        "allow_abstain": self.allow_abstain}
        if self.kind == "scale":
            public.update(min=self.min, max=self.max,
                          labels={str(value): text for value, text in sorted(self.labels.items())})
            if self.sides:
                public["decision_sides"] = {name: list(points) for name, points in self.sides}
        elif self.kind == "choice":
            public["options"] = [{"id": option.id, "label": option.label} for option in self.options]
            if self.families:
                public["decision_families"] = {name: list(options) for name, options in self.families}
        else:
            public["max_length"] = self.max_length
        return public

    def check_value(self, value: object) -> int | str:
        """Check a vote and return it normalised: an int on a scale, an option id, or "abstain".

        Raises ValueError naming what was wrong.
        """
        if self.kind == "text":
            raise ValueError(f"question {self.id!r} takes text submissions, not votes")
        if isinstance(value, str) and value == ABSTAIN:
            if not self.allow_abstain:
                raise ValueError(f"question {self.id!r} does not allow abstaining")
            return ABSTAIN
        if self.kind == "scale":
            return self._check_scale(value)
        return self._check_choice(value)

    def check_text(self, text: object) -> str:
        """Check a text submission and return it stripped; raises ValueError naming what was wrong."""
        if self.kind != "text":
            raise ValueError(f"question {self.id!r} takes votes, not text submissions")
        if not isinstance(text, str):
            raise ValueError(f"a submission to {self.id!r} must be a string")
        if len(text.strip()) > self.max_length:
            raise ValueError(f"a submission to {self.id!r} must be at most {self.max_length} characters "
                             f"(got {len(text.strip())})")
        stripped = normal_text(text).strip()
        if blank(stripped):
            raise ValueError(f"a submission to {self.id!r} must not be empty")
        return stripped

    def _check_scale(self, value: object) -> int:
        # bool is a subclass of int, and True must not count as a vote of 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"a vote on {self.id!r} must be an integer from {self.min} to {self.max}"
                             + (" or 'abstain'" if self.allow_abstain else ""))
        assert self.min is not None and self.max is not None
        if not self.min <= value <= self.max:
            raise ValueError(f"a vote on {self.id!r} must be from {self.min} to {self.max} (got {value})")
        return value

    def _check_choice(self, value: object) -> str:
        ids = [option.id for option in self.options]
        if not isinstance(value, str) or value not in ids:
            allowed = ", ".join(ids + ([ABSTAIN] if self.allow_abstain else []))
            raise ValueError(f"a vote on {self.id!r} must be one of: {allowed} (got {value!r})")
        return value


@dataclass(frozen=True)
class StrategyTactics:
    """One of the four strategies, with the tactics that fit a particular kind of variability."""

    id: str
    tactics: tuple[str, ...]

    def to_public(self) -> dict:
        """The strategy with its name and family from the framework, and its tactics."""
        strategy = STRATEGIES_BY_ID[self.id]
        return {"id": self.id, "name": strategy.name, "family": strategy.family,
                "tactics": list(self.tactics)}


@dataclass(frozen=True)
class Step:
    """One step of the agenda; `index` is its position in the plan, from 0."""

    index: int
    id: str
    kind: str
    title: str
    body: str = ""
    projector_text: str = ""  # the slide's few words; the longer texts are the facilitator's notes
    category: str | None = None
    definition: str = ""
    it_example: str = ""
    everyday_example: str = ""
    prompts: tuple[str, ...] = ()
    sla_hint: str = ""
    strategies: tuple[StrategyTactics, ...] = ()
    questions: tuple[Question, ...] = ()

    def to_public(self) -> dict:
        """Every field as JSON-ready data, with the kind's SLA fields on a category step."""
        return {
            "index": self.index, "id": self.id, "kind": self.kind, "title": self.title,
            "body": self.body, "projector_text": self.projector_text,
            "category": self.category, "definition": self.definition,
            "it_example": self.it_example, "everyday_example": self.everyday_example,
            "prompts": list(self.prompts), "sla_hint": self.sla_hint,
            "strategies": [strategy.to_public() for strategy in self.strategies],
            "questions": [question.to_public() for question in self.questions],
            # the structured SLA clauses a consensus record on this kind may fill in
            "sla_fields": ([{"id": item.id, "label": item.label} for item in KINDS_BY_ID[self.category].sla_fields]
                           if self.category in KINDS_BY_ID else []),
        }


@dataclass(frozen=True)
class Plan:
    """A validated session plan; `source` is the parsed TOML it was built from."""

    id: str
    title: str
    description: str
    groups: tuple[str, ...]
    min_consensus: float
    min_agreement: float
    steps: tuple[Step, ...]
    source: dict = field(compare=False, hash=False, repr=False)
    min_votes: int = DEFAULT_MIN_VOTES
    quorum: float = DEFAULT_QUORUM

    min_group_size: int = DEFAULT_MIN_GROUP_SIZE

    def question(self, qid: str) -> Question | None:
        """The question with this id, or None."""
        found = self._index.get(qid)
        return found[1] if found else None

    def step_of(self, qid: str) -> Step | None:
        """The step that holds the question with this id, or None."""
        found = self._index.get(qid)
        return found[0] if found else None

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, in step order."""
        return tuple(question for step in self.steps for question in step.questions)

    def tactics(self, kind: str, strategy: str) -> tuple[str, ...]:
        """The plan's tactics for one strategy on one kind of variability (empty when it lists none)."""
        step = self.category_step(kind)
        found = next((item for item in step.strategies if item.id == strategy), None) if step else None
        return found.tactics if found else ()

    def category_step(self, kind: str) -> Step | None:
        """The step on this kind of variability, or None."""
        return next((step for step in self.steps if step.category == kind), None)

    def to_public(self) -> dict:
        """The plan as JSON-ready data (without its source)."""
        return {"id": self.id, "title": self.title, "description": self.description,
                "groups": list(self.groups), "min_consensus": self.min_consensus,
                "min_agreement": self.min_agreement, "min_votes": self.min_votes, "quorum": self.quorum,
                "steps": [step.to_public() for step in self.steps]}

    # Votes look questions up by id on every message; cached_property writes to the instance dict
    # directly, so it works on a frozen dataclass without touching eq or hash.
    @cached_property
    def _index(self) -> dict[str, tuple[Step, Question]]:
        return {question.id: (step, question) for step in self.steps for question in step.questions}


class PlanError(ValueError):
    """An invalid plan. `step` reads like "'arrival' (#2)" (position from 1), `field` like "questions[1].max"."""

    def __init__(self, file: str, message: str, step: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.message = message
        self.step = step
        self.field = field
        where = [part for part in (step and f"step {step}", field and f"field '{field}'") if part]
        super().__init__(f"{file}: " + "".join(f"{part}, " for part in where[:-1])
                         + (f"{where[-1]}: " if where else "") + message)

    def __reduce__(self) -> tuple:
        # The default reduce would call __init__ with the formatted text only.
        return (PlanError, (self.file, self.message, self.step, self.field))
