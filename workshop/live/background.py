"""Tasks started from synchronous code (a timer, a callback): kept until they finish, so they are not
collected mid-flight, and their failures logged instead of lost."""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self, failure: str) -> None:
        self.failure = failure  # what the log says when a task fails
        self.tasks: set[asyncio.Task] = set()

    def start(self, job: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(self.failure, exc_info=task.exception())
