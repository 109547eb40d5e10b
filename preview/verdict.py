"""The gate's decision, made once: what blocks, the exit status, and the counts.

The exit status, the text report's FAILED/passed marks and the JSON document's `blocking`
flags and summary all read one `Verdict`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from preview.analyzer import Diagnostic, PolicyRun

EXIT_PASSED = 0
EXIT_BLOCKED = 1
EXIT_UNCHECKED = 2

BLOCKING_LEVELS = frozenset({"mandatory", "remediate"})
"""Levels at which a violation stops a deployment (a remediation that still leaves a violation
is reported as mandatory)."""


@dataclass(frozen=True)
class Verdict:
    """Whether the stack passes, and why not."""

    exit_code: int
    """0 passed, 1 blocked by policy, 2 not checked."""
    error: tuple[str, str] | None
    """(stage, message) when the stack could not be checked."""
    blocking: tuple[Diagnostic, ...] = ()
    """The diagnostics that block, in the order the pack gave them."""
    counts: dict[str, int] = field(default_factory=dict)
    """`mandatory`, `advisory`, `undecided` and `blocking` diagnostics."""
    blocking_ids: frozenset[int] = frozenset()
    """`id()` of each blocking diagnostic."""

    def blocks(self, diagnostic: Diagnostic) -> bool:
        """True when `diagnostic` is one of those that block."""
        return id(diagnostic) in self.blocking_ids


def blocks(diagnostic: Diagnostic) -> bool:
    """A violation at a blocking level, or a policy configured at one that did not decide (it
    could not run, or said it does not apply): `pulumi preview` would let those pass."""
    return (
        diagnostic.enforcement_level in BLOCKING_LEVELS
        or diagnostic.configured_level in BLOCKING_LEVELS
    )


def decide(run: PolicyRun | None, error: tuple[str, str] | None) -> Verdict:
    """The verdict on a run; any error, or no run at all, means not checked."""
    counts = {"mandatory": 0, "advisory": 0, "undecided": 0, "blocking": 0}
    blocking: list[Diagnostic] = []
    if run is not None:
        for diagnostic in run.diagnostics:
            if diagnostic.undecided:
                counts["undecided"] += 1
            elif diagnostic.enforcement_level in BLOCKING_LEVELS:
                counts["mandatory"] += 1
            elif diagnostic.enforcement_level == "advisory":
                counts["advisory"] += 1
            if blocks(diagnostic):
                blocking.append(diagnostic)
        counts["blocking"] = len(blocking)
    if error is None and run is None:
        error = ("policy", "the policy pack was not run")
    code = EXIT_BLOCKED if blocking else EXIT_PASSED
    if error is not None:
        code = EXIT_UNCHECKED
    return Verdict(code, error, tuple(blocking), counts, frozenset(map(id, blocking)))
