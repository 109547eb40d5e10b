"""Nothing read from outside the project: every file a compose import reads is checked first.

Each refusal is asserted whole. Where the claim is "before Compose runs", the binary is made
unreachable, so a test that let Compose run would fail on that instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from components import compose_file as compose_module
from components import compose_inputs
from components.compose_file import ComposeFileError, NormalisedCompose, normalise_compose_file
from components.compose_inputs import MAX_DEPTH, model_problems
from components.problems import Problem


def _write(folder: Path, text: str, name: str = "compose.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _normalise(folder: Path, **kwargs: Any) -> NormalisedCompose:
    kwargs.setdefault("project_name", "proj")
    return normalise_compose_file(folder, "compose.yaml", **kwargs)


def _refused_before_compose(folder: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> str:
    """The refusal, with Compose's binary out of reach: the files were refused before it ran."""

    def no_compose() -> Path:
        raise AssertionError("Docker Compose ran before every file it reads was checked")

    monkeypatch.setattr(compose_module, "compose_binary", no_compose)
    with pytest.raises(ComposeFileError) as caught:
        _normalise(folder, **kwargs)
    return str(caught.value)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    _write(tmp_path, "PASSWORD=hunter2\n", "outside.env")
    return folder


def _service(key: str, value: str) -> str:
    return f"services:\n  app:\n    image: busybox\n    {key}: {value}\n"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        pytest.param(
            _service("env_file", "../outside.env"),
            "compose.yaml:4: services.app.env_file",
            "an env file",
            id="env_file",
        ),
        pytest.param(
            _service("env_file", "[{path: ../outside.env, required: false}]"),
            "compose.yaml:4: services.app.env_file[0].path",
            "an env file",
            id="env_file-long-syntax",
        ),
        pytest.param(
            _service("label_file", "[../outside.env]"),
            "compose.yaml:4: services.app.label_file[0]",
            "a label file",
            id="label_file",
        ),
        pytest.param(
            "services:\n  app:\n    image: busybox\nsecrets:\n  pw:\n    file: ../outside.env\n",
            "compose.yaml:6: secrets.pw.file",
            "a secret file",
            id="secret",
        ),
        pytest.param(
            "services:\n  app:\n    image: busybox\nconfigs:\n  site:\n    file: ../outside.env\n",
            "compose.yaml:6: configs.site.file",
            "a config file",
            id="config",
        ),
        pytest.param(
            "include:\n  - ../outside.env\nservices:\n  app:\n    image: busybox\n",
            "compose.yaml:2: include[0]",
            "a compose file",
            id="include",
        ),
        pytest.param(
            "include:\n  - path: inc.yaml\n    env_file: ../outside.env\n"
            "services:\n  app:\n    image: busybox\n",
            "compose.yaml:3: include[0].env_file",
            "an env file",
            id="include-env_file",
        ),
        pytest.param(
            _service("extends", "{file: ../outside.env, service: base}"),
            "compose.yaml:4: services.app.extends.file",
            "a compose file",
            id="extends",
        ),
    ],
)
def test_file_outside_the_project_is_refused_before_compose_runs(
    project: Path, monkeypatch: pytest.MonkeyPatch, text: str, where: str, what: str
) -> None:
    _write(project, text)
    _write(project, "services:\n  i:\n    image: busybox\n", "inc.yaml")
    outside = project.parent / "outside.env"
    message = _refused_before_compose(project, monkeypatch)
    assert message == (
        f'{where}: "../outside.env" resolves to {outside}, outside the project folder '
        f"{project}; name {what} in it"
    )
    assert "hunter2" not in message


