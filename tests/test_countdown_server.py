"""Countdowns on the real server: closed by the server on time, and kept across a restart."""

import json
import sqlite3
import time
from datetime import UTC, datetime

import websockets

from servers import Server, receive

QID = "arrival.direction"


def stored_question(folder, code) -> tuple[str, str | None]:
    with sqlite3.connect(f"file:{folder / 'workshop.db'}?mode=ro", uri=True) as db:
        return db.execute("select status, closes_at from questions where session_code = ? and question_id = ?",
                          (code, QID)).fetchone()


async def test_the_server_closes_a_question_when_its_second_is_up(server):
    code = server.api("POST", "/api/sessions", json={"title": "Timed"}).json()["code"]
    server.api("POST", f"/api/sessions/{code}/commands", json={"command": "goto", "step": 1})
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/{code}") as phone:
        await phone.send(json.dumps({"type": "join"}))
        await receive(phone, "welcome")
        opened = server.api("POST", f"/api/sessions/{code}/commands",
                            json={"command": "open", "question": QID, "seconds": 1}).json()
        closes_at = opened["questions"][QID]["closes_at"]
        while True:
            state = await receive(phone, "state")
            question = next(q for q in state["questions"] if q["id"] == QID)
            if question["status"] == "closed":
                break
            assert question["closes_at"] == closes_at
        assert datetime.now(UTC) >= datetime.fromisoformat(closes_at)
        assert question["closes_at"] is None


def test_a_countdown_survives_a_restart_and_closes_the_question_unattended(server, tmp_path):
    code = server.api("POST", "/api/sessions", json={"title": "Timed"}).json()["code"]
    opened = server.api("POST", f"/api/sessions/{code}/commands",
                        json={"command": "open", "question": QID, "seconds": 3}).json()
    closes_at = opened["questions"][QID]["closes_at"]
    server.kill()  # no shutdown at all: the deadline is in the record already
    assert stored_question(tmp_path, code) == ("open", closes_at)
    restarted = Server(tmp_path)
    try:
        # Nobody asks for the session: the server re-arms its countdown on start.
        deadline = time.monotonic() + 15
        while stored_question(tmp_path, code)[0] != "closed":
            assert time.monotonic() < deadline, "the question was not closed after the restart"
            time.sleep(0.1)
        assert datetime.now(UTC) >= datetime.fromisoformat(closes_at)
    finally:
        restarted.stop()
