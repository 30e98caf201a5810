#!/usr/bin/env bash
# Rewrite constraints.txt: install '.[postgres]' in a fresh virtual environment and pin what came.
set -euo pipefail
top="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q "$top[postgres]"
{
    echo "# Every package the image installs ('.[postgres]'), at the version it was tested with."
    echo "# Regenerate after changing pyproject.toml's dependencies: deploy/containers/update-constraints.sh"
    "$venv/bin/pip" freeze --all | grep -v -e '^pip==' -e '^setuptools==' -e '^variability-workshop'
} > "$top/constraints.txt"
