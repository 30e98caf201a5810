"""The countdowns of one room: an asyncio timer per open question with a deadline.

The deadline is in the session's state (stored, so it survives a restart); this only keeps a timer
in step with it. When a timer fires, the room closes the question the way the facilitator would.
"""

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from ..domain.session import SessionState
from .background import Background

Expire = Callable[[str, str], Coroutine[Any, Any, None]]


class Countdowns:
    def __init__(self, expire: Expire) -> None:
        self._expire = expire
        self._timers: dict[str, tuple[str, asyncio.TimerHandle]] = {}  # question id -> (deadline, timer)
        self._closing = Background("closing a question at the end of its countdown failed")

    def follow(self, state: SessionState) -> None:
        """Arm a timer for every open question's deadline and cancel the timers of the rest."""
        wanted = {qid: question.closes_at for qid, question in state.questions.items()
                  if question.status == "open" and question.closes_at}
        for qid in list(self._timers):
            if wanted.get(qid) != self._timers[qid][0]:
                self._timers.pop(qid)[1].cancel()
        for qid, deadline in wanted.items():
            if qid not in self._timers:
                self._arm(qid, deadline)

    def _arm(self, qid: str, deadline: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # loaded outside the server (a script reading the record): nothing to run
            return
        delay = (datetime.fromisoformat(deadline) - datetime.now(UTC)).total_seconds()
        self._timers[qid] = (deadline, loop.call_later(max(0.0, delay), self._fire, qid, deadline))

    def _fire(self, qid: str, deadline: str) -> None:
        self._timers.pop(qid, None)
        self._closing.start(self._expire(qid, deadline))

    def cancel_all(self) -> None:
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    @property
    def running(self) -> dict[str, str]:
        """Question id -> deadline of every armed timer."""
        return {qid: deadline for qid, (deadline, _) in self._timers.items()}
