"""The facilitator key: a bearer token for the API, a signed HttpOnly cookie for browsers."""

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import cast

from starlette.requests import HTTPConnection

from ..config import KEY_SETTING
from ..live.rooms import Rooms
from ..store import RecordStore, StorageError
from ..vocabulary import CLOSE_CODES

log = logging.getLogger(__name__)
POLICY_VIOLATION = CLOSE_CODES["policy_violation"]

COOKIE_PREFIX = "workshop_facilitator_"
IDENTITY_SETTING = "server_identity"


def new_key() -> str:
    return secrets.token_urlsafe(24)


def key_source(store: RecordStore, explicit: str | None) -> Callable[[], str]:
    """The key given on the command line or in WORKSHOP_KEY, else the one kept in the database.

    The stored key is read again every second off the event loop (`sign_out_on_rotation`), so
    `workshop rotate-key` takes effect within a second, without a restart.
    """
    if explicit:
        return lambda: explicit
    store.setting_or_default(KEY_SETTING, new_key())
    return lambda: store.setting(KEY_SETTING) or ""


def server_identity(store: RecordStore) -> str:
    """A random name for this record, made on first start and kept in it: every process serving the same
    database shares it, and two servers on different databases differ."""
    return store.setting_or_default(IDENTITY_SETTING, secrets.token_hex(8))


def cookie_name(identity: str) -> str:
    """The facilitator cookie's name for the server whose record has this identity.

    Browsers keep cookies per host, whatever the port, so two workshops on one machine would overwrite
    each other's cookie under one name; a name per record keeps each server's sign-in its own.
    """
    return COOKIE_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:12]


class FacilitatorAuth:
    """Checks credentials against the key held here: no check reads the database. With a `store`, the
    key comes from it and `reread` fetches it again, off the event loop."""

    def __init__(self, current_key: Callable[[], str], cookie: str = COOKIE_PREFIX.rstrip("_"),
                 store: RecordStore | None = None) -> None:
        self._current_key = current_key
        self._key = current_key()
        self._store = store
        self.cookie = cookie

    @property
    def key(self) -> str:
        return self._key

    async def reread(self) -> str:
        """The key as stored now (raises StorageError if the store does not answer in time)."""
        if self._store is not None:
            self._key = await self._store.awaited(self._current_key)
        return self._key

    @property
    def cookie_value(self) -> str:
        # The cookie carries a MAC of the key, never the key itself, and changes when the key does.
        return hmac.new(self.key.encode(), b"workshop facilitator cookie", hashlib.sha256).hexdigest()

    def key_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.key.encode())

    def status(self, connection: HTTPConnection) -> str:
        """'ok', 'missing' or 'wrong' for the credentials a request or socket handshake carries."""
        header = connection.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            return "ok" if scheme.lower() == "bearer" and self.key_matches(token.strip()) else "wrong"
        cookie = connection.cookies.get(self.cookie)
        if cookie is not None:
            return "ok" if hmac.compare_digest(cookie.encode(), self.cookie_value.encode()) else "wrong"
        return "missing"


async def sign_out_on_rotation(auth: FacilitatorAuth, rooms: Rooms, interval: float = 1.0) -> None:
    """Close every facilitator socket opened with a key that `workshop rotate-key` has since replaced."""
    current = auth.key
    while True:
        await asyncio.sleep(interval)
        try:
            if await auth.reread() == current:
                continue
        except StorageError as error:  # the old key holds until the store answers again
            log.warning("the facilitator key could not be read again: %s", error)
            continue
        current = auth.key
        for room in rooms.loaded():
            for connection in [*room.audience.consoles, *room.audience.projectors]:
                if auth.status(cast(HTTPConnection, connection.socket)) != "ok":  # facilitator sockets are WebSockets
                    room.remove(connection)
                    connection.close_with(POLICY_VIOLATION, "the facilitator key has changed")
        log.info("the facilitator key changed: sockets opened with the old key are closed")
