"""The plans page and the plan editor (behind the facilitator guard, like every facilitator page)."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..domain.refusal import Refusal
from .pages import render
from .plans_api import library, plans_in_use

DEFAULT_PLAN = "frei-variability"


async def plans_page(request: Request) -> Response:
    """Every plan the server offers, with what can be done to each; plans.js runs the actions."""
    return render(request, "facilitator/plans.html", await _listing(request))


async def _listing(request: Request) -> dict:
    entries, errors = await run_in_threadpool(library(request).scan)
    request.app.state.plans = {plan_id: entry.plan for plan_id, entry in entries.items()}
    request.app.state.plan_errors = errors
    used = await plans_in_use(request)
    plans = [{**entry.summary(), "sessions": len(used.get(plan_id, []))} for plan_id, entry in entries.items()]
    # The default first, then the facilitator's own plans, then the rest of the library, by title.
    plans.sort(key=lambda plan: (plan["id"] != DEFAULT_PLAN, plan["source"] != "own", plan["title"].casefold()))
    return {"plans": plans, "plan_errors": errors, "folder": str(library(request).own)}


async def editor_page(request: Request) -> Response:
    """The editor of one own plan; a shipped plan is shown read-only, to be duplicated."""
    plan_id = request.path_params["plan_id"]
    try:
        entry = await run_in_threadpool(library(request).get, plan_id)
    except Refusal:
        return render(request, "facilitator/plans.html", {**await _listing(request), "missing": plan_id},
                      status=404)
    return render(request, "facilitator/plan-editor.html", {"entry": entry, "plan_id": plan_id})
