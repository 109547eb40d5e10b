"""The program's side of an isolated recording: run in a process of its own by the gate.

The gate starts `python -I` with a bootstrap that loads this package under a private name
(`_gate_plan`), so that neither the checked project's own `plan` nor its `components` can stand
in for the recorder, and nothing of the gate's own `components` is loaded: the program imports
its project's code. The request comes on stdin as JSON (the program, project, stack, config,
preview flag and the import path to use); the answer goes, as JSON, to the file descriptor
named on the command line: `{"plan": ...}` (`plan_to_wire`) or `{"error": "<message>"}`, with
the error's `subject` and `problems` as data when it holds them (`problem_to_wire`), and the
program's own `file` and `line` it came through when there is one.
Whatever the program prints stays on the process's own stdout and stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

BOOTSTRAP = """\
import importlib, sys, types
package = types.ModuleType("_gate_plan")
package.__path__ = [sys.argv[1]]
sys.modules["_gate_plan"] = package
importlib.import_module("_gate_plan.host").main(int(sys.argv[2]))
"""
"""`python -I -c BOOTSTRAP <this package's folder> <answer fd>`: the process's whole start."""


def main(answer_fd: int) -> None:
    """Read the request, record the program, write the answer and exit at once (a thread the
    program left running cannot hold the process open)."""
    answer: dict[str, Any]
    try:
        request = json.loads(sys.stdin.buffer.read())
        # The gate's installed dependencies, and not the gate's own folder; the program's folder
        # goes first when the recorder runs it.
        sys.path[:] = [str(entry) for entry in request["path"]]
        from .model import plan_to_wire
        from .recorder import ProgramError, record_program

        try:
            plan = record_program(
                Path(request["program"]),
                project=str(request["project"]),
                stack=str(request["stack"]),
                config={str(k): str(v) for k, v in request["config"].items()},
                preview=bool(request["preview"]),
            )
            answer = {"plan": plan_to_wire(plan)}
        except ProgramError as error:
            answer = {"error": str(error)}
            if error.line:
                answer["file"] = error.file
                answer["line"] = error.line
            if error.problems:
                answer["subject"] = error.subject
                answer["name"] = error.name
                answer["problems"] = [problem_to_wire(p) for p in error.problems]
    except SystemExit as error:
        answer = {"error": f"the program exited (status {error.code!r}) before it finished"}
    except BaseException as error:  # the gate is told, whatever it was
        answer = {"error": f"{type(error).__name__}: {error}"}
    data = json.dumps(answer).encode("utf-8")
    view = memoryview(data)
    while view:
        view = view[os.write(answer_fd, view) :]
    os.close(answer_fd)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


def problem_to_wire(problem: Any) -> dict[str, Any]:
    """A problem of the program's library as JSON data: `{"path", "reason", "kind", "file"}`
    (what `components.problems.Problem.from_wire` reads), whichever version of the library
    the program imported."""
    kind = getattr(problem, "kind", "invalid")
    file = getattr(problem, "file", "")
    return {
        "path": list(problem.path),
        "reason": str(getattr(problem, "reason", "")),
        "kind": kind if isinstance(kind, str) else "invalid",
        "file": file if isinstance(file, str) else "",
    }
