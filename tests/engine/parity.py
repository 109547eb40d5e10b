"""What a deployed compose application looks like from inside its containers, recorded as data
so that two deployments of the same file (Docker Compose's and this project's) can be compared
for equality.

Everything is asked of the engine and of the containers themselves, never of either deployer:

- `containers`: every container of the deployment and whether it runs;
- `modes`: how each container is networked: the networks it is attached to, with the address
  of each attachment that asked for a fixed one, or the container whose namespace it joined;
- `networks`: each network's driver, `internal` and IPv6 flags and, where the compose file
  configures its subnets, the subnets and the gateways its containers are given;
- `dns`: for every container and every name (service names, aliases, container names), the
  answers of the embedded DNS server (`nslookup NAME. 127.0.0.11` inside the container), each
  address labelled with the container and network it belongs to (`web/microservices/v4`);
- `reach`: for every container and every address of every container, whether one ICMP echo
  gets an answer;
- `loopback`: in every joined namespace, what each member fetches from 127.0.0.1 on each port
  the namespace's stand-ins serve;
- `volumes`: for every named volume mount, whether the container could write a file named
  after itself there, and the files it sees once every container has written.
- `files`: for every secret and config file a container is given, its mode, owner, group and
  the digest of its text (never the text), and whether the container's own user can read it.

Names that do not resolve and addresses that do not answer cost a timeout, so all the lookups
(and all the pings) of one container run at once in one `sh`, and every container is probed in
parallel; a miss is tried a second time before it is recorded as one.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import docker
import docker.errors

from tests.engine.probes import sh

# A lookup or an echo that gets no answer within this many seconds counts as a miss (an
# unknown name is forwarded by the embedded DNS server to the engine's `--dns 127.0.0.1`,
# where nothing answers; a known one is answered in milliseconds).
LOOKUP_TIMEOUT_S = 1
PING_TIMEOUT_S = 1
FETCH_TIMEOUT_S = 3
# How long a deployment gets to have every container running and every stand-in serving.
READY_DEADLINE_S = 30.0
_WORKERS = 8

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Observations:
    """One deployment, seen from inside; see the module docstring for each field."""

    containers: dict[str, str]
    """Container name -> its state (`running`, `exited` ...)."""
    modes: dict[str, tuple[str, ...]]
    """Container name -> `network <name> [ipv4 <a>] [ipv6 <a>]` per attachment, or
    (`joins <owner>`,)."""
    networks: dict[str, tuple[str, ...]]
    """Network name -> driver, flags, and for configured networks the subnets and gateways."""
    dns: dict[tuple[str, str], tuple[str, ...]]
    """(from container, name) -> sorted answers as `container/network/v4|v6` (empty: none)."""
    reach: dict[tuple[str, str], bool]
    """(from container, `container/network/v4|v6`) -> whether it answers a ping."""
    loopback: dict[tuple[str, int], str]
    """(joined-namespace member, port) -> the page it fetched from 127.0.0.1 ("" for none)."""
    volumes: dict[tuple[str, str], tuple[str, bool, tuple[str, ...]]]
    """(container, mount target) -> (volume name, whether it could write, files it sees)."""
    files: dict[tuple[str, str], str]
    """(container, secret or config path) -> `<mode> <uid> <gid> <md5 of the text>
    readable|unreadable` (`missing` when there is no such file)."""


def differences(reference: Observations, other: Observations) -> list[str]:
    """Each entry that differs, as `field[key]: reference ... != other ...`."""
    found: list[str] = []
    for item in fields(Observations):
        ours: dict[Any, Any] = getattr(reference, item.name)
        theirs: dict[Any, Any] = getattr(other, item.name)
        for key in sorted(set(ours) | set(theirs), key=repr):
            left = ours.get(key, "<absent>")
            right = theirs.get(key, "<absent>")
            if left != right:
                found.append(f"{item.name}[{key!r}]: {left!r} != {right!r}")
    return found


# -- probing ------------------------------------------------------------------------------


def _per_namespace(
    function: Callable[[str], dict[T, R]], namespaces: Sequence[Sequence[str]]
) -> dict[T, R]:
    """`function(container)` for every container, merged: the network namespaces in parallel,
    the members of one namespace one after another.

    busybox's ping tells its replies from others' by an id taken from its process id; two
    containers sharing a namespace have process ids of their own, so pings run in both at once
    may take each other's replies.
    """

    def members(names: Sequence[str]) -> dict[T, R]:
        merged: dict[T, R] = {}
        for name in names:
            merged.update(function(name))
        return merged

    result: dict[T, R] = {}
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        for part in pool.map(members, namespaces):
            result.update(part)
    return result


@dataclass(frozen=True)
class _Endpoint:
    """One address of one container on one network."""

    container: str
    network: str
    family: str
    address: str

    @property
    def label(self) -> str:
        return f"{self.container}/{self.network}/{self.family}"


def _lookup_script(names: Iterable[str]) -> str:
    """One line per name: the name, then every address the answers carry."""
    lines = [
        f"for n in {' '.join(shlex.quote(n) for n in names)}; do",
        f'  (echo "$n $(nslookup -timeout={LOOKUP_TIMEOUT_S} -retry=1 "$n." 127.0.0.11 2>&1'
        " | sed -n 's/^Address: //p' | tr '\\n' ' ')\") &",
        "done",
        "wait",
    ]
    return "\n".join(lines)


def _ping_script(addresses: Iterable[str]) -> str:
    """One line per address: the address, then `yes` or `no`."""
    lines = [
        f"for a in {' '.join(shlex.quote(a) for a in addresses)}; do",
        f'  (if ping -c 1 -W {PING_TIMEOUT_S} "$a" >/dev/null 2>&1; then echo "$a yes";'
        ' else echo "$a no"; fi) &',
        "done",
        "wait",
    ]
    return "\n".join(lines)


def _lines_by_key(output: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, _, rest = line.strip().partition(" ")
        if key:
            result[key] = rest.split()
    return result


def _lookups(container: Any, names: Sequence[str]) -> dict[str, list[str]]:
    """Name -> addresses answered; names without an answer are asked a second time."""
    answers: dict[str, list[str]] = {}
    pending = list(names)
    for _ in range(2):
        if not pending:
            break
        _code, output = sh(container, _lookup_script(pending))
        got = _lines_by_key(output)
        for name in pending:
            if got.get(name):
                answers[name] = got[name]
        pending = [n for n in pending if n not in answers]
    for name in pending:
        answers[name] = []
    return answers


def _pings(container: Any, addresses: Sequence[str]) -> dict[str, bool]:
    """Address -> whether it answered one echo; silent ones are tried a second time."""
    answered: dict[str, bool] = {}
    pending = list(addresses)
    for _ in range(2):
        if not pending:
            break
        # As root: busybox's ping needs a raw socket, which a container's non-root user lacks.
        _code, output = sh_as(container, "0", _ping_script(pending))
        got = _lines_by_key(output)
        for address in pending:
            if got.get(address) == ["yes"]:
                answered[address] = True
        pending = [a for a in pending if a not in answered]
    for address in pending:
        answered[address] = False
    return answered


def _fetch(container: Any, port: int) -> tuple[int, str]:
    # busybox 1.35's `wget -T` dies of a segmentation fault; `timeout` bounds it instead.
    return sh(container, f"timeout {FETCH_TIMEOUT_S} wget -qO- http://127.0.0.1:{port}/")


# -- the deployment as the engine reports it ----------------------------------------------


@dataclass
class _Deployment:
    client: docker.DockerClient
    containers: dict[str, Any]
    """Name -> docker Container (reloaded)."""

    @property
    def names(self) -> list[str]:
        return sorted(self.containers)

    def owner_of(self, name: str) -> str | None:
        """The container whose network namespace `name` joined, or None."""
        mode = str(self.containers[name].attrs["HostConfig"].get("NetworkMode") or "")
        if not mode.startswith("container:"):
            return None
        ref = mode.removeprefix("container:")
        for other, container in self.containers.items():
            if container.id == ref or container.id.startswith(ref) or other == ref:
                return other
        return ref

    def endpoints(self) -> list[_Endpoint]:
        found = []
        for name, container in self.containers.items():
            networks = container.attrs["NetworkSettings"].get("Networks") or {}
            for network, settings in networks.items():
                if settings.get("IPAddress"):
                    found.append(_Endpoint(name, network, "v4", settings["IPAddress"]))
                if settings.get("GlobalIPv6Address"):
                    found.append(_Endpoint(name, network, "v6", settings["GlobalIPv6Address"]))
        return sorted(found, key=lambda e: (e.container, e.network, e.family))

    def mode(self, name: str) -> tuple[str, ...]:
        owner = self.owner_of(name)
        if owner is not None:
            return (f"joins {owner}",)
        container = self.containers[name]
        attached = []
        for network, settings in sorted(
            (container.attrs["NetworkSettings"].get("Networks") or {}).items()
        ):
            asked = settings.get("IPAMConfig") or {}
            words = [f"network {network}"]
            if asked.get("IPv4Address"):
                words.append(f"ipv4 {settings.get('IPAddress')}")
            if asked.get("IPv6Address"):
                words.append(f"ipv6 {settings.get('GlobalIPv6Address')}")
            attached.append(" ".join(words))
        return tuple(attached)

    def network_facts(self, configured: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Network -> driver, `internal` and IPv6 flags; for the `configured` networks also
        their subnets and the gateways the containers on them are given."""
        configured = set(configured)
        gateways: dict[str, set[str]] = {}
        for container in self.containers.values():
            for network, settings in (
                container.attrs["NetworkSettings"].get("Networks") or {}
            ).items():
                for key in ("Gateway", "IPv6Gateway"):
                    if settings.get(key):
                        gateways.setdefault(network, set()).add(str(settings[key]))
        facts: dict[str, tuple[str, ...]] = {}
        for name in sorted(self._attached_networks()):
            attrs = self.client.api.inspect_network(name)
            words = [
                f"driver {attrs.get('Driver')}",
                f"internal {bool(attrs.get('Internal'))}",
                f"ipv6 {bool(attrs.get('EnableIPv6'))}",
            ]
            if name in configured:
                subnets = [c.get("Subnet") for c in (attrs.get("IPAM") or {}).get("Config") or []]
                words += [f"subnet {s}" for s in sorted(subnets)]
                words += [f"gateway {g}" for g in sorted(gateways.get(name, ()))]
            facts[name] = tuple(words)
        return facts

    def _attached_networks(self) -> set[str]:
        return {
            network
            for container in self.containers.values()
            for network in (container.attrs["NetworkSettings"].get("Networks") or {})
        }


