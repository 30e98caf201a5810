"""Fan-out between app processes through Redis, for several processes sharing one PostgreSQL record.

After a change commits, a room publishes a small event to its session's Redis stream. Every process
with the room loaded reads that stream from the id it noted last and applies the events of *other*
processes to its own room (a vote to its ballots mirror, anything else as a reload from the store);
its own consoles, projectors and phones then get their conflated broadcasts as usual. The database
stays the truth: a process that (re)connects notes the stream's last id, rebuilds its figures from
the store, and reads on from the noted id, so nothing is missed or counted twice. Phones present are
counted by each process and shared in a hash with a short life. Events cannot be lost silently: a
publish that fails is followed, once Redis answers again, by a `resync` event that sends every
process back to the store; and every process signs in to a shared register before it serves, so
when one stops reporting (killed between a commit and its event, say) the others catch up from the
store.
"""

import asyncio
import json
import logging
import secrets
import time
from typing import Any, Protocol

from ..domain.refusal import Refusal
from .background import Background

log = logging.getLogger(__name__)

STREAM_LENGTH = 10_000  # events kept per session stream (approximately: MAXLEN ~)
READ_BLOCK_MS = 1000  # longest wait of the reader; a room loaded meanwhile wakes it sooner
PRESENCE_INTERVAL = 1.0  # seconds between presence reports
PRESENCE_FRESH = 3.0  # seconds a process's report counts; a process killed outright drops out after this
PROCESS_FORGOTTEN = 60.0  # seconds after which a silent process's entry leaves the register
PROCESSES_KEY = "workshop:processes"  # every serving process -> when it last reported
RETRY_DELAY = 0.5  # seconds before retrying a lost Redis connection
PUBLISH_BATCH = 1000  # events sent in one pipelined round trip at most
CLOSE_TIMEOUT = 4.0  # seconds a shutdown waits for the broker's tasks and connections
COMMAND_TIMEOUT = 5.0  # seconds: above READ_BLOCK_MS, so only a Redis that stopped answering times out
# A vote or a join waits at most this long for its shared budget; then the process's own budget stands
# in (for RETRY_DELAY), so a frozen Redis slows no phone by more than this.
BUDGET_WAIT = 0.25

# A token bucket shared by every process (a participant's messages, an address's new joins): one
# round trip, atomic in Redis.
TOKEN_BUCKET = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local kept = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'burst')
local tokens = tonumber(kept[1]) or burst
local at = tonumber(kept[2]) or now
local was = tonumber(kept[3]) or burst
-- A bucket whose burst changed (a bigger room expected) keeps what was spent, not what was left.
tokens = math.max(tokens + burst - was, 0)
tokens = math.min(burst, tokens + math.max(now - at, 0) * rate)
local allowed = 0
if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'burst', tostring(burst))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""


class Followed(Protocol):
    """What the broker needs of a room (live.room.Room)."""

    code: str

    def present_here(self) -> set[int]: ...
    def apply_remote(self, event: dict) -> None: ...
    def rebuild(self) -> None: ...
    def set_remote_present(self, participants: set[int]) -> None: ...


STREAM_PREFIX = "workshop:session:"


def stream_key(code: str) -> str:
    return STREAM_PREFIX + code


def presence_key(code: str) -> str:
    return f"workshop:presence:{code}"


