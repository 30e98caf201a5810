"""The plans a server offers: read-only folders (the shipped plans) and the facilitator's own folder.

A plan's id is its file name without `.toml`. Only plans in the own folder are changed or deleted;
a shipped plan is copied to change it. Every write is checked with the plan checks first and lands
atomically (a temporary file renamed over the old one), so a reader never sees half a plan and
nothing invalid is ever stored. A version (a digest of the file) makes a write based on an older
copy fail instead of silently replacing someone else's edit.

Several server processes may share one own folder: nothing is kept between requests but a cache
keyed by each file's inode, size and change time, so a plan another process saved is read at the
next scan. A write takes an exclusive POSIX lock on `.plans.lock` in that folder (every process and
every thread), reads the plan's file as it is on disk, compares versions, and writes before letting
go: of two saves based on one version, exactly one is taken.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .plan_model import Plan, PlanError
from .plan_toml import plan_from_toml, plan_to_toml
from .plans import read_plan_file
from .refusal import Refusal

PLAN_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
PLAN_ID_RULE = "up to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"
LOCK_NAME = ".plans.lock"  # hidden, so a scan never takes it for a plan


@dataclass(frozen=True)
class PlanEntry:
    """One plan file: the validated plan, its text, where it is and whether the facilitator owns it."""

    plan: Plan
    text: str
    path: Path
    own: bool
    version: str
    changed: str  # when the file was last written, ISO 8601 in UTC

    def summary(self) -> dict:
        """What the plans page lists for it."""
        plan = self.plan
        return {"id": plan.id, "title": plan.title, "description": plan.description,
                "groups": list(plan.groups), "steps": len(plan.steps), "questions": len(plan.questions),
                "source": "own" if self.own else "shipped", "version": self.version, "changed": self.changed}


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def check_plan_id(plan_id: object) -> str:
    """A new plan's id, or a Refusal saying what ids look like."""
    if not isinstance(plan_id, str) or not PLAN_ID.fullmatch(plan_id):
        raise Refusal("invalid_plan_id", f"id: a plan's id is its file name: {PLAN_ID_RULE}")
    return plan_id


