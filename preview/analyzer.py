"""Speak the analyzer protocol to a running pack, as the engine does during `pulumi preview`.

Order of calls, as the CLI makes them: `ConfigureStack`, `GetAnalyzerInfo`, `Configure` with
the reconciled policy config, `Analyze` once per registration (the stack, default providers,
components and custom resources, inputs with unknowns as the engine's sentinel), then
`AnalyzeStack` with every resource, its parent, dependencies, property dependencies and state.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2

from plan import UNKNOWN, Plan, Registration
from plan.model import references_as_ids
from preview.pack import PackError, RunningPack
from preview.policy_config import PolicyMeta, PolicySettings, reconcile


def _level_name(value: int, pack: RunningPack, what: str) -> str:
    """A wire enforcement level as `--policy-pack-config` spells it (the proto enum's name,
    lower-cased). A value the enum does not have is a malformed answer: the pack's verdict
    cannot be read, so the stack is not checked."""
    try:
        return str(analyzer_pb2.EnforcementLevel.Name(value)).lower()
    except ValueError:
        raise _malformed(
            pack, what, f"enforcement level {value}, which the analyzer protocol does not define"
        ) from None


def _malformed(pack: RunningPack, what: str, detail: str) -> PackError:
    return PackError(f"policy pack {pack.project.path} gave a malformed answer: {what}: {detail}")


CANT_RUN = "can't run policy"
"""How pulumi-policy's own note starts when a rule raised instead of deciding."""
UNDECIDED_MARK = "during preview: "
"""How pulumi-policy words a rule that read a value unknown at preview (`can't run policy ...`)."""

NO_CHECK_REASONS = frozenset(
    {"Policy does not implement validate", "Policy does not implement remediate"}
)
"""Not-applicable reasons pulumi-policy itself gives for a policy that has no check of the kind
asked for (a remediation-only policy during `Analyze`, a validation-only one set to remediate
during `AnalyzeStack`): nothing was left unchecked."""


@dataclass(frozen=True)
class Diagnostic:
    """One policy diagnostic, attributed to a resource the way the CLI shows it."""

    policy_name: str
    """The policy's name."""
    enforcement_level: str
    """`mandatory`, `advisory`, `remediate` or `disabled`, as the pack reported it."""
    urn: str
    """The resource it is about ("" for the stack as a whole)."""
    message: str
    """The pack's message: the policy's description, then the violation's own text."""
    description: str
    """The policy's description."""
    stage: str
    """`analyze` (one resource) or `analyzeStack` (all resources)."""
    undecided: bool = False
    """True when the policy could not run because a value is unknown at preview."""
    configured_level: str = ""
    """The level the policy was configured with (an undecided rule is reported as advisory)."""
    not_applicable: bool = False
    """True when the policy answered "not applicable" (the message is its reason): it did not
    decide, so it counts as undecided."""
    reported_urn: str = ""
    """The URN the diagnostic itself named ("" when it named none: a resource policy's
    violation, which `urn` attributes to the resource analyzed)."""


