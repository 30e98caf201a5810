"""The XLSX export (openpyxl): records, figures per round and group, raw votes, examples, the session.

Text that looks like a formula is stored as text with Excel's quote prefix, so it is shown as typed
and never calculated, not even after the cell is edited. Column headings and record values are
labels a reader knows (kind, strategy and status names), times are real Excel dates, and long text
wraps in its cell.
"""

import datetime
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..vocabulary import CERTAINTY_LABELS, NO_RECORD_LABEL, VERDICT_LABELS
from .csv_export import FORMULA_STARTS, VOTE_COLUMNS, headline

# (key of the CSV headline, column heading); ids give way to the names beside them
RECORD_COLUMNS = (
    ("kind_name", "Kind"), ("status_name", "Status"), ("direction_name", "Variability allowed"),
    ("strategy_name", "Strategy"), ("warnings", "Warnings"), ("sla", "SLA clauses"),
    ("clauses", "Committed tactics"), ("sla_input", "SLA input"), ("owner", "Owner"), ("due", "Due"),
    ("notes", "Notes"), ("dissent", "Dissent"), ("dissent_texts", "What would change their vote"),
    ("verdict_name", "Verdict"), ("certainty_name", "Certainty"), ("n", "Votes (n)"), ("present", "Present (N)"),
    ("abstain", "Abstained"), ("quorum_needed", "Quorum (taking part)"), ("interval_low", "Interval low"),
    ("interval_high", "Interval high"),
    ("round", "Round"), ("rounds", "Rounds"), ("mean", "Mean"), ("median", "Median"), ("iqr", "IQR"),
    ("consensus", "Cns"), ("agreement", "Agreement"), ("reached", "Reached"), ("group_gap", "Group gap"),
    ("impact_mean", "Impact (mean)"), ("strategy_leader_name", "Strategy vote leader"),
    ("strategy_share", "Leader's share"), ("examples", "Examples"), ("recorded_at", "Recorded (UTC)"),
    ("session", "Session"),
)
EXAMPLE_COLUMNS = ("kind", "question", "round", "group", "text", "submitted_at")
DATES = {"recorded_at": "yyyy-mm-dd hh:mm", "voted_at": "yyyy-mm-dd h:mm:ss",
         "submitted_at": "yyyy-mm-dd hh:mm", "due": "yyyy-mm-dd"}
WRAPPED = frozenset({"warnings", "sla", "clauses", "sla_input", "notes", "dissent", "dissent_texts", "text"})

FIGURE_COLUMNS = ("kind", "question", "round", "group", "n", "abstain", "present", "quorum_needed", "mean",
                  "median", "iqr", "consensus", "agreement", "reached", "verdict", "certainty", "interval_low",
                  "interval_high", "leader", "group_gap", "counts")
SESSION_FIELDS = ("code", "title", "service", "plan", "plan_title", "held_at", "participants")
FRACTIONS = {"consensus": "0.000", "agreement": "0.0%", "strategy_share": "0.0%", "interval_low": "0.0%",
             "interval_high": "0.0%"}
DECIMALS = {"mean": "0.00", "median": "0.0", "iqr": "0.0", "group_gap": "0.00", "impact_mean": "0.00"}
WIDE = {"notes": 40, "dissent": 40, "sla_input": 40, "counts": 50, "question": 24, "title": 40, "warnings": 60,
        "sla": 60, "clauses": 50, "dissent_texts": 50, "text": 80, "kind_name": 22, "strategy_name": 26,
        "direction_name": 28, "recorded_at": 18, "voted_at": 20, "submitted_at": 18, "due": 12}
ALL_GROUPS = "(all)"


