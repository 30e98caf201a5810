"""The record: SQLite in one file by default, PostgreSQL for several processes behind one address."""

from pathlib import Path

from ..domain.answers import ANY_VERSION
from .errors import StorageError
from .interface import RecordStore

__all__ = ["ANY_VERSION", "POSTGRES_SCHEMES", "RecordStore", "StorageError", "is_postgres_url", "open_store"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def open_store(target: str | Path) -> RecordStore:
    """The store for `target`: a PostgreSQL URL, or else the path of a SQLite file."""
    if is_postgres_url(target):
        from .postgres import PostgresStore  # psycopg is an optional extra
        return PostgresStore(str(target))
    from .store import Store
    return Store(target)
