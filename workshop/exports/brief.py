"""The SLA-input brief as plain sentences, shared by the Markdown and HTML exports.

Everything here is plain text; each format escapes it on the way out, because group names and the
facilitator's notes are user text.
"""

from ..domain.framework import KINDS_BY_ID, STRATEGIES_BY_ID
from ..vocabulary import CERTAINTY_LABELS, NO_RECORD_LABEL, NO_RECORD_PHRASE, RECORD_STATUS_LABELS, VERDICT_LABELS

# A status inside a sentence: the vocabulary's label, in lower case.
STATUS_PHRASES = {**{status: label.lower() for status, label in RECORD_STATUS_LABELS.items()},
                  "open": NO_RECORD_PHRASE}
TO_SETTLE = "to be settled"
# The rules as README's "How a round is judged" states them, in the words every surface uses.
GLOSSARY = (
    ("Present (N)", "every phone connected at any moment while the round was open, on any process, and "
     "everyone who voted or abstained in it; stored with the round when it closes and never recounted from "
     "later joins or departures (a participant removed later leaves it, and the round is marked amended)."),
    ("n of N present voted", "n counts the votes that were not abstentions."),
    ("Minimum votes and quorum", "a round needs the plan's minimum of votes (default 5) and a quorum (default "
     "half) of those present taking part, abstentions included; otherwise it is 'too few votes to judge'. "
     "A room smaller than the minimum where everyone present voted the same way reaches, marked a small room."),
    ("Agreement", "on a question with decision sides (direction: less, as today, more; strategy: reduce or "
     "accommodate) the leading side's share of the votes; on other scales the largest share on at most two "
     "adjacent points."),
    ("Cns", "the Tastle–Wierman consensus: 1 when everyone gives the same answer, 0 when the room is split "
     "between the two extremes; a threshold on scales without sides, a description on the direction vote."),
    ("Verdict", "consensus reached (the agreement threshold met on one side), not reached, too few votes to "
     "judge, or polarised (a shown group holding at least a fifth of the votes agrees within itself on "
     "another position). 'Reached' and the verdict are one and the same."),
    ("Certainty", "from the 95% Wilson interval of the leading share: firm when the whole interval clears the "
     "agreement threshold, narrow when it reaches below; for a round that did not reach, close when the "
     "interval reaches the threshold, far when it does not."),
    ("Groups", "a group's figures, splits and camps are shown only from the plan's minimum group size "
     "(default 3 votes); a smaller group is never told, not even in a sentence."),
    ("Strategy", "judged by family (reduce or accommodate) with the agreement threshold; the named strategy "
     "leads clearly when it has at least 2 votes, and a tenth of the votes, more than the next."),
    ("Median and IQR", "the middle vote and the interquartile range, from inclusive quartiles (the method "
     "'inclusive' of Python's statistics.quantiles: linear interpolation between the ordered votes)."),
)


def basis(entry: dict, role: str) -> dict | None:
    """The figures of one question (impact, direction, strategy) that a kind's headline rests on.

    With a record, the round the record was made on (as stored with it); otherwise the latest round.
    """
    stored = (entry.get("evidence") or {}).get(role)
    if entry["record"] is not None and stored:
        return stored
    question = entry["questions"].get(role)
    return question["rounds"][-1] if question and question["rounds"] else None


def rule_sentence(thresholds: dict) -> str:
    """How a round reaches consensus under the plan's thresholds, in one sentence."""
    return (f"A round reaches consensus when at least {thresholds['min_votes']} votes are cast, "
            f"{percent(thresholds['quorum'])} of those present take part (abstaining counts) and one decision "
            f"holds {percent(thresholds['agreement'])} of the votes (on scales without decision sides, also "
            f"Cns {number(thresholds['consensus'])} or more).")


def verdict_words(figures: dict | None) -> str:
    """A round's verdict with its certainty, in the product's words: "Consensus reached (narrow: ...)"."""
    if not figures or not figures.get("verdict"):
        return ""
    words = VERDICT_LABELS[figures["verdict"]]
    notes = [CERTAINTY_LABELS[figures["certainty"]].lower()] if figures.get("certainty") else []
    if figures.get("small_room"):
        notes.append("a small room")
    if figures.get("amended"):
        notes.append("amended after it closed")
    return f"{words} ({'; '.join(notes)})" if notes else words


