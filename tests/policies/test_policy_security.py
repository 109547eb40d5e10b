"""The security and host access rules with values unknown at preview: each says it cannot decide
(naming what it needs), reports what it can, and never lets pulumi-policy fall back to its
"can't run policy" note. Their failing cases run with every other rule's in test_policy_rules.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plan import record_program
from tests.pack_client import PackClient
from tests.policies.policy_cases import (
    BY_NAME,
    UNKNOWN,
    compliant_stack,
    mutated,
    run_direct,
    set_field,
)
from tests.policies.security_cases import (
    CAPABILITIES,
    DISK,
    NAMESPACES,
    READ_ONLY_SYSTEM,
    SOCKET,
    USERNS,
    WRITABLE_SYSTEM,
    StackCase,
    bind_volume,
    holder_container,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _undecided(what: str) -> str:
    return (
        f"cannot decide during preview: {what} unknown until the update; the rule decides when "
        "the update runs"
    )


UNDECIDED = [
    (
        "socket-host-path",
        SOCKET,
        set_field("volumes", [{"hostPath": UNKNOWN, "containerPath": "/x"}]),
        'volumes[0].hostPath of container "bbox1" is',
    ),
    (
        "socket-mounts",
        SOCKET,
        set_field("mounts", UNKNOWN),
        'the mounts of container "bbox1" are',
    ),
    (
        "socket-inline-volume-device",
        SOCKET,
        set_field(
            "mounts",
            [
                {
                    "type": "volume",
                    "target": "/x",
                    "volumeOptions": {"driverOptions": {"o": "bind", "device": UNKNOWN}},
                }
            ],
        ),
        'mounts[0].volumeOptions of container "bbox1" are',
    ),
    (
        "writable-read-only-flag",
        WRITABLE_SYSTEM,
        set_field("volumes", [{"hostPath": "/etc", "containerPath": "/x", "readOnly": UNKNOWN}]),
        'whether volumes[0].hostPath "/etc" of container "bbox1" is read-only is',
    ),
    ("pid-mode", NAMESPACES, set_field("pidMode", UNKNOWN), 'pidMode of container "bbox1" is'),
    (
        "userns-mode",
        USERNS,
        set_field("usernsMode", UNKNOWN),
        'usernsMode of container "bbox1" is',
    ),
    (
        "devices",
        DISK,
        set_field("devices", [{"hostPath": UNKNOWN}]),
        'devices[0].hostPath of container "bbox1" is',
    ),
    (
        "added-capabilities",
        CAPABILITIES,
        set_field("capabilities", {"adds": [UNKNOWN]}),
        'the added capabilities of container "bbox1" are',
    ),
]


@pytest.mark.parametrize(
    ("policy", "change", "what"), [u[1:] for u in UNDECIDED], ids=[u[0] for u in UNDECIDED]
)
def test_unknown_values_leave_the_rule_undecided(
    pack: PackClient, policy: str, change: Any, what: str
) -> None:
    resources = mutated(compliant_stack(), "bboxes-bbox1", change)
    result = run_direct(BY_NAME[policy], resources)
    assert result.violations == []
    assert result.not_applicable == [_undecided(what)]
    verdict = pack.analyze_all(resources)
    assert verdict.cant_run == ()
    assert (policy, _undecided(what)) in verdict.not_applicable


def test_a_volume_named_at_deploy_time_leaves_the_socket_rule_undecided() -> None:
    volume = bind_volume("engine", "/run")
    case = StackCase(
        "unknown-volume-name",
        SOCKET,
        "bboxes-bbox1",
        set_field("volumes", [{"volumeName": "engine", "containerPath": "/engine"}]),
        (),
        added=(
            type(volume)(volume.type, volume.name, volume.urn, {**volume.props, "name": UNKNOWN}),
        ),
    )
    result = run_direct(BY_NAME[SOCKET], case.resources())
    assert result.violations == []
    assert result.not_applicable == [
        _undecided('whether volume "engine" of container "bbox1" binds a host path is')
    ]


def test_volumes_from_a_container_that_takes_them_back_ends() -> None:
    """Two containers taking each other's volumes: each rule reads each mount once."""
    case = StackCase(
        "volumes-from-loop",
        SOCKET,
        "bboxes-bbox1",
        set_field(
            "volumes",
            [
                {"fromContainer": "holder"},
                {"hostPath": "/run/docker.sock", "containerPath": "/docker.sock"},
            ],
        ),
        (),
        added=(holder_container(volumes=[{"fromContainer": "bbox1"}]),),
    )
    result = run_direct(BY_NAME[SOCKET], case.resources())
    assert [urn.rsplit("::", 1)[-1] for _, urn in result.violations] == [
        "bboxes-bbox1",
        "holder",
    ]


def _linked(tmp_path: Path, target: str) -> str:
    """A project file that is a symbolic link to `target` (which need not exist here)."""
    link = tmp_path / "project" / "link"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(target)
    return str(link)


def _both(pack: PackClient, policy: str, resources: list[Any]) -> list[str]:
    """The messages `policy` reports, directly and through the pack's process (which agree)."""
    direct = [message for message, _ in run_direct(BY_NAME[policy], resources).violations]
    verdict = pack.analyze_all(resources)
    assert [f.message for f in verdict.findings if f.policy == policy] == direct
    return direct