def test_build_context_and_dockerfile_outside_are_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(project, _service("build", "{context: .., dockerfile: ../../Dockerfile}"))
    message = _refused_before_compose(project, monkeypatch)
    assert message == "\n".join(
        [
            f'compose.yaml:4: services.app.build.context: ".." resolves to {project.parent}, '
            f"outside the project folder {project}; name a build context in it",
            f'compose.yaml:4: services.app.build.dockerfile: "../../Dockerfile" resolves to '
            f"{project.parents[2] / 'Dockerfile'}, outside the project folder {project}; "
            "name a Dockerfile in it",
        ]
    )


def test_symlinked_dot_env_is_followed_and_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A path with a variable would have Compose interpolate it with this .env: it must not.
    _write(project, _service("env_file", "${PASSWORD}.env"))
    (project / ".env").symlink_to(project.parent / "outside.env")
    message = _refused_before_compose(project, monkeypatch)
    assert message == (
        f'compose.yaml: .env: "{project}/.env" resolves to {project.parent / "outside.env"}, '
        f"outside the project folder {project}; name an env file in it"
    )


def test_process_environment_as_env_file_never_reaches_the_model(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNNER_TOKEN", "ghp_not_for_the_report")
    (project / "ci.env").symlink_to(f"/proc/{os.getpid()}/environ")
    _write(project, _service("env_file", "ci.env"))
    message = _refused_before_compose(project, monkeypatch)
    assert message == (
        f'compose.yaml:4: services.app.env_file: "ci.env" resolves to /proc/{os.getpid()}/environ, '
        f"outside the project folder {project}; name an env file in it"
    )
    assert "ghp_" not in message


def test_device_linked_into_the_project_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "zero").symlink_to("/dev/zero")
    _write(project, "services:\n  app:\n    image: busybox\nsecrets:\n  s:\n    file: zero\n")
    assert _refused_before_compose(project, monkeypatch) == (
        f'compose.yaml:6: secrets.s.file: "zero" resolves to /dev/zero, outside the project '
        f"folder {project}; name a secret file in it"
    )


def test_fifo_is_refused_without_being_opened(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(project / "app.env")  # opening it would block: the refusal proves it was not
    _write(project, _service("env_file", "app.env"))
    assert _refused_before_compose(project, monkeypatch) == (
        'compose.yaml:4: services.app.env_file: "app.env" is a named pipe (fifo); an env file '
        "must be a regular file"
    )


def test_oversized_and_missing_files_are_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (project / "big.env").open("wb") as big:
        big.truncate(8 * 1024 * 1024 + 1)
    _write(
        project,
        "services:\n  app:\n    image: busybox\n    env_file: [big.env, {path: opt.env, "
        "required: false}]\n    label_file: gone.labels\n",
    )
    assert _refused_before_compose(project, monkeypatch) == "\n".join(
        [
            'compose.yaml:4: services.app.env_file[0]: "big.env" is 8,388,609 bytes, over the '
            "8,388,608-byte limit for an env file",
            'compose.yaml:5: services.app.label_file: "gone.labels" does not exist in the '
            "project folder",
        ]
    )


def test_files_of_included_and_extended_files_resolve_from_their_own_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        project,
        "include:\n  - sub/inc.yaml\nservices:\n  app:\n"
        "    extends: {file: base/common.yaml, service: base}\n",
    )
    _write(project, _service("env_file", "../../outside.env"), "sub/inc.yaml")
    _write(
        project,
        "services:\n  base:\n    image: busybox\n    env_file: ok.env\n"
        "    label_file: ../../outside.env\n",
        "base/common.yaml",
    )
    _write(project, "A=1\n", "base/ok.env")
    outside = project.parent / "outside.env"
    assert _refused_before_compose(project, monkeypatch) == "\n".join(
        [
            f'sub/inc.yaml:4: services.app.env_file: "../../outside.env" resolves to {outside}, '
            f"outside the project folder {project}; name an env file in it",
            f'base/common.yaml:5: services.base.label_file: "../../outside.env" resolves to '
            f"{outside}, outside the project folder {project}; name a label file in it",
        ]
    )


