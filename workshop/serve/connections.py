"""How many connections the server keeps open, and for whom: a flood from one address, or from many,
cannot take every descriptor, and the facilitator always has a way in.

A connection is admitted if its address has fewer than `per_address` open and the server is below
`total - reserve`. A room the facilitator expects (its room size) raises the per-address bound, as it
raises the join budget: a hall behind one NAT address, or every phone behind a proxy, has one address.
Past either bound it is admitted on probation: its requests are served only if they carry the
facilitator key (bearer or cookie); any other gets a 503 and the connection closes.
Each address may hold only a few connections on probation, and nothing is admitted past `total`.
Every connection must also send a complete request head within `header_timeout` seconds.

Idle connections go first: an address at its bound that holds a connection waiting for a request (no
request head yet, or kept alive between requests) sheds its oldest such connection to admit the new
one, so idle or trickling sockets from one address (a hotel's NAT) never keep that address's phones
out; sockets in use (a request being served, an open WebSocket) are never shed.
"""

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..config import given

Admission = Literal["admitted", "probation", "refused"]

PROBATION_PER_ADDRESS = 8
DESCRIPTOR_HEADROOM = 64  # the database, its log, the listener, logs and imports
# Connections per expected phone: its socket, plus the kept-alive page and script loads while it joins,
# and latecomers (the join budget's margin is 1.2).
CONNECTIONS_PER_EXPECTED_PHONE = 2.0


@dataclass(frozen=True)
class ConnectionLimits:
    """The numbers; each is a row of config.SETTINGS (a WORKSHOP_* variable, some a flag too)."""

    header_timeout: float = 5.0  # seconds for a request's head to arrive in full
    per_address: int = 256  # open connections from one address before probation
    total: int = 0  # open connections in all; 0: the descriptor limit less some headroom
    reserve: int = 32  # of `total`, kept for connections that carry the facilitator key
    nodelay: bool = True  # TCP_NODELAY: small responses leave at once instead of after a delayed ACK

    @classmethod
    def from_env(cls, **overrides: object) -> "ConnectionLimits":
        """Limits from their WORKSHOP_* variables (config.SETTINGS), with explicit values on top;
        a variable that does not read raises ValueError."""
        return cls(**given("connections", overrides))

    def problem(self) -> str | None:
        """What is wrong with these numbers, or None."""
        if not self.header_timeout > 0:
            return f"the header timeout must be above 0 seconds (got {self.header_timeout})"
        if self.per_address < 1 or self.total < 0 or self.reserve < 0:
            return "connection limits must be positive"
        return None


def descriptor_limit() -> int:
    try:
        import resource
    except ImportError:  # not on Windows
        return 8192
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


class Census:
    """The connections open now, by client address; used from the event loop's thread only."""

    def __init__(self, limits: ConnectionLimits, expected_phones: Callable[[], int] = lambda: 0) -> None:
        """`expected_phones`: the phones the facilitator expects in the open rooms (their room sizes)."""
        self.limits = limits
        self.expected_phones = expected_phones
        self.total = limits.total or max(descriptor_limit() - DESCRIPTOR_HEADROOM, 16)
        self._open: Counter[str] = Counter()
        self._probation: Counter[str] = Counter()
        self._held: dict[int, tuple[str, bool]] = {}
        self._idle: dict[str, dict[int, Callable[[], None]]] = {}  # address -> waiting connections, oldest first
        self.count = 0

    def admit(self, key: int, address: str) -> Admission:
        """Count a new connection (`key` identifies it until `release`) and say how it may be used."""
        if self.count >= self.total:
            return "refused"
        within = self._within(address) or (self._shed(address) and self._within(address))
        if within and self.count < self.total - self.limits.reserve:
            self._hold(key, address, False)
            return "admitted"
        if self._probation[address] >= PROBATION_PER_ADDRESS:
            return "refused"
        self._hold(key, address, True)
        return "probation"

    def _within(self, address: str) -> bool:
        held = self._open[address]
        return held < self.limits.per_address or held < self.per_address()  # the room only past the setting

    def idle(self, key: int, close: Callable[[], None]) -> None:
        """A connection is waiting for a request: it may be shed (`close`) to admit another from its address."""
        held = self._held.get(key)
        if held is not None and not held[1]:
            self._idle.setdefault(held[0], {})[key] = close

    def busy(self, key: int) -> None:
        """A connection is in use (a request, a WebSocket): it is never shed."""
        held = self._held.get(key)
        if held is not None:
            self._not_waiting(held[0], key)

    def _not_waiting(self, address: str, key: int) -> None:
        waiting = self._idle.get(address)
        if waiting is not None:
            waiting.pop(key, None)
            if not waiting:
                del self._idle[address]

    def _shed(self, address: str) -> bool:
        """Close the address's oldest waiting connection and count it out now; False if none waits."""
        waiting = self._idle.get(address)
        if not waiting:
            return False
        key = next(iter(waiting))
        close = waiting[key]
        self.release(key)
        close()
        return True

    def per_address(self) -> int:
        """Open connections one address may hold before probation: the setting, or the expected room."""
        expected = math.ceil(self.expected_phones() * CONNECTIONS_PER_EXPECTED_PHONE)
        return max(self.limits.per_address, expected)

    def _hold(self, key: int, address: str, on_probation: bool) -> None:
        (self._probation if on_probation else self._open)[address] += 1
        self._held[key] = (address, on_probation)
        self.count += 1

    def release(self, key: int) -> None:
        """Forget a closed connection; a key released twice, or never admitted, is ignored."""
        held = self._held.pop(key, None)
        if held is None:
            return
        address, on_probation = held
        self._not_waiting(address, key)
        counter = self._probation if on_probation else self._open
        counter[address] -= 1
        if counter[address] <= 0:
            del counter[address]
        self.count -= 1

    def open_from(self, address: str) -> int:
        return self._open[address] + self._probation[address]
