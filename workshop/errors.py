"""The refusal a `workshop` command reports: one line on standard error and exit status 2."""


class CommandError(Exception):
    """A refusal the command reports as one line on standard error, with no traceback."""
