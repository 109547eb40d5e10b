"""Proofs 3 and 4: each rule of the policy pack matches what the real engine does.

For every mandatory rule, a minimal configuration that violates it is flagged by the pack (at
the mandatory level, asked as the offline gate asks it) and, realized on the engine the way the
provider would, is refused with the exact message the rule pre-empts; or, for the DNS rules, is
accepted and then provably broken. For the advisory rules whose hazard the engine can show, the
pack flags the configuration (advisory) and the engine accepts it without the effect the
configuration asks for. Every compliant variant (the fix the violation message suggests) passes
the pack without a mandatory finding, realizes, and communicates.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import time
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
from tests.pack_client import PackClient, Verdict

pytestmark = pytest.mark.engine

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


def _verdict(pack: PackClient, resources: list[Registration]) -> Verdict:
    """The pack's verdict on what the engine does: the hygiene advice is left out."""
    return pack.check(resources).without_hygiene()


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
        code, out = sh(r.container("dup_probe"), "nslookup dup_b 127.0.0.11")
        assert code == 0, out
        lines = out.splitlines()[2:]
        answered = {line.split()[-1] for line in lines if line.startswith("Address")}
        assert answered == addresses, f"expected {sorted(addresses)}: {out}"

    eventually(both_answer, what="dup_probe looking up dup_b")


def _trailing_dot_alias_never_answers(r: Realization, _netns: EngineNetns) -> None:
    aliases = r.container("ad_one").attrs["NetworkSettings"]["Networks"]["ad_net"]["Aliases"]
    assert "svc." in aliases, aliases  # accepted and recorded as given
    probe = r.container("ad_two")
    lookup = "nslookup -timeout=2 -retry=1 {} 127.0.0.11"
    # The embedded DNS server knows ad_one: its other alias answers (with or without the dot)...
    for name in ("ad_plain", "ad_plain."):
        sh_until(probe, lookup.format(name), context=f"looking up {name}")
    # ...and the alias with the trailing dot answers under neither spelling: the server passes
    # the query on to the engine's upstream resolver, which has no answer.
    for name in ("svc", "svc."):
        assert sh(probe, lookup.format(name)) == (
            1,
            ";; connection timed out; no servers could be reached",
        )


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


def _ipam_net(name: str, **ipam: Any) -> Registration:
    """A bridge network with one ipamConfigs entry."""
    return network(name, driver="bridge", ipamConfigs=[ipam])


def _address_on(r: Realization, name: str, net: str) -> str:
    return str(r.container(name).attrs["NetworkSettings"]["Networks"][net]["IPAddress"])


def _dynamic_from_the_subnets_own_range(r: Realization, _netns: EngineNetns) -> None:
    address = ipaddress.ip_address(_address_on(r, "ir_dyn", "ir_net"))
    # The engine took the host part of 10.81.0.128/25: its gateway .128, then .129.
    assert address == ipaddress.ip_address("10.80.0.129"), address
    assert address not in ipaddress.ip_network("10.81.0.128/25")


def _no_ipv6_address(r: Realization, _netns: EngineNetns) -> None:
    assert r.networks["v6_net"].attrs["EnableIPv6"] is False
    settings = r.container("v6_one").attrs["NetworkSettings"]["Networks"]["v6_net"]
    assert settings["IPAddress"] == "10.82.0.5"
    assert settings["GlobalIPv6Address"] == ""
    code, out = sh(r.container("v6_one"), "ip -6 addr show scope global")
    assert code == 0 and "fd00:82::" not in out, out


def _has_ipv6_address(r: Realization, _netns: EngineNetns) -> None:
    settings = r.container("v6_one").attrs["NetworkSettings"]["Networks"]["v6_net"]
    assert settings["GlobalIPv6Address"] == "fd00:82::5", settings
    sh_until(r.container("v6_two"), "ping -c 1 -W 2 fd00:82::5")


def _ipv6_net(ipv6: bool) -> Callable[[str], list[Registration]]:
    def resources(_bridge: str) -> list[Registration]:
        net = network(
            "v6_net",
            driver="bridge",
            ipv6=ipv6,
            ipamConfigs=[{"subnet": "10.82.0.0/24"}, {"subnet": "fd00:82::/64"}],
        )
        one = _kept(
            "v6_one",
            networksAdvanced=[
                {"name": "v6_net", "ipv4Address": "10.82.0.5", "ipv6Address": "fd00:82::5"}
            ],
            depends_on=(net,),
        )
        two = _kept("v6_two", networksAdvanced=_on(net), depends_on=(net,))
        return [net, one, two]

    return resources


