"""Proofs for the rules on values the engine parses (extra hosts, DNS servers, IPC modes, a
network's MTU and bridge name, host ports, addresses with a zone) and for the DNS rules' limits.

Each violation is flagged by the pack at its level and, realized on the engine the way the
provider would, is refused with the message the rule quotes (matched whole, ids aside), or is
accepted and shown broken. Each configuration the engine runs (one alias for two containers, a
mail suite's plain-word settings beside containers named like them, a shareable IPC donor)
passes the pack without a mandatory finding and works.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from plan import Registration
from tests.engine.netns import EngineNetns
from tests.engine.probes import container, eventually, network, sh
from tests.engine.realize import EngineRefused, Realization
from tests.pack_client import PackClient

pytestmark = pytest.mark.engine

Check = Callable[[Realization], None]
ID = "[0-9a-f]{64}"


@dataclass(frozen=True)
class Case:
    """A configuration, the rule that flags it, and what the engine does with it."""

    id: str
    rule: str
    resources: Callable[[], list[Registration]]
    step: str = ""
    """For a refusal: the step the engine refuses."""
    message: str = ""
    """For a refusal: the engine's message, a regular expression matched whole (`ID` for an
    id), so a message with anything more or less does not match."""
    check: Check | None = None
    """For an accepted configuration: proof that it is broken."""
    level: str = "mandatory"


def _kept(name: str, **inputs: Any) -> Registration:
    return container(name, mustRun=True, restart="unless-stopped", **inputs)


def _net(name: str, subnet: str, **inputs: Any) -> Registration:
    return network(name, driver="bridge", ipamConfigs=[{"subnet": subnet}], **inputs)


def _on(net: Registration, **entry: Any) -> list[dict[str, Any]]:
    return [{"name": net.inputs["name"], **entry}]


def _one(
    make: Callable[..., Registration], *args: Any, **inputs: Any
) -> Callable[[], list[Registration]]:
    """A configuration of one resource."""
    return lambda: [make(*args, **inputs)]


def _hosts_line_broken(r: Realization) -> None:
    code, hosts = sh(r.container("eh_one"), "cat /etc/hosts")
    assert code == 0, hosts
    # Written as given: the address on one line, the name alone on the next.
    assert "10.75.0.5\n\tcache" in hosts, hosts
    assert sh(r.container("eh_one"), "ping -c 1 -W 1 cache")[0] != 0


def _no_name_server(r: Realization) -> None:
    code, conf = sh(r.container("ds_one"), "cat /etc/resolv.conf")
    assert code == 0, conf
    servers = [line for line in conf.splitlines() if line.startswith("nameserver")]
    assert servers == ["nameserver dns.example"], conf


def _ipc(donor: dict[str, Any]) -> Callable[[], list[Registration]]:
    def resources() -> list[Registration]:
        own = _kept("ipc_donor", **donor)
        joiner = _kept("ipc_joiner", ipcMode="container:ipc_donor", depends_on=(own,))
        return [own, joiner]

    return resources


def _loopback_ports(first: str, second: str) -> list[Registration]:
    port = {"internal": 80.0, "external": 18097.0, "protocol": "tcp"}
    return [
        _kept("hp_one", image="httpd:latest", command=None, ports=[{**port, "ip": first}]),
        _kept("hp_two", image="httpd:latest", command=None, ports=[{**port, "ip": second}]),
    ]


def _guessed_name_unresolved(r: Realization) -> None:
    def answered() -> str:
        logs = str(r.container("gd_bb").logs().decode())
        assert "bad address" in logs, f"gd_bb's log so far: {logs!r}"
        return logs

    logs = eventually(answered, what="gd_bb pinging $TARGET")
    assert "ping: bad address 'gd_aa'" in logs, logs


def _joined_with_alias() -> list[Registration]:
    net = _net("ja_net", "10.74.0.0/24")
    own = _kept("ja_own", image="httpd:latest", command=None, networksAdvanced=_on(net))
    side = _kept(
        "ja_side",
        networkMode="container:ja_own",
        networksAdvanced=_on(net, aliases=["ja_alias"]),
        depends_on=(own, net),
    )
    probe = _kept("ja_probe", networksAdvanced=_on(net), depends_on=(net,))
    return [net, own, side, probe]


def _alias_never_resolves(r: Realization) -> None:
    probe = r.container("ja_probe")
    lookup = "nslookup -timeout=2 -retry=1 {} 127.0.0.11"
    eventually(lambda: _answers(probe, lookup.format("ja_own")), what="ja_probe finding ja_own")
    code, out = sh(probe, lookup.format("ja_alias"))
    assert code != 0, out


def _answers(box: Any, command: str) -> None:
    code, out = sh(box, command)
    assert code == 0, out


MTU = "com.docker.network.driver.mtu"
BRIDGE = "com.docker.network.bridge.name"

CASES = [
    Case(
        # A plain word in a variable whose name says nothing: here it is a host, and the guess
        # is right (elsewhere it is a mail box: see the mail suite below).
        id="guessed-name-on-default-bridge",
        rule="docker-container-require-shared-network-for-guessed-dns",
        level="advisory",
        resources=lambda: [
            _kept("gd_aa"),
            _kept(
                "gd_bb",
                envs=["TARGET=gd_aa"],
                command=["sh", "-c", 'while :; do ping -c 1 "$TARGET"; sleep 1; done'],
            ),
        ],
        check=_guessed_name_unresolved,
    ),
    *[
        Case(
            id=f"extra-host-{what}",
            rule="docker-container-enforce-valid-extra-host",
            resources=_one(_kept, "eh_one", hosts=[{"host": "cache", "ip": ip}]),
            step="container create",
            message=re.escape(f'invalid IP address in add-host: "{ip}"'),
        )
        for what, ip in [("not-an-address", "10.75.0.999"), ("with-a-zone", "fe80::1%eth0")]
    ],
    Case(
        id="extra-host-with-a-trailing-newline",
        rule="docker-container-enforce-valid-extra-host",
        resources=lambda: [_kept("eh_one", hosts=[{"host": "cache", "ip": "10.75.0.5\n"}])],
        check=_hosts_line_broken,
    ),
    Case(
        id="aliases-on-a-joined-container",
        rule="docker-container-disallow-options-with-joined-network",
        resources=_joined_with_alias,
        check=_alias_never_resolves,
    ),
    Case(
        id="dns-server-not-an-address",
        rule="docker-container-enforce-valid-dns-server",
        resources=lambda: [_kept("ds_one", dns=["dns.example"])],
        check=_no_name_server,
    ),
    Case(
        id="ipv6-subnet-with-a-zone",
        rule="docker-network-enforce-valid-ipam-config",
        resources=lambda: [
            network(
                "z6_net", driver="bridge", ipv6=True, ipamConfigs=[{"subnet": "fd00:75::%eth0/64"}]
            )
        ],
        step="network create",
        message=re.escape(
            "Invalid subnet fd00:75::%eth0/64 : invalid CIDR address: fd00:75::%eth0/64"
        ),
    ),
    Case(
        id="ipv6-gateway-with-a-zone",
        rule="docker-network-enforce-valid-ipam-config",
        resources=lambda: [
            network(
                "z6_net",
                driver="bridge",
                ipv6=True,
                ipamConfigs=[{"subnet": "fd00:75::/64", "gateway": "fd00:75::1%eth0"}],
            )
        ],
        step="network create",
        message=re.escape("invalid gateway address fd00:75::1%eth0 in Ipam configuration"),
    ),
    Case(
        id="static-ipv6-with-a-zone",
        rule="docker-container-enforce-static-ip-in-subnet",
        resources=lambda: [
            net := network(
                "z6_net",
                driver="bridge",
                ipv6=True,
                ipamConfigs=[{"subnet": "10.75.0.0/24"}, {"subnet": "fd00:75::/64"}],
            ),
            _kept("z6_one", networksAdvanced=_on(net, ipv6Address="fd00:75::5%eth0")),
        ],
        step="container start",
        message=re.escape("Invalid IPv6 address: fd00:75::5%eth0)"),
    ),
    *[
        Case(
            id=f"mtu-{what}",
            rule="docker-network-enforce-valid-driver-options",
            resources=_one(_net, "mtu_net", "10.75.0.0/24", options={MTU: mtu}),
            step="network create",
            message=re.escape(message),
        )
        for what, mtu, message in [
            (
                "not-a-number",
                "1400x",
                f'failed to parse {MTU} value: 1400x (strconv.Atoi: parsing "1400x": invalid '
                "syntax)",
            ),
            (
                "with-a-trailing-newline",
                "1400\n",
                f'failed to parse {MTU} value: 1400\n (strconv.Atoi: parsing "1400\\n": invalid '
                "syntax)",
            ),
            ("negative", "-5", "invalid MTU number: -5"),
        ]
    ],
    Case(
        id="two-networks-one-bridge",
        rule="docker-network-disallow-duplicate-bridge-name",
        resources=lambda: [
            _net("br_one", "10.75.0.0/24", options={BRIDGE: "br-cc75"}),
            _net("br_two", "10.76.0.0/24", options={BRIDGE: "br-cc75"}),
        ],
        step="network create",
        message=(
            f"cannot create network {ID} \\(br-cc75\\): conflicts with network {ID} "
            "\\(br-cc75\\): networks have same bridge name"
        ),
    ),
    *[
        Case(
            id=f"ipc-mode-{what}",
            rule="docker-container-enforce-valid-ipc-mode",
            resources=_one(_kept, "ipc_one", ipcMode=mode),
            step="container start",
            message=re.escape(f"Invalid IPC mode: {mode}"),
        )
        for what, mode in [("unknown", "bogus"), ("compose-service", "service:ipc_donor")]
    ],
    *[
        Case(
            id=f"ipc-of-a-{what}-donor",
            rule="docker-container-enforce-valid-ipc-mode",
            resources=_ipc(donor),
            step="container start",
            message=(
                f"can't join IPC of container {ID}: non-shareable IPC "
                + re.escape("(hint: use IpcMode:shareable for the donor container)")
            ),
        )
        for what, donor in [("default", {}), ("private", {"ipcMode": "private"})]
    ],
    Case(
        id="one-host-port-spelled-twice",
        rule="docker-container-disallow-duplicate-host-port",
        resources=lambda: _loopback_ports("::1", "0:0:0:0:0:0:0:1"),
        step="container start",
        message=(
            f"driver failed programming external connectivity on endpoint hp_two \\({ID}\\): "
            "Bind for ::1:18097 failed: port is already allocated"
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_value_rule_matches_the_engine(
    pack: PackClient, case: Case, realize: Callable[[], Realization]
) -> None:
    resources = case.resources()
    flagged = [f for f in pack.check(resources).findings if f.policy == case.rule]
    assert flagged, f"the pack does not flag {case.id}"
    assert {f.level for f in flagged} == {case.level}, flagged
    realization = realize()
    if case.check is not None:
        realization.apply(resources)
        case.check(realization)
        return
    with pytest.raises(EngineRefused) as refused:
        realization.apply(resources)
    assert refused.value.step == case.step, refused.value
    assert re.fullmatch(case.message, refused.value.message), refused.value.message


# -- what the engine runs, which the pack must not block ---------------------------------------


@dataclass(frozen=True)
class Works:
    """A configuration the engine runs: no mandatory finding, only the advisories named."""

    id: str
    resources: Callable[[], list[Registration]]
    check: Check
    advisories: tuple[str, ...] = ()


def _round_robin(r: Realization) -> None:
    addresses = {
        r.container(n).attrs["NetworkSettings"]["Networks"]["rr_net"]["IPAddress"]
        for n in ("rr_a", "rr_b")
    }

    def both_answer() -> None:
        code, out = sh(r.container("rr_probe"), "nslookup svc 127.0.0.11")
        assert code == 0, out
        lines = out.splitlines()[2:]
        answered = {line.split()[-1] for line in lines if line.startswith("Address")}
        assert answered == addresses, f"expected {sorted(addresses)}: {out}"

    eventually(both_answer, what="rr_probe looking up svc")


def _round_robin_pair() -> list[Registration]:
    net = _net("rr_net", "10.77.0.0/24")
    return [
        net,
        _kept("rr_a", networksAdvanced=_on(net, aliases=["svc"]), depends_on=(net,)),
        _kept("rr_b", networksAdvanced=_on(net, aliases=["svc"]), depends_on=(net,)),
        _kept("rr_probe", networksAdvanced=_on(net), depends_on=(net,)),
    ]


def _mail_suite() -> list[Registration]:
    """Settings that read like names of containers it does not share a network with: the
    postmaster's mail box `admin` and a maildir path `/var/mail`."""
    net = _net("ms_net", "10.78.0.0/24")
    other = _net("ms_other", "10.79.0.0/24")
    return [
        net,
        other,
        _kept("admin", networksAdvanced=_on(other), depends_on=(other,)),
        _kept("mail", networksAdvanced=_on(other), depends_on=(other,)),
        _kept(
            "ms_smtp",
            envs=["POSTMASTER=admin", "MAIL_DIR=/var/mail", "RELAY_HOST=ms_front"],
            command=["sh", "-c", 'mkdir -p "$MAIL_DIR" && exec sleep 3600'],
            networksAdvanced=_on(net),
            depends_on=(net,),
        ),
        _kept("ms_front", networksAdvanced=_on(net), depends_on=(net,)),
    ]


