"""Refusals as HTTP responses: a 4xx (or 503) status with {"error": CODE, "message": "..."}.

The status of every refusal code is in one table; a code not listed is an invalid request (422).
"""

from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import metrics
from ..domain.refusal import Refusal
from ..store import StorageError

HTTP_STATUS: dict[str, int] = {
    "bad_json": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "cross_site": 403,
    "not_found": 404,
    "unknown_session": 404,
    "unknown_question": 404,
    "unknown_submission": 404,
    "unknown_participant": 404,
    "unknown_kind": 404,
    "unknown_format": 404,
    "unknown_plan": 404,
    "plan_read_only": 403,
    "plan_exists": 409,
    "plan_in_use": 409,
    "stale_plan": 409,
    "method_not_allowed": 405,
    "question_pending": 409,
    "question_not_open": 409,
    "session_ended": 409,
    "joining_locked": 403,
    "removed": 403,
    "stale_record": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "too_many_wrong_codes": 429,
    "unavailable": 503,
}
DEFAULT_STATUS = 422


def status_of(code: str) -> int:
    return HTTP_STATUS.get(code, DEFAULT_STATUS)


def error_response(code: str, message: str) -> JSONResponse:
    metrics.REFUSALS.labels("http", code).inc()
    return JSONResponse({"error": code, "message": message}, status_code=status_of(code))


async def refusal_handler(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Refusal)
    return error_response(error.code, error.message)


async def storage_failed(request: Request, error: Exception) -> JSONResponse:
    return error_response("unavailable", f"{error}; nothing was recorded")


async def not_found(request: Request, error: Exception) -> JSONResponse:
    return error_response("not_found", f"nothing at {request.url.path}")


async def method_not_allowed(request: Request, error: Exception) -> JSONResponse:
    return error_response("method_not_allowed", f"{request.method} is not allowed on {request.url.path}")


EXCEPTION_HANDLERS = {Refusal: refusal_handler, StorageError: storage_failed, 404: not_found,
                      405: method_not_allowed}
