"""A room's broadcasting: after changes, each audience is sent its view of the room's facts (the phones
only when a change asked for it), at most once per interval (`conflation.py`), each message
serialised once and queued for every socket without waiting on any."""

import json
from collections.abc import Awaitable, Callable

from ..protocol import console_snapshot, phone_state, projector_frame
from .audience import Audience
from .conflation import Conflation
from .focus import ProjectorFocus
from .subscribers import Subscriber
from .views import People, RoomFacts, console_view, phone_view, projector_view


class Broadcast:
    def __init__(self, audience: Audience, facts: Callable[[bool], Awaitable[RoomFacts]],
                 people: Callable[[], People], drop: Callable[[Subscriber], None]) -> None:
        self._audience = audience
        self._facts = facts  # facts(presence): read once for every view of one broadcast
        self._people = people
        self._drop = drop  # a socket that cannot take another frame
        self._conflation = Conflation(self._flush)
        self.focus = ProjectorFocus()  # what the big screen shows, as this room saw things change

    def changed(self, phones: bool = False, now: bool = False) -> None:
        self._conflation.changed(phones, now)

    async def _flush(self, to_phones: bool) -> None:
        audience = self._audience
        if not (audience.consoles or audience.projectors or (to_phones and audience.phones)):
            return
        facts = await self._facts(bool(audience.consoles or audience.projectors))
        # Every broadcast is seen by the focus, projectors or not, so that one opened later shows
        # the latest thing to happen, not a guess.
        focus = self.focus.follow(facts)
        if to_phones and audience.phones:
            self._send_all(list(audience.phones), phone_state(phone_view(facts)))
        if audience.consoles:
            self._send_all(list(audience.consoles), console_snapshot(console_view(facts, self._people())))
        if audience.projectors:
            self._send_all(list(audience.projectors), projector_frame(projector_view(facts, focus)))

    def projector_view(self, facts: RoomFacts) -> dict:
        """The projector's view of `facts`, with the focus as this room has seen things change."""
        return projector_view(facts, self.focus.follow(facts))

    def _send_all(self, connections: list[Subscriber], message: dict) -> None:
        text = json.dumps(message)
        for connection in connections:
            if not connection.offer(text):
                self._drop(connection)
