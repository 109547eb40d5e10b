"""What a user reads: the resource tree and the policy report, as `pulumi preview` shows them."""

from __future__ import annotations

from collections import defaultdict

from components.problems import one_line as shown
from plan import UNKNOWN, Plan, Registration
from preview.analyzer import Diagnostic, PolicyRun, iter_levels
from preview.verdict import Verdict

UNKNOWN_SHOWN = "(known after deploy)"
"""What the text report shows for a value unknown at preview (the wire's sentinel string)."""


def unknowns_shown(text: str) -> str:
    """`text` with each unknown value, quoted or bare, as `UNKNOWN_SHOWN`."""
    for spelling in (f'"{UNKNOWN}"', f"'{UNKNOWN}'", UNKNOWN):
        text = text.replace(spelling, UNKNOWN_SHOWN)
    return text


def shown_block(text: str, indent: str) -> str:
    """`text`'s lines, each `shown`, every line after the first indented by `indent`: a
    message of several lines (one per problem) that no value inside can add a line to that
    starts where the gate's own lines start."""
    first, *rest = text.split("\n")
    return "\n".join([shown(first), *(indent + shown(line) for line in rest)])


def resource_tree(plan: Plan) -> list[str]:
    """The resources as a tree of parents and children, in registration order."""
    children: dict[str, list[Registration]] = defaultdict(list)
    known = {r.urn for r in plan.resources}
    roots: list[Registration] = []
    for registration in plan.resources:
        if registration.parent and registration.parent in known:
            children[registration.parent].append(registration)
        else:
            roots.append(registration)
    rows: list[tuple[str, str]] = []

    def walk(node: Registration, prefix: str, last: bool, depth: int) -> None:
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        rows.append((prefix + branch + shown(node.type), shown(node.name)))
        kids = children.get(node.urn, [])
        below = prefix + ("" if depth == 0 else ("   " if last else "│  "))
        for index, child in enumerate(kids):
            walk(child, below, index == len(kids) - 1, depth + 1)

    for index, root in enumerate(roots):
        walk(root, "", index == len(roots) - 1, 0)
    width = max((len(kind) for kind, _ in rows), default=4) + 2
    name_width = max((len(name) for _, name in rows), default=4) + 2
    lines = [f"     {'Type':<{width}}{'Name':<{name_width}}Plan"]
    lines.extend(f" +   {kind:<{width}}{name:<{name_width}}create" for kind, name in rows)
    return lines


def subject(diagnostic: Diagnostic, plan: Plan, by_urn: dict[str, Registration]) -> str:
    """`<type>: <name>` of the resource a diagnostic is about (the stack when it names none)."""
    registration = by_urn.get(diagnostic.urn)
    if registration is None and diagnostic.urn:
        kind, _, name = diagnostic.urn.rpartition("::")
        kind = kind.rpartition("::")[2].rpartition("$")[2]
        return f"{shown(kind)}: {shown(name)}"
    if registration is None:
        registration = plan.resources[0]
    return f"{shown(registration.type)}: {shown(registration.name)}"


def policy_report(run: PolicyRun, plan: Plan, verdict: Verdict) -> list[str]:
    """The `Policies:` section, grouped by enforcement level, most severe first."""
    mark = "FAILED" if verdict.blocking else "passed"
    lines = [
        "Policies:",
        f"    {mark}  {shown(run.pack_name)}@v{shown(run.pack_version)} "
        f"(local: {shown(run.pack_path)})",
    ]
    groups = list(iter_levels(run))
    by_urn = plan.by_urn()
    if not groups:
        lines.append("        no violations")
    for level, diagnostics in groups:
        title = {
            "undecided": "could not decide at preview (a value it reads is unknown, or the "
            "policy said it does not apply)",
        }.get(level, level)
        lines.append(f"        {title} ({len(diagnostics)})")
        for diagnostic in diagnostics:
            level_shown = shown(diagnostic.configured_level if level == "undecided" else level)
            about = subject(diagnostic, plan, by_urn)
            lines.append(f"        - [{level_shown}]  {shown(diagnostic.policy_name)}  ({about})")
            lines.extend(
                f"          {shown(line)}" for line in _lines(unknowns_shown(diagnostic.message))
            )
    return lines


def diagnostics(plan: Plan) -> list[str]:
    """The program's warnings, under the stack as the Pulumi CLI's `Diagnostics:` lists them
    (none: no lines)."""
    if not plan.warnings:
        return []
    stack = plan.resources[0] if plan.resources else None
    about = f"{shown(stack.type)} ({shown(stack.name)})" if stack is not None else "program"
    lines = ["Diagnostics:", f"  {about}:"]
    for warning in plan.warnings:
        first, *rest = _lines(unknowns_shown(warning)) or [""]
        lines.append(f"    warning: {shown(first)}")
        lines.extend(f"      {shown(line)}" for line in rest)
    return lines


def _lines(text: str) -> list[str]:
    """`text` split at its newlines only (every other separator is `shown` escaped)."""
    return text.rstrip("\n").split("\n") if text.strip("\n") else []


def summary(plan: Plan) -> list[str]:
    """The `Resources:` count."""
    return ["Resources:", f"    + {len(plan.resources)} to create"]
