"""No rule raises, whatever shape the props take: generated props through every rule.

Props mix the wire names the rules read with nulls, floats, empty lists, wrong types, unknown
sentinels and component props. A rule may report, or say that it could not decide; it may not
raise, and the pack must never fall back to pulumi-policy's "can't run policy" note.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.rules import POLICIES
from policies.rules.vocabulary import UNKNOWN_SENTINELS
from tests.pack_client import PackClient, Resource
from tests.policies.policy_cases import CONTAINER, DNS_GROUP, JOINED_GROUP, NETWORK, run_direct
from tests.policies.security_cases import VOLUME

KEYS = [
    "auxAddress", "ipv6Address", "ipv6", "ipamDriver", "start", "tty", "stdinOpen", "image",
    "name", "networkMode", "networksAdvanced", "aliases", "ipv4Address", "macAddress",
    "ipamConfigs", "subnet", "gateway", "ipRange", "internal", "ports", "internal", "external",
    "ip", "publishAllPorts", "hostname", "domainname", "dns", "dnsOpts", "dnsSearches", "hosts",
    "host", "mustRun", "restart", "capabilities", "adds", "labels", "label", "value", "volumes",
    "hostPath", "mounts", "source", "privileged", "command", "entrypoints", "envs",
    "healthcheck", "tests", "network", "members", "owner", "sidecars", "id",
    "volumeName", "fromContainer", "readOnly", "containerPath", "type", "target",
    "volumeOptions", "driverName", "driverOptions", "device", "o", "driver", "driverOpts",
    "devices", "deviceCgroupRules", "pidMode", "ipcMode", "usernsMode", "drops", "securityOpts",
]  # fmt: skip
INTERESTING = [
    *sorted(UNKNOWN_SENTINELS),
    "fd00::/64", "fd00::1", "172.22.16.128/25", "10.0.0.0/8", "busybox", "sh", "-c", "true",
    "-U", "CMD-SHELL", "sh -c 'ping web1", "overlay",
    "bridge", "default", "host", "none", "container:", "container:web1", "container:ghost",
    "web1", "my_net2", "10.0.0.1", "172.22.16.8", "172.22.16.0/24", "172.17.0.0/16", "::/0",
    "0.0.0.0", "/var/run/docker.sock", "monitor", "container-comms.preset", "NET_RAW",
    "SYS_ADMIN", "no", "DB_HOST=web1", "ping web1", "=", "",
    "/", "/etc", "/run/", "//var/run", "bind", "rbind,ro", "volume", "local", "/dev/sda",
    "b 7:* rwm", "ALL", "CHOWN", "FOO", "seccomp=unconfined", "seccomp=/x", "disable", "x:",
]  # fmt: skip

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(INTERESTING),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    ),
    max_leaves=12,
)
props = st.dictionaries(st.sampled_from(KEYS), values, max_size=10)
kinds = st.sampled_from(
    [CONTAINER, CONTAINER, NETWORK, DNS_GROUP, JOINED_GROUP, VOLUME, "pulumi:providers:docker"]
)


@st.composite
def stacks(draw: st.DrawFn) -> list[Resource]:
    count = draw(st.integers(0, 6))
    resources: list[Resource] = []
    for index in range(count):
        urn = f"urn:pulumi:test::container-comms::x::r{index}"
        dependencies = tuple(r.urn for r in resources if draw(st.booleans()))
        resources.append(
            Resource(draw(kinds), f"r{index}", urn, draw(props), dependencies=dependencies)
        )
    return resources


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_no_rule_raises_on_generated_props(resources: list[Resource]) -> None:
    for policy in POLICIES:
        result = run_direct(policy, resources)
        for message, _ in result.violations:
            assert isinstance(message, str)
            assert message.endswith(".")
        for reason in result.not_applicable:
            assert reason.startswith("cannot decide during preview: ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_the_pack_never_falls_back_to_cant_run(pack: PackClient, resources: list[Resource]) -> None:
    verdict = pack.analyze_all(resources)
    assert verdict.cant_run == ()
    assert all(f.level in ("advisory", "mandatory") for f in verdict.findings)


def test_unknown_network_mode_is_reported_as_undecided(pack: PackClient) -> None:
    sentinel: Any = sorted(UNKNOWN_SENTINELS)[0]
    resource = Resource(
        CONTAINER,
        "probe",
        "urn:pulumi:test::container-comms::docker:index/container:Container::probe",
        {"name": "probe", "networkMode": sentinel, "ports": [{"internal": 80.0}]},
    )
    verdict = pack.analyze_all([resource])
    assert verdict.cant_run == ()
    assert (
        "docker-container-disallow-options-with-joined-network",
        'cannot decide during preview: the network mode of container "probe" is unknown until '
        "the update; the rule decides when the update runs",
    ) in verdict.not_applicable