def rounds_line(entry: dict) -> str | None:
    """Every round's verdict of the direction vote, with who took part."""
    question = entry["questions"].get("direction")
    if not question or len(question["rounds"]) < 2:
        return None
    parts = [f"round {found['round']}: {verdict_words(found)}, {_votes_of(found)}" for found in question["rounds"]]
    return "Rounds: " + "; ".join(parts) + "."


def _votes_of(figures: dict) -> str:
    present = figures.get("present")
    return f"{figures['n']} of {present} present voted" if present is not None else f"{figures['n']} voted"


def turnout(entry: dict, data: dict) -> str | None:
    """"n of N present voted" for the direction vote the kind rests on (None without a round)."""
    figures = basis(entry, "direction")
    if not figures:
        return None
    present = figures.get("present")
    if present is None:
        present = data["session"]["participants"]
    return f"{figures['n']} of {present} present voted"


def verdict_of(entry: dict) -> str | None:
    figures = basis(entry, "direction")
    return figures.get("verdict") if figures else None


def severity_label(warning: dict) -> str:
    """"To resolve" or "To note"; warnings stored before they were ranked count as to resolve."""
    return "To note" if warning.get("severity") == "to_note" else "To resolve"


def badge(entry: dict) -> tuple[str, str]:
    """The status badge's text and CSS modifier: an agreement with a warning to resolve is never a plain
    agreed, and warnings only to note are counted as notes."""
    record = entry["record"]
    if record is None:
        return NO_RECORD_LABEL, "open"
    warnings = record.get("warnings", [])
    to_resolve = sum(1 for warning in warnings if warning.get("severity", "must_resolve") == "must_resolve")
    if to_resolve:
        return f"{record['status_name']} – {to_resolve} to resolve", "warn"
    if warnings:
        return f"{record['status_name']} – {len(warnings)} to note", f"{record['status']} badge-noted"
    return record["status_name"], record["status"]


def interval_line(entry: dict) -> str | None:
    figures = basis(entry, "direction") or {}
    found = figures.get("interval")
    if not found or not found.get("agreement"):
        return None
    low, high = found["agreement"]
    certainty = f" ({CERTAINTY_LABELS[figures['certainty']].lower()})" if figures.get("certainty") else ""
    return f"95% interval of the leading share (Wilson): {percent(low)} to {percent(high)}{certainty}."


def sla_clauses(entry: dict) -> list[tuple[str, str]]:
    """The kind's structured SLA fields as (label, text), "to be settled" where the record leaves one empty."""
    filled = (entry["record"] or {}).get("sla") or {}
    return [(item.label, filled.get(item.id) or TO_SETTLE) for item in KINDS_BY_ID[entry["kind"]].sla_fields]


def status_of(entry: dict) -> str:
    """The record's status, or "open" for a kind without a record."""
    return entry["record"]["status"] if entry["record"] else "open"


def number(value: float | None, places: int = 2) -> str:
    """A figure for reading: fixed places, no minus sign on zero, "n/a" when missing."""
    if value is None:
        return "n/a"
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)}%"


def signed(value: float, places: int = 2) -> str:
    text = number(value, places)
    return text if text.startswith("-") or float(text) == 0 else "+" + text


def position(entry: dict) -> str:
    """The agreed (or working) position in one sentence, with direction and strategy by name."""
    record = entry["record"]
    kind = entry["name"].lower()
    if record is None:
        return f"Open: no consensus has been recorded for {kind} variability yet."
    if not (record["direction"] and record["strategy"]):
        return f"Deferred: the decision on {kind} variability was put off, with no working position yet."
    core = _core(kind, record["direction"], record["strategy"])
    if record["status"] == "agreed":
        return f"Agreed: the service will {core}."
    if record["status"] == "deferred":
        return f"Deferred: the decision was put off; the working position is to {core}."
    return f"No consensus: the working position, not agreed, is to {core}."


