"""Proofs 3 and 4: each rule of the policy pack matches what the real engine does.

For every mandatory rule, a minimal configuration that violates it is flagged by the pack's own
analyzer (at the mandatory level) and, realized on the engine the way the provider would, is
refused with the exact message the rule pre-empts; or, for the DNS rules, is accepted and then
provably broken. For the advisory rules whose hazard the engine can show, the pack flags the
configuration (advisory) and the engine accepts it without the effect the configuration asks
for. Every compliant variant (the fix the violation message suggests) passes the pack without a
mandatory finding, realizes, and communicates.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import docker
import pytest

from plan import Registration
from tests.engine.conftest import stack_plan
from tests.engine.netns import EngineNetns
from tests.engine.probes import container, eventually, network, sh, sh_until
from tests.engine.realize import EngineRefused, Realization

pytestmark = pytest.mark.engine

analyzer_module = pytest.importorskip("policies.analyzer", reason="the policy pack is not there")

# A proof about a realization; the engine's network namespace is where a client of its
# published ports runs.
Check = Callable[[Realization, EngineNetns], None]


@dataclass(frozen=True)
class Case:
    """A configuration, what the pack says about it, and what the engine does with it."""

    rule: str
    """The pack's policy name."""
    resources: Callable[[str], list[Registration]]
    """The registrations, given the default bridge's subnet."""
    step: str = ""
    """For a refusal: the step the engine refuses (`container create`, `connect to x`, ...)."""
    message: str = ""
    """For a refusal: the engine's exact message (a prefix when it ends with an id)."""
    prefix: bool = False
    """`message` is a prefix (the rest names an id)."""
    check: Check | None = None
    """For an accepted configuration: proof that it has no effect or is broken."""
    level: str = "mandatory"
    """The level the pack reports it at."""
    fix: Callable[[str], list[Registration]] | None = None
    """The compliant variant."""
    fix_check: Check | None = None
    """Proof that the compliant variant communicates."""
    id: str = field(default="")


def _verdict(resources: list[Registration]) -> Any:
    inputs, outputs = analyzer_module.resources_from_plan(resources)
    return analyzer_module.build_analyzer().analyze_all(inputs, outputs)


def _kept(name: str, **inputs: Any) -> Registration:
    """A container the pack considers kept running: mustRun and a restart policy."""
    return container(name, mustRun=True, restart="unless-stopped", **inputs)


def _user_net(name: str, subnet: str, **inputs: Any) -> Registration:
    return network(name, driver="bridge", ipamConfigs=[{"subnet": subnet}], **inputs)


def _on(net: Registration, address: str | None = None, aliases: list[str] | None = None) -> Any:
    entry: dict[str, Any] = {"name": net.inputs["name"]}
    if address:
        entry["ipv4Address"] = address
    if aliases:
        entry["aliases"] = aliases
    return [entry]


def _ping(source: str, target: str) -> Check:
    def check(r: Realization, _netns: EngineNetns) -> None:
        sh_until(r.container(source), f"ping -c 1 -W 2 {target}")

    return check


def _joined(owner: str, **sidecar_inputs: Any) -> Callable[[str], list[Registration]]:
    def resources(_bridge: str) -> list[Registration]:
        own = _kept(owner, image="httpd:latest", command=None)
        side = _kept(f"{owner}-side", networkMode=f"container:{owner}", depends_on=(own,))
        side = replace(side, inputs={**side.inputs, **sidecar_inputs})
        return [own, side]

    return resources


def _fetches_owner_page(owner: str) -> Check:
    def check(r: Realization, _netns: EngineNetns) -> None:
        sh_until(
            r.container(f"{owner}-side"),
            "wget -qO- http://127.0.0.1/",
            lambda code, page: code == 0 and "It works!" in page,
        )

    return check


def _bridge_address(bridge: str, host: int) -> str:
    return str(ipaddress.ip_network(bridge)[host])


def _static_pair(subnet: str, first: str, second: str) -> list[Registration]:
    net = _user_net("rules_net", subnet)
    one = _kept("rules_one", networksAdvanced=_on(net, first), depends_on=(net,))
    two = _kept("rules_two", networksAdvanced=_on(net, second), depends_on=(net, one))
    return [net, one, two]


