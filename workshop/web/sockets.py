"""The participant socket `/ws/CODE` and the facilitator socket `/ws/CODE/control`.

Each incoming message is parsed against `protocol`, then dispatched from a table of handlers. Refusals
become typed `error` messages and the socket stays open.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..domain.session import CommandError
from ..live.room import Room, Rooms
from ..store.store import Refused
from ..store.writer import StorageError
from . import protocol
from .auth import FacilitatorAuth
from .limits import JoinLimit, MessageLimit

log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
UNKNOWN_SESSION = 4404


@dataclass
class PhoneConnection:
    room: Room
    websocket: WebSocket
    participant: dict | None = None
    limit: MessageLimit = field(default_factory=MessageLimit)

    async def send(self, message: dict) -> None:
        await self.websocket.send_text(json.dumps(message))


async def _join(phone: PhoneConnection, message: dict) -> None:
    token = message.get("token")
    known = isinstance(token, str) and phone.room.store.participant_by_token(phone.room.code, token)
    join_limit: JoinLimit = phone.websocket.app.state.join_limit
    if not known and not join_limit.allow(_address(phone.websocket)):
        raise CommandError("rate_limited", "too many new participants from this address; wait a minute")
    participant = await phone.room.join(message.get("token"), message.get("name"), message.get("group"))
    if phone.participant is not None and phone.participant["id"] != participant["id"]:
        raise CommandError("already_joined", "this connection has joined as another participant")
    phone.participant = participant
    phone.room.add_phone(phone.websocket, participant)
    await phone.send({
        "type": "welcome",
        "participant": {key: participant[key] for key in ("id", "token", "name", "group")},
        "state": phone.room.phone_state(),
        "ballot": phone.room.store.ballot(phone.room.code, participant["id"]),
    })


async def _vote(phone: PhoneConnection, message: dict) -> None:
    participant = _joined(phone)
    qid, round_ = await phone.room.vote(participant, message["id"], message["question"], message["value"])
    await phone.send({"type": "ack", "id": message["id"], "question": qid, "round": round_})


async def _submit(phone: PhoneConnection, message: dict) -> None:
    participant = _joined(phone)
    qid, round_ = await phone.room.submit(participant, message["id"], message["question"], message["text"])
    await phone.send({"type": "ack", "id": message["id"], "question": qid, "round": round_})


def _joined(phone: PhoneConnection) -> dict:
    if phone.participant is None:
        raise CommandError("not_joined", "send a 'join' message first")
    return phone.participant


PHONE_HANDLERS: dict[str, Callable[[PhoneConnection, dict], Awaitable[None]]] = {
    "join": _join,
    "vote": _vote,
    "submit": _submit,
}


async def _command(room: Room, websocket: WebSocket, message: dict) -> None:
    command = {key: value for key, value in message.items() if key not in ("type", "id")}
    await room.command(command)
    await websocket.send_text(json.dumps({"type": "ack", "id": message.get("id")}))


CONSOLE_HANDLERS: dict[str, Callable[[Room, WebSocket, dict], Awaitable[None]]] = {
    "command": _command,
}


async def participant_socket(websocket: WebSocket) -> None:
    room = await _open_room(websocket)
    if room is None:
        return
    phone = PhoneConnection(room, websocket)
    try:
        while True:
            text = await _receive(websocket)
            if not phone.limit.allow():
                if phone.limit.exhausted:
                    await websocket.close(code=POLICY_VIOLATION, reason="too many messages")
                    break
                await _send_error(websocket, "rate_limited", "too many messages; slow down", None)
                continue
            await _handle(websocket, text, protocol.PHONE_MESSAGES,
                          lambda kind, message: PHONE_HANDLERS[kind](phone, message))
    except WebSocketDisconnect:
        pass
    finally:
        room.remove(websocket)


async def control_socket(websocket: WebSocket) -> None:
    auth: FacilitatorAuth = websocket.app.state.auth
    if auth.status(websocket) != "ok":
        await websocket.close(code=POLICY_VIOLATION, reason="the facilitator key is required")
        return
    room = await _open_room(websocket)
    if room is None:
        return
    room.add_console(websocket)
    try:
        await websocket.send_text(json.dumps({"type": "snapshot", "snapshot": room.snapshot()}))
        while True:
            text = await _receive(websocket)
            await _handle(websocket, text, protocol.CONSOLE_MESSAGES,
                          lambda kind, message: CONSOLE_HANDLERS[kind](room, websocket, message))
    except WebSocketDisconnect:
        pass
    finally:
        room.remove(websocket)


def _address(websocket: WebSocket) -> str:
    return websocket.client.host if websocket.client else "unknown"


def _same_origin(websocket: WebSocket) -> bool:
    """A browser's Origin must name the host that served the page; other clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


async def _open_room(websocket: WebSocket) -> Room | None:
    if not _same_origin(websocket):
        await websocket.close(code=POLICY_VIOLATION, reason="cross-origin sockets are refused")
        return None
    rooms: Rooms = websocket.app.state.rooms
    room = rooms.get(websocket.path_params["code"])
    if room is None:
        await websocket.close(code=UNKNOWN_SESSION, reason="no session with this code")
        return None
    await websocket.accept()
    return room


async def _receive(websocket: WebSocket) -> str | bytes | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    return message.get("text") if message.get("text") is not None else message.get("bytes")


async def _handle(websocket: WebSocket, text: str | bytes | None, described: dict,
                  dispatch: Callable[[str, dict], Awaitable[None]]) -> None:
    message_id = None
    try:
        kind, message = protocol.parse(text, described)
        message_id = message.get("id") if isinstance(message.get("id"), str) else None
        await dispatch(kind, message)
    except protocol.ProtocolError as error:
        await _send_error(websocket, error.code, error.message, error.message_id)
    except (CommandError, Refused) as error:
        await _send_error(websocket, error.code, error.message, message_id)
    except StorageError as error:
        await _send_error(websocket, "unavailable", f"{error}; nothing was recorded", message_id)


async def _send_error(websocket: WebSocket, code: str, message: str, message_id: str | None) -> None:
    error = {"type": "error", "code": code, "message": message}
    if message_id is not None:
        error["id"] = message_id
    await websocket.send_text(json.dumps(error))