def _owner_crash(owner: str, sidecar: str, *, comes_back: bool) -> Check:
    """The sidecar works; then the owner's process dies (as in a host restart) and the sidecar
    is started again, as the engine does after a restart."""

    def check(r: Realization, netns: EngineNetns) -> None:
        _fetches_owner_page(owner)(r, netns)
        first_pid = r.container(owner).attrs["State"]["Pid"]
        os.kill(first_pid, signal.SIGKILL)  # the engine's own container process

        def stopped() -> None:
            state = r.container(owner).attrs["State"]
            assert state["Pid"] != first_pid, f"still running: {state}"

        eventually(stopped, what=f"{owner} stopping after SIGKILL")
        if comes_back:

            def restarted() -> None:
                state = r.container(owner).attrs["State"]
                assert state["Running"] and state["Pid"] not in (0, first_pid), state

            eventually(restarted, what=f"the engine restarting {owner}")
        else:
            time.sleep(2)  # the engine's first restart attempt would come after 100 ms
            state = r.container(owner).attrs["State"]
            assert not state["Running"] and state["Restarting"] is False, state
        api = r.client.api
        side = r.container(sidecar)
        api.stop(side.id, timeout=1)
        if comes_back:
            api.start(side.id)
            _fetches_owner_page(owner)(r, netns)
            return
        with pytest.raises(docker.errors.APIError) as refused:
            api.start(side.id)
        explanation = refused.value.explanation
        message = explanation.decode() if isinstance(explanation, bytes) else str(explanation)
        owner_id = r.container(owner).id
        assert message == f"cannot join network of a non running container: {owner_id}"

    return check


def _owner_with_restart(owner: str, restart: str) -> Callable[[str], list[Registration]]:
    def resources(_bridge: str) -> list[Registration]:
        own = container(owner, image="httpd:latest", command=None, mustRun=True, restart=restart)
        side = _kept(f"{owner}-side", networkMode=f"container:{owner}", depends_on=(own,))
        return [own, side]

    return resources


def _one_network(ipam: dict[str, Any]) -> Callable[[str], list[Registration]]:
    return lambda _bridge: [_ipam_net("ip_net", **ipam)]


def _attached(mode: str | None, names: list[str]) -> Callable[[str], list[Registration]]:
    """A container in network mode `mode` attached to `names` ("NET": a user-defined one)."""

    def resources(_bridge: str) -> list[Registration]:
        net = _user_net("at_net", "10.85.0.0/24")
        one = _kept(
            "at_one",
            **({"networkMode": mode} if mode else {}),
            networksAdvanced=[{"name": "at_net" if n == "NET" else n} for n in names],
            depends_on=(net,),
        )
        return [net, one]

    return resources


def _owner_and_sidecar(owner: dict[str, Any]) -> Callable[[str], list[Registration]]:
    def resources(_bridge: str) -> list[Registration]:
        own = container("st_own", **owner)
        return [own, _kept("st_side", networkMode="container:st_own", depends_on=(own,))]

    return resources


