"""The brief as a Word document (python-docx): the same draft SLA sections as the Markdown brief.

Every piece of text goes in as a run's plain text, so nothing typed in the workshop can become
markup; characters XML cannot hold are dropped first (python-docx would refuse the document).
"""

import datetime
import io
import re

from docx import Document
from docx.document import Document as DocumentObject
from docx.shared import Cm, Pt

from . import brief
from .markdown_export import OVERVIEW

# The control characters XML 1.0 does not allow (tab, newline and carriage return are allowed).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text a Word document can hold."""
    return _ILLEGAL.sub("", text)


def session_docx(data: dict) -> bytes:
    """The brief as .docx bytes."""
    session = data["session"]
    document = Document()
    _properties(document, data)
    document.add_heading(clean(f"SLA inputs: {session['title']}"), 0)
    for line in _meta_lines(data):
        document.add_paragraph(clean(line), style="List Bullet")
    document.add_heading("Overview", 1)
    _overview(document, data)
    for entry in data["kinds"]:
        _kind(document, brief.kind_brief(entry, session["thresholds"], data))
    document.add_heading("Open items", 1)
    items = brief.open_items(data) or ["None: every kind has an agreed record."]
    for item in items:
        document.add_paragraph(clean(item), style="List Bullet")
    document.add_heading("Glossary", 1)
    for term, text in brief.GLOSSARY:
        _labelled(document, term, text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _properties(document: DocumentObject, data: dict) -> None:
    session = data["session"]
    properties = document.core_properties
    properties.title = clean(f"SLA inputs: {session['title']}")
    properties.author = "variability-workshop"
    held = datetime.datetime.fromisoformat(session["held_at"]).replace(tzinfo=None)
    # The template's own dates would say when python-docx was released, not when the session was held.
    properties.created = properties.modified = held


def _meta_lines(data: dict) -> list[str]:
    session = data["session"]
    thresholds = session["thresholds"]
    groups = ", ".join(f"{group} {count}" for group, count in session["participants_by_group"].items())
    return [
        f"Service: {session['service'] or 'not named'}",
        f"Session: {session['code']}, held on {brief.held_on(data)}, plan {session['plan_title']}",
        f"Participants: {session['participants']} ({groups})",
        f"{brief.rule_sentence(thresholds)}",
    ]


# The overview's column widths (cm) at TABLE_FONT: each column holds its longest word ("Uncompromised",
# "accommodation", "Agreement") on one line, and together they fit the page's 16 cm of text width.
OVERVIEW_WIDTHS = (2.0, 2.2, 2.5, 2.2, 2.5, 1.6, 1.1, 1.8)
TABLE_FONT = 8


def _overview(document: DocumentObject, data: dict) -> None:
    table = document.add_table(rows=1, cols=len(OVERVIEW))
    table.style = "Table Grid"
    table.autofit = False
    rows = [[title for _, title in OVERVIEW]]
    rows += [[clean(brief.summary_row(entry, data)[key]) for key, _ in OVERVIEW] for entry in data["kinds"]]
    for index, texts in enumerate(rows):
        cells = table.rows[0].cells if index == 0 else table.add_row().cells
        for cell, text, width in zip(cells, texts, OVERVIEW_WIDTHS):
            cell.width = Cm(width)
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(TABLE_FONT)
            run.bold = index == 0


def _labelled(document: DocumentObject, label: str, text: str, style: str | None = None) -> None:
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(clean(label) + ": ").bold = True
    paragraph.add_run(clean(text))


def _bullets(document: DocumentObject, lines: list[str]) -> None:
    for line in lines:
        document.add_paragraph(clean(line), style="List Bullet")


def _kind(document: DocumentObject, section: dict) -> None:
    document.add_heading(clean(section["name"]), 1)
    status = section["badge"] + (f" (verdict: {section['verdict']}; {section['turnout']})"
                                 if section["verdict"] else "")
    _labelled(document, "Status", status)
    _labelled(document, "Position", section["position"])
    for label, warning in section["ranked"]:
        _labelled(document, label, warning)
    _draft(document, section)
    document.add_heading("Evidence", 2)
    _labelled(document, "Strength of consensus", section["evidence"][0])
    _bullets(document, section["evidence"][1:])
    if section["status"] != "open":
        _labelled(document, "Dissent", section["dissent"] or "None recorded.")
    if section["voices"]:
        document.add_paragraph().add_run("What would change their vote, in participants' own words").bold = True
        _bullets(document, section["voices"])
    if section["notes"]:
        _labelled(document, "Notes", section["notes"])
    if section["examples"]:
        document.add_paragraph().add_run("Examples from the room").bold = True
        _bullets(document, section["examples"])


def _draft(document: DocumentObject, section: dict) -> None:
    document.add_heading("Draft SLA section", 2)
    for label, text in section["sla_clauses"]:
        _labelled(document, label, text, style="List Bullet")
    if section["clauses"]:
        document.add_paragraph().add_run("Committed tactics").bold = True
        _bullets(document, section["clauses"])
    if section["sla_input"]:
        _labelled(document, "SLA input", section["sla_input"])
    elif section["status"] == "open":
        _labelled(document, "SLA input to settle", section["sla_hint"])
    if section["status"] in ("deferred", "no_consensus"):
        _labelled(document, "Owner", f"{section['owner'] or 'not named'}; due {section['due'] or 'no date'}")
