"""The ways a write can fail, shared by every backend: refused by the record, or not stored at all."""


class Refused(Exception):
    """A write the record refuses (e.g. a vote on a closed question); nothing was written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StorageError(RuntimeError):
    """The database could not store a write (or answer a read); nothing of the write was stored."""


class WriterStopped(StorageError):
    """The writer is shut down; nothing was stored."""
