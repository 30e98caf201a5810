"""The XLSX export (openpyxl): records, figures per round and group, raw votes, and the session.

Text that looks like a formula is stored as text with Excel's quote prefix, so it is shown as typed
and never calculated, not even after the cell is edited.
"""

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .csv_export import COLUMNS, FORMULA_STARTS, VOTE_COLUMNS, headline

FIGURE_COLUMNS = ("kind", "question", "round", "group", "n", "abstain", "mean", "median", "iqr",
                  "consensus", "agreement", "reached", "leader", "group_gap", "counts")
SESSION_FIELDS = ("code", "title", "service", "plan", "plan_title", "held_at", "participants")
FRACTIONS = {"consensus": "0.000", "agreement": "0.0%", "strategy_share": "0.0%"}
DECIMALS = {"mean": "0.00", "median": "0.0", "iqr": "0.0", "group_gap": "0.00", "impact_mean": "0.00"}
WIDE = {"notes": 40, "dissent": 40, "sla_input": 40, "counts": 50, "question": 24, "title": 40}
ALL_GROUPS = "(all)"


def session_xlsx(data: dict) -> bytes:
    """The workbook as bytes: sheets Records, Figures, Votes and Session."""
    # Write-only mode streams rows to the file, so thousands of votes stay cheap in memory.
    book = Workbook(write_only=True)
    code = data["session"]["code"]
    _sheet(book, "Records", COLUMNS, (headline(code, entry).values() for entry in data["kinds"]))
    _sheet(book, "Figures", FIGURE_COLUMNS, _figure_rows(data))
    _sheet(book, "Votes", VOTE_COLUMNS, (_vote_row(vote) for vote in data["votes"]))
    _sheet(book, "Session", ("field", "value"), _session_rows(data["session"]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, title: str, columns: Iterable[str], rows: Iterable[Iterable]) -> None:
    sheet = book.create_sheet(title)
    columns = list(columns)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(column, max(10, len(column) + 2))
    sheet.freeze_panes = "A2"
    sheet.append([_header(sheet, column) for column in columns])
    for row in rows:
        sheet.append([_cell(sheet, column, value) for column, value in zip(columns, row)])


def _header(sheet: Any, name: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=name)
    cell.font = Font(bold=True)
    return cell


def _cell(sheet: Any, column: str, value: object) -> object:
    if isinstance(value, str):
        # XML 1.0 cannot hold most control characters; openpyxl would refuse the whole workbook.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
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
                    yield _figure_row(entry["kind"], question["id"], figures["round"], group, found, None)


def _figure_row(kind: str, qid: str, round_: int, group: str, figures: dict, gap: float | None) -> list:
    counts = ", ".join(f"{value}: {count}" for value, count in figures["counts"].items())
    return [kind, qid, round_, group, figures["n"], figures["abstain"], figures["mean"], figures["median"],
            figures["iqr"], figures["consensus"], figures["agreement"], figures["reached"],
            figures.get("leader"), gap, counts]


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
    yield ["min_consensus", session["thresholds"]["consensus"]]
    yield ["min_agreement", session["thresholds"]["agreement"]]
