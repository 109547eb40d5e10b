"""Start a policy pack as its own process, the way the Pulumi CLI does, and talk to it.

The CLI boots a Python pack through its `pulumi-analyzer-policy-python` shim: working directory
the pack's folder, `python -u -m pulumi.policy <engine address> .` run with the pack's
virtualenv (the `virtualenv` runtime option of `PulumiPolicy.yaml`) when there is one, and the
environment extended with PULUMI_CONFIG (the stack's config as JSON), PULUMI_ORGANIZATION,
PULUMI_PROJECT, PULUMI_STACK and PULUMI_DRY_RUN. The pack prints its gRPC port as the first line
of its stdout; everything after goes to the logs. This module does the same and stops the
process (and anything it started) however the run ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc  # type: ignore[import-untyped]
import yaml
from pulumi.runtime.proto import analyzer_pb2_grpc

ENGINE_ADDRESS = "127.0.0.1:0"
"""What the pack is told as the engine's address. `pulumi.policy` parses it and never dials it."""

DIY_ORGANIZATION = "organization"
"""The organization the CLI reports for stacks on a self-managed (file) backend."""


ENV_STRING_LIMIT = 131072
"""Linux's limit on one `NAME=value` environment string (MAX_ARG_STRLEN); beyond it `execve`
fails with E2BIG, for the CLI's language host and policy analyzer just as for this tool."""


def config_env_size(config: Mapping[str, str]) -> int:
    """The bytes of `PULUMI_CONFIG=<json>` the CLI would put in a program's environment."""
    return len(("PULUMI_CONFIG=" + json.dumps(dict(config))).encode("utf-8")) + 1


def check_config_size(config: Mapping[str, str]) -> None:
    """Refuse a config the Pulumi CLI could not hand to the program or the pack."""
    size = config_env_size(config)
    if size > ENV_STRING_LIMIT:
        raise PackError(
            f"the stack's config is {size:,} bytes as PULUMI_CONFIG, the environment variable "
            "through which the Pulumi CLI hands it to the program and to the policy pack; "
            f"Linux refuses an environment string over {ENV_STRING_LIMIT:,} bytes (E2BIG, "
            "argument list too long), so `pulumi preview` and `pulumi up` could not start this "
            "stack: make the config smaller (a large topology goes in a file named by "
            "`container-comms:topologyFile`)"
        )


class PackError(Exception):
    """The pack could not be started or stopped answering; the stack was not checked."""


@dataclass(frozen=True)
class PackProject:
    """What `PulumiPolicy.yaml` says about a pack."""

    path: Path
    """The pack's folder."""
    runtime: str
    """The runtime name (`python`)."""
    options: dict[str, Any]
    """The runtime options (`virtualenv`, `toolchain`, ...)."""
    version: str
    """The version the CLI reports for the pack ("" when the file gives none)."""