@dataclass
class PolicyRun:
    """The outcome of checking one plan against one pack."""

    pack_name: str
    pack_version: str
    pack_path: str
    python: str
    policies: list[PolicyMeta]
    config: dict[str, PolicySettings]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Violations, policies that could not run and policies that said they do not apply, in the
    order the pack answered."""
    analyzed: int = 0
    """How many `Analyze` calls were made."""
    seconds: float = 0.0


def engine_resources(plan: Plan, stack_config: Mapping[str, str]) -> list[Registration]:
    """The plan as the engine sees it: a default provider per package, registered before its
    first resource, and every custom resource referring to its provider."""
    resources: list[Registration] = []
    providers: dict[str, str] = {}
    explicit = {r.urn for r in plan.resources if r.type.startswith("pulumi:providers:")}
    for registration in plan.resources:
        package = registration.type.split(":", 1)[0]
        needs_default = (
            registration.custom
            and package != "pulumi"
            and registration.provider.rsplit("::", 1)[0] not in explicit
        )
        if not needs_default:
            resources.append(registration)
            continue
        if package not in providers:
            provider = _default_provider(plan, package, stack_config)
            providers[package] = f"{provider.urn}::{UNKNOWN}"
            resources.append(provider)
        resources.append(replace(registration, provider=providers[package]))
    return resources


def _default_provider(plan: Plan, package: str, stack_config: Mapping[str, str]) -> Registration:
    try:
        version = importlib.metadata.version(f"pulumi_{package}")
    except importlib.metadata.PackageNotFoundError:
        version = ""
    name = "default_" + version.replace(".", "_") if version else "default"
    inputs: dict[str, Any] = {
        key.split(":", 1)[1]: value
        for key, value in stack_config.items()
        if key.startswith(f"{package}:")
    }
    if version:
        inputs["version"] = version
    urn = f"urn:pulumi:{plan.stack}::{plan.project}::pulumi:providers:{package}::{name}"
    return Registration(
        urn=urn,
        type=f"pulumi:providers:{package}",
        name=name,
        custom=True,
        parent="",
        inputs=inputs,
        outputs=dict(inputs),
    )


WINDOW = 4
"""`Analyze` calls in flight at once (the pack's gRPC server has four worker threads)."""


class Session:
    """One conversation with a running pack, every call bounded by one overall deadline."""

    def __init__(self, pack: RunningPack, deadline: float, timeout: float) -> None:
        self.pack = pack
        self.deadline = deadline
        self.timeout = timeout

    def call(self, method: str, request: Any, what: str) -> Any:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise PackError(self._late(what))
        try:
            return getattr(self.pack.stub, method)(request, timeout=remaining)
        except grpc.RpcError as error:
            code = error.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise PackError(self._late(what)) from None
            if code == grpc.StatusCode.UNIMPLEMENTED and method == "ConfigureStack":
                return None
            raise PackError(
                f"policy pack {self.pack.project.path} failed during {what}: "
                f"{code.name}: {error.details()}" + self.pack.describe_exit()
            ) from None

    def analyze_all(
        self, resources: list[Registration], by_urn: Mapping[str, Registration]
    ) -> Iterator[tuple[Registration, Any]]:
        """`Analyze` each resource, in order, keeping up to `WINDOW` calls in flight so that
        building the next request overlaps with the pack checking the previous one."""
        pending: deque[tuple[Registration, Any]] = deque()
        for resource in resources:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise PackError(self._late(f"Analyze of {resource.urn}"))
            request = _analyze_request(resource, by_urn)
            pending.append((resource, self.pack.stub.Analyze.future(request, timeout=remaining)))
            if len(pending) >= WINDOW:
                yield self._settle(*pending.popleft())
        while pending:
            yield self._settle(*pending.popleft())

    def _settle(self, resource: Registration, future: Any) -> tuple[Registration, Any]:
        try:
            return resource, future.result()
        except grpc.RpcError as error:
            what = f"Analyze of {resource.urn}"
            if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise PackError(self._late(what)) from None
            raise PackError(
                f"policy pack {self.pack.project.path} failed during {what}: "
                f"{error.code().name}: {error.details()}" + self.pack.describe_exit()
            ) from None

    def _late(self, what: str) -> str:
        return (
            f"policy pack {self.pack.project.path} did not answer {what} within the "
            f"{self.timeout:g} s allowed (--timeout)" + self.pack.describe_exit()
        )


def run_policies(
    plan: Plan,
    pack: RunningPack,
    given: dict[str, PolicySettings],
    *,
    stack_config: Mapping[str, str],
    deadline: float,
    timeout: float,
) -> PolicyRun:
    """Check `plan` with `pack`, every answer by `deadline` (a `time.monotonic()`; `timeout` is
    the `--timeout` it comes from, for messages). Raises `PackError` when the pack fails, stops
    answering or answers what cannot be read, `PolicyConfigError` for a bad policy config."""
    begin = time.monotonic()
    session = Session(pack, deadline, timeout)
    config_struct = struct_pb2.Struct()
    config_struct.update(dict(stack_config))
    session.call(
        "ConfigureStack",
        analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=plan.stack,
            project=plan.project,
            organization="organization",
            dry_run=plan.preview,
            config=config_struct,
        ),
        "ConfigureStack",
    )
    info = session.call("GetAnalyzerInfo", empty_pb2.Empty(), "GetAnalyzerInfo")
    policies = [
        PolicyMeta(
            name=p.name,
            description=p.description,
            enforcement_level=_level_name(
                p.enforcementLevel, pack, f"GetAnalyzerInfo: policy {p.name!r}"
            ),
            schema=(
                {
                    "properties": MessageToDict(p.configSchema.properties),
                    "required": list(p.configSchema.required),
                }
                if p.HasField("configSchema")
                else None
            ),
        )
        for p in info.policies
    ]
    _check_policies(pack, policies)
    # Like the CLI, an initial config entry without a level reads as advisory (the proto's 0).
    initial = {
        name: PolicySettings(
            _level_name(value.enforcementLevel, pack, f"GetAnalyzerInfo: initial config {name!r}"),
            MessageToDict(value.properties),
        )
        for name, value in info.initialConfig.items()
    }
    config = reconcile(policies, initial, given, info.name)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, settings in config.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = analyzer_pb2.EnforcementLevel.Value(
            (settings.enforcement_level or "advisory").upper()
        )
        entry.properties.update(settings.properties)
    session.call("Configure", request, "Configure")

    run = PolicyRun(
        pack_name=info.name,
        pack_version=pack.project.version or info.version,
        pack_path=str(pack.project.path),
        python=pack.python,
        policies=policies,
        config=config,
    )
    resources = engine_resources(plan, stack_config)
    by_urn = {r.urn: r for r in resources}
    answers = _Answers(pack, run, by_urn)
    for resource, response in session.analyze_all(resources, by_urn):
        run.analyzed += 1
        answers.collect(response, "analyze", resource.urn)
    stack_request = analyzer_pb2.AnalyzeStackRequest(
        resources=[_stack_resource(r, by_urn) for r in resources]
    )
    response = session.call("AnalyzeStack", stack_request, "AnalyzeStack")
    answers.collect(response, "analyzeStack", "")
    run.seconds = time.monotonic() - begin
    return run