def test_a_project_link_to_the_socket_is_the_socket(pack: PackClient, tmp_path: Path) -> None:
    """`./sock -> /var/run/docker.sock`: the engine binds what the link names."""
    link = _linked(tmp_path, "/var/run/docker.sock")
    change = set_field("mounts", [{"type": "bind", "source": link, "target": "/sock"}])
    resources = mutated(compliant_stack(), "bboxes-bbox1", change)
    assert _both(pack, SOCKET, resources) == [
        f'container "bbox1": mounts[0].source "{link}", a link to "/run/docker.sock" on this '
        "machine, gives the container the Docker engine's socket, and with it control of the "
        "engine and of the host, read-only or not; remove the mount."
    ]


def test_a_project_link_to_the_host_root_is_the_host_root(pack: PackClient, tmp_path: Path) -> None:
    """`./root -> /`, as compose hands it over: an absolute path inside the project."""
    link = _linked(tmp_path, "/")
    change = set_field("volumes", [{"hostPath": link, "containerPath": "/host"}])
    resources = mutated(compliant_stack(), "bboxes-bbox1", change)
    assert _both(pack, WRITABLE_SYSTEM, resources) == [
        f'container "bbox1": volumes[0].hostPath "{link}", a link to "/" on this machine, '
        "mounts the host's / (the whole host filesystem) writable, so the container can take the "
        "host over by writing there; mount only the files the container needs, read-only where "
        "it can."
    ]
    assert _both(pack, SOCKET, resources) == [
        f'container "bbox1": volumes[0].hostPath "{link}", a link to "/" on this machine, gives '
        "the container the Docker engine's socket (it holds /var/run/docker.sock), and with it "
        "control of the engine and of the host, read-only or not; remove the mount."
    ]


def test_a_link_to_a_disk_is_the_disk(pack: PackClient, tmp_path: Path) -> None:
    link = _linked(tmp_path, "/dev/sda")
    resources = mutated(
        compliant_stack(), "bboxes-bbox1", set_field("devices", [{"hostPath": link}])
    )
    assert _both(pack, DISK, resources) == [
        f'container "bbox1": devices[0].hostPath "{link}" passes a host disk device (a link to '
        '"/dev/sda" on this machine) into the container, which then reads the host\'s disk below '
        "every file permission (and writes it, given w); remove the device, and mount only the "
        "folders the container needs."
    ]


def test_a_project_link_to_project_files_passes(pack: PackClient, tmp_path: Path) -> None:
    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    link = _linked(tmp_path, str(data))
    change = set_field("volumes", [{"hostPath": link, "containerPath": "/data"}])
    resources = mutated(compliant_stack(), "bboxes-bbox1", change)
    for policy in (SOCKET, WRITABLE_SYSTEM, READ_ONLY_SYSTEM):
        assert _both(pack, policy, resources) == []


def _compose(folder: str) -> list[Any]:
    """The registrations of a compose file of tests/policies/compose, as the program makes them."""
    values = {
        "container-comms:composeFile": f"tests/policies/compose/{folder}/compose.yaml",
        "container-comms:composeProject": folder,
    }
    plan = record_program(
        PROJECT_DIR / "__main__.py",
        project="container-comms",
        stack="compose",
        config=values,
        preview=True,
    )
    return list(plan.resources)


def test_a_forged_monitor_label_in_compose_grants_nothing(pack: PackClient) -> None:
    verdict = pack.check(_compose("monitor-label"))
    assert [(f.policy, f.level, f.message) for f in verdict.mandatory] == [
        (
            CAPABILITIES,
            "mandatory",
            'container "monitor-label-app-1": capabilities.adds has "NET_ADMIN", which Docker '
            "does not give by default and which is not allowed here (allowed beyond the default "
            "set: none); drop it, or list it in this policy's allowedCapabilities config.",
        )
    ]


@pytest.fixture
def host_links() -> Iterator[Path]:
    """The host-links project's `./sock` and `./root`, made for the test only (a link to `/` left in
    the tree would lead anything that walks it through the whole filesystem)."""
    folder = PROJECT_DIR / "tests" / "policies" / "compose" / "host-links"
    links = {folder / "sock": "/var/run/docker.sock", folder / "root": "/"}
    for link, target in links.items():
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    try:
        yield folder
    finally:
        for link in links:
            link.unlink(missing_ok=True)


def test_compose_links_to_the_socket_and_the_host_root_are_followed(
    pack: PackClient, host_links: Path
) -> None:
    """Compose makes `./sock` and `./root` absolute; the pack follows them as the engine will."""
    folder = host_links
    verdict = pack.check(_compose("host-links"))
    found = sorted((f.policy, f.message) for f in verdict.mandatory)
    assert found == [
        (
            SOCKET,
            f'container "host-links-app-1": volumes[0].hostPath "{folder}/sock", a link to '
            '"/run/docker.sock" on this machine, gives the container the Docker engine\'s socket, '
            "and with it control of the engine and of the host, read-only or not; remove the "
            "mount.",
        ),
        (
            SOCKET,
            f'container "host-links-app-1": volumes[1].hostPath "{folder}/root", a link to "/" on '
            "this machine, gives the container the Docker engine's socket (it holds "
            "/var/run/docker.sock), and with it control of the engine and of the host, read-only "
            "or not; remove the mount.",
        ),
        (
            WRITABLE_SYSTEM,
            f'container "host-links-app-1": volumes[1].hostPath "{folder}/root", a link to "/" on '
            "this machine, mounts the host's / (the whole host filesystem) writable, so the "
            "container can take the host over by writing there; mount only the files the "
            "container needs, read-only where it can.",
        ),
    ]