def containers_of(client: docker.DockerClient, names: Iterable[str]) -> dict[str, Any]:
    """The named containers of the engine (a name without a container is left out)."""
    found = {}
    for name in names:
        with contextlib.suppress(docker.errors.NotFound):
            found[name] = client.containers.get(name)
    return found


def wait_until_serving(
    client: docker.DockerClient, names: Sequence[str], ports: Mapping[str, Sequence[int]]
) -> None:
    """Poll until every named container runs and serves its stand-in's ports on 127.0.0.1.

    Returns at the deadline whatever the state: the observations then record it.
    """
    deadline = time.monotonic() + READY_DEADLINE_S
    pending = set(names)
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            try:
                container = client.containers.get(name)
            except docker.errors.NotFound:
                continue
            if container.status != "running":
                continue
            if all(_fetch(container, p)[0] == 0 for p in ports.get(name, ())):
                pending.discard(name)
        if pending:
            time.sleep(0.25)


def observe(
    client: docker.DockerClient,
    names: Iterable[str],
    *,
    lookups: Sequence[str],
    served: Mapping[str, Sequence[int]],
    volumes: Iterable[str],
    configured_networks: Iterable[str],
    files: Mapping[str, Sequence[str]] | None = None,
) -> Observations:
    """Everything in the module docstring, for the containers called `names`.

    `lookups` are the names to ask the embedded DNS server; `served` the ports each container's
    stand-in serves; `volumes` the engine names of the named volumes whose mounts are probed;
    `configured_networks` the engine names of the networks whose subnets the file configures;
    `files` the paths of each container's secret and config files.
    """
    deployment = _Deployment(client, containers_of(client, names))
    running = {n: c for n, c in deployment.containers.items() if c.status == "running"}
    endpoints = deployment.endpoints()
    label = {e.address: e.label for e in endpoints}

    def resolve(name: str) -> dict[tuple[str, str], tuple[str, ...]]:
        answers = _lookups(running[name], lookups)
        return {
            (name, looked): tuple(sorted(label.get(a, a) for a in addresses))
            for looked, addresses in answers.items()
        }

    def ping(name: str) -> dict[tuple[str, str], bool]:
        answered = _pings(running[name], [e.address for e in endpoints])
        return {(name, label[address]): ok for address, ok in answered.items()}

    namespaces: dict[str, list[str]] = {}
    for name in sorted(running):
        namespaces.setdefault(deployment.owner_of(name) or name, []).append(name)
    groups = list(namespaces.values())
    dns = _per_namespace(resolve, groups)
    reach = _per_namespace(ping, groups) if endpoints else {}

    return Observations(
        containers={n: str(c.status) for n, c in deployment.containers.items()},
        modes={n: deployment.mode(n) for n in deployment.names},
        networks=deployment.network_facts(configured_networks),
        dns=dns,
        reach=reach,
        loopback=_loopback(deployment, running, served),
        volumes=_volumes(running, set(volumes)),
        files=_files(running, files or {}),
    )


