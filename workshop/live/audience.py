"""Who is in a room right now: its phones by participant, its consoles and projectors, and (with a
broker) the participants connected to other processes."""

from collections.abc import Mapping

from .subscribers import Subscriber

Stamp = tuple[int, str]  # when a phone joined (ns) and the process it joined on: a total order of joins


class Audience:
    def __init__(self) -> None:
        self.phones: dict[Subscriber, dict] = {}
        self.stamps: dict[Subscriber, Stamp] = {}
        self.connected: dict[int, set[Subscriber]] = {}  # participant id -> its phones connected here
        self.elsewhere: set[int] = set()  # participants connected to other processes
        self.named: dict[int, str] = {}  # connected participants who gave a name
        self.consoles: set[Subscriber] = set()
        self.projectors: set[Subscriber] = set()

    def add_phone(self, connection: Subscriber, participant: dict, stamp: Stamp = (0, "")) -> None:
        previous = self.phones.get(connection)
        if previous is not None:
            self._disconnected(connection, previous)
        self.phones[connection] = participant
        self.stamps[connection] = stamp
        self.connected.setdefault(participant["id"], set()).add(connection)
        if participant["name"]:
            self.named[participant["id"]] = participant["name"]
        else:
            self.named.pop(participant["id"], None)

    def remove(self, connection: Subscriber) -> bool:
        """Forget a socket, whatever it was; True if it was a phone."""
        self.consoles.discard(connection)
        self.projectors.discard(connection)
        participant = self.phones.pop(connection, None)
        self.stamps.pop(connection, None)
        if participant is not None:
            self._disconnected(connection, participant)
        return participant is not None

    def _disconnected(self, connection: Subscriber, participant: dict) -> None:
        participant_id = participant["id"]
        phones = self.connected[participant_id]
        phones.discard(connection)
        if not phones:
            del self.connected[participant_id]
            self.named.pop(participant_id, None)

    def phones_of(self, participant_id: int, keep: Subscriber | None = None,
                  before: Stamp | None = None) -> list[Subscriber]:
        """The participant's phones here, but `keep`; with `before`, only those that joined before it."""
        return [connection for connection in self.connected.get(participant_id, ())
                if connection is not keep and (before is None or self.stamps[connection] < before)]

    def present(self) -> int:
        """Participants with a phone connected, here and on other processes."""
        return len(self.connected.keys() | self.elsewhere) if self.elsewhere else len(self.connected)

    def sockets(self) -> int:
        """Phone sockets open here, plus participants connected only elsewhere."""
        return len(self.phones) + len(self.elsewhere - self.connected.keys())

    def not_voted(self, voters: Mapping[int, object]) -> dict:
        """Connected phones without a vote among `voters`: a count, and names where given."""
        present = self.connected.keys() | self.elsewhere
        count = len(present) - len(present & voters.keys())
        return {"count": count, "names": sorted(name for pid, name in self.named.items() if pid not in voters)}