class PlanLibrary:
    """The plans in `read_only` folders (in order, a later one replacing an earlier id) and in `own`."""

    def __init__(self, read_only: Sequence[Path], own: Path) -> None:
        self.own = Path(own)
        self.read_only = tuple(Path(folder) for folder in read_only if Path(folder) != self.own)
        self._write_lock = threading.Lock()
        # Parsed files by path, with the (inode, size, mtime) they were read at: a scan re-reads only
        # files that changed, so reading the plans before every new session costs a few stat calls.
        self._cache: dict[Path, tuple[tuple[int, int, int], PlanEntry]] = {}

    def scan(self) -> tuple[dict[str, PlanEntry], list[PlanError]]:
        """Every plan the folders hold; invalid files come back as errors, never raised."""
        entries: dict[str, PlanEntry] = {}
        errors: list[PlanError] = []
        folders = [*((folder, False) for folder in self.read_only), (self.own, True)]
        for folder, own in folders:
            if own and not folder.exists():
                continue  # created on the first save
            for path in _plan_paths(folder, errors):
                try:
                    entries[path.stem] = self._entry(path, own)
                except PlanError as error:
                    errors.append(error)
        return entries, errors

    def plans(self) -> tuple[dict[str, Plan], list[PlanError]]:
        """The plans by id (as `discover_plans` gives them) and the files that could not be loaded."""
        entries, errors = self.scan()
        return {plan_id: entry.plan for plan_id, entry in entries.items()}, errors

    def get(self, plan_id: str) -> PlanEntry:
        """One plan, or Refusal `unknown_plan`."""
        entry = self.scan()[0].get(plan_id)
        if entry is None:
            raise Refusal("unknown_plan", f"no plan with id {plan_id!r}")
        return entry

    def save(self, plan_id: str, data: dict, version: str | None) -> PlanEntry:
        """Store plan data as the own plan `plan_id`; `version` is the one the edit started from (None: a
        new plan). Raises PlanError (nothing written) or Refusal."""
        with self._locked():
            current = self._writable(plan_id, version)
            text = plan_to_toml(data, f"{plan_id}.toml", current.text if current else None)
            return self._write(plan_id, text)

    def save_text(self, plan_id: str, text: str, version: str | None) -> PlanEntry:
        """Store TOML text as it is (an upload keeps its comments and layout), once it passes the checks."""
        with self._locked():
            self._writable(plan_id, version)
            return self._write(plan_id, text)

    def copy(self, source_id: str, plan_id: str) -> PlanEntry:
        """A new own plan with the text of another (shipped or own)."""
        return self.save_text(plan_id, self.get(source_id).text, None)

    def delete(self, plan_id: str) -> None:
        """Remove an own plan; a shipped plan is refused."""
        with self._locked():
            entry = self._on_disk(plan_id)
            if entry is None:
                raise Refusal("unknown_plan", f"no plan with id {plan_id!r}")
            if not entry.own:
                raise Refusal("plan_read_only", f"plan {plan_id!r} ships with the server and cannot be deleted")
            entry.path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the own folder's lock: the threads of this process, then the other processes sharing it."""
        with self._write_lock:
            self.own.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.own / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                # lockf (fcntl) locks, unlike flock, also hold across machines on NFS.
                fcntl.lockf(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)  # closing lets go of the lock

    def _on_disk(self, plan_id: str) -> PlanEntry | None:
        """The plan as its file holds it now: an own file is read afresh, never from the cache, since
        another process may have replaced it within the cache's time resolution."""
        path = self.own / f"{plan_id}.toml"
        if not path.is_file():
            return self.scan()[0].get(plan_id)
        try:
            return _entry(path, True)
        except PlanError as error:
            # A file put there by hand that cannot be loaded is still someone's work: never replaced.
            raise Refusal("plan_exists", f"plan {plan_id!r} has a file in the plans folder that cannot be loaded"
                          f" ({error.message}): fix or remove {path.name} by hand") from None

    def _writable(self, plan_id: str, version: str | None) -> PlanEntry | None:
        current = self._on_disk(plan_id)
        if current is not None and not current.own:
            raise Refusal("plan_read_only", f"plan {plan_id!r} ships with the server: duplicate it to change it")
        if current is None and version is None:
            check_plan_id(plan_id)
        elif current is None:
            raise Refusal("stale_plan", f"plan {plan_id!r} was deleted since you opened it")
        elif version is None:
            raise Refusal("plan_exists", f"a plan with id {plan_id!r} already exists")
        elif version != current.version:
            raise Refusal("stale_plan", f"plan {plan_id!r} was changed since you opened it: reload it to see the"
                          " changes, then make yours again")
        return current

    def _write(self, plan_id: str, text: str) -> PlanEntry:
        path = self.own / f"{plan_id}.toml"
        plan_from_toml(text, plan_id, path.name)  # the checks the server runs when it loads the file
        self.own.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.own, prefix=f".{plan_id}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return self._entry(path, True)

    def _entry(self, path: Path, own: bool) -> PlanEntry:
        try:
            info = path.stat()
        except OSError as error:
            raise PlanError(str(path), f"cannot be read: {error.strerror or error}") from error
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key and cached[1].own == own:
            return cached[1]
        entry = _entry(path, own)
        self._cache[path] = (key, entry)
        return entry


def _plan_paths(folder: Path, errors: list[PlanError]) -> list[Path]:
    if not folder.is_dir():
        errors.append(PlanError(str(folder), "is not a folder"))
        return []
    try:
        # Hidden names are editor lock files and our own temporary files, not plans.
        return sorted(p for p in folder.glob("*.toml") if not p.name.startswith(".") and not p.is_dir())
    except OSError as error:
        errors.append(PlanError(str(folder), f"cannot be listed: {error.strerror or error}"))
        return []


def _entry(path: Path, own: bool) -> PlanEntry:
    text = read_plan_file(path)
    plan = plan_from_toml(text, path.stem, str(path))
    changed = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
    return PlanEntry(plan=plan, text=text, path=path, own=own, version=version_of(text), changed=changed)