def _files(
    running: Mapping[str, Any], files: Mapping[str, Sequence[str]]
) -> dict[tuple[str, str], str]:
    """Each secret or config file: mode, owner, group and text digest (read as root), and
    whether the container's own user (the one its processes run as) can read it."""
    result = {}
    for name, paths in sorted(files.items()):
        if name not in running:
            continue
        for path in paths:
            quoted = shlex.quote(path)
            code, seen = sh_as(
                running[name],
                "0",
                f"[ -f {quoted} ] && echo $(stat -c '%a %u %g' {quoted}) "
                f"$(md5sum < {quoted} | cut -c1-32) || echo missing",
            )
            if seen == "missing" or code != 0:
                result[(name, path)] = seen if code == 0 else f"<probe failed: {seen}>"
                continue
            readable = sh(running[name], f"cat {quoted} > /dev/null 2>&1")[0] == 0
            result[(name, path)] = f"{seen} {'readable' if readable else 'unreadable'}"
    return result


def sh_as(container: Any, user: str, script: str) -> tuple[int, str]:
    """Run `sh -c script` in a running container as `user`: (exit code, output)."""
    code, output = container.exec_run(["sh", "-c", script], user=user, demux=False)
    return int(code), (output or b"").decode("utf-8", "replace").strip()


