"""Parity with the reference: Docker Compose's own deployment of a corpus file and this project's
deployment of the same file give the same network, seen from inside the containers.

For each file: `docker compose -p <app> up -d` (the pinned Compose v2 binary the program
normalises with, `DOCKER_HOST` at the private engine; no `-p` for a file that names its own
project with `name:`) deploys it; every container is observed
(`tests/engine/parity.py`: DNS answers of every name from every container, labelled with the
container and network each address belongs to; pings between every container and every address;
fetches on 127.0.0.1 inside each joined namespace; files seen through each named volume; the
mode, owner, text digest and readability of each secret and config file);
`docker compose down -v` removes it. Then the program records its plan for the same file and
project name (`composeFile`, `composeProject`; none for a `name:`d file),
`tests/engine/realize.py` creates it as the pulumi-docker provider would, the same observations
are made, and the plan is torn down. The two observation sets must be equal, entry for entry.

Images are stand-ins (`tests/engine/images.py`) tagged under each image name the file uses,
with `/standin` as their entrypoint: whatever command the file gives becomes ignored arguments,
and each serves HTTP on its image's well-known port (80 when none is known). The files run as
they are written, on both sides. What a file needs from outside its project (an external volume
or network, the source of a long-syntax bind mount) is made before each side and removed after.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from components.compose_file import compose_binary, normalise_compose_file
from components.topology.compose import NO_IPV6_POOL
from plan import record_program
from tests.compose.facts import ENVIRONMENT, expected
from tests.engine.conftest import REPO, engine_exports, engine_sh
from tests.engine.images import Standin, build_standins, kind_of, plan_standins
from tests.engine.parity import (
    Observations,
    differences,
    observe,
    wait_until_serving,
)
from tests.engine.probes import sh
from tests.engine.realize import EngineRefused, Realization

pytestmark = pytest.mark.engine

PROJECT = "container-comms"
CORPUS = Path("tests/compose/corpus")

APPS = {
    "compose-e2e-ipam": "a fixed address on the default network's configured subnet",
    "compose-spec-networking": (
        "a service on two networks with another alias on each; fixed IPv4 and IPv6 addresses "
        "on a dual-stack subnet"
    ),
    "compose-e2e-networks": (
        "services on one to three networks, two named by the file; a `network_mode: service:` "
        "sidecar"
    ),
    "compose-spec-volumes": (
        "a named volume shared read-write and read-only; an external volume; a bind mount, a "
        "sized tmpfs and a read-only root"
    ),
    "prometheus-grafana": "fixed container names on the default network; a named volume",
    "nextcloud-traefik": "an external default network and an internal one; three named volumes",
    "gitea-postgres": "a fixed container name; short-syntax bind mounts of missing folders",
    "grafana-postgres-secrets": (
        "secrets read by a non-root user: a file secret (mounted) and an environment secret "
        "(copied, 0444); an environment secret with the long syntax's uid, gid and mode"
    ),
    "prometheus-alertmanager-configs": (
        "configs from a file (mounted; its mode ignored), content (with uid, gid and mode) and "
        "an environment variable (at a relative target), read by a non-root user"
    ),
    "minecraft-server": (
        "a service named with '_', reached by that name; binds with SELinux relabel flags"
    ),
    "vaultwarden-hardened": "a read-only root with tmpfs scratch space; a named volume",
    "immich-photos": (
        "a `name:`d project: containers and named volumes take the file's name, not the folder's"
    ),
}
"""The corpus files that run with stand-ins, and what each brings to the proof."""

SETTINGS_APPS = {
    "minecraft-server": (
        "tty and stdin_open; CPU and memory limits and a memory reservation under "
        "deploy.resources on a plain container; binds with SELinux relabel flags; a service "
        "named with '_'"
    ),
    "vaultwarden-hardened": (
        "tmpfs entries with mount options and a tmpfs mount with a mode on a read-only root; "
        "healthcheck.disable over the image's own check; a pids limit"
    ),
}
"""Corpus files whose containers' settings (not only their network) are compared, and what each
brings to the proof."""

HEALTH_CHECKED_IMAGES = {"vaultwarden/server:1.32.7"}
"""Stand-ins given a health check of their own, as the real images have one, so that
`healthcheck: {disable: true}` has a check to switch off."""

SETTING_DIFFERENCES: dict[str, dict[str, tuple[Any, Any]]] = {
    "minecraft-server": {
        # The relabel flag (`:z`, `:Z`) compose passes in the bind's mode, which
        # pulumi-docker cannot express (an advisory of the key table); on this host the
        # relabel changes nothing: the folder has no SELinux label after either deployment.
        "minecraft-server-mc-1 mount /data": (("bind", True, "rw,z"), ("bind", True, "rw")),
        "minecraft-server-mc_backup-1 mount /data": (
            ("bind", False, "ro,z"),
            ("bind", False, "ro"),
        ),
        "minecraft-server-mc_backup-1 mount /backups": (
            ("bind", True, "rw,Z"),
            ("bind", True, "rw"),
        ),
    },
    "vaultwarden-hardened": {
        # No pids limit (pulumi-docker 5.2.0 has no input for it; an advisory of the key table).
        "vaultwarden-hardened-vaultwarden-1 PidsLimit": (100, None),
        # A named volume: compose mounts it in the `binds` form (`vw-data:/data:rw`), the
        # provider with the mount API, for which the engine reports the mode `z` (a relabel
        # that does nothing on this host); the same volume, read-write, either way.
        "vaultwarden-hardened-vaultwarden-1 mount /data": (
            ("volume", True, "rw"),
            ("volume", True, "z"),
        ),
    },
}
"""For each file of `SETTINGS_APPS`: setting -> (compose's, this project's), for each setting
the two deployments are known to differ in; every other setting must be equal."""

FILE_MODES = {
    "grafana-postgres-secrets": {
        # Mounted from the host file (0644 in the repository): the host file's mode and owner.
        ("grafana", "/run/secrets/grafana_admin_password"): "644 0 0",
        # Copied in: compose's 0444, root's.
        ("grafana", "/run/secrets/db_password"): "444 0 0",
        # Copied in with the long syntax's uid, gid and mode.
        ("db", "/run/secrets/postgres_password"): "400 70 70",
    },
    "prometheus-alertmanager-configs": {
        ("prometheus", "/etc/prometheus/prometheus.yml"): "644 0 0",  # mode 0440 ignored
        ("prometheus", "/etc/prometheus/rules/alerts.yml"): "444 0 0",
        ("alertmanager", "/etc/alertmanager/alertmanager.yml"): "440 65534 65534",
        ("alertmanager", "/etc/alertmanager/web.yml"): "444 0 0",
    },
}
"""What Compose's own deployment gives each secret and config file (mode, uid, gid), by service
and path: the reference is checked against these before this project's deployment is compared
with it."""

KNOWN_DIFFERENCES: dict[str, tuple[str, str]] = {}
"""Files on which this project's deployment is known to differ: why, and the engine's exact
refusal of this project's deployment (each is a strict xfail, so a fix shows as a failure)."""

