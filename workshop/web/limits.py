"""Rate limits: a token bucket per phone for messages, and one per network address for new joins."""

import ipaddress
import math
import time
from dataclasses import dataclass, field
from typing import Any

MESSAGES_PER_SECOND = 10.0
MESSAGE_BURST = 30.0
STRIKES_BEFORE_CLOSE = 20  # refused messages in a row before a flooding socket is closed
CONTROL_PER_SECOND = 10.0  # pings and pongs a connection may send: browsers send none, clients one in 20 s
CONTROL_BURST = 30.0
JOINS_PER_MINUTE = 120.0  # per session and address, unless the facilitator expects a bigger room
ROOM_SIZE_MARGIN = 1.2  # latecomers and phones that join twice
MAX_ADDRESSES = 10_000
MAX_PARTICIPANTS = 100_000


@dataclass(slots=True)
class TokenBucket:
    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class MessageLimit:
    """A phone's message budget: over it, messages are refused; refused long enough, the socket closes."""

    __slots__ = ("bucket", "strikes")

    def __init__(self) -> None:
        self.bucket = TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        self.strikes = 0

    def allow(self) -> bool:
        return self._counted(self.bucket.take())

    async def check(self) -> bool:
        """Take one message from the budget: True if it may be handled."""
        return self.allow()

    def _counted(self, allowed: bool) -> bool:
        self.strikes = 0 if allowed else self.strikes + 1
        return allowed

    @property
    def exhausted(self) -> bool:
        return self.strikes >= STRIKES_BEFORE_CLOSE


class SharedMessageLimit(MessageLimit):
    """A participant's budget kept in Redis, so it holds whichever process each socket lands on; while
    Redis cannot answer, the process's own bucket stands in."""

    __slots__ = ("broker", "participant_id")

    def __init__(self, broker: Any, participant_id: int) -> None:
        super().__init__()
        self.broker = broker
        self.participant_id = participant_id

    async def check(self) -> bool:
        shared = await self.broker.take_token(f"messages:{self.participant_id}", MESSAGES_PER_SECOND, MESSAGE_BURST)
        return self.allow() if shared is None else self._counted(shared)


class MessageLimits:
    """One message budget per participant, shared by every socket it opens: more sockets, no more messages.
    With a broker (live.broker.Broker) the budget is shared by every process too."""

    def __init__(self, broker: Any = None) -> None:
        self.broker = broker
        self.limits: dict[int, MessageLimit] = {}

    def of(self, participant_id: int) -> MessageLimit:
        limit = self.limits.get(participant_id)
        if limit is None:
            if len(self.limits) >= MAX_PARTICIPANTS:
                self.limits.clear()  # bounded memory; a cleared budget starts full again
            limit = self.limits[participant_id] = (
                MessageLimit() if self.broker is None else SharedMessageLimit(self.broker, participant_id))
        return limit


def control_budget() -> TokenBucket:
    """A connection's budget of control frames (pings, pongs): over it, the connection is cut off."""
    return TokenBucket(CONTROL_PER_SECOND, CONTROL_BURST)


def join_burst(room_size: int) -> float:
    """New joins one address may make at once: a minute's worth, or the whole expected room."""
    return max(JOINS_PER_MINUTE, room_size * ROOM_SIZE_MARGIN)


class JoinLimit:
    """New participants per session and network address, so one device cannot flood a session with fake
    phones, while a whole room behind one address (guest Wi-Fi, a proxy) still joins at once: the burst
    follows the room size the facilitator expects."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, str], TokenBucket] = {}

    def allow(self, code: str, address: str, room_size: int = 0) -> bool:
        burst = join_burst(room_size)
        bucket = self.buckets.get((code, address))
        if bucket is None or bucket.burst != burst:
            if len(self.buckets) >= MAX_ADDRESSES:
                self.buckets.clear()  # bounded memory; losing old buckets only forgives old joins
            spent = bucket.burst - bucket.tokens if bucket is not None else 0.0
            bucket = self.buckets[(code, address)] = TokenBucket(burst / 60, burst, max(burst - spent, 0.0))
        return bucket.take()

    async def check(self, code: str, address: str, room_size: int = 0) -> bool:
        """Take one new join from the address's budget in this session: True if it may join."""
        return self.allow(code, address, room_size)


