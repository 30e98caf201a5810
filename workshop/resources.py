"""Where the shipped files are: templates inside the package, `static/` and `sessions/` beside it.

In a source checkout `static/` and `sessions/` sit at the top of the repository; `pip install .`
installs them inside the package (see pyproject.toml), so both places are looked at.
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"


def shipped(name: str) -> Path:
    """The folder `name` ("static" or "sessions") in the installed package or the source checkout."""
    installed = PACKAGE / name
    return installed if installed.is_dir() else PACKAGE.parent / name
