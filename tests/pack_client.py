"""The policy pack as the tests reach it: the way the offline gate reaches it.

One pack process per test session, started by `preview.pack` as the Pulumi CLI's shim starts
it (`python -u -m pulumi.policy <engine> .` in `policies/`, its port read from its stdout), and
every check made by `preview.analyzer.run_policies`, the gate's own client: `ConfigureStack`,
`GetAnalyzerInfo`, `Configure` with the case's policy config reconciled as the CLI reconciles
`--policy-pack-config`, `Analyze` for each resource (after the default provider the engine
adds), then `AnalyzeStack`. `Configure` sends every policy's level and settings on each check,
so one process serves every case, each with its own config.

`Verdict` is a view of the gate's `PolicyRun` that the tests assert on: each violation's
policy, level, message (without the policy's description in front of it) and the URN the pack
named ("" for a resource policy's violation).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2  # type: ignore[import-untyped]

from plan import Plan, Registration
from preview.analyzer import CANT_RUN, PolicyRun, run_policies
from preview.pack import RunningPack, start_pack
from preview.policy_config import parse_policy_config

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
PROJECT = "container-comms"
STACK = "test"
TIMEOUT = 120.0
"""Seconds one check (or the pack's start) may take."""


@dataclass(frozen=True)
class Resource:
    """A resource as a test describes it: its props are its inputs (for `Analyze`) or its
    outputs (for `AnalyzeStack`), unknowns as sentinel strings."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def registration(self, outputs: Mapping[str, Any] | None = None) -> Registration:
        """The registration the gate sends: these props as inputs, `outputs` as state."""
        return Registration(
            urn=self.urn,
            type=self.type,
            name=self.name,
            custom=_custom(self.type),
            parent=self.parent,
            inputs=dict(self.props),
            outputs=dict(self.props if outputs is None else outputs),
            dependencies=tuple(self.dependencies),
            property_dependencies={k: tuple(v) for k, v in self.property_dependencies.items()},
        )


def _custom(type_token: str) -> bool:
    package = type_token.split(":", 1)[0]
    return type_token.startswith("pulumi:providers:") or package not in ("pulumi", PROJECT)


@dataclass(frozen=True)
class Finding:
    """One violation the pack reported."""

    policy: str
    level: str
    """As the pack reported it (`advisory`, `mandatory`, ...)."""
    message: str
    """The violation's own text, without the policy's description in front of it."""
    urn: str
    """The URN the pack named ("" for a resource policy's violation)."""


@dataclass(frozen=True)
class Verdict:
    """What one check gave."""

    findings: tuple[Finding, ...] = ()
    not_applicable: tuple[tuple[str, str], ...] = ()
    """(policy, reason) for each answer "not applicable", in order."""
    run: PolicyRun | None = None
    """The gate's own record of the check."""

    @property
    def mandatory(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "mandatory")

    def without_hygiene(self) -> Verdict:
        """The verdict less the hygiene advice (hardening left out), for checks of what the
        engine itself does."""
        from policies.rules.hygiene import HYGIENE_POLICIES

        hygiene = {policy.name for policy in HYGIENE_POLICIES}
        kept = tuple(f for f in self.findings if f.policy not in hygiene)
        return dataclasses.replace(self, findings=kept)

    @property
    def cant_run(self) -> tuple[Finding, ...]:
        """pulumi-policy's own "can't run policy ... during preview" notes."""
        return tuple(f for f in self.findings if f.message.startswith(CANT_RUN))


def verdict_of(run: PolicyRun) -> Verdict:
    """The findings and not-applicable answers of a gate run, in the order the pack gave them."""
    findings: list[Finding] = []
    skipped: list[tuple[str, str]] = []
    for d in run.diagnostics:
        if d.not_applicable:
            skipped.append((d.policy_name, d.message))
            continue
        message = d.message.removeprefix(f"{d.description}\n")
        findings.append(Finding(d.policy_name, d.enforcement_level, message, d.reported_urn))
    return Verdict(tuple(findings), tuple(skipped), run)


Config = Mapping[str, str | Mapping[str, Any]]
"""A `--policy-pack-config`: policy name to a level, or to `{enforcementLevel, ...settings}`."""


class PackClient:
    """The session's pack process, asked the way the gate asks it."""

    def __init__(self, pack: RunningPack) -> None:
        self.pack = pack

    def info(self) -> Any:
        """The pack's `GetAnalyzerInfo` answer."""
        return self.pack.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=TIMEOUT)

    def default_levels(self) -> dict[str, str]:
        """Each policy's default level, by name, as the gate reads them."""
        run = self.check([]).run
        assert run is not None
        return {p.name: p.enforcement_level for p in run.policies}

    def check(self, registrations: Iterable[Registration], config: Config | None = None) -> Verdict:
        """Check registrations as the gate checks a recorded plan."""
        plan = Plan(project=PROJECT, stack=STACK, preview=True, resources=list(registrations))
        given = parse_policy_config(json.dumps(dict(config or {})), "the test's policy config")
        run = run_policies(
            plan,
            self.pack,
            given,
            stack_config={},
            deadline=time.monotonic() + TIMEOUT,
            timeout=TIMEOUT,
        )
        return verdict_of(run)

    def analyze_all(
        self,
        inputs: Sequence[Resource],
        outputs: Sequence[Resource] | None = None,
        config: Config | None = None,
    ) -> Verdict:
        """What a preview runs: `Analyze` for each resource's inputs, then `AnalyzeStack` over
        the outputs (`outputs[i]` is the state of `inputs[i]`; the inputs when None)."""
        if outputs is None:
            return self.check((r.registration() for r in inputs), config)
        assert [r.urn for r in inputs] == [r.urn for r in outputs]
        pairs = zip(inputs, outputs, strict=True)
        return self.check((i.registration(o.props) for i, o in pairs), config)


@contextmanager
def started_pack() -> Iterator[PackClient]:
    """The pack in `policies/`, started once and stopped however the block ends."""
    with start_pack(
        PACK_DIR, project=PROJECT, stack=STACK, config={}, start_timeout=TIMEOUT
    ) as pack:
        yield PackClient(pack)
