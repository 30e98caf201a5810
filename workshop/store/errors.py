"""The ways a write can fail, shared by every backend, besides a `Refusal` (refused by the record,
nothing written): not stored at all."""


class StorageError(RuntimeError):
    """The database could not store a write (or answer a read); nothing of the write was stored."""


class WriterStopped(StorageError):
    """The writer is shut down; nothing was stored."""
