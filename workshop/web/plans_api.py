"""The facilitator's plans API: list, read, edit, copy, upload, download and delete session plans.

Every handler sits behind the facilitator guard (it is in `facilitator_routes`). The checks are the
plan checks the server runs on load; the files are kept by `domain.plan_library`. A session stores
its plan when it is created, so nothing here changes a session already running.
"""

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.plan_checks import plan_from_dict
from ..domain.plan_library import PLAN_ID, PlanEntry, PlanLibrary, check_plan_id
from ..domain.plan_model import MAX_PLAN_BYTES, PlanError
from ..domain.plan_schema import schema_text
from ..domain.plan_toml import error_path
from ..domain.refusal import Refusal
from ..protocol import decode_json
from .errors import status_of

# A plan as JSON is a little longer than as TOML (quotes, escapes); the TOML is held to 1 MiB.
MAX_PLAN_BODY = 2 * MAX_PLAN_BYTES
TOML_TYPES = ("application/toml", "text/plain", "application/octet-stream")


def library(request: Request) -> PlanLibrary:
    return request.app.state.plan_library


async def refresh(app: Starlette) -> None:
    """Reload the plans new sessions are created from (another tab or process may have saved one).
    Reading every plan file takes tens of milliseconds: off the event loop, where live votes run."""
    app.state.plans, app.state.plan_errors = await run_in_threadpool(app.state.plan_library.plans)


async def plans_in_use(request: Request) -> dict[str, list[str]]:
    """The codes of the sessions created from each plan id."""
    used: dict[str, list[str]] = {}
    store = request.app.state.store
    for row in await store.awaited(store.list_sessions):
        used.setdefault(row["plan_id"], []).append(row["code"])
    return used


async def list_plans(request: Request) -> JSONResponse:
    entries, errors = await run_in_threadpool(library(request).scan)
    request.app.state.plans = {plan_id: entry.plan for plan_id, entry in entries.items()}
    request.app.state.plan_errors = errors
    used = await plans_in_use(request)
    return JSONResponse({
        "plans": [{**entry.summary(), "sessions": len(used.get(plan_id, []))} for plan_id, entry in entries.items()],
        "errors": [str(error) for error in errors],
        "folder": str(library(request).own),
    })


async def get_plan(request: Request) -> JSONResponse:
    entry = await run_in_threadpool(library(request).get, request.path_params["plan_id"])
    return JSONResponse(await _full(request, entry))


async def schema(request: Request) -> Response:
    """The JSON Schema of a plan (docs/plan-schema.json), for editors and scripts that write plans."""
    return Response(schema_text(), media_type="application/schema+json")


async def download_plan(request: Request) -> Response:
    entry = await run_in_threadpool(library(request).get, request.path_params["plan_id"])
    # A file put in the folder by hand may have any name; a header carries only a plain one.
    name = entry.plan.id if PLAN_ID.fullmatch(entry.plan.id) else "plan"
    return Response(entry.text.encode("utf-8"), media_type="application/toml",
                    headers={"Content-Disposition": f'attachment; filename="{name}.toml"'})


async def put_plan(request: Request) -> JSONResponse:
    """Store a whole plan: `{"version": V or null, "plan": {...}}` -> 200 the stored plan, or 422
    `invalid_plan` naming the field, or 409 `stale_plan` when the file changed since version V."""
    body = await _json_body(request)
    if "version" not in body or not (body["version"] is None or isinstance(body["version"], str)):
        raise Refusal("invalid_field", "version: must be the version the edit started from, or null for a new plan")
    if not isinstance(body.get("plan"), dict):
        raise Refusal("invalid_field", "plan: must be the whole plan as a JSON object")
    plan_id = request.path_params["plan_id"]
    return await _stored(request, library(request).save, plan_id, body["plan"], body["version"])


