"""Charts for the printable report, drawn on the server as SVG strings.

Pure functions over plain figures. Every piece of text is escaped, and the drawing uses presentation
attributes only (no style attributes or <style>): the site's Content-Security-Policy forbids inline
styles, and a printed page must not depend on scripts.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from ..vocabulary import HEAT_BANDS

BAR = "#0072B2"
INK = "#222222"
MUTED = "#666666"
RULE = "#BBBBBB"
GROUP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
# Heat map background, from "settled" (strong agreement, mild impact) to "most at risk" (little
# agreement, hurts a lot): one shade per step away from the settled corner, in the bands every
# surface uses (workshop/vocabulary.py).
HEAT = ("#FFF7EC", "#FDD49E", "#FDBB84", "#FC8D59", "#EF6548")
CELLS = HEAT_BANDS


@dataclass(frozen=True)
class HeatPoint:
    """One kind on the heat map: the agreement its direction verdict rests on (0..1) and mean impact."""

    name: str
    agreement: float
    impact: float


def _fit(text: str, width: float, size: float) -> str:
    """Shorten text to about `width` units at font `size`, so a long label cannot run into the next."""
    room = int(width / (size * 0.52))  # an average sans-serif glyph is about half an em wide
    return text if len(text) <= room else text[:max(room - 1, 1)].rstrip() + "…"


def _text(x: float, y: float, text: str, size: float = 11, anchor: str = "start", fill: str = INK,
          weight: str = "normal") -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f"{escape(text)}</text>")


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{max(height, 0):.1f}" fill="{fill}"/>'


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = RULE, dashed: bool = False,
          width: float = 1) -> str:
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
            f'stroke-width="{width}"{dash}/>')


def _svg(width: int, height: int, title: str, parts: Sequence[str], kind: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img"><title>{escape(title)}</title>'
            + "".join(parts) + "</svg>")


def distribution_chart(counts: Mapping[str, int], labels: Mapping[str, str], title: str) -> str:
    """A bar per scale point (in the given order), its count above it and its label below.

    A bar's height is its share of the round's votes (the full height is 100%), so two rounds side by
    side are drawn on one axis."""
    width, height, left, right, top, bottom = 300, 190, 8, 8, 38, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    slot = plot_width / max(len(counts), 1)
    most = sum(counts.values()) or 1
    parts = [_text(left, 14, title, size=12, weight="bold"),
             _line(left, top + plot_height, width - right, top + plot_height, stroke=MUTED)]
    for index, (value, count) in enumerate(counts.items()):
        bar_height = plot_height * count / most
        x = left + index * slot
        centre = x + slot / 2
        parts.append(_rect(x + slot * 0.15, top + plot_height - bar_height, slot * 0.7, bar_height, BAR))
        parts.append(_text(centre, top + plot_height - bar_height - 4, str(count), size=11, anchor="middle"))
        parts.append(_text(centre, top + plot_height + 14, value, size=11, anchor="middle"))
        if labels.get(value):
            parts.append(_text(centre, top + plot_height + 28, _fit(labels[value], slot - 2, 9.5), size=9.5,
                               anchor="middle", fill=MUTED))
    return _svg(width, height, title, parts, "distribution")


def choice_chart(counts: Mapping[str, int], names: Mapping[str, str], title: str) -> str:
    """A horizontal bar per option, its length its share of the votes (the full width is 100%)."""
    row, left, right, top = 24, 136, 46, 26
    width = 300
    height = top + row * len(counts) + 6
    plot_width = width - left - right
    total = sum(counts.values())
    most = total or 1
    parts = [_text(4, 14, title, size=12, weight="bold")]
    for index, (option, count) in enumerate(counts.items()):
        y = top + index * row
        bar = plot_width * count / most
        share = f"{count} ({round(100 * count / total)}%)" if total else "0"
        parts.append(_text(left - 6, y + 15, _fit(names.get(option, option), left - 10, 10), size=10, anchor="end"))
        parts.append(_rect(left, y + 4, bar, row - 8, BAR))
        parts.append(_text(left + bar + 4, y + 15, share, size=10))
    parts.append(_line(left, top, left, top + row * len(counts), stroke=MUTED))
    return _svg(width, height, title, parts, "choice")


def heat_map(points: Sequence[HeatPoint], impact_range: tuple[int, int], threshold: float,
             missing: Sequence[str] = ()) -> str:
    """The kinds placed by agreement on direction (x, 0..1: the figure the verdict rests on) against
    mean impact (y), with the agreement threshold dashed.

    Cells shade towards red where impact is high and agreement low: the kinds that need attention.
    """
    width, left, right, top, bottom = 600, 64, 16, 30, 58
    height = 330 + (16 if missing else 0)
    plot_width, plot_height = width - left - right, 330 - top - bottom
    low, high = impact_range
    parts = [_text(4, 16, "Impact today against agreement on direction", size=13, weight="bold")]
    parts += _heat_cells(left, top, plot_width, plot_height)
    parts += _heat_axes(left, top, plot_width, plot_height, low, high)
    x_threshold = left + plot_width * threshold
    parts.append(_line(x_threshold, top, x_threshold, top + plot_height, stroke=INK, dashed=True))
    parts.append(_text(x_threshold + 4, top + 12, f"threshold {round(threshold * 100)}%", size=10, fill=INK))
    placed: list[tuple[float, float]] = []
    for point in points:
        x = left + plot_width * min(max(point.agreement, 0.0), 1.0)
        y = top + plot_height * (1 - (min(max(point.impact, low), high) - low) / (high - low))
        parts += _heat_point(x, y, point.name, placed, left + plot_width)
    if missing:
        note = "Not placed (no impact or direction votes yet): " + ", ".join(missing)
        parts.append(_text(left, height - 6, _fit(note, width - left, 10), size=10, fill=MUTED))
    return _svg(width, height, "Impact today against agreement on direction", parts, "heat")


def _heat_cells(left: float, top: float, plot_width: float, plot_height: float) -> list[str]:
    parts = []
    cell_width, cell_height = plot_width / CELLS, plot_height / CELLS
    for column in range(CELLS):
        for row in range(CELLS):
            # attention grows with impact (rows from the top) and with disagreement (columns from the left)
            shade = HEAT[(CELLS - 1 - row) + (CELLS - 1 - column)]  # steps away from the settled corner
            parts.append(_rect(left + column * cell_width, top + row * cell_height, cell_width + 0.5,
                               cell_height + 0.5, shade))
    return parts


def _heat_axes(left: float, top: float, plot_width: float, plot_height: float, low: int, high: int) -> list[str]:
    bottom = top + plot_height
    parts = [_line(left, bottom, left + plot_width, bottom, stroke=MUTED),
             _line(left, top, left, bottom, stroke=MUTED)]
    for step in range(0, 11, 2):
        x = left + plot_width * step / 10
        parts.append(_text(x, bottom + 14, f"{step / 10:.1f}", size=10, anchor="middle", fill=MUTED))
    for value in range(low, high + 1):
        y = top + plot_height * (1 - (value - low) / (high - low))
        parts.append(_text(left - 6, y + 4, str(value), size=10, anchor="end", fill=MUTED))
    parts.append(_text(left + plot_width / 2, bottom + 32, "Agreement on direction (the leading side's share)",
                       size=11, anchor="middle"))
    parts.append(f'<text x="14" y="{top + plot_height / 2:.1f}" font-size="11" text-anchor="middle" '
                 f'fill="{INK}" transform="rotate(-90 14 {top + plot_height / 2:.1f})">Impact today (mean)</text>')
    return parts


def _heat_point(x: float, y: float, name: str, placed: list[tuple[float, float]], right: float) -> list[str]:
    # Labels of kinds at the same spot would print over each other: stack them below.
    label_y = y + 4
    while any(abs(x - px) < 60 and abs(label_y - py) < 12 for px, py in placed):
        label_y += 13
    placed.append((x, label_y))
    near_edge = x > right - 140
    label_x = x - 9 if near_edge else x + 9
    return [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{INK}" stroke="#FFFFFF" stroke-width="1.5"/>',
            _text(label_x, label_y, _fit(name, 130, 11), size=11, anchor="end" if near_edge else "start",
                  weight="bold")]


def group_comparison(rows: Sequence[tuple[str, Mapping[str, float | None]]], groups: Sequence[str],
                     scale: tuple[int, int], labels: Mapping[str, str]) -> str:
    """Each group's mean direction per kind on the scale, joined by a line showing the gap."""
    width, left, right, row = 600, 150, 24, 30
    colours = {group: GROUP_COLOURS[index % len(GROUP_COLOURS)] for index, group in enumerate(groups)}
    legend, legend_bottom = _legend(groups, colours, 4, 36, width)
    top = legend_bottom + 16
    height = top + row * len(rows) + 44
    plot_width = width - left - right
    low, high = scale

    def at(value: float) -> float:
        return left + plot_width * (value - low) / (high - low)

    parts = [_text(4, 16, "Mean direction by group", size=13, weight="bold"), *legend]
    bottom = top + row * len(rows)
    for value in range(low, high + 1):
        parts.append(_line(at(value), top - 4, at(value), bottom, dashed=value != 0))
        parts.append(_text(at(value), bottom + 14, str(value), size=10, anchor="middle", fill=MUTED))
        if labels.get(str(value)):
            label = _fit(labels[str(value)], plot_width / (high - low) - 4, 9.5)
            parts.append(_text(at(value), bottom + 28, label, size=9.5, anchor="middle", fill=MUTED))
    for index, (name, means) in enumerate(rows):
        parts += _comparison_row(name, means, colours, top + index * row + row / 2, at)
    return _svg(width, round(height), "Mean direction by group", parts, "groups")


