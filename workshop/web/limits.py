"""Rate limits: a token bucket per phone for messages, and one per network address for new joins."""

import time
from dataclasses import dataclass, field

MESSAGES_PER_SECOND = 10.0
MESSAGE_BURST = 30.0
STRIKES_BEFORE_CLOSE = 20  # refused messages in a row before a flooding socket is closed
JOINS_PER_MINUTE = 120.0  # per address: a whole room behind one NAT can still join at once
MAX_ADDRESSES = 10_000


@dataclass
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

    def __init__(self) -> None:
        self.bucket = TokenBucket(MESSAGES_PER_SECOND, MESSAGE_BURST)
        self.strikes = 0

    def allow(self) -> bool:
        if self.bucket.take():
            self.strikes = 0
            return True
        self.strikes += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self.strikes >= STRIKES_BEFORE_CLOSE


class JoinLimit:
    """New participants per network address, so one device cannot flood a session with fake phones."""

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}

    def allow(self, address: str) -> bool:
        bucket = self.buckets.get(address)
        if bucket is None:
            if len(self.buckets) >= MAX_ADDRESSES:
                self.buckets.clear()  # bounded memory; losing old buckets only forgives old joins
            bucket = self.buckets[address] = TokenBucket(JOINS_PER_MINUTE / 60, JOINS_PER_MINUTE)
        return bucket.take()