class Broker:
    """One per process: publishes this process's events, follows the loaded rooms' streams, shares presence."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis  # an optional extra, like psycopg

        self.url = url
        self.origin = secrets.token_hex(6)  # tells this process's own events from the others'
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=COMMAND_TIMEOUT,
                                          health_check_interval=5)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._outbox: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
        self._rooms: dict[str, Followed] = {}
        self._arriving: set[str] = set()  # rooms loaded since the reader's last catch-up
        self._last: dict[str, str] = {}  # session code -> id of the last event read
        self._wake_key = f"workshop:wake:{self.origin}"
        self._reader: asyncio.Task | None = None
        self._jobs = Background("a broker job failed")
        self._chores: list[asyncio.Task] = []
        self._bucket: Any = None
        self._budgets_down_until = 0.0  # while Redis fails, budgets are local without asking it each time
        self._budget_requests: list[tuple[str, float, float, asyncio.Future]] = []
        self._peers: set[str] = set()  # the other processes reporting lately

    async def start(self) -> None:
        """Sign in to the register of processes (so the others notice if this one dies, even before its
        first event), then start publishing and reporting."""
        self._bucket = self.redis.register_script(TOKEN_BUCKET)
        try:
            await self._exchange_presence([])
        except self._errors as error:
            log.error("REDIS IS UNREACHABLE at start, signing in when it is back: %s", error)
        self._chores = [asyncio.create_task(self._publish_forever()), asyncio.create_task(self._share_presence())]

    async def close(self) -> None:
        """Stop following and publishing; bounded, so a Redis call that swallows its cancellation or
        never answers cannot hold up the server's shutdown (the record is PostgreSQL's, not Redis's)."""
        pending = {*self._chores, *self._jobs.tasks, *([self._reader] if self._reader else [])}
        for _ in range(2):  # a second cancel for a task whose first one a library call swallowed
            for task in pending:
                task.cancel()
            if pending:
                _, pending = await asyncio.wait(pending, timeout=CLOSE_TIMEOUT / 2)
        if pending:
            log.warning("%d broker tasks had not stopped after %.0f s; closing anyway", len(pending), CLOSE_TIMEOUT)
        try:
            await asyncio.wait_for(self.redis.aclose(), CLOSE_TIMEOUT)
        except Exception as error:  # shutting down: whatever went wrong, log it and carry on
            log.warning("the Redis connections did not close cleanly: %r", error)

    # publishing

    def publish(self, code: str, event: dict) -> None:
        """Queue an event about a committed change; it leaves in order, without holding up the caller."""
        self._outbox.put_nowait((code, {**event, "origin": self.origin}))

    async def _publish_forever(self) -> None:
        lost: set[str] = set()  # sessions whose events were dropped while Redis was away
        while True:
            batch = await self._next_batch()
            resyncs = [(code, {"kind": "resync", "origin": self.origin}) for code in sorted(lost)]
            try:
                await self._add_all(resyncs + batch)  # the resyncs send every process back to the store
            except self._errors as error:
                if not lost:
                    log.error("REDIS IS UNREACHABLE, live figures on other processes lag until it is back: %s",
                              error)
                lost.update(code for code, _ in batch)
                await asyncio.sleep(RETRY_DELAY)
                while not self._outbox.empty():  # superseded by the resyncs; the queue stays bounded
                    lost.add(self._outbox.get_nowait()[0])
            else:
                lost.clear()

    async def _next_batch(self) -> list[tuple[str, dict]]:
        """The events waiting now (at least one), so a burst leaves in one round trip."""
        batch = [await self._outbox.get()]
        while not self._outbox.empty() and len(batch) < PUBLISH_BATCH:
            batch.append(self._outbox.get_nowait())
        return batch

    async def _add_all(self, events: list[tuple[str, dict]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for code, event in events:
                pipe.xadd(stream_key(code), {"event": json.dumps(event)}, maxlen=STREAM_LENGTH, approximate=True)
            await pipe.execute()

    # following

    def follow(self, room: Followed) -> None:
        """Start reading the room's stream (once per room and process)."""
        if room.code in self._rooms:
            return
        self._rooms[room.code] = room
        self._arriving.add(room.code)
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read_forever())
        else:
            self._later(self._wake_reader())

    async def _read_forever(self) -> None:
        """One reader per process: a single blocking XREAD over every loaded session's stream."""
        lost = False
        while True:
            try:
                self._last.clear()
                self._arriving.update(self._rooms)  # (re)connected: every room catches up
                while True:
                    for code in sorted(self._arriving):
                        self._last[code] = await self._catch_up(self._rooms[code])
                        self._arriving.discard(code)
                    if lost:
                        log.warning("Redis is back: %d sessions caught up from the record", len(self._rooms))
                        lost = False
                    await self._read_once()
            except self._errors as error:
                if not lost:  # once per outage, not at every retry
                    log.warning("lost Redis while following %d sessions (%s); catching up when it is back",
                                len(self._rooms), error)
                lost = True
                await asyncio.sleep(RETRY_DELAY)
            except Exception:  # the store unreadable mid catch-up, say: catch up again, never stop reading
                log.exception("following the other processes failed; catching up again")
                await asyncio.sleep(RETRY_DELAY)

    async def _catch_up(self, room: Followed) -> str:
        """Note the stream's last id, then rebuild from the store: what follows the id is read next."""
        newest: Any = await self.redis.xrevrange(stream_key(room.code), count=1)
        last = _text(newest[0][0]) if newest else "0-0"
        room.rebuild()
        return last

    async def _read_once(self) -> None:
        streams: dict[Any, Any] = {stream_key(code): last for code, last in self._last.items()}
        streams[self._wake_key] = "$"  # a room loaded meanwhile ends the wait at once
        found: Any = await self.redis.xread(streams, count=1000, block=READ_BLOCK_MS)
        for key, entries in found:
            code = _text(key).removeprefix(STREAM_PREFIX)
            room = self._rooms.get(code)
            if room is None or code not in self._last:
                continue
            for entry_id, fields in entries:
                self._last[code] = _text(entry_id)
                self._apply(room, fields)

    async def _wake_reader(self) -> None:
        try:
            await self.redis.xadd(self._wake_key, {"wake": "1"}, maxlen=10, approximate=False)
            await self.redis.expire(self._wake_key, 60)
        except self._errors:
            pass  # the reader finds the room within READ_BLOCK_MS anyway

    def _later(self, job: Any) -> None:
        self._jobs.start(job)

    def _apply(self, room: Followed, fields: dict) -> None:
        try:
            event = json.loads(_text(fields.get(b"event", fields.get("event", b"{}"))))
        except ValueError:
            log.warning("an unreadable event in session %s's stream was skipped", room.code)
            return
        if event.get("origin") == self.origin:
            return
        try:
            if event.get("kind") == "resync":
                room.rebuild()
            else:
                room.apply_remote(event)
        except (KeyError, TypeError, ValueError, AttributeError, Refusal):
            log.warning("a malformed event in session %s's stream was skipped: %.200s", room.code, event)

    # presence

    async def _share_presence(self) -> None:
        while True:
            rooms = list(self._rooms.values())
            try:
                processes, reports = await self._exchange_presence(rooms)
            except self._errors:
                pass  # presence is best effort; the reader reports the lost connection
            else:
                try:
                    self._notice_departures(processes)
                    now = time.time()
                    for room, report in zip(rooms, reports, strict=True):
                        room.set_remote_present(_present_elsewhere(report, self.origin, now))
                except Exception:  # whatever went wrong, presence must go on being shared
                    log.exception("reading the other processes' reports failed; trying again")
            await asyncio.sleep(PRESENCE_INTERVAL)

    async def _exchange_presence(self, rooms: list[Followed]) -> tuple[dict, list[dict]]:
        """Report this process and its phones in every loaded room, and read the register and the other
        processes' reports, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(PROCESSES_KEY, self.origin, str(time.time()))
            pipe.hgetall(PROCESSES_KEY)
            for room in rooms:
                key = presence_key(room.code)
                pipe.hset(key, self.origin, json.dumps({"at": time.time(), "ids": sorted(room.present_here())}))
                pipe.expire(key, int(PRESENCE_FRESH * 10))
                pipe.hgetall(key)
            found = await pipe.execute()
        return found[1], found[4::3]

    def _notice_departures(self, register: dict) -> None:
        """A process that went quiet may have died between a commit and its event: every loaded room
        catches up from the store rather than trusting the stream."""
        now = time.time()
        alive, forgotten = set(), []
        for process, reported in register.items():
            name, silent = _text(process), now - _seconds(reported)
            if silent > PROCESS_FORGOTTEN:
                forgotten.append(name)
            elif silent <= PRESENCE_FRESH and name != self.origin:
                alive.add(name)
        if self._peers - alive:
            log.warning("%d other processes stopped reporting; %d sessions catch up from the record",
                        len(self._peers - alive), len(self._rooms))
            self._arriving.update(self._rooms)
            self._later(self._wake_reader())
        self._peers = alive
        if forgotten:
            self._later(self._forget_processes(forgotten))

    async def _forget_processes(self, processes: list[str]) -> None:
        try:
            await self.redis.hdel(PROCESSES_KEY, *processes)
        except self._errors:
            pass  # the next report tries again

    # rate limits

    async def take_token(self, bucket: str, rate: float, burst: float) -> bool | None:
        """Take one token from a bucket shared by every process; None when Redis cannot answer.

        Requests made in the same turn of the event loop go to Redis together, in one round trip."""
        if self._budgets_down():
            return None
        answer: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._budget_requests.append((bucket, rate, burst, answer))
        if len(self._budget_requests) == 1:
            self._later(self._take_tokens())
        return await answer

    def _budgets_down(self) -> bool:
        return time.monotonic() < self._budgets_down_until

    async def _take_tokens(self) -> None:
        requests, self._budget_requests = self._budget_requests, []
        answers: list[bool | None] = [None] * len(requests)
        failures: tuple[type[BaseException], ...] = (*self._errors, TimeoutError)
        try:
            async with asyncio.timeout(BUDGET_WAIT), self.redis.pipeline(transaction=False) as pipe:
                for bucket, rate, burst, _ in requests:
                    await self._bucket(keys=[f"workshop:budget:{bucket}"], args=[rate, burst], client=pipe)
                answers = [bool(found) for found in await pipe.execute()]
        except failures:
            if not self._budgets_down():
                log.warning("REDIS IS UNREACHABLE: budgets did not answer within %.2f s; each process counts "
                            "its own for %.0f s", BUDGET_WAIT, RETRY_DELAY)
            self._budgets_down_until = time.monotonic() + RETRY_DELAY
        finally:  # every waiting message gets an answer, whatever happened
            for (*_, answer), found in zip(requests, answers, strict=True):
                if not answer.done():
                    answer.set_result(found)


def _present_elsewhere(reports: dict, origin: str, now: float) -> set[int]:
    """The participants connected to other processes that reported lately."""
    present: set[int] = set()
    for process, report in reports.items():
        if _text(process) == origin:
            continue
        try:
            found = json.loads(_text(report))
        except ValueError:
            continue
        if not isinstance(found, dict) or now - _seconds(found.get("at", 0)) > PRESENCE_FRESH:
            continue
        ids = found.get("ids")
        if isinstance(ids, list):
            present.update(item for item in ids if isinstance(item, int))
    return present


def _seconds(value: str | bytes | float) -> float:
    """A report's time; one that cannot be read counts as long ago."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


