"""The pack's own analyzer, run in-process: what the Pulumi CLI would get from the pack.

`build_analyzer()` wraps pulumi-policy's analyzer servicer (the object `PolicyPack` serves over
gRPC) around `policies.rules.POLICIES`, configured as `--policy-pack-config` would configure it.
Resources go in as the engine sends them (props as protobuf Structs, unknowns as sentinel
strings) through `Analyze` (each resource's inputs) and `AnalyzeStack` (every resource's outputs,
with parents and dependencies); findings come back with their policy, level, message and urn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.rules import PACK_NAME, POLICIES

PACK_VERSION = "0.1.0"
"""The pack's version (as in PulumiPolicy.yaml)."""


def level_name(value: int, unknown: str = "unknown") -> str:
    """A wire enforcement level as `--policy-pack-config` spells it (the proto enum's name,
    lower-cased); `unknown` for a value the enum does not have."""
    try:
        return str(proto.EnforcementLevel.Name(value)).lower()
    except ValueError:
        return unknown


def level_value(name: str) -> int:
    """The wire value of an enforcement level spelled as in `--policy-pack-config`."""
    return int(proto.EnforcementLevel.Value(name.upper()))


CANT_RUN = "can't run policy"
"""How the analyzer's own note starts when a rule read a value unknown at preview."""


@dataclass(frozen=True)
class Resource:
    """A resource as the engine describes it to an analyzer."""

    type: str
    """The type token."""
    name: str
    """The logical name."""
    urn: str
    """The URN."""
    props: Mapping[str, Any]
    """Inputs for `Analyze`, outputs for `AnalyzeStack`; unknowns as sentinel strings."""
    parent: str = ""
    """The parent's URN."""
    dependencies: tuple[str, ...] = ()
    """URNs the resource depends on."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For each property, the URNs its value came from."""


@dataclass(frozen=True)
class Finding:
    """One diagnostic of the analyzer."""

    policy: str
    """The policy's name."""
    level: str
    """`advisory` or `mandatory` (as the analyzer reported it)."""
    message: str
    """The violation's message, without the policy's description in front of it."""
    urn: str
    """The resource the violation names ("" for a resource-level violation)."""


@dataclass(frozen=True)
class Verdict:
    """What one or more analyzer calls returned."""

    findings: tuple[Finding, ...] = ()
    """The diagnostics, in order."""
    not_applicable: tuple[tuple[str, str], ...] = ()
    """(policy, reason) for each rule that could not decide or did not apply."""

    @property
    def mandatory(self) -> tuple[Finding, ...]:
        """The findings that would stop a deployment."""
        return tuple(f for f in self.findings if f.level == "mandatory")

    @property
    def cant_run(self) -> tuple[Finding, ...]:
        """The analyzer's own "can't run policy ... during preview" notes."""
        return tuple(f for f in self.findings if f.message.startswith(CANT_RUN))

    def __add__(self, other: Verdict) -> Verdict:
        return Verdict(self.findings + other.findings, self.not_applicable + other.not_applicable)


