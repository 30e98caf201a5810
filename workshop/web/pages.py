"""HTML pages: the facilitator's home, console, projector and report; the phone and the join form."""

import io
from urllib.parse import urlencode

import segno
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..exports.html_export import render_report
from ..live.room import Room
from ..vocabulary import CODE_LENGTH, vocabulary
from .api import session_urls
from .auth import COOKIE
from .errors import ApiError


def render(request: Request, name: str, context: dict | None = None, status: int = 200) -> Response:
    """A page template with the shared vocabulary, which base.html hands to the page's scripts."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {"vocabulary": vocabulary(), **(context or {})},
                                      status_code=status)


def _key_login(request: Request) -> Response | None:
    """Swap a `?key=` in the address for the cookie, and drop the key from the address bar."""
    key = request.query_params.get("key")
    if key is None:
        return None
    auth = request.app.state.auth
    if not auth.key_matches(key):
        return render(request, "facilitator/locked.html", {"reason": "wrong"}, status=403)
    rest = {name: value for name, value in request.query_params.items() if name != "key"}
    target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, auth.cookie_value, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def _facilitator_gate(request: Request) -> Response | None:
    login = _key_login(request)
    if login is not None:
        return login
    status = request.app.state.auth.status(request)
    if status != "ok":
        return render(request, "facilitator/locked.html", {"reason": status},
                      status=401 if status == "missing" else 403)
    return None


def _room(request: Request) -> Room:
    room = request.app.state.rooms.get(request.path_params["code"])
    if room is None:
        raise ApiError(404, "unknown_session", "no session with this code")
    return room


async def home(request: Request) -> Response:
    gate = _facilitator_gate(request)
    if gate is not None:
        return gate
    sessions = request.app.state.store.list_sessions()
    return render(request, "facilitator/home.html", {
        "sessions": sessions, "plans": list(request.app.state.plans.values()),
        "plan_errors": request.app.state.plan_errors,
    })


async def console(request: Request) -> Response:
    return _session_page(request, "facilitator/console.html")


async def present(request: Request) -> Response:
    return _session_page(request, "facilitator/present.html")


async def report(request: Request) -> Response:
    gate = _facilitator_gate(request)
    if gate is not None:
        return gate
    room = _session_room_or_404(request)
    if isinstance(room, Response):
        return room
    # A large session takes a moment to summarise: keep the event loop free for live votes meanwhile.
    return HTMLResponse(await run_in_threadpool(render_report, room, inline_css=False))


def _session_page(request: Request, template: str) -> Response:
    gate = _facilitator_gate(request)
    if gate is not None:
        return gate
    room = _session_room_or_404(request)
    if isinstance(room, Response):
        return room
    return render(request, template, {"room": room, "urls": session_urls(request, room.code)})


def _session_room_or_404(request: Request) -> Room | Response:
    room = request.app.state.rooms.get(request.path_params["code"])
    if room is None:
        return render(request, "participant/join.html",
                      {"error": "There is no session with that code."}, status=404)
    return room


async def join_form(request: Request) -> Response:
    code = request.query_params.get("code", "").strip().upper().replace(" ", "")
    if not code:
        return render(request, "participant/join.html")
    if len(code) == CODE_LENGTH and request.app.state.rooms.get(code) is not None:
        return RedirectResponse(f"/j/{code}", status_code=303)
    return render(request, "participant/join.html",
                  {"error": "There is no session with that code.", "code": code}, status=404)


async def phone(request: Request) -> Response:
    room = _session_room_or_404(request)
    if isinstance(room, Response):
        return room
    return render(request, "participant/phone.html", {"room": room})


async def join_qr(request: Request) -> Response:
    room = _room(request)
    buffer = io.BytesIO()
    qr = segno.make(session_urls(request, room.code)["join_url"], error="m")
    qr.save(buffer, kind="svg", scale=10, border=2, xmldecl=False, title="Join code QR")
    return Response(buffer.getvalue(), media_type="image/svg+xml")