def _suite_runs(r: Realization) -> None:
    smtp = r.container("ms_smtp")
    assert sh(smtp, "test -d /var/mail")[0] == 0
    assert sh(smtp, "ping -c 1 -W 2 ms_front")[0] == 0


def _ipc_shared(r: Realization) -> None:
    donor, joiner = r.container("ipc_donor"), r.container("ipc_joiner")
    assert sh(joiner, "readlink /proc/self/ns/ipc") == sh(donor, "readlink /proc/self/ns/ipc")


def _server_line_intact(r: Realization) -> None:
    code, conf = sh(r.container("dn_one"), "cat /etc/resolv.conf")
    assert code == 0, conf
    servers = [line for line in conf.splitlines() if line.startswith("nameserver")]
    assert servers == ["nameserver 10.75.0.53"], conf


WORKS = [
    Works(
        id="dns-server-with-a-trailing-newline",
        resources=_one(_kept, "dn_one", dns=["10.75.0.53\n"]),
        check=_server_line_intact,
    ),
    Works(id="one-alias-for-two-containers", resources=_round_robin_pair, check=_round_robin),
    Works(
        id="mail-suite-settings-named-like-containers",
        resources=_mail_suite,
        check=_suite_runs,
        advisories=("docker-container-require-shared-network-for-guessed-dns",),
    ),
    Works(
        id="ipc-of-a-shareable-donor", resources=_ipc({"ipcMode": "shareable"}), check=_ipc_shared
    ),
]


@pytest.mark.parametrize("case", WORKS, ids=[c.id for c in WORKS])
def test_the_pack_passes_what_the_engine_runs(
    pack: PackClient, case: Works, realize: Callable[[], Realization], engine_netns: EngineNetns
) -> None:
    resources = case.resources()
    verdict = pack.check(resources).without_hygiene()
    assert not verdict.mandatory, verdict.mandatory
    found = [f.policy for f in verdict.findings]
    assert sorted(found) == sorted(case.advisories), verdict.findings
    realization = realize()
    realization.apply(resources)
    for name in realization.containers:
        assert realization.container(name).status == "running"
    case.check(realization)