def test_included_project_dot_env_is_checked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(project, "include:\n  - sub/inc.yaml\nservices:\n  app:\n    image: busybox\n")
    _write(project, "services:\n  i:\n    image: busybox\n", "sub/inc.yaml")
    os.mkfifo(project / "sub" / ".env")  # Compose reads the included project's .env: it hangs
    assert _refused_before_compose(project, monkeypatch) == (
        f'compose.yaml:2: include[0] (.env): "{project}/sub/.env" is a named pipe (fifo); an '
        "env file must be a regular file"
    )


def test_compose_files_named_with_variables_are_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        project,
        "include:\n  - ${DIR}/inc.yaml\nservices:\n  app:\n    image: busybox\n"
        "    extends: {file: '${BASE:-base.yaml}', service: b}\n",
    )
    assert _refused_before_compose(project, monkeypatch) == "\n".join(
        [
            'compose.yaml:2: include[0]: "${DIR}/inc.yaml" names a compose file with a '
            "variable, which is resolved only as Compose reads it; write the path without "
            "variables",
            'compose.yaml:6: services.app.extends.file: "${BASE:-base.yaml}" names a compose '
            "file with a variable, which is resolved only as Compose reads it; write the path "
            "without variables",
        ]
    )


def test_interpolated_path_is_resolved_by_compose_and_then_checked(project: Path) -> None:
    _write(project, _service("env_file", "${ENV_DIR:-.}/${STAGE}.env"))
    _write(project, "STAGE=dev\n", ".env")
    _write(project, "MODE=development\n", "dev.env")
    assert _normalise(project).model["services"]["app"]["environment"] == {"MODE": "development"}
    _write(project, "STAGE=outside\nENV_DIR=..\n", ".env")
    with pytest.raises(ComposeFileError) as caught:
        _normalise(project)
    assert str(caught.value) == (
        f'compose.yaml:4: services.app.env_file: "../outside.env" resolves to '
        f"{project.parent / 'outside.env'}, outside the project folder {project}; name an env "
        "file in it"
    )


def test_variable_in_an_included_file_path_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(project, "include:\n  - sub/inc.yaml\nservices:\n  app:\n    image: busybox\n")
    _write(project, _service("env_file", "${STAGE}.env"), "sub/inc.yaml")
    assert _refused_before_compose(project, monkeypatch) == (
        'sub/inc.yaml:4: services.app.env_file: "${STAGE}.env" is written with a variable in '
        "an included file, which cannot be checked before Compose reads it; write the path "
        "without variables"
    )


def test_env_file_compose_cannot_parse_is_named_without_its_text(project: Path) -> None:
    _write(project, _service("env_file", "creds.env"))
    _write(project, "USER=admin\nhunter2 is the password\n", "creds.env")
    with pytest.raises(ComposeFileError) as caught:
        _normalise(project)
    assert str(caught.value) == (
        "creds.env:2: Docker Compose cannot read it as an env file (its text is not shown); "
        "write one NAME=value per line"
    )
    assert "hunter2" not in str(caught.value)


def test_extends_chain_deeper_than_the_limit_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(project, _service("extends", "{file: f1.yaml, service: s}"))
    for depth in range(1, MAX_DEPTH + 2):
        _write(
            project,
            f"services:\n  s:\n    image: busybox\n    extends: {{file: f{depth + 1}.yaml, "
            "service: s}\n",
            f"f{depth}.yaml",
        )
    assert _refused_before_compose(project, monkeypatch) == (
        f"f{MAX_DEPTH}.yaml:4: services.s.extends.file: reaches compose files more than "
        f"{MAX_DEPTH} deep"
    )