def session_xlsx(data: dict) -> bytes:
    """The workbook as bytes: sheets Records, Figures, Votes and Session."""
    # Write-only mode streams rows to the file, so thousands of votes stay cheap in memory.
    book = Workbook(write_only=True)
    _sheet(book, "Records", [key for key, _ in RECORD_COLUMNS], _record_rows(data),
           [title for _, title in RECORD_COLUMNS])
    _sheet(book, "Figures", FIGURE_COLUMNS, _figure_rows(data))
    _sheet(book, "Votes", VOTE_COLUMNS, (_vote_row(vote) for vote in data["votes"]))
    _sheet(book, "Examples", EXAMPLE_COLUMNS, _example_rows(data))
    _sheet(book, "Session", ("field", "value"), _session_rows(data["session"]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, title: str, columns: Iterable[str], rows: Iterable[Iterable],
           headings: Iterable[str] | None = None) -> None:
    sheet = book.create_sheet(title)
    columns = list(columns)
    headings = list(headings) if headings is not None else columns
    for index, (column, heading) in enumerate(zip(columns, headings), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(column, max(10, len(heading) + 2))
    sheet.freeze_panes = "A2"
    sheet.append([_header(sheet, heading) for heading in headings])
    for row in rows:
        sheet.append([_cell(sheet, column, value) for column, value in zip(columns, row)])


def _header(sheet: Any, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=name)
    cell.font = Font(bold=True)
    return cell


def _cell(sheet: Any, column: str, value: object) -> object:
    if column in DATES and isinstance(value, str) and value:
        return _date_cell(sheet, column, value)
    if isinstance(value, str):
        # XML 1.0 cannot hold most control characters; openpyxl would refuse the whole workbook.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, str) and column in WRAPPED:
        cell = WriteOnlyCell(sheet, value=value)
        if value.startswith(FORMULA_STARTS) and not _is_number(value):
            cell.data_type = "s"
            cell.quotePrefix = True
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        cell.quotePrefix = True
        return cell
    if isinstance(value, float) and (column in FRACTIONS or column in DECIMALS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = FRACTIONS.get(column) or DECIMALS[column]
        return cell
    return value


def _date_cell(sheet: Any, column: str, value: str) -> object:
    """A stored ISO time (UTC) or date as an Excel date; Excel has no time zones, so UTC is written as is."""
    try:
        moment: datetime.date = (datetime.date.fromisoformat(value) if column == "due"
                                 else datetime.datetime.fromisoformat(value).replace(tzinfo=None))
    except ValueError:
        return value
    if column == "voted_at":
        return moment  # openpyxl gives a bare date its own date format; a styled cell per vote costs a second
    cell = WriteOnlyCell(sheet, value=moment)
    cell.number_format = DATES[column]
    return cell


def _record_rows(data: dict) -> Iterable[list]:
    code = data["session"]["code"]
    for entry in data["kinds"]:
        row = headline(code, entry)
        record = entry["record"] or {}
        row.update(status_name=record.get("status_name", NO_RECORD_LABEL), direction_name=record.get("direction_name"),
                   verdict_name=VERDICT_LABELS.get(row["verdict"] or ""),
                   certainty_name=CERTAINTY_LABELS.get(row["certainty"] or ""),
                   strategy_leader_name=_option_name(entry, row["strategy_leader"]))
        yield [row[key] for key, _ in RECORD_COLUMNS]


def _option_name(entry: dict, option: str | None) -> str | None:
    question = entry["questions"].get("strategy") or {}
    names = {item["id"]: item["label"] for item in question.get("options", [])}
    return names.get(option, option) if option else None


def _example_rows(data: dict) -> Iterable[list]:
    for entry in data["kinds"]:
        for example in entry["examples"]:
            yield [entry["name"], example["question"], example["round"], example["group"], example["text"],
                   example["submitted_at"]]
        for text in entry.get("dissent_texts", []):
            yield [entry["name"], f"{entry['kind']}.dissent", None, None, text, None]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _figure_rows(data: dict) -> Iterable[list]:
    for entry in data["kinds"]:
        for question in entry["questions"].values():
            if question is None:
                continue
            for figures in question["rounds"]:
                yield _figure_row(entry["kind"], question["id"], figures["round"], ALL_GROUPS, figures,
                                  figures["group_gap"])
                for group, found in figures["by_group"].items():
                    if found.get("hidden"):  # too few votes to show without giving them away
                        yield [entry["kind"], question["id"], figures["round"], group, found["n"]]
                    else:
                        yield _figure_row(entry["kind"], question["id"], figures["round"], group, found, None)


def _figure_row(kind: str, qid: str, round_: int, group: str, figures: dict, gap: float | None) -> list:
    """A round's (or a group's) figures; the verdict, presence and interval belong to the whole round."""
    counts = ", ".join(f"{value}: {count}" for value, count in figures["counts"].items())
    low, high = ((figures.get("interval") or {}).get("agreement") or (None, None)) if group == ALL_GROUPS \
        else (None, None)
    return [kind, qid, round_, group, figures["n"], figures["abstain"], figures.get("present"),
            figures.get("quorum_needed"), figures["mean"], figures["median"], figures["iqr"], figures["consensus"],
            figures["agreement"], figures["reached"], VERDICT_LABELS.get(figures.get("verdict") or ""),
            CERTAINTY_LABELS.get(figures.get("certainty") or ""), low, high, figures.get("leader"), gap, counts]


def _vote_row(vote: dict) -> list:
    value = vote["value"]
    # Scale votes are numbers in the sheet; options and "abstain" stay text.
    if value.lstrip("-").isdigit():
        value = int(value)
    return [vote["question"], vote["round"], vote["participant"], vote["group"], value, vote["voted_at"],
            vote["removed"]]


def _session_rows(session: dict) -> Iterable[list]:
    for field in SESSION_FIELDS:
        yield [field, session[field]]
    yield ["groups", ", ".join(session["groups"])]
    for group, count in session["participants_by_group"].items():
        yield [f"participants: {group}", count]
    for key, value in session["thresholds"].items():
        yield [f"min_{key}" if key in ("consensus", "agreement") else key, value]