# -- accepted-but-ineffective checks ----------------------------------------------------------


def _names_do_not_resolve(r: Realization, _netns: EngineNetns) -> None:
    def answered() -> str:
        logs = str(r.container("dns_bb").logs().decode())
        assert "bad address" in logs, f"dns_bb's log so far: {logs!r}"
        return logs

    logs = eventually(answered, what="dns_bb pinging dns_aa by name")
    assert "ping: bad address 'dns_aa'" in logs, logs
    assert r.container("dns_bb").status == "running", "accepted: the container runs"


def _sidecar_network_ignored(r: Realization, _netns: EngineNetns) -> None:
    side = r.container("jn_own-side")
    owner = r.container("jn_own")
    # The engine recorded the attachment, yet the sidecar has only the owner's interfaces.
    assert "jn_net" in side.attrs["NetworkSettings"]["Networks"]
    assert "jn_net" not in owner.attrs["NetworkSettings"]["Networks"]
    assert sh(side, "ip -o addr") == sh(owner, "ip -o addr")
    assert "10.71.0." not in sh(side, "ip -o addr")[1]


def _ignored_in_joined(marker: str) -> Check:
    def check(r: Realization, _netns: EngineNetns) -> None:
        side = r.container("ig_own-side")
        owner = r.container("ig_own")
        view = "cat /etc/resolv.conf; cat /proc/sys/kernel/domainname; hostname"
        assert sh(side, view) == sh(owner, view)
        assert marker not in sh(side, view)[1]

    return check


def _duplicate_name_is_ambiguous(r: Realization, _netns: EngineNetns) -> None:
    addresses = {
        r.container(n).attrs["NetworkSettings"]["Networks"]["dup_net"]["IPAddress"]
        for n in ("dup_a", "dup_b")
    }

    def both_answer() -> None:
        code, out = sh(r.container("dup_probe"), "nslookup svc 127.0.0.11")
        assert code == 0, out
        lines = out.splitlines()[2:]
        answered = {line.split()[-1] for line in lines if line.startswith("Address")}
        assert answered == addresses, f"expected {sorted(addresses)}: {out}"

    eventually(both_answer, what="dup_probe looking up svc")


def _published_port_dead(r: Realization, netns: EngineNetns) -> None:
    attrs = r.container("int_web").attrs
    assert attrs["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18081"}]
    }
    # The server itself runs...
    sh_until(
        r.container("int_web"),
        "wget -qO- http://127.0.0.1/",
        lambda code, page: code == 0 and "It works!" in page,
    )
    # ...yet its published port, on the engine's side, gives nothing.
    fetched = netns.fetch("http://127.0.0.1:18081/")
    assert fetched.page is None, f"the published port answers: {fetched.page!r}"


def _internal_with_ports(internal: bool) -> Callable[[str], list[Registration]]:
    def resources(_bridge: str) -> list[Registration]:
        net = _user_net("int_net", "10.72.0.0/24", internal=internal)
        web = _kept(
            "int_web",
            image="httpd:latest",
            command=None,
            networksAdvanced=_on(net),
            ports=[{"internal": 80.0, "external": 18081.0, "ip": "127.0.0.1", "protocol": "tcp"}],
            depends_on=(net,),
        )
        return [net, web]

    return resources


def _published_port_answers(_r: Realization, netns: EngineNetns) -> None:
    def fetch() -> None:
        fetched = netns.fetch("http://127.0.0.1:18081/")
        assert fetched.page is not None and "It works!" in fetched.page, fetched

    eventually(fetch, what=f"GET http://127.0.0.1:18081/ in {netns.name}")


# -- the cases ---------------------------------------------------------------------------------

_SUB = "10.70.0.0/24"

