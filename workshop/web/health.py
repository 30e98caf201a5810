"""Health checks for a load balancer or orchestrator; no key needed, nothing about sessions shown."""

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..store import StorageError


async def alive(request: Request) -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """The store answers a trivial query; 503 otherwise, so the balancer sends phones elsewhere."""
    try:
        # In a thread: an unreachable database must not hold up the event loop while it times out.
        await asyncio.to_thread(request.app.state.store.ping)
    except StorageError as error:
        return JSONResponse({"error": "unavailable", "message": str(error)}, status_code=503)
    return JSONResponse({"status": "ready"})