class RegistrationLike(Protocol):
    """What `resources_from_plan` reads from a recorded registration (`plan.Registration`)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def outputs(self) -> dict[str, Any]: ...
    @property
    def dependencies(self) -> tuple[str, ...]: ...
    @property
    def property_dependencies(self) -> dict[str, tuple[str, ...]]: ...


class InProcessAnalyzer:
    """pulumi-policy's analyzer servicer for this pack, called directly instead of over gRPC."""

    def __init__(
        self,
        config: Mapping[str, str | Mapping[str, Any]] | None = None,
        policies: Sequence[Policy] | None = None,
    ) -> None:
        self.policies = list(policies if policies is not None else POLICIES)
        self.servicer: Any = _PolicyAnalyzerServicer(
            PACK_NAME, PACK_VERSION, self.policies, EnforcementLevel.ADVISORY
        )
        self.configure(config or {})

    def info(self) -> Any:
        """The `AnalyzerInfo` the pack announces: policies, default levels, config schemas."""
        return self.servicer.GetAnalyzerInfo(None, None)

    def default_levels(self) -> dict[str, str]:
        """Each policy's default enforcement level, by name."""
        return {p.name: level_name(p.enforcementLevel) for p in self.info().policies}

    def configure(self, config: Mapping[str, str | Mapping[str, Any]]) -> None:
        """Configure as `--policy-pack-config` does: a level, or `{enforcementLevel, ...props}`.

        Like the CLI, every policy is sent with its effective level (its default unless set).
        """
        request = proto.ConfigureAnalyzerRequest()
        for name, level in self.default_levels().items():
            value = config.get(name, {})
            settings: dict[str, Any] = {} if isinstance(value, str) else dict(value)
            chosen = value if isinstance(value, str) else settings.pop("enforcementLevel", level)
            policy_config = proto.PolicyConfig(enforcementLevel=level_value(chosen))  # type: ignore[arg-type]
            if settings:
                policy_config.properties.update(settings)
            request.policyConfig[name].CopyFrom(policy_config)
        self.servicer.Configure(request, None)

    def analyze(self, resource: Resource) -> Verdict:
        """`Analyze` one resource (its inputs)."""
        request = proto.AnalyzeRequest(type=resource.type, urn=resource.urn, name=resource.name)
        request.properties.update(dict(resource.props))
        return _verdict(self.servicer.Analyze(request, None))

    def analyze_stack(self, resources: Iterable[Resource]) -> Verdict:
        """`AnalyzeStack` over every resource (their outputs, parents and dependencies)."""
        request = proto.AnalyzeStackRequest()
        for resource in resources:
            entry = proto.AnalyzerResource(
                type=resource.type,
                urn=resource.urn,
                name=resource.name,
                parent=resource.parent,
                dependencies=list(resource.dependencies),
            )
            entry.properties.update(dict(resource.props))
            for key, urns in resource.property_dependencies.items():
                entry.propertyDependencies[key].urns.extend(urns)
            request.resources.append(entry)
        return _verdict(self.servicer.AnalyzeStack(request, None))

    def analyze_all(
        self, inputs: Sequence[Resource], outputs: Sequence[Resource] | None = None
    ) -> Verdict:
        """What a preview or update runs: `Analyze` for each resource, then `AnalyzeStack`."""
        verdict = Verdict()
        for resource in inputs:
            verdict += self.analyze(resource)
        return verdict + self.analyze_stack(outputs if outputs is not None else inputs)


def build_analyzer(
    config: Mapping[str, str | Mapping[str, Any]] | None = None,
    policies: Sequence[Policy] | None = None,
) -> InProcessAnalyzer:
    """The pack's analyzer in-process, configured like `--policy-pack-config` (a mapping of
    policy name to a level string or to `{"enforcementLevel": ..., <settings>}`)."""
    return InProcessAnalyzer(config, policies)


def resources_from_plan(
    registrations: Iterable[RegistrationLike],
) -> tuple[list[Resource], list[Resource]]:
    """(inputs for `Analyze`, outputs for `AnalyzeStack`) of recorded registrations."""
    inputs: list[Resource] = []
    outputs: list[Resource] = []
    for r in registrations:
        common: dict[str, Any] = {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "dependencies": tuple(r.dependencies),
            "property_dependencies": dict(r.property_dependencies),
        }
        inputs.append(Resource(props=dict(r.inputs), **common))
        outputs.append(Resource(props=dict(r.outputs or r.inputs), **common))
    return inputs, outputs


def _verdict(response: Any) -> Verdict:
    findings: list[Finding] = []
    for diagnostic in response.diagnostics:
        message = str(diagnostic.message)
        prefix = f"{diagnostic.description}\n"
        if message.startswith(prefix):
            message = message[len(prefix) :]
        findings.append(
            Finding(
                policy=str(diagnostic.policyName),
                level=level_name(int(diagnostic.enforcementLevel)),
                message=message,
                urn=str(diagnostic.urn),
            )
        )
    skipped = tuple((str(n.policy_name), str(n.reason)) for n in response.not_applicable)
    return Verdict(tuple(findings), skipped)
