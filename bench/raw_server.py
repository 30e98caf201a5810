"""The raw baseline: the same durable work as the real server, in as little code as is honest.

A plain `websockets` asyncio server speaking the subset of the socket protocol the benchmark uses:
phones `join` (-> `welcome` with a token) and `vote` (-> `ack` only after the vote is committed);
a console socket gets a tally snapshot after commits (conflated to ten a second) and may send
`open`, `new_round` and `reveal` commands; a reveal is broadcast to every phone as a `state` message.
SQLite in WAL mode with synchronous=FULL, one writer thread committing in batches (group commit),
one vote per participant per question per round (primary key), resent message ids counted once.

    python -m bench.raw_server --port 0 --db /tmp/raw.db --key KEY     # prints "Listening on port N"
"""

import argparse
import asyncio
import hmac
import json
import queue
import resource
import secrets
import signal
import sqlite3
import threading
from datetime import UTC, datetime

from websockets.asyncio.server import broadcast, serve

CODE = "RAWRAW"
QUESTIONS = ("arrival.direction",)  # a scale from -2 to 2, or "abstain"
MAX_BATCH = 512
BROADCAST_INTERVAL = 0.1
SCHEMA = """
CREATE TABLE IF NOT EXISTS participants (id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE,
    joined_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (question_id TEXT PRIMARY KEY, status TEXT NOT NULL,
    round INTEGER NOT NULL, revealed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS votes (question_id TEXT NOT NULL, round INTEGER NOT NULL,
    participant_id INTEGER NOT NULL, value TEXT NOT NULL, voted_at TEXT NOT NULL,
    PRIMARY KEY (question_id, round, participant_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (participant_id INTEGER NOT NULL, message_id TEXT NOT NULL,
    question_id TEXT NOT NULL, round INTEGER NOT NULL, PRIMARY KEY (participant_id, message_id)) WITHOUT ROWID;
"""


class Refused(Exception):
    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# Write jobs: run on the writer thread inside the batch's transaction; `state` is the writer's copy
# of the question states, changed only by jobs.

def join_job(db, state, token):
    if token:
        row = db.execute("select id, token from participants where token = ?", (token,)).fetchone()
        if row:
            return {"id": row[0], "token": row[1]}
    token = secrets.token_urlsafe(18)
    cursor = db.execute("insert into participants (token, joined_at) values (?, ?)", (token, now()))
    return {"id": cursor.lastrowid, "token": token}


def vote_job(db, state, pid, message_id, qid, value):
    seen = db.execute("select question_id, round from messages where participant_id = ? and message_id = ?",
                      (pid, message_id)).fetchone()
    if seen:
        return seen[0], seen[1]
    question = state.get(qid)
    if question is None:
        raise Refused("unknown_question")
    if question["status"] != "open":
        raise Refused("question_closed")
    round_ = question["round"]
    db.execute("insert into votes (question_id, round, participant_id, value, voted_at) values (?, ?, ?, ?, ?)"
               " on conflict (question_id, round, participant_id)"
               " do update set value = excluded.value, voted_at = excluded.voted_at",
               (qid, round_, pid, value, now()))
    db.execute("insert into messages (participant_id, message_id, question_id, round) values (?, ?, ?, ?)",
               (pid, message_id, qid, round_))
    return qid, round_


def command_job(db, state, name, qid):
    question = state.get(qid)
    if question is None:
        raise Refused("unknown_question")
    updated = dict(question)
    if name == "open":
        updated["status"] = "open"
    elif name == "reveal":
        updated["revealed"] = True
    elif name == "new_round":
        updated = {"status": "open", "round": question["round"] + 1, "revealed": False}
    else:
        raise Refused("bad_command")
    db.execute("update questions set status = ?, round = ?, revealed = ? where question_id = ?",
               (updated["status"], updated["round"], int(updated["revealed"]), qid))
    state[qid] = updated
    return dict(updated)


