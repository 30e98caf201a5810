"""The SLA-input brief as plain sentences, shared by the Markdown and HTML exports.

Everything here is plain text; each format escapes it on the way out, because group names and the
facilitator's notes are user text.
"""

from ..domain.framework import KINDS_BY_ID, STRATEGIES_BY_ID

STATUS_PHRASES = {"agreed": "agreed", "no_consensus": "no consensus", "deferred": "deferred",
                  "open": "no consensus record yet"}
VERDICT_NAMES = {"reached": "consensus reached", "not_reached": "consensus not reached",
                 "too_few_votes": "too few votes", "fragile": "fragile", "polarised": "polarised"}
TO_SETTLE = "to be settled"
GLOSSARY = (
    ("n of N present voted", "n counts the votes on the direction question that were not abstentions; N is "
     "the number of phones connected when the figures were computed (the participants who joined, where "
     "that is not known)."),
    ("Cns", "the Tastle–Wierman consensus: 1 when everyone gives the same answer, 0 when the room is split "
     "between the two extremes."),
    ("Agreement", "on the direction scale, the share of votes on the side of one decision (less: much less or "
     "less; same: as today; more: more or much more), so a block of votes never spans two decisions; on "
     "other scales, the largest share on at most two adjacent points; on a choice, the leader's share."),
    ("Minimum votes and quorum", "below the plan's minimum number of votes, or when fewer than its quorum "
     "share of the phones present voted, a round is 'too few votes' and never reached."),
    ("95% interval", "a percentile bootstrap of Cns and agreement (2,000 resamples of the tally, with a seed "
     "fixed by question and round, so every export shows the same interval); given from 8 votes."),
    ("Verdict", "reached (both thresholds met), not reached, too few votes, fragile (an interval crosses a "
     "threshold: a few votes either way would change the outcome) or polarised (two groups of at least "
     "three votes, each agreeing within itself, stand on different sides)."),
    ("Split groups", "a group whose majority sits on another side than the room's, or group means one point "
     "or more apart."),
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


def badge(entry: dict) -> tuple[str, str]:
    """The status badge's text and CSS modifier: an agreement with warnings is never a plain agreed."""
    record = entry["record"]
    if record is None:
        return "Open", "open"
    count = len(record.get("warnings", []))
    if count:
        return f"{record['status_name']} – {count} warning{'s' if count != 1 else ''}", "warn"
    return record["status_name"], record["status"]


def interval_line(entry: dict) -> str | None:
    figures = basis(entry, "direction")
    found = figures.get("interval") if figures else None
    if not found:
        return None
    cns, agreement = found.get("consensus"), found.get("agreement")
    parts = []
    if cns:
        parts.append(f"Cns {number(cns[0])} to {number(cns[1])}")
    if agreement:
        parts.append(f"agreement {percent(agreement[0])} to {percent(agreement[1])}")
    return "95% interval: " + ", ".join(parts) + "."


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
    """The strength of a direction vote in a word or two; a split or thin vote is named as such."""
    if not figures or not figures.get("n"):
        return "no votes"
    verdict = figures.get("verdict")
    if verdict in ("polarised", "too_few_votes", "fragile"):
        return VERDICT_NAMES[verdict]
    consensus = figures["consensus"]
    if figures["reached"]:
        return "strong" if consensus >= 0.85 else "clear"
    return "partial" if consensus >= 0.5 else "weak"


STRENGTH_HEADS = {"polarised": "Polarised room, not a weak consensus", "too_few_votes": "Too few votes",
                  "fragile": "Fragile consensus"}


def strength(entry: dict, thresholds: dict) -> str:
    """The strength of the consensus on direction, in words and numbers."""
    figures = basis(entry, "direction")
    if not figures or not figures.get("n"):
        return "No votes yet on how much of this variability to allow."
    rounds = len(entry["questions"]["direction"]["rounds"]) if entry["questions"].get("direction") else 1
    met = "met" if figures["reached"] else "not met"
    abstained = figures["abstain"]
    head = STRENGTH_HEADS.get(figures.get("verdict") or "", f"{strength_word(figures).capitalize()} consensus")
    return (f"{head}: Cns {number(figures['consensus'])} and "
            f"{percent(figures['agreement'])} agreement from {figures['n']} "
            f"vote{'s' if figures['n'] != 1 else ''} ({abstained} abstained), round {figures['round']} "
            f"of {rounds}; the threshold (Cns {number(thresholds['consensus'])}, agreement "
            f"{percent(thresholds['agreement'])}) was {met}.")


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
    return f"Strategy vote ({figures['n']} vote{'s' if figures['n'] != 1 else ''}): {listed}."


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
        items += [f"{entry['name']}: check: {warning['message']}" for warning in record.get("warnings", [])]
    return items


def kind_brief(entry: dict, thresholds: dict, data: dict | None = None) -> dict:
    """One kind's section of the brief, every part plain text (None where there is nothing to say)."""
    record = entry["record"] or {}
    badge_text, badge_class = badge(entry)
    verdict = verdict_of(entry)
    return {
        "id": entry["kind"], "name": entry["name"], "status": status_of(entry),
        "status_name": record.get("status_name", "Open"),
        "badge": badge_text, "badge_class": badge_class,
        "verdict": VERDICT_NAMES.get(verdict) if verdict else None,
        "turnout": turnout(entry, data) if data else None,
        "position": position(entry),
        "sla_input": record.get("sla_input") or None,
        "sla_hint": entry["sla_hint"],
        "sla_clauses": sla_clauses(entry),
        "clauses": list(record.get("clauses") or []),
        "owner": record.get("owner") or None,
        "due": record.get("due") or None,
        "strength_word": strength_word(basis(entry, "direction")),
        "evidence": [line for line in (strength(entry, thresholds), interval_line(entry), middle(entry),
                                       groups(entry), shift(entry), impact(entry), strategy_vote(entry)) if line],
        "dissent": record.get("dissent") or None,
        "voices": list(entry.get("dissent_texts", [])),
        "notes": record.get("notes") or None,
        "warnings": [warning["message"] for warning in record.get("warnings", [])],
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
        "status_class": badge(entry)[1],
        "verdict": VERDICT_NAMES.get(verdict, "") if verdict else "",
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