def _started_after_a_dynamic_one(address: str) -> list[Registration]:
    net = network(
        "rg_net",
        driver="bridge",
        ipamConfigs=[{"subnet": _SUB, "gateway": "10.70.0.1", "ipRange": "10.70.0.128/25"}],
    )
    dynamic = _kept("rg_dynamic", networksAdvanced=_on(net), depends_on=(net,))
    static = _kept("rg_static", networksAdvanced=_on(net, address), depends_on=(net, dynamic))
    return [net, dynamic, static]


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
        rule="docker-container-disallow-ignored-options-with-joined-network",
        level="advisory",
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
    *[
        Case(
            id=f"ipam-{what}",
            rule="docker-network-enforce-valid-ipam-config",
            resources=_one_network(cast(dict[str, Any], ipam)),
            step="network create",
            message=message,
            fix=lambda _br: [
                net := _ipam_net(
                    "ip_net",
                    subnet="10.80.0.0/24",
                    gateway="10.80.0.1",
                    ipRange="10.80.0.128/25",
                    auxAddress={"router": "10.80.0.254"},
                ),
                _kept("ip_one", networksAdvanced=_on(net, "10.80.0.10"), depends_on=(net,)),
                _kept("ip_two", networksAdvanced=_on(net), depends_on=(net,)),
            ],
            fix_check=_ping("ip_two", "10.80.0.10"),
        )
        for what, ipam, message in [
            (
                "subnet-not-cidr",
                {"subnet": "10.80.0.0/33"},
                "Invalid subnet 10.80.0.0/33 : invalid CIDR address: 10.80.0.0/33",
            ),
            (
                "gateway-outside-subnet",
                {"subnet": "10.80.0.0/24", "gateway": "10.81.0.1"},
                "failed to allocate gateway (10.81.0.1): Requested address is out of range",
            ),
            (
                "gateway-is-broadcast-address",
                {"subnet": "10.80.0.0/24", "gateway": "10.80.0.255"},
                "failed to allocate gateway (10.80.0.255): Address already in use",
            ),
            (
                "gateway-not-an-address",
                {"subnet": "10.80.0.0/24", "gateway": "router"},
                "invalid gateway address router in Ipam configuration",
            ),
            (
                "ip-range-not-cidr",
                {"subnet": "10.80.0.0/24", "ipRange": "10.80.0.128"},
                'failed to parse pool request for address space "LocalDefault" pool '
                '"10.80.0.0/24" subpool "10.80.0.128": Invalid Address SubPool',
            ),
            (
                "aux-is-the-gateway",
                {"subnet": "10.80.0.0/24", "auxAddress": {"router": "10.80.0.1"}},
                "failed to allocate secondary ip address (router:10.80.0.1): Address already in "
                "use",
            ),
            (
                "aux-is-the-gateway-of-ip-range",
                {
                    "subnet": "10.80.0.0/24",
                    "ipRange": "10.80.0.128/25",
                    "auxAddress": {"router": "10.80.0.128"},
                },
                "failed to allocate secondary ip address (router:10.80.0.128): Address already "
                "in use",
            ),
        ]
    ],
    Case(
        id="ipam-two-ipv4-subnets",
        rule="docker-network-enforce-valid-ipam-config",
        resources=lambda _br: [
            network(
                "ip_net",
                driver="bridge",
                ipamConfigs=[{"subnet": "10.80.0.0/24"}, {"subnet": "10.81.0.0/24"}],
            )
        ],
        step="network create",
        message="bridge driver doesn't support multiple subnets",
    ),
    Case(
        id="ipam-ipv6-without-ipv6-subnet",
        rule="docker-network-enforce-valid-ipam-config",
        resources=lambda _br: [
            network("ip_net", driver="bridge", ipv6=True, ipamConfigs=[{"subnet": "10.80.0.0/24"}])
        ],
        step="network create",
        message=(
            "could not find an available, non-overlapping IPv6 address pool among the defaults "
            "to assign to the network"
        ),
        fix=_ipv6_net(True),
        fix_check=_has_ipv6_address,
    ),
    Case(
        id="two-networks-one-name",
        rule="docker-network-disallow-duplicate-name",
        resources=lambda _br: [
            first := _user_net("dn_net", "10.83.0.0/24"),
            replace(
                _user_net("dn_net", "10.84.0.0/24"),
                urn=first.urn + "-again",
                name="dn_net-again",
            ),
        ],
        step="network create",
        message="network with name dn_net already exists",
        fix=lambda _br: [_user_net("dn_net", "10.83.0.0/24"), _user_net("dn_two", "10.84.0.0/24")],
    ),
    Case(
        id="network-named-bridge",
        rule="docker-network-disallow-duplicate-name",
        resources=lambda _br: [_user_net("bridge", "10.83.0.0/24")],
        step="network create",
        message="operation is not permitted on predefined bridge network ",
    ),
    Case(
        # Engines from 25 refuse it; 20.10 accepts it and takes another range than asked.
        id="ip-range-outside-subnet",
        rule="docker-network-enforce-valid-ipam-config",
        resources=lambda _br: [
            net := _ipam_net("ir_net", subnet="10.80.0.0/24", ipRange="10.81.0.128/25"),
            _kept("ir_dyn", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        check=_dynamic_from_the_subnets_own_range,
    ),
    Case(
        id="ipv6-on-a-network-without-ipv6",
        rule="docker-network-disallow-ignored-ip-settings",
        level="advisory",
        resources=_ipv6_net(False),
        check=_no_ipv6_address,
        fix=_ipv6_net(True),
        fix_check=_has_ipv6_address,
    ),
    Case(
        id="ipv6-address-without-ipv6-subnet",
        rule="docker-container-require-subnet-for-static-ip",
        resources=lambda _br: [
            net := _user_net("v4_net", "10.82.0.0/24"),
            _kept(
                "v4_one",
                networksAdvanced=[{"name": "v4_net", "ipv6Address": "fd00:82::5"}],
                depends_on=(net,),
            ),
        ],
        step="connect to v4_net",
        message=(
            "user specified IP address is supported only when connecting to networks with user "
            "configured subnets"
        ),
    ),
    Case(
        id="static-ip-is-aux-address",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: [
            net := _ipam_net("ax_net", subnet=_SUB, auxAddress={"router": "10.70.0.5"}),
            _kept("ax_one", networksAdvanced=_on(net, "10.70.0.5"), depends_on=(net,)),
        ],
        step="container start",
        message="Address already in use",
    ),
    Case(
        id="static-ip-is-the-gateway-of-ip-range",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: [
            net := _ipam_net("gr_net", subnet=_SUB, ipRange="10.70.0.128/25"),
            _kept("gr_one", networksAdvanced=_on(net, "10.70.0.128"), depends_on=(net,)),
        ],
        step="container start",
        message="Address already in use",
        # Without a gateway the engine takes the first address of ipRange, so .1 is free.
        fix=lambda _br: [
            net := _ipam_net("gr_net", subnet=_SUB, ipRange="10.70.0.128/25"),
            _kept("gr_one", networksAdvanced=_on(net, "10.70.0.1"), depends_on=(net,)),
            _kept("gr_two", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        fix_check=_ping("gr_two", "10.70.0.1"),
    ),
    Case(
        id="static-ipv6-outside-subnet",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda _br: [
            net := network(
                "s6_net",
                driver="bridge",
                ipv6=True,
                ipamConfigs=[{"subnet": "10.82.0.0/24"}, {"subnet": "fd00:82::/64"}],
            ),
            _kept(
                "s6_one",
                networksAdvanced=[{"name": "s6_net", "ipv6Address": "fd00:99::5"}],
                depends_on=(net,),
            ),
        ],
        step="container start",
        message="Invalid address fd00:99::5: It does not belong to any of this network's subnets",
    ),
    *[
        Case(
            id=f"attached-{what}",
            rule="docker-container-enforce-valid-network-attachments",
            resources=_attached(mode, names),
            step=step,
            message=message,
            # On "none" alone: accepted, the container has no network.
            fix=lambda _br: [_kept("at_one", networksAdvanced=[{"name": "none"}])],
        )
        for what, mode, names, step, message in [
            (
                "to-host",
                None,
                ["host"],
                "connect to host",
                "container cannot be disconnected from host network or connected to host network",
            ),
            (
                "to-none-and-another",
                None,
                ["NET", "none"],
                "connect to none",
                "container cannot be connected to multiple networks with one of the networks in "
                "private (none) mode",
            ),
            (
                "in-host-mode-to-another",
                "host",
                ["NET"],
                "connect to at_net",
                "container sharing network namespace with another container or host cannot be "
                "connected to any other network",
            ),
            (
                "in-none-mode-to-another",
                "none",
                ["NET"],
                "connect to at_net",
                "container cannot be connected to multiple networks with one of the networks in "
                "private (none) mode",
            ),
            ("to-default", None, ["default"], "container start", "network default not found"),
        ]
    ],
    Case(
        id="join-target-not-in-stack",
        rule="docker-container-require-running-join-target",
        resources=lambda _br: [_kept("gh_side", networkMode="container:ghost")],
        step="container start",
        message="No such container: ghost",
    ),
    *[
        Case(
            id=f"join-target-{what}",
            rule="docker-container-require-running-join-target",
            resources=_owner_and_sidecar(cast(dict[str, Any], inputs)),
            step="container start",
            message="cannot join network of a non running container: ",
            prefix=True,
            fix=_joined("st_own"),
            fix_check=_fetches_owner_page("st_own"),
        )
        for what, inputs in [
            ("whose-command-ends", {"command": ["true"], "mustRun": False}),
            ("never-started", {"image": "httpd:latest", "command": None, "start": False}),
            ("shell-without-command", {"command": None, "mustRun": False}),
        ]
    ],
    Case(
        id="join-target-not-restarted",
        rule="docker-container-require-kept-running-join-target",
        level="advisory",
        resources=_owner_with_restart("kr_own", "no"),
        check=_owner_crash("kr_own", "kr_own-side", comes_back=False),
        fix=_owner_with_restart("kr_own", "unless-stopped"),
        fix_check=_owner_crash("kr_own", "kr_own-side", comes_back=True),
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
        # The dynamic one, started first, takes the first address of ipRange (the gateway
        # is given, so it is not that).
        id="static-ip-taken-by-a-container-started-first",
        rule="docker-container-disallow-static-ip-taken-dynamically",
        resources=lambda _br: _started_after_a_dynamic_one("10.70.0.128"),
        step="container start",
        message="Address already in use",
        fix=lambda _br: _started_after_a_dynamic_one("10.70.0.127"),
        fix_check=_ping("rg_dynamic", "10.70.0.127"),
    ),
    Case(
        id="same-dns-name-twice-on-a-network",
        rule="docker-network-disallow-duplicate-dns-name",
        level="advisory",
        resources=lambda _br: [
            net := _user_net("dup_net", _SUB),
            # dup_b's name is dup_a's alias (one alias for both would be a round-robin).
            _kept("dup_a", networksAdvanced=_on(net, aliases=["dup_b"]), depends_on=(net,)),
            _kept("dup_b", networksAdvanced=_on(net), depends_on=(net,)),
            _kept("dup_probe", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        check=_duplicate_name_is_ambiguous,
    ),
    Case(
        id="alias-with-trailing-dot",
        rule="docker-container-enforce-valid-alias",
        level="advisory",
        resources=lambda _br: [
            net := _user_net("ad_net", _SUB),
            _kept(
                "ad_one", networksAdvanced=_on(net, aliases=["svc.", "ad_plain"]), depends_on=(net,)
            ),
            _kept("ad_two", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        check=_trailing_dot_alias_never_answers,
        fix=lambda _br: [
            net := _user_net("ad_net", _SUB),
            _kept("ad_one", networksAdvanced=_on(net, aliases=["svc"]), depends_on=(net,)),
            _kept("ad_two", networksAdvanced=_on(net), depends_on=(net,)),
        ],
        fix_check=_ping("ad_two", "svc"),
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
    pack: PackClient,
    case: Case,
    bridge_subnet: str,
    realize: Callable[[], Realization],
    engine_netns: EngineNetns,
) -> None:
    resources = case.resources(bridge_subnet)
    verdict = _verdict(pack, resources)
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
    pack: PackClient,
    case: Case,
    bridge_subnet: str,
    realize: Callable[[], Realization],
    engine_netns: EngineNetns,
) -> None:
    assert case.fix is not None
    resources = case.fix(bridge_subnet)
    verdict = _verdict(pack, resources)
    assert not verdict.mandatory, verdict.mandatory
    assert not [f for f in verdict.findings if f.policy == case.rule], verdict.findings
    realization = realize()
    realization.apply(resources)
    for name in realization.containers:
        assert realization.container(name).status == "running"
    if case.fix_check is not None:
        case.fix_check(realization, engine_netns)


@pytest.mark.parametrize("stack", ["dev", "prod", "app"])
def test_stacks_the_engine_proofs_realize_pass_the_pack(pack: PackClient, stack: str) -> None:
    plan = stack_plan(stack)
    verdict = _verdict(pack, plan.resources)
    assert not verdict.mandatory, verdict.mandatory


# -- what only might fail: the start order decides --------------------------------------------

MAY_BE_TAKEN = "docker-container-disallow-static-ip-in-ip-range"


def _dynamic_and_static(ip_range: str | None, *, static_first: bool) -> list[Registration]:
    """A container without a static address and one asking for the first address the engine
    would hand out, with nothing ordering them: Pulumi creates them in parallel."""
    ipam = {"subnet": "10.86.0.0/24", "gateway": "10.86.0.1"}
    if ip_range is not None:
        ipam["ipRange"] = ip_range
    net = network("rc_net", driver="bridge", ipamConfigs=[ipam])
    first = "10.86.0.2" if ip_range is None else str(ipaddress.ip_network(ip_range)[0])
    dynamic = _kept("rc_dynamic", networksAdvanced=_on(net), depends_on=(net,))
    static = _kept("rc_static", networksAdvanced=_on(net, first), depends_on=(net,))
    return [net, static, dynamic] if static_first else [net, dynamic, static]


@dataclass(frozen=True)
class Race:
    """A static address and a container without one, in no fixed order."""

    id: str
    rule: str
    """The rule that warns (advisory) about it."""
    ip_range: str | None


RACES = [
    Race(
        id="without-ip-range", rule="docker-container-disallow-static-ip-in-ip-range", ip_range=None
    ),
    Race(
        id="inside-ip-range",
        rule="docker-container-disallow-static-ip-in-ip-range",
        ip_range="10.86.0.128/25",
    ),
]


@pytest.mark.parametrize("race", RACES, ids=[r.id for r in RACES])
def test_static_ip_the_engine_may_hand_out_first(
    pack: PackClient, race: Race, realize: Callable[[], Realization]
) -> None:
    """The engine gives a container without a static address the lowest free address of the
    pool (ipRange, else the subnet): whether the static one gets its address depends on which
    starts first, which nothing fixes here, so the pack warns (advisory) and does not block."""
    ip_range = race.ip_range
    resources = _dynamic_and_static(ip_range, static_first=False)
    verdict = _verdict(pack, resources)
    assert [(f.policy, f.level) for f in verdict.findings] == [(race.rule, "advisory")]
    wanted = resources[2].inputs["networksAdvanced"][0]["ipv4Address"]

    dynamic_first = realize()
    with pytest.raises(EngineRefused) as refused:
        dynamic_first.apply(resources)
    assert (refused.value.resource, refused.value.step, refused.value.message) == (
        "rc_static",
        "container start",
        "Address already in use",
    )
    assert _address_on(dynamic_first, "rc_dynamic", "rc_net") == wanted
    dynamic_first.teardown()

    static_first = realize()
    static_first.apply(_dynamic_and_static(ip_range, static_first=True))
    assert _address_on(static_first, "rc_static", "rc_net") == wanted
    after = str(ipaddress.ip_address(wanted) + 1)
    assert _address_on(static_first, "rc_dynamic", "rc_net") == after


# -- what works passes: no false alarm ---------------------------------------------------------


@dataclass(frozen=True)
class Works:
    """A configuration the engine runs, which the pack must not block."""

    id: str
    quiet: tuple[str, ...]
    """Rules that must say nothing about it."""
    resources: Callable[[str], list[Registration]]
    check: Check
    """Proof that it works."""
    advisories: tuple[str, ...] = ()
    """The advisory findings it does get (a risk, not a failure)."""


def _healthy(name: str) -> Check:
    def check(r: Realization, _netns: EngineNetns) -> None:
        def healthy() -> None:
            health = r.container(name).attrs["State"].get("Health") or {}
            assert health.get("Status") == "healthy", health

        eventually(healthy, what=f"{name}'s healthcheck", deadline=30)

    return check


def _both_run(r: Realization, _netns: EngineNetns) -> None:
    assert _address_on(r, "ab_static", "ab_net") == "10.87.0.3"
    assert _address_on(r, "ab_dynamic", "ab_net") == "10.87.0.2"


def _static_above_the_dynamic_one(_bridge: str) -> list[Registration]:
    net = _user_net("ab_net", "10.87.0.0/24")
    dynamic = _kept("ab_dynamic", networksAdvanced=_on(net), depends_on=(net,))
    static = _kept("ab_static", networksAdvanced=_on(net, "10.87.0.3"), depends_on=(net,))
    return [net, dynamic, static]


WORKS = [
    Works(
        # `wget -U postgres` (an option's value) and `sh -c` (a program) beside containers
        # named postgres and sh on a network the client does not share; and POSTGRES_USER.
        id="option-value-and-program-beside-containers-named-like-them",
        quiet=("docker-container-require-shared-network-for-dns",),
        resources=lambda _br: [
            net := _user_net("pv_net", "10.88.0.0/24"),
            _kept("postgres", networksAdvanced=_on(net), depends_on=(net,)),
            _kept("sh", networksAdvanced=_on(net), depends_on=(net,)),
            _kept(
                "pv_client",
                image="httpd:latest",
                command=None,
                envs=["POSTGRES_USER=postgres"],
                healthcheck={
                    "tests": [
                        "CMD",
                        "sh",
                        "-c",
                        "wget -U postgres -qO- http://127.0.0.1/ | grep -q 'It works'",
                    ],
                    "interval": "1s",
                    "retries": 3.0,
                },
            ),
        ],
        check=_healthy("pv_client"),
    ),
    Works(
        # The source note's `docker run -d --name=web1 httpd`: restart "no", and it runs.
        id="owner-with-restart-no-that-runs",
        quiet=("docker-container-require-running-join-target",),
        resources=_owner_with_restart("wr_own", "no"),
        check=_fetches_owner_page("wr_own"),
        advisories=("docker-container-require-kept-running-join-target",),
    ),
    Works(
        # One container without a static address takes .2 whatever the order; .3 is safe.
        id="static-ip-above-what-the-dynamic-ones-take",
        quiet=(MAY_BE_TAKEN, "docker-container-disallow-static-ip-taken-dynamically"),
        resources=_static_above_the_dynamic_one,
        check=_both_run,
    ),
]


@pytest.mark.parametrize("case", WORKS, ids=[c.id for c in WORKS])
def test_the_pack_passes_what_the_engine_runs(
    pack: PackClient,
    case: Works,
    bridge_subnet: str,
    realize: Callable[[], Realization],
    engine_netns: EngineNetns,
) -> None:
    resources = case.resources(bridge_subnet)
    verdict = _verdict(pack, resources)
    assert not verdict.mandatory, verdict.mandatory
    assert not [f for f in verdict.findings if f.policy in case.quiet], verdict.findings
    assert sorted(f.policy for f in verdict.findings) == sorted(case.advisories)
    realization = realize()
    realization.apply(resources)
    for name in realization.containers:
        assert realization.container(name).status == "running"
    case.check(realization, engine_netns)


# -- a refusal that leaves the subnet taken ----------------------------------------------------


def _subnet_the_engine_still_gives(engine: docker.DockerClient) -> str:
    """The first 10.89.x.0/24 a network can still be made on (and is removed again)."""
    for third in range(256):
        subnet = f"10.89.{third}.0/24"
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
        try:
            made = engine.api.create_network("ax_probe", driver="bridge", ipam=ipam)
        except docker.errors.APIError as error:
            assert "Pool overlaps" in str(error.explanation), error
            continue
        engine.api.remove_network(made["Id"])
        return subnet
    raise AssertionError("no 10.89.x.0/24 subnet is free on the engine")


def test_aux_address_outside_the_subnet_is_refused(
    pack: PackClient, engine: docker.DockerClient, realize: Callable[[], Realization]
) -> None:
    """Refused at network create; and on engine 20.10 this refusal leaves the subnet's pool
    allocated until the engine restarts (a later network on it gets "Pool overlaps with other
    one on this address space"), so each run takes a subnet the engine still gives."""
    rule = "docker-network-enforce-valid-ipam-config"
    subnet = _subnet_the_engine_still_gives(engine)
    resources = [_ipam_net("ax_net", subnet=subnet, auxAddress={"router": "10.81.0.5"})]
    verdict = _verdict(pack, resources)
    assert [(f.policy, f.level) for f in verdict.findings] == [(rule, "mandatory")]
    with pytest.raises(EngineRefused) as refused:
        realize().apply(resources)
    assert (refused.value.step, refused.value.message) == (
        "network create",
        f"auxiliary address: (router:10.81.0.5) must belong to the master pool: {subnet}",
    )
    # The leak: the same subnet is now refused as taken.
    with pytest.raises(EngineRefused) as again:
        realize().apply([_ipam_net("ax_net", subnet=subnet)])
    assert again.value.message == "Pool overlaps with other one on this address space"
