"""The socket protocol, described in one place: each client message type and the fields it carries.

Server messages: `welcome`, `state`, `ack`, `error` to phones; `snapshot`, `ack`, `error` to consoles.
"""

import json
from dataclasses import dataclass

MAX_MESSAGE = 64 * 1024
MAX_MESSAGE_ID = 64


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, message_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_id = message_id


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
    # The command's own fields (step, question, submission) are checked by the session's state machine.
    "command": (Field("id", (str,), False), Field("command", (str,))),
}


def parse(text: str | bytes | None, described: dict[str, tuple[Field, ...]]) -> tuple[str, dict]:
    """Decode one client frame and check it against its description; raise ProtocolError if malformed."""
    if not isinstance(text, str):
        raise ProtocolError("bad_message", "messages must be JSON text frames")
    if len(text) > MAX_MESSAGE:
        raise ProtocolError("bad_message", f"messages must be at most {MAX_MESSAGE} bytes")
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError("bad_message", "the message is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object")
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in described:
        raise ProtocolError("bad_message", f"'type' must be one of {', '.join(described)}", message_id)
    for field in described[kind]:
        _check_field(message, field, message_id)
    if message_id is not None and not 0 < len(message_id) <= MAX_MESSAGE_ID:
        raise ProtocolError("bad_message", f"'id' must be 1 to {MAX_MESSAGE_ID} characters", message_id)
    return kind, message


def _check_field(message: dict, field: Field, message_id: str | None) -> None:
    if field.name not in message:
        if field.required:
            raise ProtocolError("bad_message", f"'{field.name}' is required", message_id)
        return
    value = message[field.name]
    if value is None and not field.required:
        return
    if not isinstance(value, field.types):
        names = " or ".join(kind.__name__ for kind in field.types)
        raise ProtocolError("bad_message", f"'{field.name}' must be {names}", message_id)
