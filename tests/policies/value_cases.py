"""Failing (and passing) cases of the compliant stack for the rules on values the engine parses
(extra hosts, DNS servers, IPC modes, network driver options, host ports) and for the DNS rules'
name guesses: one changed field each, and the exact message."""

from __future__ import annotations

from dataclasses import dataclass

from tests.pack_client import Resource
from tests.policies.policy_cases import Case, Mutation, mutated, set_field

DNS_TRAP = "docker-container-require-shared-network-for-dns"
DNS_GUESS = "docker-container-require-shared-network-for-guessed-dns"


def _guess(name: str, where: str, token: str, what: str) -> str:
    return (
        f'container "{name}": {where} is "{token}", which this rule guesses may be a host name: '
        f"it is the name of {what}, and the two share no user-defined network, so if the "
        "process looks it up, it does not resolve; if it is a host, attach both to one "
        "user-defined network (if it is not, say a user or a mail box, ignore this)."
    )


def _trap(name: str, where: str, token: str, what: str) -> str:
    return (
        f'container "{name}": {where} names "{token}" ({what}), but the two share no '
        "user-defined network, so the name does not resolve (the embedded DNS server answers "
        "only on user-defined networks); attach both to one user-defined network."
    )


VALUE_CASES = [
    # A plain word in a variable whose name says nothing: a guess, advisory, never mandatory.
    Case(
        "guess-plain-word-env",
        DNS_GUESS,
        "data-api",
        set_field("envs", ["POSTMASTER=bbox1", "DB_HOST=db"]),
        ((_guess("api", "env POSTMASTER", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    Case(
        "guess-is-not-mandatory",
        DNS_TRAP,
        "data-api",
        set_field("envs", ["POSTMASTER=bbox1", "DB_HOST=db"]),
        (),
    ),
    # A path, an e-mail address or a sentence is no host, even with a container's name in it.
    Case(
        "path-email-sentence-are-no-names",
        DNS_GUESS,
        "data-api",
        set_field(
            "envs",
            ["MAIL_DIR=/var/bbox1", "ADMIN=postmaster@bbox1", "MOTD=hello bbox1", "DB_HOST=db"],
        ),
        (),
    ),
    # A variable named for a host, a URL or a host:port is certain.
    Case(
        "host-port-env-is-certain",
        DNS_TRAP,
        "data-api",
        set_field("envs", ["CACHE=bbox1:6379", "DB_HOST=db"]),
        ((_trap("api", "env CACHE", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    Case(
        "host-named-env-is-certain",
        DNS_TRAP,
        "data-api",
        set_field("envs", ["SMTP_SERVER=bbox1", "DB_HOST=db"]),
        ((_trap("api", "env SMTP_SERVER", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    # A name certainly looked up elsewhere is told once, by the mandatory rule.
    Case(
        "certain-elsewhere-is-not-also-guessed",
        DNS_GUESS,
        "data-api",
        set_field("envs", ["POSTMASTER=bbox1", "PEER_URL=http://bbox1:80/", "DB_HOST=db"]),
        (),
    ),
]

EXTRA_HOST = "docker-container-enforce-valid-extra-host"
DNS_SERVER = "docker-container-enforce-valid-dns-server"
IPC_MODE = "docker-container-enforce-valid-ipc-mode"
DRIVER_OPTIONS = "docker-network-enforce-valid-driver-options"
HOST_PORT = "docker-container-disallow-duplicate-host-port"
MTU = "com.docker.network.driver.mtu"


def _bad_host(ip: str, shown: str) -> str:
    return (
        f'container "api": hosts[0].ip {shown} (host "cache") is not an IP address (an IPv6 '
        f'address takes no %zone); the engine refuses the container with "invalid IP address in '
        f'add-host: {shown}"; write an IPv4 or IPv6 address, e.g. 172.22.16.10.'
    )


def _bad_mtu(shown: str, raw: str) -> str:
    return (
        f'network "my_net2": options "{MTU}" {shown} is not a whole number; the engine refuses '
        f'the network with "failed to parse {MTU} value: {raw} (strconv.Atoi: parsing {shown}: '
        'invalid syntax)"; write the MTU in digits alone, e.g. "1450".'
    )


VALUE_CASES += [
    Case(
        "extra-host-not-an-address",
        EXTRA_HOST,
        "data-api",
        set_field("hosts", [{"host": "cache", "ip": "10.0.0.999"}]),
        ((_bad_host("10.0.0.999", '"10.0.0.999"'), ""),),
    ),
    Case(
        "extra-host-with-a-zone",
        EXTRA_HOST,
        "data-api",
        set_field("hosts", [{"host": "cache", "ip": "fe80::1%eth0"}]),
        ((_bad_host("fe80::1%eth0", '"fe80::1%eth0"'), ""),),
    ),
    Case(
        "extra-host-with-a-trailing-newline",
        EXTRA_HOST,
        "data-api",
        set_field("hosts", [{"host": "cache", "ip": "172.22.17.5\n"}]),
        (
            (
                'container "api": hosts[0].ip "172.22.17.5\\n" (host "cache") has white space '
                "around the address; the engine accepts it and writes it into the container's "
                "/etc/hosts as given, which breaks the entry; write the address alone.",
                "",
            ),
        ),
    ),
    Case(
        "extra-host-valid",
        EXTRA_HOST,
        "data-api",
        set_field("hosts", [{"host": "cache", "ip": "172.22.17.5"}, {"host": "v6", "ip": "::1"}]),
        (),
    ),
    *[
        Case(
            f"dns-server-{what}",
            DNS_SERVER,
            "data-api",
            set_field("dns", ["172.22.17.53", value]),
            (
                (
                    f'container "api": dns[1] {shown} is not an IP address; the engine accepts it '
                    "and writes it into the container's /etc/resolv.conf as given, where the "
                    "resolver cannot use it (alone, it leaves the container no name server; a "
                    "line break in it writes resolver lines of its own); give the server's IP "
                    "address, e.g. 172.22.16.53.",
                    "",
                ),
            ),
        )
        for what, value, shown in [
            ("a-name", "dns.example", '"dns.example"'),
            (
                "a-line-after-the-address",
                "172.22.17.53\noptions ndots:15",
                '"172.22.17.53\\noptions ndots:15"',
            ),
        ]
    ],
    Case(
        # Written as given, the newline is a blank line of resolv.conf, which resolvers skip.
        "dns-server-with-a-trailing-newline",
        DNS_SERVER,
        "data-api",
        set_field("dns", ["172.22.17.53\n"]),
        (),
    ),
    Case(
        "dns-server-link-local-with-zone",
        DNS_SERVER,
        "data-api",
        set_field("dns", ["fe80::1%eth0"]),
        (),
    ),
    *[
        Case(
            f"ipc-mode-{what}",
            IPC_MODE,
            "data-api",
            set_field("ipcMode", mode),
            (
                (
                    f'container "api": ipcMode "{mode}" is not an IPC mode; the engine creates the '
                    f'container and refuses to start it with "Invalid IPC mode: {mode}"; {fix}.',
                    "data-api",
                ),
            ),
        )
        for what, mode, fix in [
            (
                "unknown",
                "bogus",
                'write "private", "shareable", "none", "host" or "container:<name>"',
            ),
            (
                "compose-service",
                "service:db",
                "a compose `ipc: service:<name>` becomes `container:<container name>` of that "
                "service's container; write that",
            ),
        ]
    ],
    Case(
        "ipc-mode-with-a-trailing-newline",
        IPC_MODE,
        "data-api",
        set_field("ipcMode", "private\n"),
        (
            (
                'container "api": ipcMode "private\\n" is not an IPC mode; the engine creates the '
                'container and refuses to start it with "Invalid IPC mode"; write "private", '
                '"shareable", "none", "host" or "container:<name>".',
                "data-api",
            ),
        ),
    ),
    Case(
        "ipc-of-a-private-donor",
        IPC_MODE,
        "data-api",
        set_field("ipcMode", "container:db"),
        (
            (
                'container "api": ipcMode "container:db" joins the IPC namespace of container '
                '"db", whose ipcMode is none (private, the default of engines from 20.10); the '
                "engine refuses to start the joiner with \"can't join IPC of container <id>: "
                'non-shareable IPC (hint: use IpcMode:shareable for the donor container)"; give '
                'container "db" ipcMode "shareable".',
                "data-api",
            ),
        ),
    ),
    Case(
        "ipc-of-a-container-outside-the-stack",
        IPC_MODE,
        "data-api",
        set_field("ipcMode", "container:elsewhere"),
        (),
    ),
    Case(
        "mtu-not-a-number",
        DRIVER_OPTIONS,
        "my_net2-network",
        set_field("options", {MTU: "1400x"}),
        ((_bad_mtu('"1400x"', "1400x"), ""),),
    ),
    Case(
        "mtu-with-a-trailing-newline",
        DRIVER_OPTIONS,
        "my_net2-network",
        set_field("options", {MTU: "1400\n"}),
        ((_bad_mtu('"1400\\n"', "1400\n"), ""),),
    ),
    Case(
        "mtu-negative",
        DRIVER_OPTIONS,
        "my_net2-network",
        set_field("options", {MTU: "-5"}),
        (
            (
                f'network "my_net2": options "{MTU}" "-5" is negative; the engine refuses the '
                'network with "invalid MTU number: -5"; write a positive MTU, e.g. "1450".',
                "",
            ),
        ),
    ),
    Case("mtu-valid", DRIVER_OPTIONS, "my_net2-network", set_field("options", {MTU: "1450"}), ()),
    Case(
        "host-port-of-another-container",
        HOST_PORT,
        "bbox3",
        set_field(
            "ports", [{"internal": 80.0, "external": 8080.0, "ip": "127.0.0.1", "protocol": "tcp"}]
        ),
        (
            (
                'container "web1": ports[0] publishes host port 8080/tcp on "127.0.0.1", which '
                'container "bbox3" already publishes on the same address; the engine refuses to '
                'start the second with "Bind for 127.0.0.1:8080 failed: port is already '
                'allocated"; publish another host port.',
                "web-web1",
            ),
        ),
    ),
    Case(
        "host-port-spelled-twice",
        HOST_PORT,
        "web-web1",
        set_field(
            "ports",
            [
                {"internal": 80.0, "external": 18080.0, "ip": "::1", "protocol": "tcp"},
                {"internal": 81.0, "external": 18080.0, "ip": "0:0:0:0:0:0:0:1", "protocol": "tcp"},
            ],
        ),
        (
            (
                'container "web1": ports[1] publishes host port 18080/tcp on "0:0:0:0:0:0:0:1", '
                'which this container already publishes on the same address (written "::1"); the '
                'engine refuses to start the second with "Bind for ::1:18080 failed: port is '
                'already allocated"; publish another host port.',
                "web-web1",
            ),
        ),
    ),
    Case(
        "host-port-on-another-protocol",
        HOST_PORT,
        "bbox3",
        set_field(
            "ports", [{"internal": 80.0, "external": 8080.0, "ip": "127.0.0.1", "protocol": "udp"}]
        ),
        (),
    ),
]


@dataclass(frozen=True)
class PairCase(Case):
    """A case that changes a second resource too (a clash needs two)."""

    also: tuple[str, Mutation] = ("", lambda _props: None)
    """The second resource's logical name and its change."""

    def resources(self) -> list[Resource]:
        return mutated(super().resources(), *self.also)


BRIDGE = "com.docker.network.bridge.name"
VALUE_CASES += [
    PairCase(
        "two-networks-one-bridge",
        "docker-network-disallow-duplicate-bridge-name",
        "my_net2-network",
        set_field("options", {BRIDGE: "br-app"}),
        (
            (
                f'network "my_net2": options "{BRIDGE}" "br-app" is also the bridge of network '
                '"backend"; the engine refuses the second with "cannot create network <id> '
                "(br-app): conflicts with network <id> (br-app): networks have same bridge "
                'name"; give each network a bridge name of its own.',
                "my_net2-network",
            ),
        ),
        also=("backend-network", set_field("options", {BRIDGE: "br-app"})),
    ),
    PairCase(
        "two-networks-two-bridges",
        "docker-network-disallow-duplicate-bridge-name",
        "my_net2-network",
        set_field("options", {BRIDGE: "br-app"}),
        (),
        also=("backend-network", set_field("options", {BRIDGE: "br-back"})),
    ),
]

# A zone is no part of an address the engine parses (Python's parser takes one; Go's does not).
VALUE_CASES += [
    Case(
        "ipv6-gateway-with-a-zone",
        "docker-network-enforce-valid-ipam-config",
        "my_net2-network",
        set_field("ipamConfigs.1.gateway", "fd00:16::1%eth0"),
        (
            (
                'network "my_net2": ipamConfigs[1].gateway "fd00:16::1%eth0" is not an IP '
                'address; the engine refuses the network with "invalid gateway address '
                'fd00:16::1%eth0 in Ipam configuration"; give a host address of fd00:16::/64.',
                "",
            ),
        ),
    ),
    Case(
        "ipv6-subnet-with-a-zone",
        "docker-network-enforce-valid-ipam-config",
        "my_net2-network",
        set_field("ipamConfigs.1.subnet", "fd00:16::%eth0/64"),
        (
            (
                'network "my_net2": ipamConfigs[1].subnet "fd00:16::%eth0/64" is not a CIDR '
                'subnet; the engine refuses the network with "Invalid subnet fd00:16::%eth0/64 : '
                'invalid CIDR address: fd00:16::%eth0/64"; write it as address/prefix, e.g. '
                "172.22.16.0/24.",
                "",
            ),
            (
                'network "my_net2": ipv6 is true but ipamConfigs has no IPv6 subnet; the engine '
                'refuses the network with "could not find an available, non-overlapping IPv6 '
                'address pool among the defaults to assign to the network"; add an ipamConfigs '
                "entry with an IPv6 subnet, e.g. fd00:16::/64.",
                "",
            ),
        ),
    ),
    Case(
        "static-ipv6-with-a-zone",
        "docker-container-enforce-static-ip-in-subnet",
        "bbox3",
        set_field("networksAdvanced.0.ipv6Address", "fd00:16::8%eth0"),
        (
            (
                'container "bbox3": static IPv6 address "fd00:16::8%eth0" on network "my_net2" is '
                "not a valid IPv6 address; the engine refuses it; write an IPv6 address, e.g. "
                "fd00:16::10.",
                "bbox3",
            ),
        ),
    ),
]

# A joined container's aliases are dropped by the engine: they never resolve.
VALUE_CASES += [
    Case(
        "aliases-on-a-joined-container",
        "docker-container-disallow-options-with-joined-network",
        "web-web1-shell",
        set_field("networksAdvanced", [{"name": "my_net2", "aliases": ["shell", "probe\n"]}]),
        (
            (
                'container "web1-shell": network mode "container:web1" together with aliases '
                '["shell", "probe\\n"] on network "my_net2"; the engine accepts them and drops '
                'them (the container has only the interfaces of "web1"), so the aliases never '
                "resolve and the declared networks never match the container; give the aliases "
                'to "web1", whose network namespace this container shares.',
                "",
            ),
        ),
    ),
]
