#!/usr/bin/env bash
# Every check of the project, from a fresh clone: lint, format, types, and the whole test suite,
# including the proofs on a real Docker engine when this machine can run one.
#   scripts/test.sh [extra pytest arguments]
# Creates .venv when missing and installs the pinned requirements-dev.txt into it (again only
# when the requirements change). Starts the project's private Docker engine (scripts/engine.sh)
# when it runs as root and dockerd is installed or apt-get can install it, and stops it and
# removes all it made on exit. Without an engine the engine tests are skipped with the reason,
# except under CI (CI=true), where they fail. Runs every step even after a failure; exits
# non-zero when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

say "python environment"
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv .venv; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      rm -rf .venv
      DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv \
        && python3 -m venv .venv
    fi
  fi
  [ -x .venv/bin/python ] || { echo "cannot create .venv (python3 -m venv failed)" >&2; exit 1; }
fi
stamp=.venv/.requirements-dev.sha256
wanted=$(cat requirements-dev.txt requirements.txt policies/requirements.txt 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt \
    || { echo "pip install -r requirements-dev.txt failed" >&2; exit 1; }
  echo "$wanted" >"$stamp"
fi
echo "ok: $(.venv/bin/python --version)"

say "docker engine"
started_engine=0
cleanup() {
  if [ "$started_engine" -eq 1 ]; then
    say "stopping the private engine"
    bash scripts/engine.sh stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if bash scripts/engine.sh status >/dev/null 2>&1; then
  echo "using the private engine already running ($(bash scripts/engine.sh env))"
elif [ "$(id -u)" -ne 0 ]; then
  echo "not root: the private engine cannot be started; the engine tests will say so"
elif ! command -v dockerd >/dev/null 2>&1 && ! command -v apt-get >/dev/null 2>&1; then
  echo "no dockerd and no apt-get to install it; the engine tests will say so"
elif bash scripts/engine.sh start; then
  started_engine=1
else
  echo "scripts/engine.sh start failed; the engine tests will say why"
fi

failed=()
step() {
  local name="$1"
  shift
  say "$name"
  if "$@"; then
    echo "ok: $name"
  else
    echo "FAILED: $name"
    failed+=("$name")
  fi
}

step "ruff check" .venv/bin/ruff check .
step "ruff format --check" .venv/bin/ruff format --check .
step "mypy" .venv/bin/mypy --explicit-package-bases components policies plan preview tests/engine tests/typing
step "pytest" .venv/bin/python -m pytest tests "$@"

say "summary"
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}"
  exit 1
fi
echo "all checks passed"
