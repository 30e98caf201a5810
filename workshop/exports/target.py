"""Where `workshop export -o FILE` writes: checked first, then written whole or not at all."""

import os
import stat
import tempfile
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
DATABASE_COMPANIONS = ("-wal", "-shm", "-journal", ".lock")


class TargetError(ValueError):
    """An export target that must not, or cannot, be written."""


def check_target(target: Path, database: Path) -> Path:
    """The file to write for `-o target` (a symbolic link is followed); raises TargetError."""
    path = Path(os.path.realpath(target))
    if path.is_dir():
        raise TargetError(f"{target} is a folder; name a file to write")
    if not path.parent.is_dir():
        raise TargetError(f"folder {path.parent} does not exist")
    if _is_database(path, Path(os.path.realpath(database))):
        raise TargetError(f"{target} is a database; an export never writes over a database")
    return path


def _is_database(path: Path, database: Path) -> bool:
    if str(path) in [str(database) + suffix for suffix in ("", *DATABASE_COMPANIONS)]:
        return True
    try:
        if database.exists() and path.exists() and path.samefile(database):
            return True  # a hard link to the record
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError:
        return False  # unreadable: writing will report why
    return head == SQLITE_HEADER or head[:4] in WAL_MAGIC


def write_target(path: Path, data: bytes) -> None:
    """Write `data` to `path`: a regular file is replaced atomically, so a failure leaves the old one
    whole and no partial file; a device or pipe (e.g. /dev/stdout) is written directly."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with path.open("wb") as handle:
            handle.write(data)
        return
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    # The only way to read the umask is to set it; the command line runs this single-threaded.
    current = os.umask(0o022)
    os.umask(current)
    return current
