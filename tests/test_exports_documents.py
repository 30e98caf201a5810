"""The Markdown brief, the HTML report and its charts, and the report printed to PDF."""

import io
import re
from html.parser import HTMLParser

from known_session import (
    DISSENT,
    LONG_LINK,
    NARROW_WARNING,
    OWNER_WARNING,
    exported_json,
)
from openpyxl import load_workbook

from helpers import OVERFLOWING
from workshop.exports.markdown_export import escape

# Markdown

def test_markdown_escape_neutralises_links_html_and_markers():
    assert escape("[x](http://e.example) <b>*y*</b> _z_ # | `c` ~ & \\") == (
        "\\[x\\](http://e.example) \\<b\\>\\*y\\*\\</b\\> \\_z\\_ \\# \\| \\`c\\` \\~ \\& \\\\")
    assert escape("1. one", line_start=True) == "1\\. one"
    assert escape("- two", line_start=True) == "\\- two"
    assert escape("=SUM(A1)", line_start=True) == "\\=SUM(A1)"
    assert escape("=SUM(A1)") == "=SUM(A1)"  # mid-line, "=" means nothing
    assert escape("two\nlines") == "two lines"


def test_markdown_brief_reads_as_sla_input(known):
    text = known["bodies"]["md"].text
    lines = text.splitlines()
    assert lines[0] == "# SLA inputs: Service desk SLA: Zürich – 東京 \\[draft\\]"
    assert lines[2:6] == [
        "- Service: Service desk \\*Zürich\\*",
        (f"- Session: {known['code']}, held on {exported_json(known)['session']['held_at'][:10]}, "
         "plan Customer-introduced variability (Frei)"),
        "- Participants: 6 (IT 3, Business 3)",
        ("- A round reaches consensus when at least 5 votes are cast, 50% of those present take part (abstaining "
         "counts) and one decision holds 75% of the votes (on scales without decision sides, also Cns 0.70 or more)."),
    ]
    assert ("| Arrival | Less variability allowed | Uncompromised reduction | Agreed – 1 to note | Consensus reached "
            "(narrow: a few votes could undo it) | 6 of 6 present voted | 0.86 | 83% |") in lines
    assert ("| Request | As much variability as today | Classic reduction | Deferred – 1 to note "
            "| Not reached (close to the threshold) | 5 of 6 present voted | 0.20 | 40% |") in lines
    assert "| Capability |  |  | Open |  |  |  |  |" in lines
    arrival = text.split("## Arrival\n", 1)[1].split("\n## ", 1)[0]
    assert arrival == (
        "\n**Status.** Agreed – 1 to note (verdict: Consensus reached (narrow: a few votes could undo it); "
        "6 of 6 present voted)\n\n"
        "**Position.** Agreed: the service will allow less arrival variability than today and reduce it "
        "through Uncompromised reduction.\n\n"
        "### Draft SLA section\n\n"
        "- **Service hours:** to be settled\n- **Booking rules:** to be settled\n"
        "- **Peak capacity:** to be settled\n- **Response targets:** to be settled\n\n"
        "**SLA input.** Service hours 08:00–18:00 in Zürich – 東京;  \nbookable slots for installs.\n\n"
        "**Strength of consensus.** Consensus reached (narrow: a few votes could undo it): 83% agreement on "
        "'less' and Cns 0.86 from 6 of 6 present voted (0 abstained), round 2 of 2; the agreement threshold "
        "(75% on one side) was met.\n\n"
        "- 95% interval of the leading share (Wilson): 44% to 97% (narrow: a few votes could undo it).\n"
        "- Rounds: round 1: Not reached (close to the threshold), 6 of 6 present voted; round 2: Consensus "
        "reached (narrow: a few votes could undo it), 6 of 6 present voted.\n"
        "- Median vote: Less (-1); mean -1.00 on a scale of -2 to 2.\n"
        "- By group: IT mean -1.33 (n 3, Cns 0.83), Business mean -0.67 (n 3, Cns 0.83); "
        "gap between the group means 0.67.\n"
        "- Between rounds 1 and 2, Cns changed by +0.20 and agreement by +17 points; "
        "5 of the 6 participants who voted in both rounds changed their vote.\n"
        "- Impact today: mean 4.2 on a scale of 1 to 5 (5 votes).\n"
        "- Strategy vote (6 votes): Uncompromised reduction 4 (67%), Low-cost accommodation 1 (17%), "
        "Classic reduction 1 (17%). Family: reduce 83%, consensus reached (narrow: a few votes could undo it); "
        "clear leader: Uncompromised reduction.\n\n"
        "**Dissent.** \\<img src=x onerror=alert(1)\\>\n\n"
        "**Notes.** =SUM(A1:A9)\n\n"
        f"**To note.** {NARROW_WARNING}\n\n"
        "**Examples from the room.**\n\n"
        "- Monday 9am spike after the \\*weekend\\*, see \\[the log\\](http://evil.example) " + LONG_LINK + "\n"
    )
    assert ("**Position.** Deferred: the decision was put off; the working position is to allow as much "
            "request variability as today and reduce it through Classic reduction.") in lines
    assert ("**Strength of consensus.** Not reached (close to the threshold): 40% agreement and Cns 0.20 from 5 of 6 "
            "present voted (1 abstained), round 1 of 1; the agreement threshold (75% on one side) was not met.") in lines
    assert "**Notes.** @ops to propose a catalogue" in lines
    assert "**Position.** Open: no consensus has been recorded for capability variability yet." in lines
    assert "**SLA input to settle.** Customer prerequisites, training, self-service and support tiers." in lines
    assert "**Owner.** not named; **due** no date" in lines
    assert text.split("## Open items\n\n", 1)[1].split("\n\n## Glossary")[0] == (
        f"- Arrival: to note: {NARROW_WARNING}\n"
        "- Request: deferred (Cns 0.20, 40% agreement).\n"
        f"- Request: to note: {OWNER_WARNING}\n"
        "- Capability: no consensus record yet.\n"
        "- Effort: no consensus record yet.\n"
        "- Subjective preference: no consensus record yet.")
    glossary = text.split("## Glossary\n\n", 1)[1]
    for term in ("Present (N)", "n of N present voted", "Minimum votes and quorum", "Cns", "Agreement", "Verdict",
                 "Certainty", "Groups", "Strategy", "Median and IQR"):
        assert f"- **{term}**:" in glossary
    # Nothing unescaped could open a tag or close a link text.
    assert not re.search(r"(?<!\\)[<\]]", text.replace("\\\\", ""))