def _core(kind: str, direction: str, strategy_id: str) -> str:
    allow = {"less": f"allow less {kind} variability than today",
             "same": f"allow as much {kind} variability as today",
             "more": f"allow more {kind} variability than today"}[direction]
    strategy = STRATEGIES_BY_ID[strategy_id]
    verb = "absorb" if strategy.family == "accommodate" else "reduce"
    return f"{allow} and {verb} it through {strategy.name}"


def strength_word(figures: dict | None) -> str:
    """The verdict of a direction vote in a few words (its certainty included); "no votes" without any."""
    if not figures or not figures.get("n"):
        return "no votes"
    return verdict_words(figures).lower()


def strength(entry: dict, thresholds: dict) -> str:
    """The verdict on direction, in words and numbers."""
    figures = basis(entry, "direction")
    if not figures or not figures.get("n"):
        return "No votes yet on how much of this variability to allow."
    rounds = len(entry["questions"]["direction"]["rounds"]) if entry["questions"].get("direction") else 1
    met = "met" if figures["reached"] else "not met"
    side = f" on '{figures['side']}'" if figures.get("side") else ""
    return (f"{verdict_words(figures)}: {percent(figures['agreement'])} agreement{side} and Cns "
            f"{number(figures['consensus'])} from {_votes_of(figures)} ({figures['abstain']} abstained), "
            f"round {figures['round']} of {rounds}; the agreement threshold ({percent(thresholds['agreement'])}"
            f" on one side) was {met}.")


def middle(entry: dict) -> str | None:
    """Where the direction vote sits: median (with its label) and mean."""
    figures = basis(entry, "direction")
    question = entry["questions"].get("direction")
    if not figures or not figures.get("n") or question is None:
        return None
    median = figures["median"]
    label = question["labels"].get(str(int(median))) if float(median).is_integer() else None
    named = f"{label} ({number(median, 0)})" if label else number(median, 1)
    return f"Median vote: {named}; mean {number(figures['mean'])} on a scale of {question['min']} to {question['max']}."


def groups(entry: dict) -> str | None:
    """The groups' direction figures side by side, and the gap between their means."""
    figures = basis(entry, "direction")
    if not figures or not figures.get("n"):
        return None
    parts = [f"{group}: too few to show (n {found['n']})" if found.get("hidden")
             else f"{group} mean {number(found['mean'])} (n {found['n']}, Cns {number(found['consensus'])})"
             for group, found in figures["by_group"].items() if found["n"]]
    if not parts:
        return None
    gap = figures.get("group_gap")
    tail = f"; gap between the group means {number(gap)}" if gap is not None else ""
    return "By group: " + ", ".join(parts) + tail + "."


def impact(entry: dict) -> str | None:
    figures = basis(entry, "impact")
    question = entry["questions"].get("impact")
    if not figures or not figures.get("n") or question is None:
        return None
    return (f"Impact today: mean {number(figures['mean'], 1)} on a scale of {question['min']} to "
            f"{question['max']} ({figures['n']} vote{'s' if figures['n'] != 1 else ''}).")


def strategy_vote(entry: dict) -> str | None:
    """The strategy vote: options with votes, most votes first."""
    figures = basis(entry, "strategy")
    if not figures or not figures.get("n"):
        return None
    ranked = sorted(((count, option) for option, count in figures["counts"].items() if count),
                    key=lambda pair: -pair[0])
    listed = ", ".join(f"{_option_name(option)} {count} ({percent(count / figures['n'])})"
                       for count, option in ranked)
    family = (f" Family: {figures['side']} {percent(figures['agreement'])}, {verdict_words(figures).lower()};"
              if figures.get("side_counts") and figures.get("verdict") else "")
    leader = (f" clear leader: {_option_name(figures['leader'])}." if figures.get("clear_leader")
              else " no strategy leads by a clear margin.") if "clear_leader" in figures else ""
    return f"Strategy vote ({figures['n']} vote{'s' if figures['n'] != 1 else ''}): {listed}.{family}{leader}"


def _option_name(option: str) -> str:
    strategy = STRATEGIES_BY_ID.get(option)
    return strategy.name if strategy else option


