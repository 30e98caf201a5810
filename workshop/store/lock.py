"""One server per database: an exclusive lock on `DATABASE.lock`, held while the server runs.

The lock is `flock` on a file beside the database, never on the database itself: SQLite's own POSIX
locks on the database are dropped when any descriptor of that file closes, so the file is not
opened by other means. The lock goes with the process, however it ends (even SIGKILL), so a crash
never leaves a stale lock; the file itself stays, empty of meaning once unlocked.
"""

import os
from pathlib import Path
from typing import BinaryIO


class DatabaseInUse(RuntimeError):
    """Another process holds the database's lock."""


def lock_path(database: Path) -> Path:
    return Path(f"{database}.lock")


def hold_database(database: Path) -> BinaryIO | None:
    """Take the database's lock for as long as the returned file stays open.

    Raises DatabaseInUse if another process holds it, OSError if the lock file cannot be created
    (a missing or read-only folder). Returns None where flock does not exist (Windows).
    """
    try:
        import fcntl
    except ImportError:
        return None
    path = lock_path(database)
    handle = open(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+b")  # noqa: SIM115 -- held for the lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read(32).decode("ascii", "replace").strip() or "unknown"
        handle.close()
        raise DatabaseInUse(f"another workshop server (process {holder}) is using {database}; "
                            "stop it first, or pass another --db") from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    return handle
