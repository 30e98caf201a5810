"""The socket protocol, described in one place: the messages each side sends and the fields they carry.

Clients: phones send `join`, `vote`, `submit`; consoles send `command`. Servers send `welcome`, `state`,
`ack` and `error` to phones, `snapshot`, `ack` and `error` to consoles, and `view` to projectors; each
is built by one function below, so its shape is written down once.
"""

import json
from dataclasses import dataclass
from typing import Any

from . import metrics
from .domain.refusal import Refusal

MAX_MESSAGE = 64 * 1024
MAX_MESSAGE_ID = 64


@dataclass(frozen=True)
class Field:
    name: str
    types: tuple[type, ...]
    required: bool = True


ANY = (str, int, float, bool, list, dict, type(None))

PHONE_MESSAGES: dict[str, tuple[Field, ...]] = {
    "join": (Field("token", (str,), False), Field("name", (str,), False), Field("group", (str,), False)),
    "vote": (Field("id", (str,)), Field("question", (str,)), Field("value", ANY)),
    "submit": (Field("id", (str,)), Field("question", (str,)), Field("text", (str,))),
}

CONSOLE_MESSAGES: dict[str, tuple[Field, ...]] = {
    # The command's own fields (step, question, submission, ...) are checked by its row of the command
    # table (domain/commands.py), which parses and applies every facilitator command.
    "command": (Field("id", (str,), False), Field("command", (str,))),
}

# The facilitator's commands, as consoles (`{"type": "command", "command": NAME, ...}`) and the API
# (`POST /api/sessions/CODE/commands`, `{"command": NAME, ...}`) send them: each name is a row of
# domain/commands.py's table, and each `field` named here is one its row parses.
COMMANDS: dict[str, str] = {
    "goto": "show step `step` (0-based) on every screen",
    "open": "open `question` for answers, with a countdown of `seconds` (1 to 3600, or null for none)",
    "close": "close `question`: its round takes no more answers",
    "reveal": "show `question`'s results on the projector and phones",
    "hide": "hide `question`'s results again",
    "new_round": "open a fresh round of `question`, keeping the earlier rounds' votes",
    "timer": "set the countdown of open `question` to `seconds`, or clear it with null",
    "approve": "approve the waiting example `submission`: the projector shows it",
    "reject": "reject the example `submission`",
    "restore": "put the example `submission` back in the queue",
    "lock_joining": "let only phones that joined before come back",
    "unlock_joining": "let new phones join again",
    "room_size": "expect `size` phones (0: not given); the room admits 1.2 times as many",
    "remove": "take `participant` out of the room: their phone is closed, their votes leave the figures",
    "end": "end the workshop: every open question closes and phones show the records",
    "reopen": "reopen an ended workshop",
}


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(text: str | bytes, code: str, what: str) -> Any:
    """Decode JSON from a client, refusing what would fail later: NaN and Infinity, nesting deep enough to
    exhaust the parser, and lone surrogates that no UTF-8 record can store."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise Refusal(code, f"{what} is nested too deeply") from None
    except ValueError:
        raise Refusal(code, f"{what} is not valid JSON") from None
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Refusal(code, f"{what} holds text that is not valid Unicode") from None
    except RecursionError:
        raise Refusal(code, f"{what} is nested too deeply") from None
    return value


def parse(text: str | bytes | None, described: dict[str, tuple[Field, ...]]) -> tuple[str, dict]:
    """Decode one client frame and check it against its description; raise Refusal if malformed."""
    if not isinstance(text, str):
        raise Refusal("bad_message", "messages must be JSON text frames")
    if len(text) > MAX_MESSAGE:
        raise Refusal("bad_message", f"messages must be at most {MAX_MESSAGE} bytes")
    message = decode_json(text, "bad_message", "the message")
    if not isinstance(message, dict):
        raise Refusal("bad_message", "a message must be a JSON object")
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in described:
        raise Refusal("bad_message", f"'type' must be one of {', '.join(described)}", message_id)
    for field in described[kind]:
        _check_field(message, field, message_id)
    if message_id is not None and not 0 < len(message_id) <= MAX_MESSAGE_ID:
        raise Refusal("bad_message", f"'id' must be 1 to {MAX_MESSAGE_ID} characters", message_id)
    return kind, message


def _check_field(message: dict, field: Field, message_id: str | None) -> None:
    if field.name not in message:
        if field.required:
            raise Refusal("bad_message", f"'{field.name}' is required", message_id)
        return
    value = message[field.name]
    if value is None and not field.required:
        return
    if not isinstance(value, field.types):
        names = " or ".join(kind.__name__ for kind in field.types)
        raise Refusal("bad_message", f"'{field.name}' must be {names}", message_id)


# server messages


def welcome(participant: dict, state: dict, ballot: dict) -> dict[str, Any]:
    shown = {key: participant[key] for key in ("id", "token", "name", "group")}
    return {"type": "welcome", "participant": shown, "state": state, "ballot": ballot}


def ack(message_id: str | None, question: str | None = None, round_: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "ack", "id": message_id}
    if question is not None:
        message.update(question=question, round=round_)
    return message


def error(code: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    metrics.REFUSALS.labels("socket", code).inc()
    message: dict[str, Any] = {"type": "error", "code": code, "message": text}
    if message_id is not None:
        message["id"] = message_id
    return message


def phone_state(state: dict) -> dict[str, Any]:
    return {"type": "state", **state}


def console_snapshot(snapshot: dict) -> dict[str, Any]:
    return {"type": "snapshot", "snapshot": snapshot}


def projector_frame(view: dict) -> dict[str, Any]:
    return {"type": "view", "view": view}