def _loopback(
    deployment: _Deployment, running: Mapping[str, Any], served: Mapping[str, Sequence[int]]
) -> dict[tuple[str, int], str]:
    """In each joined namespace, every member's fetch of every port a member serves."""
    groups: dict[str, set[str]] = {}
    for name in deployment.names:
        owner = deployment.owner_of(name)
        if owner is not None:
            groups.setdefault(owner, {owner}).add(name)
    result: dict[tuple[str, int], str] = {}
    for members in groups.values():
        ports = sorted({p for m in members for p in served.get(m, ())})
        for member in sorted(members & set(running)):
            for port in ports:
                code, page = _fetch(running[member], port)
                result[(member, port)] = page if code == 0 else ""
    return result


def _volumes(
    running: Mapping[str, Any], volumes: set[str]
) -> dict[tuple[str, str], tuple[str, bool, tuple[str, ...]]]:
    """Every container writes a file named after itself into each of its named volume mounts,
    then each lists what it sees there."""
    mounts = sorted(
        (name, str(m["Destination"]), str(m["Name"]))
        for name, container in running.items()
        for m in container.attrs.get("Mounts") or []
        if m.get("Type") == "volume" and m.get("Name") in volumes
    )
    wrote = {
        (name, target): sh(running[name], f"echo {name} > {shlex.quote(target)}/{name}")[0] == 0
        for name, target, _volume in mounts
    }
    result = {}
    for name, target, volume in mounts:
        code, listing = sh(running[name], f"ls -1A {shlex.quote(target)}")
        files = tuple(sorted(listing.split())) if code == 0 else (f"<ls failed: {listing}>",)
        result[(name, target)] = (volume, wrote[(name, target)], files)
    return result