class SharedJoinLimit(JoinLimit):
    """The join budget kept in Redis, so an address gets no more joins by reaching several processes;
    while Redis cannot answer, the process's own buckets stand in."""

    def __init__(self, broker: Any) -> None:
        super().__init__()
        self.broker = broker

    async def check(self, code: str, address: str, room_size: int = 0) -> bool:
        burst = join_burst(room_size)
        shared = await self.broker.take_token(f"joins:{code}:{address}", burst / 60, burst)
        return self.allow(code, address, room_size) if shared is None else shared


def join_limit(broker: Any = None) -> JoinLimit:
    """The join budgets of this process, shared with the others when there is a broker."""
    return JoinLimit() if broker is None else SharedJoinLimit(broker)


# --- Guessing session codes ------------------------------------------------------------------------
# Kept apart from the budgets above: it counts wrong codes per network address, whatever the session.

WRONG_CODES_BURST = 20.0  # wrong codes one address may try at once: typos, a room behind one address
WRONG_CODES_PER_MINUTE = 10.0  # then one every 6 seconds


def address_key(host: str) -> str:
    """The network an address speaks for: itself for IPv4, its /64 for IPv6 (one machine holds a whole /64)."""
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return str(parsed)


class WrongCodeLimit:
    """Wrong session codes per network address. Once an address has spent its budget, every code it
    tries is refused, right or wrong, until the budget refills: were right codes still let through, the
    refusal itself would tell a guesser which codes exist."""

    def __init__(self, burst: float = WRONG_CODES_BURST, per_minute: float = WRONG_CODES_PER_MINUTE) -> None:
        self.burst = burst
        self.rate = per_minute / 60
        self.buckets: dict[str, TokenBucket] = {}

    def blocked(self, host: str) -> bool:
        """True while the address may try no code at all."""
        bucket = self.buckets.get(address_key(host))
        if bucket is None:
            return False
        return min(bucket.burst, bucket.tokens + (time.monotonic() - bucket.updated) * bucket.rate) < 1

    def missed(self, host: str) -> TokenBucket:
        """Count a code the address tried that names no session; return the address's bucket."""
        key = address_key(host)
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_ADDRESSES:
                self.buckets.clear()  # bounded memory; losing old buckets only forgives old misses
            bucket = self.buckets[key] = TokenBucket(self.rate, self.burst)
        bucket.take()
        return bucket

    async def miss(self, host: str) -> None:
        """Count a wrong code (with a broker, against the budget every process shares)."""
        self.missed(host)

    @property
    def wait(self) -> int:
        """Seconds until a blocked address may try one code again."""
        return math.ceil(1 / self.rate)


class SharedWrongCodeLimit(WrongCodeLimit):
    """The wrong-code budget kept in Redis too, so an address gets no more guesses by reaching several
    processes: once the shared budget is spent, this process holds the address back as well. While
    Redis cannot answer, the process's own count stands."""

    def __init__(self, broker: Any, **budget: float) -> None:
        super().__init__(**budget)
        self.broker = broker

    async def miss(self, host: str) -> None:
        bucket = self.missed(host)
        shared = await self.broker.take_token(f"wrong-codes:{address_key(host)}", self.rate, self.burst)
        if shared is False:
            bucket.tokens = 0.0  # spent on other processes: held back here until a token refills


def wrong_code_limit(broker: Any = None) -> WrongCodeLimit:
    """The wrong-code budget of this process, shared with the others when there is a broker."""
    return WrongCodeLimit() if broker is None else SharedWrongCodeLimit(broker)
