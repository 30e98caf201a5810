"""The one refusal type: anything the product declines to do, with a code a client can act on.

Every layer raises it (the session state machine, the record, the socket protocol, the HTTP API); the
web layer maps its code to an HTTP status in one table (`web/errors.py`) and sends it to sockets as a
typed `error` message.
"""


class Refusal(Exception):
    """A request the product declines; nothing was written. `code` is the typed error a client gets."""

    def __init__(self, code: str, message: str, message_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_id = message_id
