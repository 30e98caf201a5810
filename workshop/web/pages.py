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
from ..exports import EXPORT_FORMATS
from ..exports.html_export import render_report
from ..live.room import Room
from ..vocabulary import CODE_LENGTH
from .api import session_urls
from .codes import guest_room
from .errors import status_of
from .plans_api import refresh

TOO_MANY_TEXT = "Too many wrong codes were tried from this network. Wait a minute, then check the code."

# What the Export menu calls each format; a format added to the exporters without a label shows its name.
EXPORT_LABELS = {
    "json": "JSON (records and evidence)", "csv": "CSV (one row per kind)", "votes.csv": "CSV of every vote",
    "xlsx": "Excel workbook", "md": "Markdown brief", "html": "HTML report", "docx": "Word document",
}


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
    room = await _session_room_or_404(request)
    if isinstance(room, Response):
        return room
    # A large session takes a moment to summarise: keep the event loop free for live votes meanwhile.
    return HTMLResponse(await run_in_threadpool(render_report, room.store, room.code, inline_css=False))


async def _session_page(request: Request, template: str, extra: dict | None = None) -> Response:
    room = await _session_room_or_404(request)
    if isinstance(room, Response):
        return room
    return render(request, template, {"room": room, "urls": session_urls(request, room.code),
                                      "exports": export_menu(room.code), **(extra or {})})


def export_menu(code: str) -> list[dict]:
    """Every export format the server has, for the console's Export menu: built from the exporters' table."""
    return [{"format": fmt, "label": EXPORT_LABELS.get(fmt, fmt.upper()),
             "href": f"/api/sessions/{code}/export.{fmt}"} for fmt in EXPORT_FORMATS]


async def _session_room_or_404(request: Request) -> Room | Response:
    room = await request.app.state.rooms.find(request.path_params["code"])
    if room is None:
        return render(request, "participant/join.html",
                      {"error": "There is no session with that code."}, status=404)
    return room


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
