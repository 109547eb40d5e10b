"""The README's policy rule table matches the pack and names engine proofs that exist.

The table sits in the README's policy section. It must list exactly the rules of
`policies.rules.POLICIES`, in that order, each with its default enforcement level. Its
"Engine proof" cell either says `none: <reason>` or names the engine tests that prove the rule
as `tests/engine/<file>.py::<test>[<case>]` code spans (a `[<case>]` span on its own is another
case of the test named just before it); each named file must define the test and, for a case,
pytest must collect that case.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel

from policies.rules import POLICIES

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
ENGINE_TESTS = REPO / "tests" / "engine"

HEADER = ["Rule", "Default", "Prevents", "Engine message it pre-empts", "Engine proof"]
NONE_PREFIX = "none: "

_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_NODE = re.compile(r"(tests/engine/[A-Za-z0-9_]+\.py)::([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]+)\])?")
_CASE_ONLY = re.compile(r"\[([^\]]+)\]")


@dataclass(frozen=True)
class Row:
    rule: str
    default: str
    proof: str


@dataclass(frozen=True)
class Proof:
    path: str
    test: str
    case: str | None

    @property
    def node_id(self) -> str:
        return f"{self.path}::{self.test}" + (f"[{self.case}]" if self.case else "")


def _cells(line: str) -> list[str]:
    assert line.startswith("|") and line.endswith("|"), f"not a table row: {line!r}"
    return [cell.strip() for cell in _CELL_SPLIT.split(line[1:-1])]


@functools.cache
def readme_rows() -> tuple[Row, ...]:
    """The rows of the rule table in the README's policy section, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- section:policies -->")
    end = text.index("<!-- /section:policies -->", start)
    lines = [line.strip() for line in text[start:end].splitlines()]
    header_at = [i for i, line in enumerate(lines) if line.startswith("| Rule |")]
    assert len(header_at) == 1, f"the policy section has {len(header_at)} rule tables, not 1"
    first = header_at[0]
    assert _cells(lines[first]) == HEADER, f"rule table header: {lines[first]}"
    assert set(lines[first + 1]) <= {"|", "-", ":"}, f"no delimiter row: {lines[first + 1]}"
    rows = []
    for line in lines[first + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(HEADER), f"{len(cells)} cells, not {len(HEADER)}: {line}"
        rule = re.fullmatch(r"`([a-z0-9-]+)`", cells[0])
        assert rule, f"the Rule cell is not one code span naming a rule: {cells[0]!r}"
        rows.append(Row(rule=rule.group(1), default=cells[1], proof=cells[4]))
    return tuple(rows)


def _row(rule: str) -> Row:
    rows = [row for row in readme_rows() if row.rule == rule]
    assert len(rows) == 1, f"{rule}: {len(rows)} rows in the README's rule table, not 1"
    return rows[0]


def _proofs(row: Row) -> list[Proof]:
    """The engine tests a proof cell names (none when it says `none: <reason>`)."""
    if row.proof.startswith(NONE_PREFIX):
        return []
    proofs: list[Proof] = []
    for span in _CODE_SPAN.findall(row.proof):
        if node := _NODE.fullmatch(span):
            proofs.append(Proof(node.group(1), node.group(2), node.group(3)))
        elif case := _CASE_ONLY.fullmatch(span):
            assert proofs, f"{row.rule}: case {span} follows no test in {row.proof!r}"
            proofs.append(Proof(proofs[-1].path, proofs[-1].test, case.group(1)))
        else:
            assert not span.startswith("tests/"), f"{row.rule}: malformed test reference {span!r}"
    return proofs


def _default_level(policy: object) -> str:
    level = getattr(policy, "enforcement_level", None) or EnforcementLevel.ADVISORY
    return str(EnforcementLevel(level).value)


RULES = [policy.name for policy in POLICIES]


def _engine_test_rules() -> set[str]:
    """Rules some engine test declares a case for (`rule="<name>"`)."""
    found: set[str] = set()
    for path in ENGINE_TESTS.glob("test_*.py"):
        found.update(re.findall(r'\brule="([a-z0-9-]+)"', path.read_text(encoding="utf-8")))
    return found


def test_table_lists_exactly_the_packs_rules_in_order() -> None:
    listed = [row.rule for row in readme_rows()]
    missing = [rule for rule in RULES if rule not in listed]
    extra = [rule for rule in listed if rule not in RULES]
    repeated = sorted({rule for rule in listed if listed.count(rule) > 1})
    assert not missing, f"rules of the pack missing from the README's table: {missing}"
    assert not extra, f"rules in the README's table that the pack does not have: {extra}"
    assert not repeated, f"rules listed more than once in the README's table: {repeated}"
    assert listed == RULES, f"the README's table is not in POLICIES order: {listed} != {RULES}"


@pytest.mark.parametrize("policy", POLICIES, ids=RULES)
def test_default_level_is_the_rules_own(policy: object) -> None:
    name = getattr(policy, "name", "")
    expected = _default_level(policy)
    assert _row(name).default == expected, (
        f"{name}: the README says default {_row(name).default!r}, the rule's level is {expected!r}"
    )


@pytest.mark.parametrize("rule", RULES)
def test_engine_proof_names_existing_tests_or_says_why_none(rule: str) -> None:
    row = _row(rule)
    if row.proof.startswith(NONE_PREFIX):
        assert row.proof[len(NONE_PREFIX) :].strip(), f"{rule}: 'none:' without a reason"
        assert rule not in _engine_test_rules(), (
            f"{rule}: the README says no engine proof, but tests/engine has a case for it"
        )
        return
    proofs = _proofs(row)
    assert proofs, f"{rule}: the Engine proof cell names no test and gives no reason: {row.proof!r}"
    for proof in proofs:
        path = REPO / proof.path
        assert path.is_file(), f"{rule}: {proof.path} does not exist"
        source = path.read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(proof.test)}\(", source, re.MULTILINE), (
            f"{rule}: {proof.path} has no `def {proof.test}(`"
        )
    assert rule in _engine_test_rules(), (
        f"{rule}: the README names an engine proof, but no engine test has a case for the rule"
    )


def test_named_engine_cases_are_collected() -> None:
    named = {proof.node_id: row.rule for row in readme_rows() for proof in _proofs(row)}
    cases = {node: rule for node, rule in named.items() if node.endswith("]")}
    if not cases:
        pytest.skip("the README names no parametrized case")
    paths = sorted({node.split("::", 1)[0] for node in cases})
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = (collected.stdout + collected.stderr)[-3000:]
    assert collected.returncode == 0, f"collecting {paths} failed:\n{output}"
    node_ids = set(collected.stdout.splitlines())
    unknown = sorted(f"{rule}: {node}" for node, rule in cases.items() if node not in node_ids)
    assert not unknown, "the README names engine cases pytest does not collect:\n" + "\n".join(
        unknown
    )
