"""The facilitator guard: every route mounted behind it needs the facilitator key.

Routes are protected by where they sit in the routes table (`app.py`), not by a call each handler
must remember. Browsers are signed in by opening the printed `/?key=` address, which the guard swaps
for a signed HttpOnly cookie; a write authenticated by that cookie must also come from the server's
own pages (a matching Origin or Referer, and a JSON body), so another site or another port on the
same host cannot drive the facilitator's browser.
"""

from urllib.parse import urlencode, urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ..vocabulary import CLOSE_CODES
from .auth import FacilitatorAuth
from .errors import error_response

POLICY_VIOLATION = CLOSE_CODES["policy_violation"]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class FacilitatorGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send)
            if _auth(websocket).status(websocket) != "ok":
                await websocket.close(code=POLICY_VIOLATION, reason="the facilitator key is required")
                return
        elif scope["type"] == "http":
            request = Request(scope, receive)
            refusal = await _key_login(request) if _opens_with_key(request) else _refuse(request)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _auth(connection: HTTPConnection) -> FacilitatorAuth:
    return connection.app.state.auth


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _refuse(request: Request) -> Response | None:
    """The response that stops this request, or None to let it through."""
    status = _auth(request).status(request)
    if status != "ok":
        return _locked(request, status)
    if request.method not in SAFE_METHODS and "authorization" not in request.headers:
        return _cross_site(request)
    return None


def _locked(request: Request, status: str) -> Response:
    if _is_api(request):
        if status == "missing":
            return error_response("unauthorized", "the facilitator key is required (Authorization: Bearer KEY)")
        return error_response("forbidden", "the facilitator key is wrong")
    return _page(request, "facilitator/locked.html", {"reason": status}, 401 if status == "missing" else 403)


def _opens_with_key(request: Request) -> bool:
    return not _is_api(request) and "key" in request.query_params


async def _key_login(request: Request) -> Response:
    """A `?key=` in the address: a page that drops the key from history and signs in (`signin.py`)."""
    auth = _auth(request)
    if not auth.key_matches(request.query_params["key"]):
        return _page(request, "facilitator/locked.html", {"reason": "wrong"}, 403)
    rest = {name: value for name, value in request.query_params.items() if name != "key"}
    target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
    token = await request.app.state.signin_tokens.issue()
    response = _page(request, "facilitator/signin.html", {"token": token, "target": target}, 200)
    response.headers["Cache-Control"] = "no-store"
    return response


def _cross_site(request: Request) -> Response | None:
    """A cookie-authenticated write must come from this server's pages, as JSON."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or urlsplit(source).netloc.lower() != request.headers.get("host", "").lower():
        return error_response("cross_site", "a write signed in by cookie must come from this server's own pages")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return error_response("cross_site", "a write signed in by cookie must send a JSON body")
    return None


def _page(request: Request, name: str, context: dict, status: int) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)
