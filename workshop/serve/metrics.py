"""The metrics listener (`workshop serve --metrics ADDRESS`): the process's registry over plain HTTP,
on its own address, so it is never reachable through the phones' port or the proxy.

Figures that are states (open sockets, frames waiting to leave, the broker's outbox) are read at
each scrape on the event loop's own thread, since the rooms are only ever touched from there.
"""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import State

from ..live.rooms import Rooms
from ..metrics import REGISTRY
from .connections import Census

log = logging.getLogger("workshop")

READ_TIMEOUT = 2.0  # seconds a scrape waits for the event loop; a stuck loop shows as missing figures


class LiveFigures(Collector):
    """Open sockets by kind, frames queued for them, connections held and the broker's backlog."""

    def __init__(self, state: State, census: Census) -> None:
        self.state = state  # the app's: its rooms, and its event loop once the lifespan has begun
        self.rooms: Rooms = state.rooms
        self.census = census

    def collect(self) -> Iterator[Metric]:
        loop: asyncio.AbstractEventLoop | None = getattr(self.state, "loop", None)
        if loop is None or loop.is_closed():
            return
        try:
            figures = asyncio.run_coroutine_threadsafe(self._read(), loop).result(READ_TIMEOUT)
        except Exception as error:  # a stuck loop or one shutting down: the scrape says so by their absence
            log.warning("live figures could not be read for a scrape: %s", error)
            return
        yield from _families(figures)

    async def _read(self) -> dict[str, Any]:
        sockets = {"phone": 0, "console": 0, "projector": 0}
        queued = dict.fromkeys(sockets, 0)
        deepest = 0
        for room in self.rooms.loaded():
            audience = room.audience
            for kind, group in (("phone", audience.phones), ("console", audience.consoles),
                                ("projector", audience.projectors)):
                sockets[kind] += len(group)
                for subscriber in group:
                    waiting = subscriber.waiting()
                    queued[kind] += waiting
                    deepest = max(deepest, waiting)
        broker = self.rooms.broker
        return {"sockets": sockets, "queued": queued, "deepest": deepest, "connections": self.census.count,
                "rooms": len(self.rooms.loaded()), "broker_outbox": broker.backlog() if broker else None}


def _families(figures: dict[str, Any]) -> Iterator[Metric]:
    sockets = GaugeMetricFamily("workshop_open_sockets", "Sockets open in this process, by kind", labels=["kind"])
    queued = GaugeMetricFamily("workshop_send_queue_frames", "Frames waiting to leave, summed over the sockets "
                               "of each kind", labels=["kind"])
    for kind, count in figures["sockets"].items():
        sockets.add_metric([kind], count)
        queued.add_metric([kind], figures["queued"][kind])
    yield sockets
    yield queued
    yield GaugeMetricFamily("workshop_send_queue_deepest", "Frames waiting for the socket furthest behind "
                            "(it is cut off at 32)", value=figures["deepest"])
    yield GaugeMetricFamily("workshop_open_connections", "HTTP and socket connections held, as the connection "
                            "cap counts them", value=figures["connections"])
    yield GaugeMetricFamily("workshop_rooms_loaded", "Sessions loaded in this process", value=figures["rooms"])
    if figures["broker_outbox"] is not None:
        yield GaugeMetricFamily("workshop_broker_outbox", "Changes waiting to be published to the other "
                                "processes", value=figures["broker_outbox"])


def serve_metrics(host: str, port: int, state: State, census: Census) -> int:
    """Listen for scrapes in a thread of its own; the port listened on (0 picks a free one)."""
    REGISTRY.register(LiveFigures(state, census))
    server, _ = start_http_server(port, host, registry=REGISTRY)
    return int(server.server_address[1])
