"""The browser's pure modules (the phone's ballot and outbox rules, the order it shows questions in,
figures and plain words) tested with `node --test` (tests/js/), run from here so that the README's
test command runs them too."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_pure_javascript_modules_pass_their_node_tests():
    node = shutil.which("node")
    if node is None:
        pytest.fail("the JavaScript unit tests need Node.js: install Debian's nodejs (apt-get install nodejs)",
                    pytrace=False)
    # tests/js/page.mjs asks this Python for the vocabulary the pages carry.
    run = subprocess.run([node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "WORKSHOP_PYTHON": sys.executable, "NO_COLOR": "1"})
    if run.returncode != 0:
        pytest.fail(f"node --test tests/js/ failed:\n{run.stdout}\n{run.stderr}", pytrace=False)
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout, run.stdout
