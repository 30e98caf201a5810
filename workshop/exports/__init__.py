"""Exports of a session's consensus records and the evidence behind them.

Every format is a function of the data `collect` gathers once from the record, listed once in
`formats.FORMATS`; see docs/export-schema.md for the JSON shape and what each format holds.
"""

from ..store.interface import RecordStore
from .collect import collect
from .formats import BY_KEY, FORMATS, ExportFormat, download_links
from .html_export import report_html

EXPORT_FORMATS = tuple(BY_KEY)

__all__ = ["EXPORT_FORMATS", "FORMATS", "ExportFormat", "collect", "render_export", "render_report"]


def render_export(store: RecordStore, code: str, fmt: str) -> tuple[str | bytes, str]:
    """The export of session `code` in `fmt` and its media type; raises KeyError for an unknown format."""
    found = BY_KEY[fmt]
    return found.render(collect(store, code)), found.media_type


def render_report(store: RecordStore, code: str) -> str:
    """The report page of session `code` (/s/CODE/report): it links the stylesheet and every download."""
    data = collect(store, code)
    return report_html(data, inline_css=False, downloads=download_links(data["session"]["code"]))
