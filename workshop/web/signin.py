"""Signing in a browser from the printed facilitator address without leaving the key replayable.

Opening `/?key=KEY` no longer sets the cookie itself: it answers a page holding a one-time sign-in
token, whose script first replaces the address (so the key leaves the history entry and a reload
or Back cannot replay it) and then trades the token for the cookie at `POST /login`. Tokens live for
a minute and work once. They are kept (as hashes) in the record, written through the store's writer,
so behind a balancer the process that serves the exchange finds the token another process issued;
redeeming is one delete-and-return statement, so two processes cannot both accept one token.
"""

import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..domain.refusal import Refusal
from ..live.room import committed
from ..protocol import decode_json
from ..store import RecordStore
from .auth import FacilitatorAuth
from .errors import error_response

TOKEN_LIFETIME = 60.0  # seconds between opening the printed address and the page's exchange


class SignInTokens:
    """One-time sign-in tokens kept in the record, where every process on it sees them."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    async def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        now = time.time()  # wall clock: another process checks the expiry
        await committed(self.store.keep_signin(_digest(token), now + TOKEN_LIFETIME, now))
        return token

    async def redeem(self, token: object) -> bool:
        """True once for a token issued less than TOKEN_LIFETIME ago, by this process or another."""
        if not isinstance(token, str) or not token or len(token) > 100:
            return False
        digest = _digest(token)
        # Anyone may post a token: one that was never issued costs a read, never a place in the
        # writer's queue beside the votes.
        if not await self.store.awaited(self.store.signin_kept, digest):
            return False
        return bool(await committed(self.store.redeem_signin(digest, time.time())))


def _digest(token: str) -> str:
    # Only a hash is kept: a copy of the record does not hold a token that signs a browser in.
    return hashlib.sha256(token.encode()).hexdigest()


def safe_target(target: object) -> str:
    """A path on this server to land on after signing in; anything else lands on the home page."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target if not urlsplit(target).netloc else "/"


async def login(request: Request) -> Response:
    """Trade a sign-in token for the facilitator cookie (JSON from signin.js, or the page's form)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or urlsplit(source).netloc.lower() != request.headers.get("host", "").lower():
        return error_response("cross_site", "sign in from this server's own page")
    form = await _fields(request)
    if not await request.app.state.signin_tokens.redeem(form.get("token")):
        return error_response("forbidden", "this sign-in has expired or was used; open the printed address again")
    target = safe_target(form.get("target"))
    response: Response = (JSONResponse({"signed_in": True}) if form.get("json")
                          else RedirectResponse(target, status_code=303))
    auth: FacilitatorAuth = request.app.state.auth
    response.set_cookie(auth.cookie, auth.cookie_value, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


async def _fields(request: Request) -> dict:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = decode_json(await request.body(), "bad_json", "the request body")
        if not isinstance(body, dict):
            raise Refusal("bad_json", "the request body must be a JSON object")
        return {**body, "json": True}
    # The page's own form, when script is off: url-encoded, parsed here rather than with a form library.
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=4)
    return {name: values[0] for name, values in fields.items()}
