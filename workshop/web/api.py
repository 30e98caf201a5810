"""The facilitator's JSON API; it sits behind the facilitator guard, like every facilitator route."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.people import MAX_QUERY, find_people
from ..domain.plans import Plan
from ..domain.records import ConsensusInput, parse_record
from ..domain.refusal import Refusal
from ..domain.text import normal_name
from ..exports import render_export
from ..exports.formats import BY_KEY
from ..live.room import Room
from ..live.rooms import Rooms
from ..protocol import decode_json
from ..store import ANY_VERSION
from ..vocabulary import MAX_TITLE
from .plans_api import refresh

MAX_BODY = 64 * 1024
MAX_GROUPS = 8


def session_urls(request: Request, code: str) -> dict:
    """Where phones join (the public address) and where the facilitator's pages are."""
    base = (request.app.state.settings.public_url or str(request.base_url)).rstrip("/")
    return {
        "join_url": f"{base}/j/{code}",
        "present_url": f"{base}/s/{code}/present",
        "facilitate_url": f"{base}/s/{code}/facilitate",
    }


async def read_json(request: Request) -> object:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Refusal("too_large", f"the request body must be at most {MAX_BODY} bytes")
    return decode_json(body, "bad_json", "the request body")


async def room_for(request: Request) -> Room:
    rooms: Rooms = request.app.state.rooms
    room = await rooms.find(request.path_params["code"])
    if room is None:
        raise Refusal("unknown_session", f"no session with code {request.path_params['code']!r}")
    return room


async def snapshot_response(request: Request, room: Room, status: int = 200) -> JSONResponse:
    return JSONResponse({**await room.snapshot(), **session_urls(request, room.code)}, status_code=status)


async def list_sessions(request: Request) -> JSONResponse:
    store = request.app.state.store
    sessions = await store.awaited(store.list_sessions)
    return JSONResponse({"sessions": [{**row, **session_urls(request, row["code"])} for row in sessions]})


async def create_session(request: Request) -> JSONResponse:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise Refusal("invalid_field", "the body must be a JSON object")
    plan = await _plan_field(request, body)
    title = _text_field(body, "title", required=True)
    service = _text_field(body, "service")
    groups = _groups_field(body, plan)
    room = await request.app.state.rooms.create(title, service, plan, groups)
    return JSONResponse({"code": room.code, "title": room.title, "plan": plan.id,
                         **session_urls(request, room.code)}, status_code=201)


async def _plan_field(request: Request, body: dict) -> Plan:
    plan_id = body.get("plan", "frei-variability")
    await refresh(request.app)  # a plan may have been saved since, perhaps by another process
    plans: dict[str, Plan] = request.app.state.plans
    if not isinstance(plan_id, str) or plan_id not in plans:
        raise Refusal("invalid_field", f"plan: must be one of {', '.join(plans)}")
    return plans[plan_id]


def _text_field(body: dict, field: str, required: bool = False) -> str:
    value = body.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TITLE or not normal_name(value):
        raise Refusal("invalid_field", f"{field}: must be a non-empty string of at most {MAX_TITLE} characters")
    return normal_name(value)


def _groups_field(body: dict, plan: Plan) -> list[str]:
    groups = body.get("groups")
    if groups is None:
        return list(plan.groups)
    if (not isinstance(groups, list) or not 1 <= len(groups) <= MAX_GROUPS
            or not all(isinstance(group, str) and 0 < len(normal_name(group)) <= 40 for group in groups)):
        raise Refusal("invalid_field", f"groups: must be a list of 1 to {MAX_GROUPS} names of at most 40 characters")
    cleaned = [normal_name(group) for group in groups]
    if len(set(cleaned)) != len(cleaned):
        raise Refusal("invalid_field", "groups: names must be different")
    return cleaned


async def get_session(request: Request) -> JSONResponse:
    return await snapshot_response(request, await room_for(request))


PEOPLE_FOUND = 50  # people one search sends back, newest first


async def find_people_in_room(request: Request) -> JSONResponse:
    """GET /api/sessions/CODE/people?q=WORDS: those still in the room whose name or group holds every
    word, newest first (at most 50), with how many matched and how many are in the room. The snapshot
    lists only the newest 200; this finds the people who joined before them."""
    room = await room_for(request)
    query = request.query_params.get("q", "")
    if len(query) > MAX_QUERY:
        raise Refusal("invalid_field", f"'q' must be at most {MAX_QUERY} characters")
    store = request.app.state.store
    rows = await store.awaited(store.participants, room.code)
    people = [{"id": row["id"], "name": row["name"], "group": row["group_name"], "removed_at": row["removed_at"]}
              for row in rows]
    found, matched = find_people(people, query, PEOPLE_FOUND)
    shown = [{"id": person["id"], "name": person["name"], "group": person["group"],
              "connected": person["id"] in room.audience.connected, "address": room.address_of(person["id"])}
             for person in found]
    total = sum(1 for person in people if not person["removed_at"])
    return JSONResponse({"people": shown, "matched": matched, "total": total})


async def run_command(request: Request) -> JSONResponse:
    room = await room_for(request)
    body = await read_json(request)
    await room.command(body)
    return await snapshot_response(request, room)


async def get_results(request: Request) -> JSONResponse:
    room = await room_for(request)
    await room.load()
    return JSONResponse(room.results(request.path_params["qid"]))


async def put_consensus(request: Request) -> JSONResponse:
    """Store a kind's record. A body with `version` (the `recorded_at` of the record the form was loaded
    from, null for none) is refused with `stale_record` when the stored record has changed since."""
    room = await room_for(request)
    body = await read_json(request)
    version: str | None | object = ANY_VERSION
    if isinstance(body, dict) and "version" in body:
        body = dict(body)
        version = body.pop("version")
        if version is not None and not isinstance(version, str):
            raise Refusal("invalid_field", "version: must be the recorded_at of the record replaced, or null")
    record = parse_record(request.path_params["kind"], body, room.plan)
    return JSONResponse(await room.record_consensus(record, version))


async def check_consensus(request: Request) -> JSONResponse:
    """The warnings the PUT would store with this record, while the facilitator fills the form."""
    room = await room_for(request)
    record: ConsensusInput = parse_record(request.path_params["kind"], await read_json(request), room.plan)
    return JSONResponse({"warnings": await room.check_consensus(record)})


async def get_consensus(request: Request) -> JSONResponse:
    room = await room_for(request)
    return JSONResponse({"records": await room.store.awaited(room.store.records, room.code)})


async def known_code(request: Request) -> str:
    """The session code of the path, once the store says it names a session: no live room is loaded."""
    store = request.app.state.store
    code = request.path_params["code"].upper()
    if await store.awaited(store.session_record, code) is None:
        raise Refusal("unknown_session", f"no session with code {request.path_params['code']!r}")
    return code


async def export(request: Request) -> Response:
    code = await known_code(request)
    found = BY_KEY.get(request.path_params["fmt"])
    if found is None:
        raise Refusal("unknown_format", f"format must be one of {', '.join(BY_KEY)}")
    # Building a workbook of every vote takes seconds in a big session: not on the event loop.
    body, media_type = await run_in_threadpool(render_export, request.app.state.store, code, found.key)
    filename = f"workshop-{code}.{found.suffix}"
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
