"""HTML pages: the facilitator's home, console, projector and report (behind the facilitator guard);
the phone and the join form."""

import functools
import io
import re

import segno
import stopwordsiso
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..domain.refusal import Refusal
from ..exports import FORMATS, render_report
from ..live.room import Room
from ..vocabulary import CODE_LENGTH
from .api import known_code, session_urls
from .codes import guest_room
from .errors import status_of
from .plans_api import refresh

TOO_MANY_TEXT = "Too many wrong codes were tried from this network. Wait a minute, then check the code."



def render(request: Request, name: str, context: dict | None = None, status: int = 200) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context or {}, status_code=status)


async def home(request: Request) -> Response:
    store = request.app.state.store
    sessions = await store.awaited(store.list_sessions)
    await refresh(request.app)  # the plans as saved now, perhaps by another process
    plans = request.app.state.plans
    # "Use for a new session" on the plans page comes here with ?plan=ID.
    chosen = request.query_params.get("plan", "frei-variability")
    return render(request, "facilitator/home.html", {
        "sessions": sessions, "plans": list(plans.values()), "plan_errors": request.app.state.plan_errors,
        "chosen": chosen if chosen in plans else "frei-variability",
        "exports": [item for item in FORMATS if item.on_home],
    })


async def console(request: Request) -> Response:
    return await _session_page(request, "facilitator/console.html")


async def present(request: Request) -> Response:
    return await _session_page(request, "facilitator/present.html", {"stop_words": stop_words()})


@functools.cache
def stop_words() -> list[str]:
    """The words the projector's "Words that come up" leaves out: the maintained English list."""
    return sorted(stopwordsiso.stopwords("en"))


async def report(request: Request) -> Response:
    try:
        code = await known_code(request)  # the report reads the record: no live room is loaded for it
    except Refusal:
        return _no_session(request)
    # A large session takes a moment to summarise: keep the event loop free for live votes meanwhile.
    return HTMLResponse(await run_in_threadpool(render_report, request.app.state.store, code))


async def _session_page(request: Request, template: str, extra: dict | None = None) -> Response:
    room = await _session_room_or_404(request)
    if isinstance(room, Response):
        return room
    return render(request, template, {"room": room, "urls": session_urls(request, room.code),
                                      "exports": export_menu(room.code), **(extra or {})})


def export_menu(code: str) -> list[dict]:
    """Every export format the server has, for the console's Export menu: built from the formats' table."""
    return [{"format": item.key, "label": item.label, "href": item.href(code)} for item in FORMATS]


async def _session_room_or_404(request: Request) -> Room | Response:
    room = await request.app.state.rooms.find(request.path_params["code"])
    return _no_session(request) if room is None else room


def _no_session(request: Request) -> Response:
    return render(request, "participant/join.html", {"error": "There is no session with that code."}, status=404)


def typed_code(text: str) -> str:
    """A code as people type it ("abc-def", " Abc Def ") as the server writes it ("ABCDEF")."""
    return re.sub(r"[\s\-\u2010-\u2015]", "", text).upper()


async def join_form(request: Request) -> Response:
    code = typed_code(request.query_params.get("code", ""))
    if not code:
        return render(request, "participant/join.html")
    room = await _guest_room_or_page(request, code)
    if isinstance(room, Response):
        return room
    return RedirectResponse(f"/j/{code}", status_code=303)


async def phone(request: Request) -> Response:
    given = request.path_params["code"]
    code = typed_code(given)
    if code != given and len(code) == CODE_LENGTH:
        # One address per session, so a phone keeps one token for it however the code was typed.
        return RedirectResponse(f"/j/{code}", status_code=307)
    room = await _guest_room_or_page(request, code)
    if isinstance(room, Response):
        return room
    return render(request, "participant/phone.html", {"room": room})


async def _guest_room_or_page(request: Request, code: str) -> Room | Response:
    """The room a guest's code names, else the join form saying why (no such session, or too many tries)."""
    try:
        room = await guest_room(request, code)
    except Refusal as refusal:
        return render(request, "participant/join.html", {"error": TOO_MANY_TEXT, "code": code},
                      status=status_of(refusal.code))
    if room is None:
        return render(request, "participant/join.html",
                      {"error": "There is no session with that code.", "code": code}, status=404)
    return room


async def join_qr(request: Request) -> Response:
    room = await guest_room(request, request.path_params["code"].upper())
    if room is None:
        raise Refusal("unknown_session", "no session with this code")
    buffer = io.BytesIO()
    qr = segno.make(session_urls(request, room.code)["join_url"], error="m")
    qr.save(buffer, kind="svg", scale=10, border=2, xmldecl=False, title="Join code QR")
    return Response(buffer.getvalue(), media_type="image/svg+xml")