CASES = [
    Case(
        id="static-ip-on-default-bridge",
        rule="docker-container-disallow-static-ip-on-predefined-network",
        resources=lambda br: [
            _kept(
                "sp_one",
                networksAdvanced=[{"name": "bridge", "ipv4Address": _bridge_address(br, 50)}],
            )
        ],
        step="connect to bridge",
        message="user specified IP address is supported on user defined networks only",
        fix=lambda _br: _static_pair(_SUB, "10.70.0.50", "10.70.0.51"),
        fix_check=_ping("rules_two", "10.70.0.50"),
    ),
    Case(
        id="static-ip-without-subnet",
        rule="docker-container-require-subnet-for-static-ip",
        resources=lambda _br: [
            network("nosub_net", driver="bridge"),
            _kept("ns_one", networksAdvanced=[{"name": "nosub_net", "ipv4Address": "10.70.0.5"}]),
        ],
        step="connect to nosub_net",
        message=(
            "user specified IP address is supported only when connecting to networks with user "
            "configured subnets"
        ),
        fix=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.70.0.6"),
        fix_check=_ping("rules_one", "10.70.0.6"),
    ),
    Case(
        id="static-ip-outside-subnet",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.9.9.9"),
        step="container start",
        message="Invalid address 10.9.9.9: It does not belong to any of this network's subnets",
        fix=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.70.0.9"),
        fix_check=_ping("rules_one", "10.70.0.9"),
    ),
    Case(
        id="static-ip-is-gateway",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.70.0.1"),
        step="container start",
        message="Address already in use",
    ),
    Case(
        id="static-ip-is-network-address",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.70.0.0"),
        step="container start",
        message="Address already in use",
    ),
    Case(
        id="static-ip-is-broadcast-address",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.70.0.255"),
        step="container start",
        message="Address already in use",
    ),
    Case(
        id="static-ip-used-twice",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: _static_pair(_SUB, "10.70.0.5", "10.70.0.5"),
        step="container start",
        message="Address already in use",
    ),
    Case(
        id="alias-on-default-bridge",
        rule="docker-container-disallow-alias-on-predefined-network",
        resources=lambda _br: [
            _kept("al_one", networksAdvanced=[{"name": "bridge", "aliases": ["svc"]}])
        ],
        step="connect to bridge",
        message="network-scoped alias is supported only for containers in user defined networks",
        fix=lambda _br: [
            net := _user_net("al_net", _SUB),
            _kept("al_one", networksAdvanced=_on(net, aliases=["svc"]), depends_on=(net,)),
            _kept("al_two", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        fix_check=_ping("al_two", "svc"),
    ),
    *[
        Case(
            id=f"joined-with-{what}",
            rule="docker-container-disallow-options-with-joined-network",
            resources=_joined("jo_own", **cast(dict[str, Any], inputs)),
            step="container create",
            message=message,
            fix=_joined("jo_own"),
            fix_check=_fetches_owner_page("jo_own"),
        )
        for what, inputs, message in [
            (
                "ports",
                {"ports": [{"internal": 8080.0, "ip": "127.0.0.1"}]},
                "conflicting options: port publishing and the container type network mode",
            ),
            (
                "publish-all-ports",
                {"publishAllPorts": True},
                "conflicting options: port publishing and the container type network mode",
            ),
            (
                "hostname",
                {"hostname": "side"},
                "conflicting options: hostname and the network mode",
            ),
            ("dns", {"dns": ["10.70.0.53"]}, "conflicting options: dns and the network mode"),
            (
                "hosts",
                {"hosts": [{"host": "db", "ip": "10.70.0.7"}]},
                "conflicting options: custom host-to-IP mapping and the network mode",
            ),
        ]
    ],
    Case(
        id="joined-with-no-name",
        rule="docker-container-disallow-options-with-joined-network",
        resources=lambda _br: [_kept("nn_side", networkMode="container:")],
        step="container create",
        message="Invalid network mode: invalid container format container:<name|id>",
    ),
    Case(
        id="joined-with-networks",
        rule="docker-container-disallow-options-with-joined-network",
        resources=lambda _br: [
            net := _user_net("jn_net", "10.71.0.0/24"),
            *_joined("jn_own", networksAdvanced=_on(net))(_br),
        ],
        check=_sidecar_network_ignored,
    ),
    Case(
        id="invalid-container-name",
        rule="docker-container-enforce-valid-name",
        resources=lambda _br: [_kept("a")],
        step="container create",
        message="Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
        fix=lambda _br: [_kept("aa")],
    ),
    Case(
        id="duplicate-container-name",
        rule="docker-container-disallow-duplicate-name",
        resources=lambda _br: [
            _kept("dd_one"),
            replace(_kept("dd_one"), urn=_kept("dd_one").urn + "-again", name="dd_one-again"),
        ],
        step="container create",
        message='Conflict. The container name "/dd_one" is already in use by container "',
        prefix=True,
    ),
    Case(
        id="overlapping-subnets",
        rule="docker-network-disallow-overlapping-subnets",
        resources=lambda _br: [
            _user_net("ov_one", "10.73.0.0/24"),
            _user_net("ov_two", "10.73.0.0/16"),
        ],
        step="network create",
        message="Pool overlaps with other one on this address space",
        fix=lambda _br: [_user_net("ov_one", "10.73.0.0/24"), _user_net("ov_two", "10.74.0.0/16")],
    ),
    Case(
        id="join-target-not-in-stack",
        rule="docker-container-require-running-join-target",
        resources=lambda _br: [_kept("gh_side", networkMode="container:ghost")],
        step="container start",
        message="No such container: ghost",
    ),
    Case(
        id="join-target-not-kept-running",
        rule="docker-container-require-running-join-target",
        resources=lambda _br: [
            own := container("st_own", command=["true"], mustRun=False),
            _kept("st_side", networkMode="container:st_own", depends_on=(own,)),
        ],
        step="container start",
        message="cannot join network of a non running container: ",
        prefix=True,
        fix=_joined("st_own"),
        fix_check=_fetches_owner_page("st_own"),
    ),
    Case(
        id="names-on-default-bridge",
        rule="docker-container-require-shared-network-for-dns",
        resources=lambda _br: [
            _kept("dns_aa"),
            _kept("dns_bb", command=["sh", "-c", "while :; do ping -c 1 dns_aa; sleep 1; done"]),
        ],
        check=_names_do_not_resolve,
        fix=lambda _br: [
            net := _user_net("dns_net", _SUB),
            _kept("dns_aa", networksAdvanced=_on(net), depends_on=(net,)),
            _kept(
                "dns_bb",
                command=["sh", "-c", "while :; do ping -c 1 dns_aa; sleep 1; done"],
                networksAdvanced=_on(net),
                depends_on=(net,),
            ),
        ],
        fix_check=_ping("dns_bb", "dns_aa"),
    ),
    Case(
        id="dns-group-on-default-bridge",
        rule="docker-dns-group-require-user-defined-network",
        resources=lambda _br: [
            group := Registration(
                urn="urn:pulumi:engine::proof::container-comms:index:DnsGroup::pair",
                type="container-comms:index:DnsGroup",
                name="pair",
                custom=False,
                parent="",
                inputs={"network": "bridge"},
            ),
            replace(_kept("dns_aa"), parent=group.urn),
            replace(
                _kept(
                    "dns_bb", command=["sh", "-c", "while :; do ping -c 1 dns_aa; sleep 1; done"]
                ),
                parent=group.urn,
            ),
        ],
        check=_names_do_not_resolve,
    ),
    # Advisory rules whose hazard the engine shows.
    *[
        Case(
            id=f"joined-with-{what}",
            rule="docker-container-disallow-ignored-options-with-joined-network",
            level="advisory",
            resources=_joined("ig_own", **cast(dict[str, Any], inputs)),
            check=_ignored_in_joined(marker),
        )
        for what, inputs, marker in [
            ("domainname", {"domainname": "corp.example"}, "corp.example"),
            ("dns-searches", {"dnsSearches": ["search.example"]}, "search.example"),
            ("dns-opts", {"dnsOpts": ["ndots:7"]}, "ndots:7"),
        ]
    ],
    Case(
        id="sidecar-created-before-its-owner",
        rule="docker-container-require-dependency-on-join-target",
        level="advisory",
        resources=lambda _br: [
            _kept("or_side", networkMode="container:or_own"),
            _kept("or_own", image="httpd:latest", command=None),
        ],
        step="container start",
        message="No such container: or_own",
    ),
    Case(
        id="static-ip-in-ip-range",
        rule="docker-container-disallow-static-ip-in-ip-range",
        level="advisory",
        resources=lambda _br: [
            net := network(
                "rg_net",
                driver="bridge",
                ipamConfigs=[{"subnet": _SUB, "ipRange": "10.70.0.128/25"}],
            ),
            dyn := _kept("rg_dynamic", networksAdvanced=_on(net), depends_on=(net,)),
            _kept("rg_static", networksAdvanced=_on(net, "10.70.0.128"), depends_on=(net, dyn)),
        ],
        step="container start",
        message="Address already in use",
    ),
    Case(
        id="same-dns-name-twice-on-a-network",
        rule="docker-network-disallow-duplicate-dns-name",
        level="advisory",
        resources=lambda _br: [
            net := _user_net("dup_net", _SUB),
            _kept("dup_a", networksAdvanced=_on(net, aliases=["svc"]), depends_on=(net,)),
            _kept("dup_b", networksAdvanced=_on(net, aliases=["svc"]), depends_on=(net,)),
            _kept("dup_probe", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        check=_duplicate_name_is_ambiguous,
    ),
    Case(
        id="ports-on-internal-network",
        rule="docker-container-disallow-ports-on-internal-network",
        level="advisory",
        resources=_internal_with_ports(True),
        check=_published_port_dead,
        fix=_internal_with_ports(False),
        fix_check=_published_port_answers,
    ),
]

ENGINE_PROVEN = {case.rule for case in CASES}


@pytest.fixture(scope="module")
def bridge_subnet(engine: docker.DockerClient) -> str:
    return str(engine.networks.get("bridge").attrs["IPAM"]["Config"][0]["Subnet"])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_matches_the_engine(
    case: Case,
    bridge_subnet: str,
    realize: Callable[[], Realization],
    engine_netns: EngineNetns,
) -> None:
    resources = case.resources(bridge_subnet)
    verdict = _verdict(resources)
    flagged = [f for f in verdict.findings if f.policy == case.rule]
    assert flagged, f"the pack does not flag {case.id}: {verdict.findings}"
    assert {f.level for f in flagged} == {case.level}, flagged

    realization = realize()
    if case.check is not None:
        realization.apply(resources)
        case.check(realization, engine_netns)
        return
    with pytest.raises(EngineRefused) as refused:
        realization.apply(resources)
    assert refused.value.step == case.step, refused.value
    if case.prefix:
        assert refused.value.message.startswith(case.message), refused.value.message
    else:
        assert refused.value.message == case.message
    if case.step in ("container start", "connect to bridge") or case.step.startswith("connect"):
        # Created, never started: the deployment stops half-way with a dead container left.
        refused_container = realization.container(_engine_name(resources, refused.value.resource))
        assert refused_container.status == "created"


def _engine_name(resources: list[Registration], resource: str) -> str:
    reg = next(r for r in resources if r.name == resource)
    return str(reg.inputs.get("name") or reg.name)


FIXES = [c for c in CASES if c.fix is not None]


@pytest.mark.parametrize("case", FIXES, ids=[c.id for c in FIXES])
def test_fix_passes_the_pack_realizes_and_communicates(
    case: Case,
    bridge_subnet: str,
    realize: Callable[[], Realization],
    engine_netns: EngineNetns,
) -> None:
    assert case.fix is not None
    resources = case.fix(bridge_subnet)
    verdict = _verdict(resources)
    assert not verdict.mandatory, verdict.mandatory
    assert not [f for f in verdict.findings if f.policy == case.rule], verdict.findings
    realization = realize()
    realization.apply(resources)
    for name in realization.containers:
        assert realization.container(name).status == "running"
    if case.fix_check is not None:
        case.fix_check(realization, engine_netns)


@pytest.mark.parametrize("stack", ["dev", "prod", "app"])
def test_stacks_the_engine_proofs_realize_pass_the_pack(stack: str) -> None:
    plan = stack_plan(stack)
    verdict = _verdict(plan.resources)
    assert not verdict.mandatory, verdict.mandatory