COMPOSE_TIMEOUT_S = 180


@dataclass(frozen=True)
class App:
    """One corpus file, as Docker Compose normalises it, and what the proof asks of it."""

    name: str
    model: dict[str, Any]
    given_project: str | None
    """The project name both deployments are given (the folder's), or None when the file names
    its own (`name:`), which then stands on both sides."""

    @property
    def project(self) -> str:
        """The project name Compose settled on."""
        return str(self.model["name"])

    @property
    def file(self) -> str:
        return str(CORPUS / self.name / "compose.yaml")

    @property
    def services(self) -> dict[str, Any]:
        return dict(self.model["services"])

    def container(self, key: str) -> str:
        return str(self.services[key].get("container_name") or f"{self.project}-{key}-1")

    @property
    def containers(self) -> list[str]:
        return sorted(self.container(key) for key in self.services)

    def network_name(self, key: str) -> str:
        return str(self.model["networks"][key]["name"])

    def service_networks(self, key: str) -> list[str]:
        return sorted(self.network_name(n) for n in self.services[key].get("networks") or {})

    @property
    def lookups(self) -> list[str]:
        """Every name a container might be reached by: service names, aliases, container
        names."""
        names = set(self.services) | set(self.containers)
        for service in self.services.values():
            for attachment in (service.get("networks") or {}).values():
                names.update((attachment or {}).get("aliases") or [])
        return sorted(names)

    def served(self, ports: Mapping[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
        """Container -> the ports its image's stand-in serves (none when the file gives the
        service an entrypoint of its own, which runs instead of `/standin`)."""
        return {
            self.container(k): () if s.get("entrypoint") else ports[s["image"]]
            for k, s in self.services.items()
        }

    @property
    def files(self) -> dict[str, list[str]]:
        """Container -> the paths of its secret and config files, where compose puts them."""
        found: dict[str, list[str]] = {}
        for key, service in self.services.items():
            for kind, folder in (("secrets", "/run/secrets/"), ("configs", "/")):
                for use in service.get(kind) or []:
                    target = str(use.get("target") or use["source"])
                    path = target if target.startswith("/") else folder + target
                    found.setdefault(self.container(key), []).append(path)
        return found

    @property
    def volumes(self) -> list[str]:
        return sorted(v["name"] for v in (self.model.get("volumes") or {}).values())

    def external(self, kind: str) -> list[str]:
        return sorted(v["name"] for v in (self.model.get(kind) or {}).values() if v.get("external"))

    @property
    def configured_networks(self) -> list[str]:
        """Engine names of the networks the file gives subnets."""
        return sorted(
            n["name"]
            for n in (self.model.get("networks") or {}).values()
            if (n.get("ipam") or {}).get("config")
        )

    def _binds(self, *, created: bool) -> list[Path]:
        return sorted(
            {
                Path(m["source"])
                for s in self.services.values()
                for m in s.get("volumes") or []
                if m.get("type") == "bind"
                and bool((m.get("bind") or {}).get("create_host_path")) == created
            }
        )

    @property
    def bind_sources(self) -> list[Path]:
        """Sources of the long-syntax bind mounts, which must exist before a deployment."""
        return self._binds(created=False)

    @property
    def created_bind_sources(self) -> list[Path]:
        """Sources of the short-syntax bind mounts, which the engine makes when missing."""
        return self._binds(created=True)


def load_app(name: str) -> App:
    project: str | None = expected(name)["run"]["project"]
    return App(name, normalise_compose_file(REPO, f"{CORPUS}/{name}/compose.yaml",
                                            project_name=project).model, project)  # fmt: skip


def program_config(app: App) -> dict[str, str]:
    """The program's configuration for `app`: its file, and the project name given compose."""
    config = {f"{PROJECT}:composeFile": app.file}
    if app.given_project is not None:
        config[f"{PROJECT}:composeProject"] = app.given_project
    return config


# -- stand-ins ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def standin_ports(engine: docker.DockerClient) -> Iterator[dict[str, tuple[int, ...]]]:
    """Entrypoint stand-ins for every image the files use: image name -> ports it serves.

    Tags that already existed (the other engine proofs' stand-ins) are put back afterwards;
    tags made here are removed.
    """
    apps = [*APPS, *SETTINGS_APPS]
    images = sorted({s["image"] for app in apps for s in load_app(app).services.values()})
    planned = plan_standins(images, {})
    standins = [
        Standin(
            tag=s.tag,
            kind=s.kind,
            ports=s.ports if kind_of(s.tag) != "shell" else (80,),
            entrypoint=True,
        )
        for s in planned
    ]
    before: dict[str, str] = {}
    for standin in standins:
        with contextlib.suppress(docker.errors.ImageNotFound):
            before[standin.tag] = engine.images.get(standin.tag).id
    build_standins(engine, standins)
    for tag in HEALTH_CHECKED_IMAGES:
        _give_health_check(engine, tag)
    try:
        yield {s.tag: s.ports for s in standins}
    finally:
        for standin in standins:
            if standin.tag in before:
                repository, tag = _repository_and_tag(standin.tag)
                engine.api.tag(before[standin.tag], repository, tag, force=True)
            else:
                with contextlib.suppress(docker.errors.APIError):
                    engine.api.remove_image(standin.tag)


def _give_health_check(engine: docker.DockerClient, tag: str) -> None:
    """Re-tag the stand-in `tag` with a health check of its own (`HEALTHCHECK CMD true`)."""
    created = engine.api.create_container(tag)
    try:
        repository, version = _repository_and_tag(tag)
        health = {"Test": ["CMD-SHELL", "true"], "Interval": 1_000_000_000, "Retries": 1}
        engine.api.commit(created["Id"], repository, version, conf={"Healthcheck": health})
    finally:
        engine.api.remove_container(created["Id"], force=True)
    assert engine.images.get(tag).attrs["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]


def _repository_and_tag(image: str) -> tuple[str, str]:
    slash, colon = image.rfind("/"), image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


# -- what a file needs from outside its project -------------------------------------------


@contextlib.contextmanager
def host_paths(files: list[Path], folders: list[Path]) -> Iterator[None]:
    """Each missing path of `files` made as an empty file (with its missing folders), and each
    missing one of `folders` that a deployment makes, removed after."""
    made: list[Path] = [p for p in folders if not p.exists()]
    try:
        for path in files:
            if path.exists():
                continue
            missing = [p for p in reversed(path.parents) if not p.exists()]
            for folder in missing:
                folder.mkdir()
                made.append(folder)
            path.touch()
            made.append(path)
        yield
    finally:
        for path in reversed(made):
            if path.is_dir():
                path.rmdir()
            elif path.exists():
                path.unlink()


@contextlib.contextmanager
def externals(engine: docker.DockerClient, app: App) -> Iterator[None]:
    """The file's external volumes and networks, made empty and removed after."""
    volumes = app.external("volumes")
    networks = app.external("networks")
    try:
        for volume in volumes:
            engine.api.create_volume(volume)
        for network in networks:
            engine.api.create_network(network, driver="bridge")
        yield
    finally:
        for network in networks:
            with contextlib.suppress(docker.errors.NotFound):
                engine.api.remove_network(network)
        for volume in volumes:
            with contextlib.suppress(docker.errors.NotFound):
                engine.api.remove_volume(volume, force=True)


# -- the two deployments ------------------------------------------------------------------


def docker_host() -> str:
    host = engine_exports(engine_sh("env").stdout).get("DOCKER_HOST")
    assert host, "scripts/engine.sh env names no DOCKER_HOST"
    return host


def compose(app: App, *args: str) -> subprocess.CompletedProcess[str]:
    """`docker compose -f FILE [-p APP] ARGS` against the private engine, failing with stderr."""
    done = run_compose(app.file, app.given_project, *args)
    assert done.returncode == 0, f"docker compose {' '.join(args)}: {done.stderr.strip()}"
    return done


def run_compose(
    file: str, project: str | None, *args: str, variables: Mapping[str, str] = ENVIRONMENT
) -> subprocess.CompletedProcess[str]:
    """`docker compose -f FILE -p PROJECT ARGS` (no `-p` when `project` is None) against the
    private engine, with `variables` in its environment."""
    with tempfile.TemporaryDirectory(prefix="compose-parity-") as config:
        env = {
            "DOCKER_HOST": docker_host(),
            "DOCKER_CONFIG": config,
            "HOME": config,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **variables,
        }
        named = ["-p", project] if project is not None else []
        argv = [str(compose_binary()), "-f", str(REPO / file), *named, *args]
        return subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=REPO,
            timeout=COMPOSE_TIMEOUT_S, check=False,
        )  # fmt: skip


def leftovers(engine: docker.DockerClient, app: App) -> list[str]:
    """What of the project is still on the engine, by name."""
    label = f"com.docker.compose.project={app.project}"
    found = [
        f"container {c.name}" for c in engine.containers.list(all=True, filters={"label": label})
    ]
    found += [
        f"network {n.name}"
        for n in engine.networks.list(filters={"label": label})
        if n.name not in {"bridge", "host", "none"}
    ]
    found += [f"volume {v.name}" for v in engine.volumes.list(filters={"label": label})]
    return found


def observed(
    engine: docker.DockerClient, app: App, ports: dict[str, tuple[int, ...]]
) -> Observations:
    served = app.served(ports)
    wait_until_serving(engine, app.containers, served)
    return observe(
        engine,
        app.containers,
        lookups=app.lookups,
        served=served,
        volumes=app.volumes,
        configured_networks=app.configured_networks,
        files=app.files,
    )


def deployed_by_compose(
    engine: docker.DockerClient, app: App, ports: dict[str, tuple[int, ...]]
) -> Observations:
    with externals(engine, app):
        compose(app, "up", "-d", "--pull", "never")
        try:
            return observed(engine, app, ports)
        finally:
            compose(app, "down", "-v", "--timeout", "0")
            assert leftovers(engine, app) == [], "docker compose down left these behind"


def deployed_by_this_project(
    engine: docker.DockerClient, app: App, ports: dict[str, tuple[int, ...]]
) -> Observations:
    config = program_config(app)
    with pytest.MonkeyPatch.context() as patch:  # the variables compose was given, as theirs
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        plan = record_program(
            REPO / "__main__.py", project=PROJECT, stack="parity", config=config, preview=False
        )
    with externals(engine, app), Realization(engine) as realization:
        realization.apply_plan(plan)
        return observed(engine, app, ports)


# -- the proof ----------------------------------------------------------------------------


def check_reference(app: App, seen: Observations) -> None:
    """What any correct deployment of the file shows, asserted of Compose's own: the probes
    see what they are meant to see, so an equality of two blind observation sets cannot pass."""
    assert seen.containers == {c: "running" for c in app.containers}
    for key, service in app.services.items():
        mode = service.get("network_mode") or ""
        me = app.container(key)
        if mode.startswith("service:"):
            owner = app.container(mode.removeprefix("service:"))
            assert seen.modes[me] == (f"joins {owner}",)
            continue
        networks = app.service_networks(key)
        # The embedded DNS server answers with the address on one network the asker shares.
        answers = {label.rsplit("/", 1)[0] for label in seen.dns[(me, key)]}
        assert answers, f"{me} looking up {key}: no answer"
        assert answers <= {f"{me}/{n}" for n in networks}, f"{me} looking up {key}"
        for network in networks:
            assert seen.reach[(me, f"{me}/{network}/v4")], f"{me} pinging itself on {network}"
    for (member, port), page in seen.loopback.items():
        assert page, f"{member} fetching 127.0.0.1:{port}"
    # Every named volume mount is seen, on the volume named as Compose's model names it.
    assert {key: volume for key, (volume, _w, _f) in seen.volumes.items()} == {
        (app.container(key), m["target"]): app.model["volumes"][m["source"]]["name"]
        for key, service in app.services.items()
        for m in service.get("volumes") or []
        if m.get("type") == "volume" and m.get("source")
    }
    writers: dict[str, set[str]] = {}
    for (container, _target), (volume, wrote, _files) in seen.volumes.items():
        if wrote:
            writers.setdefault(volume, set()).add(container)
    for (container, _target), (volume, _wrote, files) in seen.volumes.items():
        assert set(files) >= writers.get(volume, set()), f"{container} reading {volume}"
    # Every secret and config file is there, and the container's own user (root or not)
    # reads it.
    assert sorted(seen.files) == sorted((c, p) for c, paths in app.files.items() for p in paths)
    for (container, path), file in seen.files.items():
        assert file.endswith(" readable"), f"{container} reading {path}: {file}"
    modes = {
        (app.container(key), path): mode
        for (key, path), mode in FILE_MODES.get(app.name, {}).items()
    }
    assert {k: seen.files[k].split(" ")[:3] for k in modes} == {
        k: mode.split(" ") for k, mode in modes.items()
    }


def _marks(name: str) -> tuple[pytest.MarkDecorator, ...]:
    if name not in KNOWN_DIFFERENCES:
        return ()
    reason, _refusal = KNOWN_DIFFERENCES[name]
    return (pytest.mark.xfail(raises=EngineRefused, strict=True, reason=reason),)


@pytest.mark.parametrize("name", [pytest.param(name, marks=_marks(name)) for name in sorted(APPS)])
def test_compose_and_this_project_give_the_same_dns_and_connectivity(
    name: str, engine: docker.DockerClient, standin_ports: dict[str, tuple[int, ...]]
) -> None:
    app = load_app(name)
    # Each side starts from the same host: what one made there is gone before the other runs.
    with host_paths(app.bind_sources, app.created_bind_sources):
        reference = deployed_by_compose(engine, app, standin_ports)
    check_reference(app, reference)
    with host_paths(app.bind_sources, app.created_bind_sources):
        try:
            ours = deployed_by_this_project(engine, app, standin_ports)
        except EngineRefused as refused:
            if name in KNOWN_DIFFERENCES:  # only the known refusal counts as the known one
                wanted = KNOWN_DIFFERENCES[name][1].format(corpus=REPO / CORPUS)
                assert refused.message == wanted, f"{name}: {refused}"
            raise
    found = differences(reference, ours)
    assert not found, f"{name}: this project's deployment differs from docker compose's:\n" + (
        "\n".join(found)
    )
    assert ours == reference


def test_compose_gives_copied_text_with_uid_to_the_services_user_as_the_engines_host_knows_it(
    engine: docker.DockerClient,
) -> None:
    """Why uid or gid on a copied secret or config is refused for a service that sets `user`:
    `docker compose up` copies it with `CopyUIDGID`, and the engine then looks the container's
    user up in its own host's passwd database, not the uid and gid given; `1000:1000` is no
    entry there, and the container never starts."""
    file = "tests/compose/bad/copied-file-owner-with-user/compose.yaml"
    project = "copied-owner"
    tag = "busybox:1.36"
    before = None
    with contextlib.suppress(docker.errors.ImageNotFound):
        before = engine.images.get(tag).id
    build_standins(engine, [Standin(tag=tag, kind="shell", ports=(), entrypoint=True)])
    try:
        up = run_compose(file, project, "up", "-d", "--pull", "never",
                         variables={"CC_TEST_TOKEN": "t"})  # fmt: skip
        states = {c.name: c.status for c in engine.containers.list(all=True)}
    finally:
        run_compose(file, project, "down", "-v", "--timeout", "0", variables={"CC_TEST_TOKEN": "t"})
        if before is not None:
            repository, version = _repository_and_tag(tag)
            engine.api.tag(before, repository, version, force=True)
        else:
            with contextlib.suppress(docker.errors.APIError):
                engine.api.remove_image(tag)
    assert up.returncode != 0
    assert 'getent unable to find entry "1000:1000" in passwd database' in up.stderr
    assert states == {"copied-owner-app-1": "created"}


# -- container settings -------------------------------------------------------------------


def container_settings(engine: docker.DockerClient, app: App) -> dict[str, Any]:
    """What the engine reports, and the containers see, of each container's settings: terminal
    and stdin, health check, limits and reservations, tmpfs and mounts (with the options each
    tmpfs is mounted with inside, from /proc/mounts), and the SELinux label the engine left on
    each bind's host folder (none on a host without SELinux)."""
    wait_until_serving(engine, app.containers, {c: () for c in app.containers})
    found: dict[str, Any] = {}
    for name in app.containers:
        attrs = engine.api.inspect_container(name)
        config, host = attrs["Config"], attrs["HostConfig"]
        for key in ("Tty", "OpenStdin", "Healthcheck"):
            found[f"{name} {key}"] = config.get(key)
        found[f"{name} Health"] = (attrs["State"].get("Health") or {}).get("Status")
        for key in (
            "Memory", "NanoCpus", "MemoryReservation", "PidsLimit", "ReadonlyRootfs",
            "SecurityOpt", "Tmpfs",
        ):  # fmt: skip
            found[f"{name} {key}"] = host.get(key) or None
        for mount in attrs["Mounts"]:
            target = mount["Destination"]
            found[f"{name} mount {target}"] = (mount["Type"], mount["RW"], mount.get("Mode"))
            if mount["Type"] == "bind":
                found[f"{name} label {target}"] = _selinux_label(Path(mount["Source"]))
        status, output = sh(engine.containers.get(name), "cat /proc/mounts")
        assert status == 0, f"{name}: cat /proc/mounts: {output}"
        for line in output.splitlines():
            _device, target, kind, options, *_ = line.split()
            if kind == "tmpfs" and target not in ("/dev", "/dev/shm", "/sys/fs/cgroup"):
                found[f"{name} tmpfs {target}"] = options
    return found


def _selinux_label(path: Path) -> str | None:
    try:
        return os.getxattr(path, "security.selinux").decode()
    except OSError:
        return None


@pytest.mark.parametrize("name", sorted(SETTINGS_APPS))
def test_compose_and_this_project_give_the_same_container_settings(
    name: str, engine: docker.DockerClient, standin_ports: dict[str, tuple[int, ...]]
) -> None:
    app = load_app(name)
    assert not Path("/sys/fs/selinux/enforce").exists(), "this proof assumes a host without SELinux"
    with host_paths(app.bind_sources, app.created_bind_sources), externals(engine, app):
        compose(app, "up", "-d", "--pull", "never")
        try:
            reference = container_settings(engine, app)
        finally:
            compose(app, "down", "-v", "--timeout", "0")
    check_settings_reference(name, reference)
    with host_paths(app.bind_sources, app.created_bind_sources):
        config = program_config(app)
        plan = record_program(
            REPO / "__main__.py", project=PROJECT, stack="parity", config=config, preview=False
        )
        with externals(engine, app), Realization(engine) as realization:
            realization.apply_plan(plan)
            ours = container_settings(engine, app)
    assert sorted(ours) == sorted(reference)
    differing = {k: (reference[k], ours[k]) for k in reference if reference[k] != ours[k]}
    assert differing == SETTING_DIFFERENCES[name]


def check_settings_reference(name: str, seen: Mapping[str, Any]) -> None:
    """What compose's own deployment shows of the keys each file brings, so an equality of two
    deployments that both ignored a key cannot pass."""
    mib = 1024 * 1024
    if name == "minecraft-server":
        mc = "minecraft-server-mc-1"
        assert (seen[f"{mc} Tty"], seen[f"{mc} OpenStdin"]) == (True, True)
        assert seen[f"{mc} Memory"] == 1536 * mib
        assert seen[f"{mc} NanoCpus"] == 1_500_000_000
        assert seen[f"{mc} MemoryReservation"] == 1024 * mib
        assert seen[f"{mc} label /data"] is None  # the relabel changed nothing here
        assert seen["minecraft-server-mc_backup-1 Tty"] is False
    if name == "vaultwarden-hardened":
        vw = "vaultwarden-hardened-vaultwarden-1"
        assert seen[f"{vw} Healthcheck"]["Test"] == ["NONE"]
        assert seen[f"{vw} Health"] is None  # the image's own check does not run
        assert seen[f"{vw} Tmpfs"] == {
            "/tmp": "size=64m,mode=1777,noexec,nosuid",
            "/run": "size=8m",
        }
        assert "size=65536k" in seen[f"{vw} tmpfs /tmp"]
        assert "noexec" in seen[f"{vw} tmpfs /tmp"]
        assert "mode=1770" in seen[f"{vw} tmpfs /var/cache/vaultwarden"]
        assert seen[f"{vw} ReadonlyRootfs"] is True
        assert seen[f"{vw} PidsLimit"] == 100
        assert seen[f"{vw} Memory"] == 256 * mib


def test_enable_ipv6_without_an_ipv6_subnet_is_refused_by_the_engine(
    engine: docker.DockerClient,
) -> None:
    """What the program's refusal of `enable_ipv6: true` without an IPv6 subnet quotes: the
    engine (default address pools, as installed) has no IPv6 pool to give the network."""
    with pytest.raises(docker.errors.APIError) as caught:
        created = engine.api.create_network("cc-ipv6-no-subnet", driver="bridge", enable_ipv6=True)
        engine.api.remove_network(created["Id"])
    explanation = str(caught.value.explanation)
    assert explanation == (
        "could not find an available, non-overlapping IPv6 address pool among the defaults to "
        "assign to the network"
    )
    assert f'("{explanation}")' in NO_IPV6_POOL
