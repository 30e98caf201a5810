"""Finding a session from a code a guest typed (the phone's socket, its page, the join form, the QR code).

Codes are short enough to read aloud, so they can be guessed: every code that names no session
counts against the address that tried it (`limits.WrongCodeLimit`), and an address past its budget
is refused every code, right or wrong, until the budget refills. The facilitator's routes need the
key, so they look sessions up directly.
"""

from starlette.requests import HTTPConnection

from ..domain.refusal import Refusal
from ..live.room import Room
from ..vocabulary import CODE_LENGTH
from .limits import WrongCodeLimit

TOO_MANY = "too_many_wrong_codes"


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def guest_room(connection: HTTPConnection, code: str) -> Room | None:
    """The session `code` names, or None; raises Refusal(too_many_wrong_codes) while the address is throttled."""
    limit: WrongCodeLimit = connection.app.state.wrong_codes
    address = client_address(connection)
    if limit.blocked(address):
        raise Refusal(TOO_MANY, f"too many wrong session codes from this network; wait {limit.wait} seconds")
    room = await connection.app.state.rooms.find(code) if len(code) == CODE_LENGTH else None
    if room is None and len(code) == CODE_LENGTH:
        # Only a code of the right length could have named a session: a typo of another length costs nothing.
        await limit.miss(address)
    return room