def _check_policies(pack: RunningPack, policies: list[PolicyMeta]) -> None:
    """A pack that names no policy, or one policy twice, cannot vouch for anything."""
    if not policies:
        raise _malformed(pack, "GetAnalyzerInfo", "no policies, so nothing would be checked")
    seen: set[str] = set()
    for policy in policies:
        if not policy.name or policy.name in seen:
            problem = "a policy without a name" if not policy.name else "twice"
            raise _malformed(pack, "GetAnalyzerInfo", f"policy {policy.name!r} {problem}")
        seen.add(policy.name)


class _Answers:
    """Reads `Analyze` and `AnalyzeStack` answers into the run, refusing what cannot be read."""

    def __init__(self, pack: RunningPack, run: PolicyRun, by_urn: Mapping[str, Registration]):
        self.pack = pack
        self.run = run
        self.by_urn = by_urn
        self.levels = {name: s.enforcement_level for name, s in run.config.items()}
        self.descriptions = {p.name: p.description for p in run.policies}

    def collect(self, response: Any, stage: str, urn: str) -> None:
        what = f"{stage} of {urn}" if urn else stage
        for d in response.diagnostics:
            self._known_policy(d.policyName, what)
            level = _level_name(d.enforcementLevel, self.pack, f"{what}: {d.policyName}")
            if level == "disabled":
                raise _malformed(self.pack, what, f"{d.policyName} reported a disabled violation")
            if d.urn and d.urn not in self.by_urn:
                raise _malformed(
                    self.pack, what, f"{d.policyName} reported {d.urn}, not a resource of the stack"
                )
            self.run.diagnostics.append(
                Diagnostic(
                    policy_name=d.policyName,
                    enforcement_level=level,
                    urn=d.urn or urn,
                    message=d.message,
                    description=d.description,
                    stage=stage,
                    undecided=d.message.startswith(CANT_RUN) and UNDECIDED_MARK in d.message,
                    configured_level=self.levels[d.policyName],
                    reported_urn=d.urn,
                )
            )
        for item in response.not_applicable:
            self._known_policy(item.policy_name, what)
            if item.reason in NO_CHECK_REASONS:
                continue
            configured = self.levels[item.policy_name]
            self.run.diagnostics.append(
                Diagnostic(
                    policy_name=item.policy_name,
                    enforcement_level=configured,
                    urn=urn,
                    message=item.reason or "(no reason given)",
                    description=self.descriptions[item.policy_name],
                    stage=stage,
                    undecided=True,
                    configured_level=configured,
                    not_applicable=True,
                )
            )

    def _known_policy(self, name: str, what: str) -> None:
        if name not in self.levels:
            raise _malformed(
                self.pack, what, f"policy {name!r}, which GetAnalyzerInfo did not announce"
            )


def _struct(values: Mapping[str, Any]) -> Any:
    """Properties as the engine sends them to a pack: internal keys left out, unknowns and
    secrets kept, resource references as ids or URNs (`MarshalOptions` of its `Analyze`)."""
    result = struct_pb2.Struct()
    result.update({k: references_as_ids(v) for k, v in values.items() if not k.startswith("__")})
    return result


def _options(resource: Registration) -> Any:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        deleteBeforeReplace=resource.delete_before_replace,
        deleteBeforeReplaceDefined=resource.delete_before_replace,
        parent=resource.parent,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def _provider(resource: Registration, by_urn: Mapping[str, Registration]) -> Any:
    if not resource.provider:
        return None
    provider = by_urn.get(resource.provider.rsplit("::", 1)[0])
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type,
        name=provider.name,
        urn=provider.urn,
        properties=_struct(provider.inputs),
    )


def _analyze_request(resource: Registration, by_urn: Mapping[str, Registration]) -> Any:
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        name=resource.name,
        urn=resource.urn,
        properties=_struct(resource.inputs),
        options=_options(resource),
        provider=_provider(resource, by_urn),
    )


def _stack_resource(resource: Registration, by_urn: Mapping[str, Registration]) -> Any:
    return analyzer_pb2.AnalyzerResource(
        type=resource.type,
        name=resource.name,
        urn=resource.urn,
        properties=_struct(resource.outputs if resource.outputs else resource.inputs),
        options=_options(resource),
        provider=_provider(resource, by_urn),
        parent=resource.parent,
        dependencies=list(resource.dependencies),
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            for key, urns in resource.property_dependencies.items()
            if urns
        },
    )


def iter_levels(run: PolicyRun) -> Iterator[tuple[str, list[Diagnostic]]]:
    """The diagnostics grouped by level, most severe first (undecided ones on their own)."""
    decided = [d for d in run.diagnostics if not d.undecided]
    for level in ("mandatory", "remediate", "advisory"):
        group = [d for d in decided if d.enforcement_level == level]
        if group:
            yield level, group
    undecided = [d for d in run.diagnostics if d.undecided]
    if undecided:
        yield "undecided", undecided