async def check_plan(request: Request) -> JSONResponse:
    """The plan checks on a plan as the editor holds it, writing nothing: 200 `{"valid": true}`, or
    `{"valid": false, "error": {...}}` with what a PUT would answer with 422."""
    body = await _json_body(request)
    if not isinstance(body.get("plan"), dict):
        raise Refusal("invalid_field", "plan: must be the whole plan as a JSON object")
    plan_id = request.path_params["plan_id"]
    try:
        await run_in_threadpool(plan_from_dict, body["plan"], plan_id, f"{plan_id}.toml")
    except PlanError as error:
        return JSONResponse({"valid": False, "error": _invalid(error)})
    return JSONResponse({"valid": True})


async def create_plan(request: Request) -> JSONResponse:
    """A new own plan: a TOML body (`?id=NAME`), or JSON `{"id", "toml"}` (an upload from the page),
    `{"id", "copy_of"}` (a duplicate) or `{"id", "plan"}` (plan data)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in TOML_TYPES:
        plan_id = check_plan_id(request.query_params.get("id"))
        text = _text(await _read_body(request, MAX_PLAN_BYTES), "the TOML body")
        return await _stored(request, library(request).save_text, plan_id, text, None, status=201)
    body = await _json_body(request)
    plan_id = check_plan_id(body.get("id"))
    if isinstance(body.get("toml"), str):
        if len(body["toml"].encode("utf-8")) > MAX_PLAN_BYTES:
            raise Refusal("too_large", f"toml: a plan file must be at most {MAX_PLAN_BYTES // 1024} KiB")
        return await _stored(request, library(request).save_text, plan_id, body["toml"], None, status=201)
    if isinstance(body.get("copy_of"), str):
        return await _stored(request, library(request).copy, body["copy_of"], plan_id, status=201)
    if isinstance(body.get("plan"), dict):
        return await _stored(request, library(request).save, plan_id, body["plan"], None, status=201)
    raise Refusal("invalid_field", "the body must hold one of: toml (a plan file's text), copy_of (a plan id),"
                  " plan (plan data)")


async def delete_plan(request: Request) -> JSONResponse:
    plan_id = request.path_params["plan_id"]
    entry = await run_in_threadpool(library(request).get, plan_id)
    if not entry.own:
        raise Refusal("plan_read_only", f"plan {plan_id!r} ships with the server and cannot be deleted")
    codes = (await plans_in_use(request)).get(plan_id, [])
    if codes:
        raise Refusal("plan_in_use", f"plan {plan_id!r} is used by {len(codes)} session(s) ({', '.join(codes[:5])});"
                      " a plan used by a session is kept")
    await run_in_threadpool(library(request).delete, plan_id)
    await refresh(request.app)
    return JSONResponse({"deleted": plan_id})


# --- helpers -------------------------------------------------------------------------------------

async def _stored(request: Request, write: Callable[..., PlanEntry], *args: object, status: int = 200) -> JSONResponse:
    try:
        entry = await run_in_threadpool(write, *args)
    except PlanError as error:
        return invalid_plan(error)
    await refresh(request.app)
    return JSONResponse(await _full(request, entry), status_code=status)


def invalid_plan(error: PlanError) -> JSONResponse:
    """422 with the plan checks' own message, and where the editor shows it."""
    return JSONResponse(_invalid(error), status_code=status_of("invalid_plan"))


def _invalid(error: PlanError) -> dict:
    return {"error": "invalid_plan", "message": str(error), "detail": error.message,
            "step": error.step, "field": error.field, "path": error_path(error)}


async def _full(request: Request, entry: PlanEntry) -> dict:
    return {**entry.summary(), "sessions": len((await plans_in_use(request)).get(entry.plan.id, [])),
            "plan": entry.plan.source}


async def _json_body(request: Request) -> dict:
    body = decode_json(await _read_body(request, MAX_PLAN_BODY), "bad_json", "the request body")
    if not isinstance(body, dict):
        raise Refusal("invalid_field", "the body must be a JSON object")
    return body


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes `limit` bytes (without reading the rest)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refusal("too_large", f"the request body must be at most {limit // 1024} KiB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal("too_large", f"the request body must be at most {limit // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal("invalid_plan", f"{what} is not UTF-8 text") from None
