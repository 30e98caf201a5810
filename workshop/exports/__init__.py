"""Exports of a session's consensus records and the evidence behind them.

Every format is a function of the data `collect` gathers once from the record; see
docs/export-schema.md for the JSON shape and what each format holds.
"""

from collections.abc import Callable

from ..store.interface import RecordStore
from .collect import collect
from .csv_export import records_csv, votes_csv
from .html_export import render_report, session_html
from .json_export import session_json
from .markdown_export import session_markdown


def session_xlsx(data: dict) -> bytes:
    # openpyxl adds 7 MiB to every server; only a server asked for a workbook needs to load it.
    from .xlsx_export import session_xlsx as render

    return render(data)


def session_docx(data: dict) -> bytes:
    # Likewise python-docx (and lxml) load only when a Word brief is asked for.
    from .docx_export import session_docx as render

    return render(data)


EXPORTERS: dict[str, tuple[Callable[[dict], str | bytes], str]] = {
    "json": (session_json, "application/json"),
    "csv": (records_csv, "text/csv; charset=utf-8"),
    "votes.csv": (votes_csv, "text/csv; charset=utf-8"),
    "xlsx": (session_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "md": (session_markdown, "text/markdown; charset=utf-8"),
    "docx": (session_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "html": (session_html, "text/html; charset=utf-8"),
}
EXPORT_FORMATS = tuple(EXPORTERS)
BINARY_FORMATS = ("xlsx", "docx")

__all__ = ["BINARY_FORMATS", "EXPORTERS", "EXPORT_FORMATS", "collect", "render_export", "render_report"]


def render_export(store: RecordStore, code: str, fmt: str) -> tuple[str | bytes, str]:
    """The export of session `code` in `fmt` and its media type; raises KeyError for an unknown format."""
    exporter, media_type = EXPORTERS[fmt]
    return exporter(collect(store, code)), media_type
