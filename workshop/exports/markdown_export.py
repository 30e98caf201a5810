"""The Markdown brief: per kind, the agreed position, the SLA input, the strength of consensus,
dissent and open items, ready to paste into an SLA draft.

All text is escaped, sentences included (they carry group names), so nothing typed in the workshop
can turn into a link, an image, a heading or raw HTML.
"""

import re

from . import brief

# Characters Markdown gives meaning to anywhere in a line (CommonMark lets any ASCII punctuation be
# backslash-escaped, so the escaped text always reads back as typed).
_INLINE = re.compile(r"([\\`*_\[\]<>#|~&])")
# Characters that only mean something at the start of a line: lists, setext underlines.
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


def escape(text: str, line_start: bool = False) -> str:
    """One line of user text, safe in Markdown (newlines become spaces).

    With line_start the text begins a line (or a list item), where "-", "+", "=" and "1." mean
    something too.
    """
    line = _INLINE.sub(r"\\\1", " ".join(text.split()))
    if not line_start:
        return line
    return _LINE_START.sub(lambda match: "\\" + match.group(1) if match.group(1)
                           else match.group(2) + "\\" + match.group(3), line)


def escape_block(text: str) -> str:
    """Several lines of user text after a label, safe in Markdown, keeping its line breaks."""
    lines = [line for line in text.splitlines() if line.strip()]
    escaped = [escape(line, line_start=index > 0) for index, line in enumerate(lines)]
    return "  \n".join(escaped)


def session_markdown(data: dict) -> str:
    """The brief as Markdown text: a draft SLA section per kind, open items and a glossary."""
    session = data["session"]
    lines = [f"# SLA inputs: {escape(session['title'])}", "", *_meta(data), ""]
    lines += _overview(data)
    for entry in data["kinds"]:
        lines += _kind(brief.kind_brief(entry, session["thresholds"], data))
    lines += ["## Open items", ""]
    items = brief.open_items(data)
    none = ["None: every kind has an agreed record."]
    lines += [f"- {escape(item, line_start=True)}" for item in items] if items else none
    lines += ["", "## Glossary", ""]
    lines += [f"- **{escape(term)}**: {escape(text)}" for term, text in brief.GLOSSARY]
    return "\n".join(lines) + "\n"


def _meta(data: dict) -> list[str]:
    session = data["session"]
    groups = ", ".join(f"{escape(group)} {count}" for group, count in session["participants_by_group"].items())
    thresholds = session["thresholds"]
    return [
        f"- Service: {escape(session['service']) or 'not named'}",
        f"- Session: {session['code']}, held on {brief.held_on(data)}, plan {escape(session['plan_title'])}",
        f"- Participants: {session['participants']} ({groups})",
        f"- {brief.rule_sentence(thresholds)}",
    ]


OVERVIEW = (("name", "Kind"), ("direction", "Variability allowed"), ("strategy", "Strategy"), ("status", "Status"),
            ("verdict", "Verdict"), ("turnout", "Voted"), ("consensus", "Cns"), ("agreement", "Agreement"))


def _overview(data: dict) -> list[str]:
    lines = ["## Overview", "", "| " + " | ".join(title for _, title in OVERVIEW) + " |",
             "| --- | --- | --- | --- | --- | --- | ---: | ---: |"]
    for entry in data["kinds"]:
        row = brief.summary_row(entry, data)
        lines.append("| " + " | ".join(escape(row[key]) for key, _ in OVERVIEW) + " |")
    return lines + [""]


def _kind(section: dict) -> list[str]:
    lines = [f"## {escape(section['name'])}", "", f"**Status.** {escape(section['badge'])}"
             + (f" (verdict: {section['verdict']}; {section['turnout']})" if section["verdict"] else ""), "",
             f"**Position.** {escape(section['position'])}", ""]
    lines += _draft(section)
    lines += [f"**Strength of consensus.** {escape(section['evidence'][0])}", ""]
    lines += [f"- {escape(line, line_start=True)}" for line in section["evidence"][1:]]
    if len(section["evidence"]) > 1:
        lines.append("")
    if section["status"] != "open":
        lines += [f"**Dissent.** {escape_block(section['dissent'] or 'None recorded.')}", ""]
    if section["voices"]:
        lines += ["**What would change their vote, in participants' own words.**", ""]
        lines += [f"- {escape(voice, line_start=True)}" for voice in section["voices"]] + [""]
    if section["notes"]:
        lines += [f"**Notes.** {escape_block(section['notes'])}", ""]
    for label, warning in section["ranked"]:
        lines += [f"**{label}.** {escape(warning)}", ""]
    if section["examples"]:
        lines += ["**Examples from the room.**", ""]
        lines += [f"- {escape(example, line_start=True)}" for example in section["examples"]] + [""]
    return lines


def _draft(section: dict) -> list[str]:
    """The kind's draft SLA section: structured clauses, ticked tactics, free text, owner and due date."""
    lines = ["### Draft SLA section", ""]
    lines += [f"- **{escape(label)}:** {escape(text)}" for label, text in section["sla_clauses"]]
    lines.append("")
    if section["clauses"]:
        lines += ["**Committed tactics.**", ""]
        lines += [f"- {escape(clause, line_start=True)}" for clause in section["clauses"]] + [""]
    if section["sla_input"]:
        lines += [f"**SLA input.** {escape_block(section['sla_input'])}", ""]
    elif section["status"] == "open":
        lines += [f"**SLA input to settle.** {escape(section['sla_hint'])}", ""]
    if section["status"] in ("deferred", "no_consensus"):
        lines += [f"**Owner.** {escape(section['owner'] or 'not named')}; "
                  f"**due** {escape(section['due'] or 'no date')}", ""]
    return lines
