"""Exports of a session's consensus records and the evidence behind them."""

from collections.abc import Callable

from ..live.room import Room
from .collect import collect
from .csv_export import records_csv
from .json_export import session_json

EXPORTERS: dict[str, tuple[Callable[[dict], str | bytes], str]] = {
    "json": (session_json, "application/json"),
    "csv": (records_csv, "text/csv; charset=utf-8"),
}
EXPORT_FORMATS = tuple(EXPORTERS)


def render_export(room: Room, fmt: str) -> tuple[str | bytes, str]:
    """The export of `room` in `fmt` and its media type."""
    exporter, media_type = EXPORTERS[fmt]
    return exporter(collect(room)), media_type
