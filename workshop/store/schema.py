"""The schema version a database records, and the refusal of a database newer than this version.

Each backend records the migrations applied to it by name (SQLite in `_sqlite_migrations`, PostgreSQL
in `schema_migrations`); SQLite also keeps their count in `PRAGMA user_version`. A database carrying a
step this version does not know was written by a newer release: serving it could silently undo what
that release guarantees, so it is refused before anything is written.
"""

from collections.abc import Iterable, Sequence

from .errors import StorageError


class SchemaTooNew(StorageError):
    """The database was written by a newer version of workshop than this one; nothing was written."""


def refuse_unknown_steps(applied: Iterable[str], known: Sequence[str], location: str,
                         recorded_version: int = 0) -> None:
    """Raise SchemaTooNew if `applied` holds a step not in `known`, or the recorded version is beyond it."""
    unknown = sorted(set(applied) - set(known))
    if unknown:
        raise SchemaTooNew(f"{location} was written by a newer version of workshop (schema step"
                           f"{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} unknown here);"
                           " run that version or a later one on it")
    if recorded_version > len(known):
        raise SchemaTooNew(f"{location} was written by a newer version of workshop (schema version"
                           f" {recorded_version}, this one knows {len(known)});"
                           " run that version or a later one on it")