def _legend(groups: Sequence[str], colours: Mapping[str, str], left: float, y: float,
            width: float) -> tuple[list[str], float]:
    """The groups' colour keys, wrapped onto as many lines as they need; returns them and the last line's y."""
    parts, x = [], left
    for group in groups:
        name = _fit(group, width / 2, 11)
        advance = 30 + 11 * 0.55 * len(name)
        if x > left and x + advance > width:
            x, y = left, y + 18
        parts.append(f'<circle cx="{x + 5:.1f}" cy="{y - 4:.1f}" r="5" fill="{colours[group]}"/>')
        parts.append(_text(x + 14, y, name, size=11))
        x += advance
    return parts, y


def _comparison_row(name: str, means: Mapping[str, float | None], colours: Mapping[str, str], y: float,
                    at: Callable[[float], float]) -> list[str]:
    parts = [_text(4, y + 4, _fit(name, 140, 11), size=11)]
    present = {group: mean for group, mean in means.items() if mean is not None}
    if not present:
        return parts + [_text(at(0) + 6, y + 4, "no votes by group", size=10, fill=MUTED)]
    xs = [at(mean) for mean in present.values()]
    parts.append(_line(min(xs), y, max(xs), y, stroke=INK, width=2))
    for group, mean in present.items():
        parts.append(f'<circle cx="{at(mean):.1f}" cy="{y:.1f}" r="6" fill="{colours.get(group, INK)}" '
                     f'stroke="#FFFFFF" stroke-width="1.5"><title>{escape(group)}: {mean:.2f}</title></circle>')
    return parts