# HTML

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_html_report_escapes_user_text_and_carries_its_charts(known):
    html = known["bodies"]["html"].text
    tags = _tags(html)
    assert "img" not in tags.tags and "script" not in tags.tags and "a" not in tags.tags
    assert not [name for name in tags.attributes if name.startswith("on")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and DISSENT not in html
    assert "<title>SLA inputs: Service desk SLA: Zürich – 東京 [draft] (" in html
    assert "<h1>Service desk SLA: Zürich – 東京 [draft]</h1>" in html
    assert "=SUM(A1:A9)" in html and "[the log](http://evil.example)" in html
    assert ("Agreed: the service will allow less arrival variability than today and reduce it through "
            "Uncompromised reduction.") in html
    assert "Service hours 08:00–18:00 in Zürich – 東京;\nbookable slots for installs." in html
    # Standalone: styles inline, nothing fetched from the server.
    assert tags.tags.count("style") == 1 and "link" not in tags.tags and "@page" in html
    # Charts: a heat map, the group comparison, two rounds and the strategy vote of arrival, request's round.
    assert tags.tags.count("svg") == 6
    for chart in ("chart-heat", "chart-groups", "chart-distribution", "chart-choice"):
        assert chart in html
    assert "<title>Direction, round 1: 6 votes, Cns 0.67</title>" in html
    assert "<title>Direction, round 2: 6 votes, Cns 0.86</title>" in html
    assert "<title>Strategy, round 1: 6 votes</title>" in html
    assert "Request: deferred (Cns 0.20, 40% agreement)." in html


def test_charts_escape_their_text_and_draw_every_bar():
    from workshop.exports import charts
    hostile = '<script>alert("x")</script> & co'
    svgs = [
        charts.distribution_chart({"-1": 2, "0": 0, "1": 5}, {"-1": hostile}, "Direction & more"),
        charts.choice_chart({"a": 1, "b": 3}, {"a": hostile}, "Strategy"),
        charts.heat_map([charts.HeatPoint(hostile, 0.4, 3.5)], (1, 5), 0.7, missing=[hostile]),
        charts.group_comparison([(hostile, {hostile: -1.0, "IT": 0.5})], [hostile, "IT"], (-2, 2), {"0": hostile}),
    ]
    for svg in svgs:
        tags = _tags(svg)
        assert svg.startswith("<svg") and "script" not in tags.tags and "style" not in tags.attributes
        assert "&lt;script&gt;" in svg and hostile not in svg
    assert _tags(svgs[0]).tags.count("rect") == 3 and "<title>Direction &amp; more</title>" in svgs[0]
    assert _tags(svgs[3]).tags.count("circle") == 4  # two legend keys, two group means


def test_xlsx_drops_characters_a_workbook_cannot_hold(known):
    from workshop.exports.xlsx_export import session_xlsx
    data = {**exported_json(known), "votes": []}
    data["kinds"][0]["record"]["notes"] = "bell\x07 and form feed\x0c, tab\tkept"
    book = load_workbook(io.BytesIO(session_xlsx(data)))
    from workshop.exports.xlsx_export import RECORD_COLUMNS
    column = [key for key, _ in RECORD_COLUMNS].index("notes") + 1
    assert book["Records"].cell(row=2, column=column).value == "bell and form feed, tab\tkept"


def test_report_page_links_its_stylesheet_for_the_content_security_policy(known):
    from workshop.exports import render_report
    html = render_report(known["client"].app.state.store, known["code"])
    tags = _tags(html)
    assert '<link rel="stylesheet" href="/static/css/report.css">' in html
    assert "style" not in tags.tags and "style" not in tags.attributes and "script" not in tags.tags
    assert f'href="/api/sessions/{known["code"]}/export.xlsx"' in html
    assert tags.tags.count("svg") == 6
    stylesheet = known["client"].get("/static/css/report.css")
    assert stylesheet.status_code == 200 and "@page" in stylesheet.text


# Printing

def test_report_prints_to_a4_pdf_with_charts_and_no_overflow(known):
    from playwright.sync_api import sync_playwright

    html = known["bodies"]["html"].text
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 680, "height": 1000})  # A4 less its margins, at 96 dpi
            page.set_content(html)
            page.emulate_media(media="print")
            assert page.evaluate(OVERFLOWING) == []
            assert page.evaluate("() => document.querySelectorAll('svg.chart').length") == 6
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
            pdf = page.pdf(format="A4")
            page.emulate_media(media="screen")
            page.set_viewport_size({"width": 390, "height": 800})  # the report opened on a phone
            assert page.evaluate(OVERFLOWING) == []
        finally:
            browser.close()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_word_overview_columns_hold_their_longest_word_and_fit_the_page(known):
    from docx import Document

    from workshop.exports.docx_export import OVERVIEW_WIDTHS, TABLE_FONT
    table = Document(io.BytesIO(known["bodies"]["docx"].content)).tables[0]
    assert sum(OVERVIEW_WIDTHS) <= 16.0  # A4 less the default margins
    longest = {"Uncompromised", "accommodation", "Agreement", "Subjective", "preference", "variability"}
    for column, width in enumerate(OVERVIEW_WIDTHS):
        words = [word for row in table.rows for word in row.cells[column].text.split()]
        widest = max((len(word) for word in words), default=0)
        # an average glyph of a sans-serif face is about 0.55 em; a cell has about 0.4 cm of padding
        assert widest * 0.55 * TABLE_FONT * 2.54 / 72 <= width - 0.4, (column, widest, width)
        assert abs(table.rows[0].cells[column].width.cm - width) < 0.01
    assert longest & {word for row in table.rows for cell in row.cells for word in cell.text.split()}
