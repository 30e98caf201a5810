"""Every export format, one row each: its key, media type, file name, the words the pages show for it
and the function that renders it.

The web routes, `workshop export`, the console's Export menu, the report's download links and the
home page read this table; README's list of formats is checked against it (tests/test_exports.py).
A format is added here and nowhere else.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .csv_export import records_csv, votes_csv
from .html_export import session_html
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


@dataclass(frozen=True)
class ExportFormat:
    """One export format."""

    key: str  # in /api/sessions/CODE/export.KEY and `workshop export --format KEY`
    media_type: str
    suffix: str  # the downloaded file is workshop-CODE.SUFFIX
    label: str  # the console's Export menu
    short: str  # the report's download links and the home page's
    render: Callable[[dict], str | bytes]
    about: str = ""  # what `workshop export --help` adds to the key
    binary: bool = False  # written to a file (-o), never to a terminal
    on_home: bool = False  # linked beside each session on the home page

    def href(self, code: str) -> str:
        """Where the facilitator downloads session `code` in this format."""
        return f"/api/sessions/{code}/export.{self.key}"


CSV = "text/csv; charset=utf-8"
OFFICE = "application/vnd.openxmlformats-officedocument"
FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat("json", "application/json", "json", "JSON (records and evidence)", "JSON", session_json,
                 on_home=True),
    ExportFormat("csv", CSV, "csv", "CSV (one row per kind)", "CSV", records_csv, on_home=True),
    ExportFormat("votes.csv", CSV, "votes.csv", "CSV of every vote", "Votes CSV", votes_csv,
                 about="every vote, for audit"),
    ExportFormat("xlsx", f"{OFFICE}.spreadsheetml.sheet", "xlsx", "Excel workbook", "Excel", session_xlsx,
                 binary=True),
    ExportFormat("md", "text/markdown; charset=utf-8", "md", "Markdown brief", "Markdown", session_markdown,
                 about="the SLA-input brief"),
    ExportFormat("docx", f"{OFFICE}.wordprocessingml.document", "docx", "Word document", "Word", session_docx,
                 about="the brief for Word", binary=True),
    ExportFormat("html", "text/html; charset=utf-8", "html", "HTML report", "HTML", session_html,
                 about="the printable report"),
)
BY_KEY: dict[str, ExportFormat] = {item.key: item for item in FORMATS}


def download_links(code: str) -> list[tuple[str, str]]:
    """(address, short name) of every format of session `code`: the report's download links."""
    return [(item.href(code), item.short) for item in FORMATS]
