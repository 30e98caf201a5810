"""The printable report: the SLA-input brief with charts drawn on the server, for A4.

One template serves two places. The downloaded export.html carries its styles in a <style> tag so
the file stands alone; the page at /s/CODE/report links /static/css/report.css instead, because the
site's Content-Security-Policy (style-src 'self') forbids inline styles. Neither has any script.
"""

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..domain.framework import STRATEGIES_BY_ID
from ..resources import TEMPLATES, shipped
from . import brief, charts

TEMPLATE = "report/report.html"
CSS_HREF = "/static/css/report.css"


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _stylesheet() -> str:
    return (shipped("static") / "css" / "report.css").read_text(encoding="utf-8")


def session_html(data: dict) -> str:
    """The standalone report file (export.html): styles inlined, no links to the server."""
    return report_html(data, inline_css=True)


def report_html(data: dict, inline_css: bool = True, downloads: list[tuple[str, str]] | None = None) -> str:
    """The report for collected data; with inline_css the stylesheet is embedded in the page.
    `downloads`: (address, name) of the links to the other formats, for the page the server shows."""
    context = report_context(data)
    context["css"] = Markup(_stylesheet()) if inline_css else None  # our own file, not user text
    context["css_href"] = CSS_HREF
    context["downloads"] = downloads or []
    return _environment().get_template(TEMPLATE).render(context)


def report_context(data: dict) -> dict:
    """What the template shows: the brief's sections with their charts, and the overview charts."""
    session = data["session"]
    thresholds = session["thresholds"]
    return {
        "schema": data["schema"],
        "session": session,
        "held_on": brief.held_on(data),
        "rule": brief.rule_sentence(thresholds),
        "overview": [brief.summary_row(entry, data) for entry in data["kinds"]],
        "sections": [{**brief.kind_brief(entry, thresholds, data), "charts": _kind_charts(entry)}
                     for entry in data["kinds"]],
        "open_items": brief.open_items(data),
        "glossary": brief.GLOSSARY,
        "heat_map": _heat_map(data),
        "group_chart": _group_chart(data),
    }


def _kind_charts(entry: dict) -> list[Markup]:
    found = []
    direction = entry["questions"].get("direction")
    if direction:
        for figures in direction["rounds"]:
            title = f"Direction, round {figures['round']}: {figures['n']} votes"
            if figures["consensus"] is not None:
                title += f", Cns {brief.number(figures['consensus'])}"
            found.append(Markup(charts.distribution_chart(figures["counts"], direction["labels"], title)))
    strategy = brief.basis(entry, "strategy")
    if strategy and strategy["n"]:
        names = {option: item.name for option, item in STRATEGIES_BY_ID.items()}
        question = entry["questions"].get("strategy") or {}
        names.update({option["id"]: option["label"] for option in question.get("options", [])})
        title = f"Strategy, round {strategy['round']}: {strategy['n']} votes"
        found.append(Markup(charts.choice_chart(strategy["counts"], names, title)))
    return found


def _heat_map(data: dict) -> Markup | None:
    points, missing, scale = [], [], None
    for entry in data["kinds"]:
        impact, direction = brief.basis(entry, "impact"), brief.basis(entry, "direction")
        question = entry["questions"].get("impact")
        if question and scale is None:
            scale = (question["min"], question["max"])
        if impact and impact["n"] and direction and direction["n"]:
            points.append(charts.HeatPoint(entry["name"], direction["agreement"], impact["mean"]))
        else:
            missing.append(entry["name"])
    if not points or scale is None:
        return None
    return Markup(charts.heat_map(points, scale, data["session"]["thresholds"]["agreement"], missing))


def _group_chart(data: dict) -> Markup | None:
    rows, scale, labels = [], None, {}
    for entry in data["kinds"]:
        question = entry["questions"].get("direction")
        figures = brief.basis(entry, "direction")
        if question is None or not figures or not figures["n"]:
            continue
        scale, labels = (question["min"], question["max"]), question["labels"]
        rows.append((entry["name"], {group: found["mean"] for group, found in figures["by_group"].items()
                                     if not found.get("hidden")}))
    if not rows or scale is None or len(data["session"]["groups"]) < 2:
        return None
    return Markup(charts.group_comparison(rows, data["session"]["groups"], scale, labels))
