"""The facilitator key: a bearer token for the API, a signed HttpOnly cookie for browsers."""

import hashlib
import hmac
import secrets
from collections.abc import Callable

from starlette.requests import HTTPConnection

from ..store.store import Store

COOKIE = "workshop_facilitator"
KEY_SETTING = "facilitator_key"


def new_key() -> str:
    return secrets.token_urlsafe(24)


def key_source(store: Store, explicit: str | None) -> Callable[[], str]:
    """The key given on the command line or in WORKSHOP_KEY, else the one kept in the database.

    The stored key is read on every check, so `workshop rotate-key` takes effect without a restart.
    """
    if explicit:
        return lambda: explicit
    store.setting_or_default(KEY_SETTING, new_key())
    return lambda: store.setting(KEY_SETTING) or ""


class FacilitatorAuth:
    def __init__(self, current_key: Callable[[], str]) -> None:
        self._current_key = current_key

    @property
    def key(self) -> str:
        return self._current_key()

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
        cookie = connection.cookies.get(COOKIE)
        if cookie is not None:
            return "ok" if hmac.compare_digest(cookie.encode(), self.cookie_value.encode()) else "wrong"
        return "missing"
