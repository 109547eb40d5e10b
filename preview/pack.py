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
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2_grpc

from components.inputfiles import InputFileError, load_yaml
from preview.errors import GateError

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


class PackError(GateError):
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
    if not path.exists():
        raise PackError(f"{pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
    try:
        document = load_yaml(path, "policy pack file").value
    except InputFileError as error:
        raise PackError(str(error), Path(error.file), error.line) from None
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


LINE_LIMIT = 64 * 1024
"""The longest line kept from the pack's output; a longer one is cut there."""


class Tail:
    """The last lines a stream wrote, read by a daemon thread so the pipe never fills.

    The thread polls the pipe and can be told to stop: a process the pack started and left
    behind may hold the pipe open forever, and that must not keep anyone waiting for its end.
    """

    def __init__(self, stream: IO[bytes], first_line: queue.Queue[bytes | None] | None) -> None:
        self.lines: deque[str] = deque(maxlen=40)
        self._stream = stream
        self._first_line = first_line
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        fd = self._stream.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        pending = b""
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            if len(pending) > LINE_LIMIT:
                complete.append(pending[:LINE_LIMIT])
                pending = b""
            for raw in complete:
                self._line(raw)
        if pending:
            self._line(pending)
        if self._first_line is not None:
            self._first_line.put(None)  # the stream closed before the first line

    def _line(self, raw: bytes) -> None:
        if self._first_line is not None:
            self._first_line.put(raw)
            self._first_line = None
            return
        self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def text(self) -> str:
        return "\n".join(line for line in self.lines if line)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def close(self) -> None:
        """Stop reading (within a poll interval) and close the pipe."""
        self._stop.set()
        self._thread.join(1.0)
        if not self._thread.is_alive():
            self._stream.close()


class RunningPack:
    """A started pack: its process, its port and an Analyzer client."""

    def __init__(
        self,
        project: PackProject,
        *,
        env: Mapping[str, str],
        python: str,
        start_timeout: float | None,
        timeout: float | None = None,
    ) -> None:
        """Start the pack's process and, unless `start_timeout` is None (then `connect` does
        it), wait for its port."""
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
        self._first: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self.stdout = Tail(self.process.stdout, self._first)
        self.stderr = Tail(self.process.stderr, None)
        self.channel: Any = None
        if start_timeout is not None:
            self.connect(start_timeout, timeout)

    def connect(self, start_timeout: float, timeout: float | None = None) -> None:
        """Wait (at most `start_timeout` s) for the pack's port and open a client to it; the
        pack is stopped when it cannot be reached."""
        try:
            self.port = self._read_port(self._first, start_timeout, timeout)
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

    def _read_port(
        self, first: queue.Queue[bytes | None], wait: float, timeout: float | None
    ) -> int:
        """The port from the first line of the pack's stdout. Waiting ends when the line comes,
        when the stream ends, when the pack exits (a process it left behind may keep the
        stream open), or after `wait` seconds."""
        deadline = time.monotonic() + wait
        exited_at: float | None = None
        while True:
            try:
                line = first.get(timeout=0.05)
                break
            except queue.Empty:
                pass
            now = time.monotonic()
            if exited_at is None and self.process.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > 0.5:
                line = None  # exited, and nothing more came
                break
            if now > deadline:
                allowed = f"the {timeout:g} s allowed (--timeout)" if timeout else f"{wait:g} s"
                raise PackError(
                    f"policy pack {self.project.path} printed no port within {allowed}"
                    + self.describe_exit()
                )
        if line is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=2)
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
            self.stderr.join(0.5)
        stderr = self.stderr.text()
        if stderr:
            parts.append("its stderr ends with:\n" + _indent(stderr))
        return ("; " + "; ".join(parts)) if parts else ""

    def stop(self, grace: float = 2.0) -> None:
        """Stop the pack and its process group: SIGTERM, SIGKILL for what lingers.

        SIGINT and SIGTERM are held back meanwhile, so an interruption cannot cut the cleanup
        short; they are delivered when it is done.
        """
        with _signals_held():
            if self.channel is not None:
                self.channel.close()
                self.channel = None
            if self.process.poll() is None:
                _signal_group(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    _signal_group(self.process.pid, signal.SIGKILL)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self.process.wait(timeout=grace)
            _signal_group(self.process.pid, signal.SIGKILL)  # what it started and left behind
            self.stdout.close()
            self.stderr.close()

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
    start_timeout: float | None,
    timeout: float | None = None,
    withhold_config: bool = False,
) -> RunningPack:
    """Start the pack in `pack_dir` and wait (at most `start_timeout` s) for its port;
    `timeout` is the `--timeout` that wait comes from, for messages. With `start_timeout` None
    it returns at once, and `RunningPack.connect` waits.

    `withhold_config` starts it without PULUMI_CONFIG (for benchmarks of stacks whose config is
    over the environment limit; see `check_config_size`).
    """
    pack = read_pack_project(pack_dir)
    python = pack_python(pack)
    env = pack_environment(
        python, project=project, stack=stack, config={} if withhold_config else config
    )
    try:
        return RunningPack(
            pack, env=env, python=python, start_timeout=start_timeout, timeout=timeout
        )
    except OSError as error:
        raise PackError(f"policy pack {pack_dir} could not be started: {error}") from None


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread while the block runs."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
