"""The participant socket `/ws/CODE`, the facilitator's `/ws/CODE/control` and the projector's `/ws/CODE/present`.

Each incoming message is parsed against `protocol`, then dispatched from a table of handlers. Refusals
become typed `error` messages and the socket stays open. Every frame a socket is sent goes through its
`Subscriber`: a bounded queue with its own sender task. The facilitator sockets are behind the
facilitator guard (`web/guard.py`), like every facilitator route.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import metrics, protocol
from ..domain.refusal import Refusal
from ..live.room import Room
from ..live.subscribers import Subscriber
from ..store import StorageError
from ..vocabulary import CLOSE_CODES
from .auth import FacilitatorAuth
from .codes import guest_room
from .limits import JoinLimit, MessageLimit

log = logging.getLogger(__name__)

POLICY_VIOLATION = CLOSE_CODES["policy_violation"]
UNKNOWN_SESSION = CLOSE_CODES["unknown_session"]
TOO_MANY_WRONG_CODES = CLOSE_CODES["too_many_wrong_codes"]
RETURNING_WAIT = 5.0  # seconds a socket from a held-back address has to show a token of the session


@dataclass
class PhoneConnection:
    room: Room
    websocket: WebSocket
    outbox: Subscriber
    participant: dict | None = None
    limit: MessageLimit = field(default_factory=MessageLimit)


async def _join(phone: PhoneConnection, message: dict) -> None:
    token = message.get("token")
    store = phone.room.store
    known = isinstance(token, str) and bool(
        await store.awaited(store.participant_by_token, phone.room.code, token))
    join_limit: JoinLimit = phone.websocket.app.state.join_limit
    address = _address(phone.websocket)
    if not known and not await join_limit.check(phone.room.code, address, phone.room.state.room_size):
        raise Refusal("rate_limited", "too many new participants from this address; wait a minute")
    participant = await phone.room.join(message.get("token"), message.get("name"), message.get("group"), address)
    if phone.participant is not None and phone.participant["id"] != participant["id"]:
        raise Refusal("already_joined", "this connection has joined as another participant")
    phone.participant = participant
    phone.limit = phone.websocket.app.state.message_limits.of(participant["id"])  # shared by all its sockets
    phone.room.add_phone(phone.outbox, participant)
    returning = participant["token"] == token  # a new participant has no votes to read back
    ballot = await store.awaited(store.ballot, phone.room.code, participant["id"]) if returning else {}
    await phone.outbox.send(protocol.welcome(participant, await phone.room.phone_state(), ballot))


async def _vote(phone: PhoneConnection, message: dict) -> None:
    participant = _joined(phone)
    qid, round_ = await phone.room.vote(participant, message["id"], message["question"], message["value"])
    metrics.VOTES_ACKED.inc()
    await phone.outbox.send(protocol.ack(message["id"], qid, round_))


async def _submit(phone: PhoneConnection, message: dict) -> None:
    participant = _joined(phone)
    qid, round_ = await phone.room.submit(participant, message["id"], message["question"], message["text"])
    await phone.outbox.send(protocol.ack(message["id"], qid, round_))


def _joined(phone: PhoneConnection) -> dict:
    if phone.participant is None:
        raise Refusal("not_joined", "send a 'join' message first")
    return phone.participant


PHONE_HANDLERS: dict[str, Callable[[PhoneConnection, dict], Awaitable[None]]] = {
    "join": _join,
    "vote": _vote,
    "submit": _submit,
}


@dataclass
class ConsoleConnection:
    room: Room
    websocket: WebSocket
    outbox: Subscriber


async def _command(console: ConsoleConnection, message: dict) -> None:
    auth: FacilitatorAuth = console.websocket.app.state.auth
    await auth.reread()  # a command writes anyway: check it against the key stored now, not a second ago
    if auth.status(console.websocket) != "ok":  # the key was rotated since this socket opened
        raise Refusal("forbidden", "the facilitator key has changed; open the new facilitator address")
    command = {key: value for key, value in message.items() if key not in ("type", "id")}
    await console.room.command(command)
    await console.outbox.send(protocol.ack(message.get("id")))


CONSOLE_HANDLERS: dict[str, Callable[[ConsoleConnection, dict], Awaitable[None]]] = {
    "command": _command,
}


async def participant_socket(websocket: WebSocket) -> None:
    opened = await _open_guest_room(websocket)
    if opened is None:
        return
    room, first = opened
    phone = PhoneConnection(room, websocket, Subscriber(websocket))
    churn = websocket.app.state.churn
    churn.opened()  # counted out in the `finally`
    try:
        while True:
            text = first if first is not None else await _receive(websocket)
            first = None
            churn.heard += 1  # the collector sweeps in a second without any
            if not await phone.limit.check():
                if phone.limit.exhausted:
                    await _close_flooding(phone)
                    break
                await phone.outbox.send(protocol.error("rate_limited", "too many messages; slow down"))
                continue
            await _handle(phone.outbox, text, protocol.PHONE_MESSAGES,
                          lambda kind, message: PHONE_HANDLERS[kind](phone, message))
    except WebSocketDisconnect:
        pass
    finally:
        churn.left()
        room.remove(phone.outbox)
        await phone.outbox.stop()


async def _close_flooding(phone: PhoneConnection) -> None:
    """Say why, then close: the frames queued before (the errors among them) leave ahead of the close."""
    await phone.outbox.send(protocol.error("rate_limited", "too many messages; the connection is closed"))
    await phone.outbox.stop()
    await phone.websocket.close(code=POLICY_VIOLATION, reason="too many messages")


async def control_socket(websocket: WebSocket) -> None:
    room = await _open_room(websocket)
    if room is None:
        return
    console = ConsoleConnection(room, websocket, Subscriber(websocket))
    outbox = console.outbox
    room.add_console(outbox)
    try:
        await outbox.send(protocol.console_snapshot(await room.snapshot()))
        while True:
            text = await _receive(websocket)
            await _handle(outbox, text, protocol.CONSOLE_MESSAGES,
                          lambda kind, message: CONSOLE_HANDLERS[kind](console, message))
    except WebSocketDisconnect:
        pass
    finally:
        websocket.app.state.churn.left()
        room.remove(outbox)
        await outbox.stop()


async def present_socket(websocket: WebSocket) -> None:
    """The projector's channel: only what the room may see, and it takes no messages."""
    room = await _open_room(websocket)
    if room is None:
        return
    outbox = Subscriber(websocket)
    room.add_projector(outbox)
    try:
        await outbox.send(protocol.projector_frame(await room.projector_view()))
        while True:
            await _receive(websocket)
            await outbox.send(protocol.error("bad_message", "the projector's channel takes no messages"))
    except WebSocketDisconnect:
        pass
    finally:
        websocket.app.state.churn.left()
        room.remove(outbox)
        await outbox.stop()