class Writer:
    """One thread owns the write connection; each batch is one transaction and one fsync."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop, on_commit) -> None:
        self.db = connect(path)
        self.db.executescript(SCHEMA)
        self.db.executemany("insert or ignore into questions values (?, 'pending', 1, 0)", [(q,) for q in QUESTIONS])
        self.state = self._load()
        self.loop, self.on_commit = loop, on_commit
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _load(self) -> dict:
        rows = self.db.execute("select question_id, status, round, revealed from questions")
        return {q: {"status": s, "round": r, "revealed": bool(v)} for q, s, r, v in rows}

    def submit(self, fn, *args) -> asyncio.Future:
        future = self.loop.create_future()
        self.jobs.put((fn, args, future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self.jobs.get()]
            while batch[-1] is not None and len(batch) < MAX_BATCH:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            stop = batch[-1] is None
            batch = [job for job in batch if job is not None]
            outcomes = []
            try:
                self.db.execute("BEGIN IMMEDIATE")
                for fn, args, future in batch:
                    try:
                        outcomes.append((future, True, fn(self.db, self.state, *args)))
                    except Refused as error:
                        outcomes.append((future, False, error))
                self.db.execute("COMMIT")
            except sqlite3.Error as error:
                self.db.rollback()
                self.state = self._load()
                outcomes = [(future, False, error) for _, _, future in batch]
            self.loop.call_soon_threadsafe(self.on_commit, outcomes)  # one wake-up per batch
            if stop:
                self.db.close()
                return


class Room:
    def __init__(self, path: str, key: str) -> None:
        self.key = key
        self.loop = asyncio.get_running_loop()
        self.writer = Writer(path, self.loop, self.committed)
        self.state = {q: dict(s) for q, s in self.writer.state.items()}
        self.reader = connect(path)
        self.phones: set = set()
        self.consoles: set = set()
        self.pending: asyncio.TimerHandle | None = None

    def committed(self, outcomes: list) -> None:
        for future, ok, value in outcomes:
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)
        if outcomes and self.pending is None:
            self.pending = self.loop.call_later(BROADCAST_INTERVAL, self.flush)

    def flush(self) -> None:
        self.pending = None
        if self.consoles:
            broadcast(self.consoles, json.dumps({"type": "snapshot", "snapshot": self.snapshot()}))

    def tally(self, qid: str, round_: int) -> dict:
        counts = dict(self.reader.execute("select value, count(*) from votes where question_id = ? and round = ?"
                                          " group by value", (qid, round_)).fetchall())
        abstain = counts.pop("abstain", 0)
        return {"voted": sum(counts.values()) + abstain, "abstain": abstain, "counts": counts}

    def snapshot(self) -> dict:
        joined = self.reader.execute("select count(*) from participants").fetchone()[0]
        questions = {}
        for qid, state in self.state.items():
            questions[qid] = {"id": qid, **state}
            if state["status"] != "pending":
                questions[qid]["tally"] = self.tally(qid, state["round"])
        return {"code": CODE, "participants": {"joined": joined, "connected": len(self.phones)},
                "questions": questions}

    def phone_state(self) -> dict:
        questions = []
        for qid, state in self.state.items():
            if state["status"] != "pending":
                entry = {"id": qid, **state}
                if state["revealed"]:
                    entry["results"] = self.tally(qid, state["round"])
                questions.append(entry)
        return {"questions": questions}

    def authorised(self, headers) -> bool:
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.key.encode())

    def results(self, connection, request):
        """HTTP GET /results/QID: stored counts of every round (for the benchmark's final check)."""
        if not request.path.startswith("/results/"):
            return None
        if not self.authorised(request.headers):
            return connection.respond(403, "forbidden\n")
        qid = request.path.removeprefix("/results/")
        if qid not in self.state:
            return connection.respond(404, "unknown question\n")
        rounds = [{"round": number, **self.tally(qid, number)} for number in range(1, self.state[qid]["round"] + 1)]
        return connection.respond(200, json.dumps({"question": qid, "rounds": rounds}))

    async def handler(self, ws) -> None:
        if ws.request.path == f"/ws/{CODE}":
            await self.phone(ws)
        elif ws.request.path == f"/ws/{CODE}/control":
            if self.authorised(ws.request.headers):
                await self.console(ws)
            else:
                await ws.close(1008, "the facilitator key is required")
        else:
            await ws.close(4404, "no session with this code")

    async def phone(self, ws) -> None:
        participant = None
        try:
            async for text in ws:
                message_id = None
                try:
                    message = json.loads(text)
                    message_id = message.get("id")
                    if message["type"] == "join":
                        participant = await self.writer.submit(join_job, message.get("token"))
                        self.phones.add(ws)
                        await ws.send(json.dumps({"type": "welcome", "participant": participant,
                                                  "state": self.phone_state()}))
                    elif message["type"] == "vote":
                        if participant is None:
                            raise Refused("not_joined")
                        value = message["value"]
                        if value != "abstain" and (type(value) is not int or not -2 <= value <= 2):
                            raise Refused("invalid_value")
                        qid, round_ = await self.writer.submit(
                            vote_job, participant["id"], str(message_id), message["question"], str(value))
                        await ws.send(json.dumps({"type": "ack", "id": message_id, "question": qid, "round": round_}))
                    else:
                        raise Refused("bad_message")
                except (Refused, sqlite3.Error, ValueError, KeyError, TypeError, AttributeError) as error:
                    code = error.code if isinstance(error, Refused) else "bad_message"
                    await ws.send(json.dumps({"type": "error", "id": message_id, "code": code, "message": str(error)}))
        finally:
            self.phones.discard(ws)

    async def console(self, ws) -> None:
        self.consoles.add(ws)
        try:
            await ws.send(json.dumps({"type": "snapshot", "snapshot": self.snapshot()}))
            async for text in ws:
                message = json.loads(text)
                try:
                    updated = await self.writer.submit(command_job, message.get("command"), message.get("question"))
                except Refused as error:
                    await ws.send(json.dumps({"type": "error", "id": message.get("id"), "code": error.code}))
                    continue
                self.state[message["question"]] = updated
                if self.phones:
                    broadcast(self.phones, json.dumps({"type": "state", **self.phone_state()}))
                self.flush()
                await ws.send(json.dumps({"type": "ack", "id": message.get("id")}))
        finally:
            self.consoles.discard(ws)


async def main(args: argparse.Namespace) -> None:
    room = Room(args.db, args.key)
    room.writer.thread.start()
    stop = room.loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGINT, signal.SIGTERM):
        room.loop.add_signal_handler(signum, request_stop)
    async with serve(room.handler, args.host, args.port, compression=None, max_size=64 * 1024,
                     backlog=2048, process_request=room.results) as server:
        print(f"Listening on port {server.sockets[0].getsockname()[1]}", flush=True)
        await stop
    room.writer.jobs.put(None)
    room.writer.thread.join()


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # one descriptor per phone
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", required=True)
    parser.add_argument("--key", required=True)
    asyncio.run(main(parser.parse_args()))
