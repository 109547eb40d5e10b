#!/usr/bin/env bash
# The main job: preview a stack offline and gate it on the policy pack, from a fresh clone.
#   scripts/preview.sh <stack> [--json FILE|-] [--diagram FILE] [--policy-config FILE] [--pack DIR]
# Creates .venv when missing, installs the pinned requirements-dev.txt into it (again only when
# that file changes), then runs `python -m preview` from the repository root, so relative
# paths given to it are relative to the repository root. Two runs at once take turns at that
# setup (a lock on this script), so the second finds it done.
# Exit status: 0 passed, 1 blocked by policy, 2 not checked (README.md; in full: docs/preview.md);
# a setup that fails (no venv, a failed install) is 2: the stack was not checked.
set -euo pipefail
cd "$(dirname "$0")/.."

not_checked() {
    echo "preview.sh: $1; the stack was not checked" >&2
    echo "Policy gate: NOT CHECKED (setup); the stack does not pass."
    exit 2
}

exec 9<scripts/preview.sh
if command -v flock >/dev/null; then
    flock 9
fi
if [ ! -x .venv/bin/python ]; then
    echo "preview.sh: first run: creating .venv and installing the pinned requirements into it" \
        "(a minute or so; later runs start at once)" >&2
    python3 -m venv .venv >&2 || not_checked "creating .venv failed (python3 -m venv, exit status $?)"
fi
stamp=.venv/.requirements-dev.sha256
wanted=$(cat requirements-dev.txt requirements.txt policies/requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "preview.sh: installing the pinned requirements into .venv (requirements-dev.txt)..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2 ||
        not_checked "installing the pinned requirements failed (pip, exit status $?)"
    echo "$wanted" > "$stamp"
    echo "preview.sh: dependencies installed" >&2
fi
exec 9<&-
exec .venv/bin/python -m preview "$@"
