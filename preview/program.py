"""Record the checked project's program in a process of its own, with the project's own code.

The Pulumi CLI runs a program with the project's folder as its working directory and the
program's folder first on its import path, so the project's `components` are the ones that
run. The gate does the same: `python -I` (no PYTHONPATH, no user site, not the gate's folder)
with the gate's installed dependencies, the recorder loaded under a private name
(`plan/host.py`), the request on stdin and the recorded plan back as JSON on a pipe of its own.
The process runs in a process group of its own, stopped (with anything it started) however
the run ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.problems import Problem
from plan import Plan, ProgramError
from plan.host import BOOTSTRAP
from plan.model import plan_from_wire
from preview.errors import GateError
from preview.pack import Tail

PLAN_DIR = Path(__file__).resolve().parent.parent / "plan"
"""The recorder's folder: `plan/` beside `preview/`, here and in the installed package."""
GATE_DIR = PLAN_DIR.parent


class OverdueError(GateError):
    """The program did not finish by the deadline."""


def dependency_path() -> list[str]:
    """This interpreter's import path without the gate's own folder (nor the working directory,
    which is where the gate was started): the installed dependencies."""
    kept: list[str] = []
    for entry in sys.path:
        if not entry:
            continue
        with contextlib.suppress(OSError):
            if Path(entry).resolve() == GATE_DIR:
                continue
        kept.append(entry)
    return kept


class ProgramProcess:
    """One program being recorded in its own process."""

    def __init__(
        self,
        program: Path,
        *,
        project: str,
        stack: str,
        config: Mapping[str, str],
        preview: bool = True,
    ) -> None:
        program = program.resolve()
        request = {
            "program": str(program),
            "project": project,
            "stack": stack,
            "config": dict(config),
            "preview": preview,
            "path": dependency_path(),
        }
        self._answer, answer_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", BOOTSTRAP, str(PLAN_DIR), str(answer_w)],
                cwd=_working_dir(program),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(answer_w,),
                start_new_session=True,  # its own process group, stopped with what it started
            )
        except OSError as error:
            os.close(self._answer)
            raise ProgramError(f"the program's process could not be started: {error}") from None
        finally:
            os.close(answer_w)
        os.set_blocking(self._answer, False)
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.stdout = Tail(self.process.stdout, None)
        self.stderr = Tail(self.process.stderr, None)
        self._feeder = threading.Thread(
            target=_feed, args=(self.process.stdin, json.dumps(request).encode()), daemon=True
        )
        self._feeder.start()

    def plan(self, deadline: float, timeout: float) -> Plan:
        """The recorded plan, by `deadline` (a `time.monotonic()`). Raises `ProgramError` with
        the program's message when it failed, `OverdueError` when the deadline passed first."""
        data = self._read_answer(deadline, timeout)
        try:
            answer = json.loads(data) if data else None
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get("error"), str):
            raise _program_error(answer)
        if isinstance(answer, dict) and "plan" in answer:
            try:
                return plan_from_wire(answer["plan"])
            except ValueError as error:
                raise ProgramError(f"the program's process answered {error}") from None
        raise ProgramError(self._died())

    def _read_answer(self, deadline: float, timeout: float) -> bytes:
        poller = select.poll()
        poller.register(self._answer, select.POLLIN | select.POLLHUP | select.POLLERR)
        chunks: list[bytes] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OverdueError(
                    f"the program did not finish within the {timeout:g} s allowed (--timeout)"
                )
            exited = self.process.poll() is not None
            if poller.poll(min(remaining, 0.1) * 1000) or exited:
                try:
                    chunk = os.read(self._answer, 1 << 20)
                except BlockingIOError:
                    chunk = None
                if chunk:
                    chunks.append(chunk)
                    continue
                if chunk == b"" or exited:  # closed, or the process is gone with it open
                    return b"".join(chunks)

    def _died(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        code = self.process.poll()
        status = f"exit status {code}" if code is not None and code >= 0 else ""
        if code is not None and code < 0:
            status = f"stopped by {signal.Signals(-code).name}"
        message = f"the program's process ended without a plan ({status or 'still running'})"
        self.stderr.join(0.5)
        text = self.stderr.text()
        if text:
            message += "; its stderr ends with:\n" + "\n".join(
                "    " + line for line in text.splitlines()
            )
        return message

    def stop(self, grace: float = 1.0) -> None:
        """Stop the process and its group (SIGKILL: it holds nothing worth a clean exit)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        if self._answer >= 0:  # once: the number may name another file after it is closed
            os.close(self._answer)
            self._answer = -1
        self.stdout.close()
        self.stderr.close()

    def __enter__(self) -> ProgramProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _working_dir(program: Path) -> Path:
    """The project's folder (where `Pulumi.yaml` is), as the CLI runs programs from it."""
    for folder in (program.parent, *program.parent.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    return program.parent


def _feed(stream: Any, data: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):
        stream.write(data)
        stream.close()


def record_isolated(
    program: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    deadline: float,
    timeout: float,
) -> Plan:
    """Record `program` in a process of its own (see the module's description)."""
    with ProgramProcess(program, project=project, stack=stack, config=config) as process:
        return process.plan(deadline, timeout)


def _program_error(answer: dict[str, Any]) -> ProgramError:
    """The program's error as the host answered it: its problems as data, when it had them
    (an answer whose problems are not the library's is its message alone), and the program's
    own line it came through, when it named one."""
    file, line = answer.get("file"), answer.get("line")
    if not (isinstance(file, str) and type(line) is int and line > 0):
        file, line = "", 0
    subject, wires, name = answer.get("subject", ""), answer.get("problems"), answer.get("name", "")
    if isinstance(subject, str) and isinstance(name, str) and isinstance(wires, list) and wires:
        try:
            problems = tuple(
                Problem.from_wire(w) if isinstance(w, dict) else Problem.from_wire({})
                for w in wires
            )
        except ValueError:
            return ProgramError(answer["error"], file=file, line=line)
        return ProgramError(answer["error"], subject, problems, name, file=file, line=line)
    return ProgramError(answer["error"], file=file, line=line)