def test_files_inside_the_project_pass_and_compose_reads_them(project: Path) -> None:
    _write(
        project,
        "services:\n  app:\n    image: busybox\n    env_file: [app.env, {path: opt.env, "
        "required: false}]\n    secrets: [pw]\n    build: ctx\nsecrets:\n  pw:\n    file: pw.txt\n",
    )
    _write(project, "A=1\n", "app.env")
    _write(project, "s3cret\n", "pw.txt")
    (project / "ctx").mkdir()
    model = _normalise(project).model
    assert model["services"]["app"]["environment"] == {"A": "1"}
    assert model["secrets"]["pw"]["file"] == str(project / "pw.txt")


def test_normalised_model_is_checked_again(tmp_path: Path) -> None:
    model = {
        "secrets": {"pw": {"file": "/etc/shadow"}},
        "services": {"app": {"build": {"context": str(tmp_path)}}},
    }
    assert model_problems(tmp_path, "compose.yaml", model) == [
        Problem(
            ("secrets", "pw", "file"),
            f'"/etc/shadow" resolves to /etc/shadow, outside the project folder {tmp_path}; '
            "name a secret file in it",
            file="compose.yaml",
        )
    ]


def test_every_document_of_a_compose_file_is_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Compose merges the documents of one file: the second one's env file is read too.
    first = "services:\n  web:\n    image: busybox\n---\n"
    _write(project, first + _service("env_file", "../outside.env"))
    assert _refused_before_compose(project, monkeypatch) == (
        f'compose.yaml:8: services.app.env_file: "../outside.env" resolves to '
        f"{project.parent / 'outside.env'}, outside the project folder {project}; name an env "
        "file in it"
    )


def test_colon_in_a_flow_list_is_read_as_compose_reads_it(project: Path) -> None:
    _write(project, _service("ports", "[8080:80]") + "    env_file: [app.env]\n")
    _write(project, "A=1\n", "app.env")
    app = _normalise(project).model["services"]["app"]
    assert (app["ports"][0]["published"], app["environment"]) == ("8080", {"A": "1"})


def test_required_variable_in_a_path_is_refused_without_compose_text(project: Path) -> None:
    _write(project, _service("env_file", "${STAGE:?set STAGE}.env"))
    with pytest.raises(ComposeFileError) as caught:
        _normalise(project)
    assert str(caught.value) == (
        'compose.yaml:4: services.app.env_file: "${STAGE:?set STAGE}.env" cannot be '
        "interpolated before Compose reads it; check the variables it names"
    )


def test_compose_env_file_compose_cannot_parse_is_named_without_its_text(project: Path) -> None:
    _write(project, _service("environment", '["PW=${PW}"]'))
    # Compose's own message quotes this line: `unexpected character "\"" in variable name
    # "ghp_not_for_the_report\"x"`.
    _write(project, 'USER=admin\nghp_not_for_the_report"x\n', "stage.env")
    with pytest.raises(ComposeFileError) as caught:
        _normalise(project, env_file="stage.env")
    assert str(caught.value) == (
        "stage.env:2: Docker Compose cannot read it as an env file (its text is not shown); "
        "write one NAME=value per line"
    )
    assert "ghp_" not in str(caught.value)


def test_device_in_the_project_is_refused_without_being_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:  # /dev/zero's numbers: reading it would never end
        os.mknod(project / "zero.env", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device node needs root")
    _write(project, _service("env_file", "zero.env"))
    assert _refused_before_compose(project, monkeypatch) == (
        'compose.yaml:4: services.app.env_file: "zero.env" is a character device; an env file '
        "must be a regular file"
    )


def test_compose_files_read_in_all_are_bounded(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compose_inputs, "MAX_TOTAL_BYTES", 200)
    _write(project, "include: [a.yaml, b.yaml]\nservices:\n  app:\n    image: busybox\n")
    for name in ("a", "b"):
        padded = f"services:\n  {name}:\n    image: busybox\n" + "# padding\n" * 6
        _write(project, padded, f"{name}.yaml")
    assert _refused_before_compose(project, monkeypatch) == (
        "b.yaml: takes the compose files read past 200 bytes in all"
    )
