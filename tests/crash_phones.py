"""Phones that keep changing their vote until their server dies, and the check that each finds its
last acknowledged vote afterwards: shared by the crash tests of one process and of several."""

import asyncio
import json

import websockets

from servers import Server

QUESTION = "arrival.direction"


class Phone:
    """One phone that keeps changing its vote, remembering what was acknowledged and what was in flight."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.token: str | None = None
        self.acked: tuple[str, int] | None = None  # (message id, value) of the last acknowledged vote
        self.in_flight: int | None = None

    async def vote_until_the_server_dies(self, port: int, code: str, ready: asyncio.Event) -> None:
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/{code}") as socket:
                await socket.send(json.dumps({"type": "join"}))
                self.token = (await receive_one_of(socket, "welcome"))["participant"]["token"]
                await ready.wait()
                for number in range(10_000):
                    value = (self.index + number) % 5 - 2
                    self.in_flight = value
                    message_id = f"{self.index}-{number}"
                    await socket.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION,
                                                  "value": value}))
                    reply = await receive_one_of(socket, "ack", "error")
                    if reply["type"] == "error":  # rate limited: the vote was not taken, slow down
                        assert reply["code"] == "rate_limited", reply
                        await asyncio.sleep(0.2)
                        continue
                    self.acked, self.in_flight = (message_id, value), None
        except (OSError, websockets.ConnectionClosed):
            pass  # the server died under this phone


async def receive_one_of(socket, *kinds: str) -> dict:
    while (message := json.loads(await socket.recv()))["type"] not in kinds:
        pass
    return message


async def check_every_ack(server: Server, code: str, phones: list[Phone]) -> None:
    """Each phone resumes with its token and finds its last acknowledged vote (or the one in flight);
    resending the acknowledged message id changes nothing."""
    for phone in phones:
        if phone.acked is None:
            continue
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as socket:
            await socket.send(json.dumps({"type": "join", "token": phone.token}))
            stored = (await receive_one_of(socket, "welcome"))["ballot"][QUESTION]["value"]
            assert stored in {str(phone.acked[1]), str(phone.in_flight)}, (phone.index, stored, phone.acked)
            message_id, value = phone.acked
            await socket.send(json.dumps({"type": "vote", "id": message_id, "question": QUESTION, "value": value}))
            await receive_one_of(socket, "ack")
            await socket.send(json.dumps({"type": "join", "token": phone.token}))
            assert (await receive_one_of(socket, "welcome"))["ballot"][QUESTION]["value"] == stored
