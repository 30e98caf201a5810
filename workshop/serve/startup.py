"""Waiting at start for the services a deployment names: the PostgreSQL record and the Redis broker.

Started together (compose, a service manager, a pod), the app often comes up before its database:
rather than exit with a traceback, it tries again every second or two, saying so in the log, for up to
`START_WAIT` seconds (`--start-wait`, WORKSHOP_START_WAIT), then gives up with one line.
"""

import logging
import time
from collections.abc import Callable

RETRY_EVERY = 1.0
RETRY_AT_MOST = 5.0

log = logging.getLogger("workshop")


class ServiceUnavailable(Exception):
    """A service did not answer within the wait; the message is one line for the operator."""


def wait_for(what: str, attempt: Callable[[], None], seconds: float,
             transient: tuple[type[BaseException], ...]) -> None:
    """Call `attempt` until it returns, retrying on `transient` errors for up to `seconds`."""
    deadline = time.monotonic() + seconds
    pause = RETRY_EVERY
    tries = 0
    while True:
        tries += 1
        try:
            attempt()
        except transient as error:
            left = deadline - time.monotonic()
            reason = first_line(error)
            if left <= 0:
                raise ServiceUnavailable(f"{what} did not answer within {seconds:g} s ({tries} tries): "
                                         f"{reason}") from None
            log.warning("waiting for %s (try %d, %.0f s left): %s", what, tries, left, reason)
            time.sleep(min(pause, left))
            pause = min(pause * 1.5, RETRY_AT_MOST)
            continue
        if tries > 1:
            log.info("%s answered after %d tries", what, tries)
        return


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def wait_for_postgres(url: str, seconds: float) -> None:
    """Wait until PostgreSQL at `url` accepts a connection and answers a query."""
    import psycopg

    def attempt() -> None:
        with psycopg.connect(url, connect_timeout=2, autocommit=True, application_name="workshop") as connection:
            connection.execute("select 1")

    # An OperationalError is what a database not up yet gives (refused, starting up, no such host yet);
    # a wrong password or a missing database is one too, and is reported after the wait like the rest.
    wait_for(f"the database at {masked(url)}", attempt, seconds, (psycopg.OperationalError,))


def wait_for_redis(url: str, seconds: float) -> None:
    """Wait until the Redis broker at `url` answers PING."""
    import redis

    def attempt() -> None:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()

    wait_for(f"the broker at {masked(url)}", attempt, seconds, (redis.RedisError, OSError))


def masked(url: str) -> str:
    """The URL with its password, if any, masked: safe to print."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