def shift(entry: dict) -> str | None:
    """How the room moved between the last two rounds of the direction vote."""
    question = entry["questions"].get("direction")
    moved = question.get("shift") if question else None
    if not moved:
        return None
    last = len(question["rounds"])
    parts = []
    if moved["consensus_change"] is not None:
        parts.append(f"Cns changed by {signed(moved['consensus_change'])}")
    if moved["agreement_change"] is not None:
        parts.append(f"agreement by {signed(moved['agreement_change'] * 100, 0)} points")
    changed = (f"{moved['changed']} of the {moved['voters_both']} participants who voted in both rounds "
               f"changed their vote")
    moves = " and ".join(parts) + "; " if parts else ""
    return f"Between rounds {last - 1} and {last}, {moves}{changed}."


def open_items(data: dict) -> list[str]:
    """Kinds without an agreed record, and every warning of a record, each in a sentence."""
    items = []
    for entry in data["kinds"]:
        status = status_of(entry)
        record = entry["record"] or {}
        if status != "agreed":
            figures = basis(entry, "direction")
            detail = ""
            if figures and figures.get("n"):
                detail = f" (Cns {number(figures['consensus'])}, {percent(figures['agreement'])} agreement)"
            owner = f"; owner {record['owner']}" if record.get("owner") else ""
            due = f", due {record['due']}" if record.get("due") else ""
            items.append(f"{entry['name']}: {STATUS_PHRASES[status]}{detail}{owner}{due}.")
        items += [f"{entry['name']}: {severity_label(warning).lower()}: {warning['message']}"
                  for warning in record.get("warnings", [])]
    return items


def kind_brief(entry: dict, thresholds: dict, data: dict | None = None) -> dict:
    """One kind's section of the brief, every part plain text (None where there is nothing to say)."""
    record = entry["record"] or {}
    badge_text, badge_class = badge(entry)
    verdict = verdict_of(entry)
    return {
        "id": entry["kind"], "name": entry["name"], "status": status_of(entry),
        "status_name": record.get("status_name", NO_RECORD_LABEL),
        "badge": badge_text, "badge_class": badge_class,
        "verdict": verdict_words(basis(entry, "direction")) if verdict else None,
        "turnout": turnout(entry, data) if data else None,
        "position": position(entry),
        "sla_input": record.get("sla_input") or None,
        "sla_hint": entry["sla_hint"],
        "sla_clauses": sla_clauses(entry),
        "clauses": list(record.get("clauses") or []),
        "owner": record.get("owner") or None,
        "due": record.get("due") or None,
        "strength_word": strength_word(basis(entry, "direction")),
        "evidence": [line for line in (strength(entry, thresholds), interval_line(entry), rounds_line(entry),
                                       middle(entry), groups(entry), shift(entry), impact(entry),
                                       strategy_vote(entry)) if line],
        "dissent": record.get("dissent") or None,
        "voices": list(entry.get("dissent_texts", [])),
        "notes": record.get("notes") or None,
        "warnings": [warning["message"] for warning in record.get("warnings", [])],
        "ranked": [(severity_label(warning), warning["message"]) for warning in record.get("warnings", [])],
        "examples": [example["text"] for example in entry["examples"]],
        "recorded_at": moment(record["recorded_at"]) if record else None,
    }


def summary_row(entry: dict, data: dict | None = None) -> dict:
    """A kind's line in the brief's overview table."""
    record = entry["record"]
    figures = basis(entry, "direction")
    counted = bool(figures and figures.get("n"))
    verdict = verdict_of(entry)
    figures = figures or {}
    return {
        "name": entry["name"],
        "direction": record["direction_name"] if record else "",
        "strategy": record["strategy_name"] if record else "",
        "status": badge(entry)[0],
        "status_class": badge(entry)[1].split()[0],  # the overview colours the text; the badge's outline is its own
        "verdict": verdict_words(figures) if verdict else "",
        "turnout": (turnout(entry, data) or "") if data else "",
        "consensus": number(figures["consensus"]) if counted else "",
        "agreement": percent(figures["agreement"]) if counted else "",
    }


def moment(iso: str) -> str:
    """A stored UTC timestamp for reading, to the minute."""
    return f"{iso[:10]} {iso[11:16]} UTC"


def held_on(data: dict) -> str:
    """The session's date, as the calendar day it was held (UTC)."""
    return data["session"]["held_at"][:10]