def read_pack_project(pack_dir: Path) -> PackProject:
    """The pack's `PulumiPolicy.yaml`, refused when it is missing or not a Python pack."""
    path = pack_dir / "PulumiPolicy.yaml"
    if not path.is_file():
        raise PackError(f"{pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PackError(f"{path}: malformed YAML: {error}") from None
    if not isinstance(document, dict):
        raise PackError(f"{path}: a policy pack file is a map with a `runtime:` key")
    runtime = document.get("runtime")
    options: dict[str, Any] = {}
    if isinstance(runtime, dict):
        options = dict(runtime.get("options") or {})
        runtime = runtime.get("name")
    if runtime != "python":
        raise PackError(
            f"{path}: runtime {runtime!r}: the offline preview runs Python policy packs only"
        )
    return PackProject(
        path=pack_dir, runtime="python", options=options, version=str(document.get("version", ""))
    )


def pack_python(project: PackProject) -> str:
    """The interpreter the CLI's shim would use: the pack's virtualenv when it has one.

    A pack that names a virtualenv which does not exist (yet) runs with this process's own
    interpreter, which has the pack's requirements when installed from requirements-dev.txt.
    """
    virtualenv = project.options.get("virtualenv")
    if virtualenv:
        candidate = (project.path / str(virtualenv)).resolve() / "bin" / "python"
        if candidate.is_file():
            return str(candidate)
    return sys.executable


def pack_environment(
    python: str,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    organization: str = DIY_ORGANIZATION,
    dry_run: bool = True,
) -> dict[str, str]:
    """The pack process's environment, as the CLI builds it (empty values are left out)."""
    env = dict(os.environ)
    if config:
        env["PULUMI_CONFIG"] = json.dumps(dict(config))
    env["PULUMI_ORGANIZATION"] = organization
    env["PULUMI_PROJECT"] = project
    env["PULUMI_STACK"] = stack
    env["PULUMI_DRY_RUN"] = "true" if dry_run else "false"
    bin_dir = str(Path(python).parent)
    if Path(bin_dir, "activate").is_file():  # a virtualenv: first on PATH, no PYTHONHOME
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env.pop("PYTHONHOME", None)
    return env


class _Tail:
    """The last lines a stream wrote, read by a daemon thread so the pipe never fills."""

    def __init__(self, stream: IO[bytes], first_line: queue.Queue[bytes | None] | None) -> None:
        self.lines: deque[str] = deque(maxlen=40)
        self._first_line = first_line
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            if self._first_line is not None:
                self._first_line.put(raw)
                self._first_line = None
                continue
            self.lines.append(raw.decode("utf-8", "replace").rstrip())
        if self._first_line is not None:
            self._first_line.put(None)  # the stream closed before the first line

    def text(self) -> str:
        return "\n".join(line for line in self.lines if line)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class RunningPack:
    """A started pack: its process, its port and an Analyzer client."""

    def __init__(
        self,
        project: PackProject,
        *,
        env: Mapping[str, str],
        python: str,
        start_timeout: float,
    ) -> None:
        self.project = project
        self.python = python
        self.command = [python, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, "."]
        self.process = subprocess.Popen(
            self.command,
            cwd=project.path,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so stopping it stops its children
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        first: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self.stdout = _Tail(self.process.stdout, first)
        self.stderr = _Tail(self.process.stderr, None)
        self.channel: Any = None
        try:
            self.port = self._read_port(first, start_timeout)
            self.channel = grpc.insecure_channel(
                f"127.0.0.1:{self.port}",
                options=[
                    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
                    ("grpc.max_send_message_length", 400 * 1024 * 1024),
                ],
            )
            self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        except BaseException:
            self.stop()
            raise

    def _read_port(self, first: queue.Queue[bytes | None], timeout: float) -> int:
        try:
            line = first.get(timeout=timeout)
        except queue.Empty:
            raise PackError(
                f"policy pack {self.project.path} printed no port within {timeout:g} s"
                + self.describe_exit()
            ) from None
        if line is None:
            self.process.wait(timeout=5)
            raise PackError(
                f"policy pack {self.project.path} exited before printing its port"
                + self.describe_exit()
            )
        text = line.decode("utf-8", "replace").strip()
        try:
            port = int(text)
        except ValueError:
            raise PackError(
                f"policy pack {self.project.path}: the first line of its stdout must be its port, "
                f"got {text[:200]!r}" + self.describe_exit()
            ) from None
        if not 0 < port < 65536:
            raise PackError(f"policy pack {self.project.path}: {port} is not a port")
        return port

    def describe_exit(self) -> str:
        """`; exit status N; stderr: ...` for whatever the process has said so far."""
        parts: list[str] = []
        code = self.process.poll()
        if code is not None:
            parts.append(f"exit status {code}")
            self.stderr.join(1.0)
        stderr = self.stderr.text()
        if stderr:
            parts.append("its stderr ends with:\n" + _indent(stderr))
        return ("; " + "; ".join(parts)) if parts else ""

    def stop(self, grace: float = 3.0) -> None:
        """Stop the pack: SIGTERM to its process group, SIGKILL when it lingers."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=grace)
        else:
            _signal_group(self.process.pid, signal.SIGKILL)  # children it may have left
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> RunningPack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_pack(
    pack_dir: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    start_timeout: float,
    withhold_config: bool = False,
) -> RunningPack:
    """Start the pack in `pack_dir` and wait (at most `start_timeout` s) for its port.

    `withhold_config` starts it without PULUMI_CONFIG (for benchmarks of stacks whose config is
    over the environment limit; see `check_config_size`).
    """
    pack = read_pack_project(pack_dir)
    python = pack_python(pack)
    env = pack_environment(
        python, project=project, stack=stack, config={} if withhold_config else config
    )
    try:
        return RunningPack(pack, env=env, python=python, start_timeout=start_timeout)
    except OSError as error:
        raise PackError(f"policy pack {pack_dir} could not be started: {error}") from None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
