"""Shared by the policy tests: one compliant stack, one-field mutations, and two ways to run a rule.

`compliant_stack()` is a stack shaped like the components' wire output (the seed's three ways,
with IPv6 on `my_net2`, plus an internal backend pair); every rule passes it. A failing case
changes one field of one resource and names the exact messages the rule must report. Each case
runs twice: by calling the policy's `validate` directly, and through the pack's process as the
offline gate asks it (`Analyze` / `AnalyzeStack`, with config and enforcement levels).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policies.rules import POLICIES, vocabulary
from policies.rules.vocabulary import (
    LABEL_GROUP,
    LABEL_PRESET,
    LABEL_ROLE,
    LABEL_STACK,
    MONITOR_CAPABILITIES,
    PRESET_MONITOR,
)
from tests.pack_client import Resource

UNKNOWN = vocabulary.UNKNOWN_STRING_VALUE
CONTAINER = vocabulary.CONTAINER_TYPE
NETWORK = vocabulary.NETWORK_TYPE
DNS_GROUP = vocabulary.DNS_GROUP_TYPE
JOINED_GROUP = vocabulary.JOINED_GROUP_TYPE
STACK = vocabulary.STACK_TYPE

BY_NAME: dict[str, Policy] = {p.name: p for p in POLICIES}


def urn(kind: str, name: str) -> str:
    """A URN of the test stack."""
    return f"urn:pulumi:test::container-comms::{kind}::{name}"


def _labels(role: str, group: str, **extra: str) -> list[dict[str, str]]:
    labels = {LABEL_STACK: "test", LABEL_GROUP: group, LABEL_ROLE: role, **extra}
    return [{"label": k, "value": v} for k, v in labels.items()]


BUSYBOX = "busybox:1.36@sha256:" + "b" * 64
HTTPD = "httpd:2.4@sha256:" + "a" * 64
HARDENED: dict[str, Any] = {
    "securityOpts": ["no-new-privileges"],
    "capabilities": {"drops": ["ALL"]},
    "readOnly": True,
    "memory": 64.0,
}
"""The hardening the hygiene rules ask of every container."""


def _container(name: str, role: str, group: str, **props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "image": BUSYBOX,
        "mustRun": True,
        "restart": "unless-stopped",
        "labels": _labels(role, group),
        **copy.deepcopy(HARDENED),
    }
    base.update(props)
    return base


def compliant_stack() -> list[Resource]:
    """A stack every rule passes, as the components put it on the wire (fresh copies)."""
    web1 = urn(CONTAINER, "web-web1")
    bbox1 = urn(CONTAINER, "bboxes-bbox1")
    resources = [
        Resource(STACK, "container-comms-test", urn(STACK, "container-comms-test"), {}),
        Resource(
            NETWORK,
            "my_net2-network",
            urn(NETWORK, "my_net2-network"),
            {
                "name": "my_net2",
                "driver": "bridge",
                "internal": False,
                "ipv6": True,
                "ipamConfigs": [
                    {
                        "subnet": "172.22.16.0/24",
                        "gateway": "172.22.16.1",
                        "ipRange": "172.22.16.128/25",
                    },
                    {"subnet": "fd00:16::/64"},
                ],
            },
        ),
        Resource(
            NETWORK,
            "backend-network",
            urn(NETWORK, "backend-network"),
            {
                "name": "backend",
                "driver": "bridge",
                "internal": True,
                "ipamConfigs": [{"subnet": "172.22.17.0/24", "gateway": "172.22.17.1"}],
            },
        ),
        Resource(
            DNS_GROUP,
            "bboxes",
            urn(DNS_GROUP, "bboxes"),
            {"network": "my_net2", "members": ["bbox1", "bbox2"]},
        ),
        Resource(
            JOINED_GROUP,
            "web",
            urn(JOINED_GROUP, "web"),
            {"owner": "web1", "sidecars": ["web1-shell", "web1-monitor"]},
        ),
        Resource(
            CONTAINER,
            "bboxes-bbox1",
            urn(CONTAINER, "bboxes-bbox1"),
            _container(
                "bbox1",
                "dns-member",
                "bboxes",
                command=["sleep", "3600"],
                networksAdvanced=[{"name": "my_net2", "aliases": ["box1"]}],
            ),
        ),
        Resource(
            CONTAINER,
            "bboxes-bbox2",
            urn(CONTAINER, "bboxes-bbox2"),
            _container(
                "bbox2",
                "dns-member",
                "bboxes",
                command=["ping", "-c", "3", "bbox1"],
                healthcheck={"tests": ["CMD", "ping", "-c", "1", "box1"], "retries": 3.0},
                networksAdvanced=[{"name": "my_net2", "aliases": ["box2"]}],
            ),
        ),
        Resource(
            CONTAINER,
            "bbox3",
            urn(CONTAINER, "bbox3"),
            _container(
                "bbox3",
                "static",
                "bbox3",
                networksAdvanced=[
                    {"name": "my_net2", "ipv4Address": "172.22.16.8", "ipv6Address": "fd00:16::8"}
                ],
            ),
            dependencies=(bbox1,),
        ),
        Resource(
            CONTAINER,
            "data-db",
            urn(CONTAINER, "data-db"),
            _container(
                "db",
                "dns-member",
                "data",
                envs=["POSTGRES_HOST_AUTH_METHOD=trust", "POSTGRES_USER=postgres"],
                healthcheck={"tests": ["CMD", "pg_isready", "-U", "postgres"], "retries": 5.0},
                networksAdvanced=[{"name": "backend", "ipv4Address": "172.22.17.20"}],
            ),
        ),
        Resource(
            CONTAINER,
            "data-api",
            urn(CONTAINER, "data-api"),
            _container(
                "api",
                "dns-member",
                "data",
                command=["sh", "-c", "exec whoami --port 80"],
                envs=["DB_HOST=db", "DB_PORT=5432"],
                networksAdvanced=[{"name": "backend", "aliases": ["api.internal"]}],
            ),
        ),
        Resource(
            CONTAINER,
            "web-web1",
            web1,
            _container(
                "web1",
                "joined-owner",
                "web",
                image=HTTPD,
                ports=[
                    {"internal": 80.0, "external": 8080.0, "ip": "127.0.0.1", "protocol": "tcp"}
                ],
                networksAdvanced=[{"name": "my_net2", "aliases": ["www"]}],
            ),
        ),
        Resource(
            CONTAINER,
            "web-web1-shell",
            urn(CONTAINER, "web-web1-shell"),
            _container(
                "web1-shell",
                "joined-sidecar",
                "web",
                networkMode="container:web1",
                command=["wget", "-qO-", "http://127.0.0.1:80/"],
                envs=["UPSTREAM=http://bbox1:80"],
            ),
            dependencies=(web1,),
        ),
        Resource(
            CONTAINER,
            "web-web1-monitor",
            urn(CONTAINER, "web-web1-monitor"),
            _container(
                "web1-monitor",
                "joined-sidecar",
                "web",
                networkMode="container:web1",
                command=["tcpdump", "-i", "any", "-w", "/dev/null"],
                capabilities={"adds": list(MONITOR_CAPABILITIES), "drops": ["ALL"]},
                labels=_labels("joined-sidecar", "web", **{LABEL_PRESET: PRESET_MONITOR}),
            ),
            dependencies=(web1,),
        ),
    ]
    return copy.deepcopy(resources)


def named(resources: Sequence[Resource], name: str) -> Resource:
    """The resource with this logical name."""
    for resource in resources:
        if resource.name == name:
            return resource
    raise KeyError(name)


Mutation = Callable[[dict[str, Any]], None]


def mutated(
    resources: Sequence[Resource], name: str, change: Mutation, **fields: Any
) -> list[Resource]:
    """A copy of `resources` where `change` edits the props of the resource `name`.

    `fields` replaces other attributes of that resource (e.g. `dependencies=()`).
    """
    result: list[Resource] = []
    for resource in resources:
        if resource.name == name:
            props = copy.deepcopy(dict(resource.props))
            change(props)
            result.append(replace(resource, props=props, **fields))
        else:
            result.append(resource)
    return result


def set_field(path: str, value: Any) -> Mutation:
    """A mutation that sets one field, addressed as `networksAdvanced.0.name`."""

    def change(props: dict[str, Any]) -> None:
        target: Any = props
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        last = parts[-1]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def drop_field(key: str) -> Mutation:
    """A mutation that removes one top-level field."""

    def change(props: dict[str, Any]) -> None:
        props.pop(key, None)

    return change


@dataclass(frozen=True)
class Case:
    """One failing case: a one-field change and what the rule must say."""

    id: str
    policy: str
    resource: str
    change: Mutation
    expected: tuple[tuple[str, str], ...]
    """(message, logical name of the resource the violation's urn names, or "")."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """The rule's config settings (without enforcementLevel)."""
    dependencies: tuple[str, ...] | None = None
    """A replacement for the resource's dependencies."""

    def resources(self) -> list[Resource]:
        """The compliant stack with this case's change."""
        extra: dict[str, Any] = {}
        if self.dependencies is not None:
            extra["dependencies"] = self.dependencies
        return mutated(compliant_stack(), self.resource, self.change, **extra)


@dataclass(frozen=True)
class DirectResult:
    """What calling `validate` directly gave."""

    violations: list[tuple[str, str]]
    """(message, urn) in order."""
    not_applicable: list[str]
    """The not-applicable reasons."""


def _policy_resources(resources: Sequence[Resource]) -> list[PolicyResource]:
    by_urn: dict[str, PolicyResource] = {}
    result: list[PolicyResource] = []
    for r in resources:
        resource = PolicyResource(
            r.type,
            unknown_checking_proxy(copy.deepcopy(dict(r.props))),
            r.urn,
            r.name,
            PolicyResourceOptions(False, [], None, [], None, [], r.parent or None),
            None,
            None,
            [],
            {},
        )
        by_urn[r.urn] = resource
        result.append(resource)
    for r, resource in zip(resources, result, strict=True):
        resource.parent = by_urn.get(r.parent)
        resource.dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
        resource.property_dependencies = {
            k: [by_urn[d] for d in v if d in by_urn] for k, v in r.property_dependencies.items()
        }
    return result


def run_direct(
    policy: Policy, resources: Sequence[Resource], config: Mapping[str, Any] | None = None
) -> DirectResult:
    """Call `policy.validate` the way the analyzer does, without the analyzer."""
    violations: list[tuple[str, str]] = []
    reasons: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        violations.append((message, urn or ""))

    def call(run: Callable[[], object]) -> None:
        try:
            run()
        except Exception as error:
            if type(error).__name__ != "_NotApplicableError":
                raise
            reasons.append(str(getattr(error, "reason", "")))

    if isinstance(policy, ResourceValidationPolicy):
        for r in resources:
            args = ResourceValidationArgs(
                r.type,
                unknown_checking_proxy(copy.deepcopy(dict(r.props))),
                r.urn,
                r.name,
                PolicyResourceOptions(False, [], None, [], None, [], None),
                None,
                dict(config or {}),
            )
            call(lambda args=args: policy.validate(args, report))
    else:
        stack_args = StackValidationArgs(_policy_resources(resources), dict(config or {}))
        call(lambda: policy.validate(stack_args, report))  # type: ignore[attr-defined]
    return DirectResult(violations, reasons)


def level_name(policy: Policy) -> str:
    """A policy's default enforcement level as the analyzer names it."""
    level = policy.enforcement_level or EnforcementLevel.ADVISORY
    return str(level.value)