def _address(websocket: WebSocket) -> str:
    return websocket.client.host if websocket.client else "unknown"


def _same_origin(websocket: WebSocket) -> bool:
    """A browser's Origin must name the host that served the page; other clients send none."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


async def _open_guest_room(websocket: WebSocket) -> tuple[Room, str | bytes | None] | None:
    """A phone socket's room, accepted, and a first message already read; None once refused.

    A wrong code counts against the address (`codes.guest_room`). While the address is held back, only
    a phone returning with its token gets in (its first message, a join, is read and handed on), so a
    room behind one address keeps reconnecting while someone on it guesses codes.
    """
    if not _same_origin(websocket):
        await websocket.close(code=POLICY_VIOLATION, reason="cross-origin sockets are refused")
        return None
    code = websocket.path_params["code"].upper()
    try:
        room = await guest_room(websocket, code)
    except Refusal as refusal:
        await websocket.accept()
        return await _returning_phone(websocket, code, refusal.message)
    await websocket.accept()
    if room is None:
        await websocket.close(code=UNKNOWN_SESSION, reason="no session with this code")
        return None
    return room, None


async def _returning_phone(websocket: WebSocket, code: str, refusal: str) -> tuple[Room, str | bytes | None] | None:
    try:
        first = await asyncio.wait_for(_receive(websocket), RETURNING_WAIT)
    except WebSocketDisconnect:
        return None
    except TimeoutError:
        first = None
    token = _join_token(first)
    store = websocket.app.state.store
    known = token is not None and await store.awaited(store.participant_by_token, code, token) is not None
    room = await websocket.app.state.rooms.find(code) if known else None
    if room is None:
        # The same answer for a wrong code and a right one without a token of it: nothing to tell apart.
        await websocket.close(code=TOO_MANY_WRONG_CODES, reason=refusal)
        return None
    return room, first


def _join_token(frame: str | bytes | None) -> str | None:
    try:
        message = protocol.decode_json(frame, "bad_message", "the first message") if frame is not None else None
    except Refusal:
        return None
    if isinstance(message, dict) and message.get("type") == "join" and isinstance(message.get("token"), str):
        return message["token"]
    return None


async def _open_room(websocket: WebSocket) -> Room | None:
    if not _same_origin(websocket):
        await websocket.close(code=POLICY_VIOLATION, reason="cross-origin sockets are refused")
        return None
    room = await websocket.app.state.rooms.find(websocket.path_params["code"])
    await websocket.accept()
    if room is None:
        # Refused after accepting: a browser sees this close code only on an accepted socket.
        await websocket.close(code=UNKNOWN_SESSION, reason="no session with this code")
        return None
    websocket.app.state.churn.opened()  # each handler counts it out in its `finally`
    return room


async def _receive(websocket: WebSocket) -> str | bytes | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    return message.get("text") if message.get("text") is not None else message.get("bytes")


async def _handle(outbox: Subscriber, text: str | bytes | None, described: dict,
                  dispatch: Callable[[str, dict], Awaitable[None]]) -> None:
    message_id = None
    try:
        kind, message = protocol.parse(text, described)
        message_id = message.get("id") if isinstance(message.get("id"), str) else None
        await dispatch(kind, message)
    except Refusal as error:
        await outbox.send(protocol.error(error.code, error.message, error.message_id or message_id))
    except StorageError as error:
        await outbox.send(protocol.error("unavailable", f"{error}; nothing was recorded", message_id))
