"""`python -m preview <stack>`: preview a stack offline and gate it on the policy pack.

Exit status: 0 when the pack finds no blocking violation, 1 when it does (a mandatory
violation, or a mandatory policy that could not reach a verdict at preview), 2 when the stack
could not be checked at all (unknown stack, bad config, program error, a pack that crashed,
printed no port, stopped answering or answered what cannot be read, bad policy config, an
output that cannot be written, `--timeout` passed, or SIGINT/SIGTERM). Never 0 for a stack not
checked. The decision is made once, in `preview.verdict`.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import io
import json
import math
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

from components.problems import one_line as shown
from plan import Plan, ProgramError, StackConfig, StackConfigError, load_stack_config
from plan.stack_config import read_project
from preview import diagram, document, sarif
from preview.analyzer import PolicyRun, run_policies
from preview.errors import GateError
from preview.pack import (
    ENV_STRING_LIMIT,
    PackError,
    RunningPack,
    check_config_size,
    config_env_size,
    start_pack,
)
from preview.policy_config import PolicyConfigError, PolicySettings, load_policy_config
from preview.program import OverdueError, ProgramProcess
from preview.report import (
    diagnostics,
    policy_report,
    resource_tree,
    shown_block,
    summary,
    unknowns_shown,
)
from preview.verdict import EXIT_UNCHECKED, Verdict, decide

DEFAULT_TIMEOUT = 120.0


class Stopped(BaseException):
    """The run was cut short (`--timeout` while the program ran, SIGINT, SIGTERM).

    A BaseException, so that neither the program's own `except Exception` nor the SDK's
    handlers swallow it on its way out.
    """

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.message = message


class OutputError(GateError):
    """A `--json` or `--diagram` target that cannot be written."""


def parser(prog: str = "python -m preview", default_pack: str = "") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Preview a stack without the Pulumi CLI: run the program under mocks in preview "
            "mode, check every resource with the policy pack over its analyzer protocol, print "
            "the resource tree and the policy report. Exit 0: passed; 1: blocked by policy; "
            "2: could not be checked."
        ),
    )
    p.add_argument("stack", help="stack name (a stacks/Pulumi.<stack>.yaml file)")
    p.add_argument("--json", metavar="FILE", help="write the JSON document to FILE ('-': stdout)")
    p.add_argument("--diagram", metavar="FILE", help="write the topology as Mermaid (.md or .mmd)")
    p.add_argument(
        "--sarif",
        metavar="FILE",
        help="write the findings as SARIF 2.1.0, each at its stack, compose or program file line",
    )
    p.add_argument(
        "--policy-config",
        metavar="FILE",
        help="policy config, the format of `pulumi preview --policy-pack-config`",
    )
    p.add_argument(
        "--pack",
        metavar="DIR",
        default=default_pack or None,
        help=f"policy pack folder (default: {default_pack or 'the project folder policies/'})",
    )
    p.add_argument("--project", metavar="DIR", default=".", help="project folder (default: .)")
    p.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds the whole run may take, program and policy pack ({DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--allow-oversized-config",
        action="store_true",
        help=(
            "benchmarks only: check a stack whose config is too large for the Pulumi CLI to pass "
            "in PULUMI_CONFIG; the pack then runs without PULUMI_CONFIG"
        ),
    )
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def main(
    argv: list[str] | None = None,
    *,
    prog: str = "python -m preview",
    default_pack: Path | None = None,
) -> int:
    """Run the gate; `prog` and `default_pack` are the installed command's (`container-comms`)."""
    for stream in (sys.stdout, sys.stderr):  # any encoding (PYTHONIOENCODING=ascii) can print it
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    args = parser(prog, str(default_pack or "")).parse_args(argv)
    out: TextIO = sys.stderr if "-" in (args.json, args.sarif) else sys.stdout
    try:
        if args.json == "-" and args.sarif == "-":
            raise OutputError("--json - and --sarif -: only one of them can be stdout")
        for flag, target in (
            ("--json", args.json),
            ("--diagram", args.diagram),
            ("--sarif", args.sarif),
        ):
            if target and target != "-":
                _check_target(flag, target)
    except OutputError as exc:
        print(f"error (output): {shown(str(exc))}", file=sys.stderr)
        return EXIT_UNCHECKED
    with _stopped_by_signals():
        try:
            return _main(args, out)
        except Stopped as exc:  # a signal that came after the run, while reporting
            print(f"error ({exc.stage}): {shown_block(exc.message, '  ')}", file=sys.stderr)
            return EXIT_UNCHECKED


def _cpu_seconds() -> float:
    """CPU time (user and system) of this process and of the children it has waited for: a
    phase's difference counts the pack's process, which is stopped and reaped within it."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


STAGE_LATE = {
    "config": "the stack's config was not read",
    "policy-config": "the policy config was not read",
    "program": "the program did not finish",
    "pack": "the policy pack did not start",
    "policy": "the policy pack did not finish",
    "output": "the report was not written",
}
"""What had not happened when `--timeout` ran out, by stage."""

BACKSTOP_GRACE = 0.5
"""Seconds past `--timeout` at which the alarm stops whatever is still running: each phase that
waits (the program, the pack's start, each call to it) ends at the deadline with a message of
its own; the alarm is for work that does not wait on anything (reading, locating, writing)."""


@dataclass
class _Run:
    """What one run found so far."""

    args: argparse.Namespace
    deadline: float
    stage: str = "config"
    project_name: str = ""
    plan: Plan | None = None
    run: PolicyRun | None = None
    error: tuple[str, str] | None = None
    error_place: sarif.Place | None = None
    """Where the error is, when it names a line of a file (the SARIF report's location)."""
    timings: dict[str, float] = field(default_factory=dict)
    stack_config: StackConfig | None = None
    program: Path | None = None

    def late(self) -> str:
        what = STAGE_LATE.get(self.stage, "the run did not finish")
        return f"{what} within the {self.args.timeout:g} s allowed (--timeout)"


def _main(args: argparse.Namespace, out: TextIO) -> int:
    state = _Run(args, deadline=time.monotonic() + args.timeout)
    try:
        with _alarm(state):
            started, started_cpu = time.monotonic(), _cpu_seconds()
            _check(state)
            state.timings["totalSeconds"] = time.monotonic() - started
            state.timings["totalCpuSeconds"] = _cpu_seconds() - started_cpu
            verdict = decide(state.run, state.error)
            state.stage = "output"
            verdict = _show(state, verdict, out)
    except Stopped as exc:  # past the deadline, or a signal, while reporting
        verdict = decide(None, (exc.stage, exc.message))
    _print_verdict(verdict, out)
    return verdict.exit_code


def _check(state: _Run) -> None:  # noqa: PLR0915 (one linear story)
    """Load, record, ask the pack: `state` gets the plan, the policy run or the error."""
    args = state.args
    project_dir = Path(args.project)
    pack_dir = Path(args.pack) if args.pack else project_dir / "policies"
    timings = state.timings
    config: StackConfig | None = None
    try:
        config = state.stack_config = load_stack_config(project_dir, args.stack)
        state.project_name = config.project
        oversized = config_env_size(config.values) > ENV_STRING_LIMIT
        if not args.allow_oversized_config:
            check_config_size(config.values)
        given: dict[str, PolicySettings] = {}
        if args.policy_config:
            state.stage = "policy-config"
            given = load_policy_config(Path(args.policy_config))
        state.stage = "program"
        program = project_dir / str(read_project(project_dir).get("main") or "") / "__main__.py"
        state.program = program
        with contextlib.ExitStack() as running:
            # The program's process and the pack's start together; the program's answer is
            # awaited first, so its error, when it has one, is reported at once, and the pack has
            # meanwhile started.
            t, cpu = time.monotonic(), _cpu_seconds()
            recording = running.enter_context(
                ProgramProcess(
                    program, project=config.project, stack=args.stack, config=config.values
                )
            )
            pack: RunningPack | PackError
            try:
                pack = running.enter_context(
                    start_pack(
                        pack_dir,
                        project=config.project,
                        stack=args.stack,
                        config=config.values,
                        start_timeout=None,
                        withhold_config=oversized,
                    )
                )
            except PackError as error:  # reported after the program's own error, if any
                pack = error
            state.plan = recording.plan(state.deadline, args.timeout)
            recording.stop()
            timings["programSeconds"] = time.monotonic() - t
            timings["programCpuSeconds"] = _cpu_seconds() - cpu
            state.stage = "pack"
            t, cpu = time.monotonic(), _cpu_seconds()
            if isinstance(pack, PackError):
                raise pack
            pack.connect(max(state.deadline - time.monotonic(), 0.001), args.timeout)
            state.stage = "policy"
            state.run = run_policies(
                state.plan,
                pack,
                given,
                stack_config=config.values,
                deadline=state.deadline,
                timeout=args.timeout,
            )
        timings["policySeconds"] = time.monotonic() - t
        timings["policyCpuSeconds"] = _cpu_seconds() - cpu
    except StackConfigError as exc:
        state.error = ("config", str(exc))
        state.error_place = _place(exc.file, exc.line)
    except PolicyConfigError as exc:
        state.error = ("policy-config", str(exc))
        state.error_place = _place(exc.file, exc.line)
    except ProgramError as exc:
        message, line = config.locate(exc) if config else (str(exc), None)
        state.error = ("program", message)
        if config and line is not None:
            state.error_place = sarif.Place(config.path, line)
        elif exc.program_place is not None and state.program is not None:
            file, line = exc.program_place
            state.error_place = sarif.Place(state.program.parent / file, line)
    except OverdueError as exc:
        state.error = ("program", str(exc))
    except PackError as exc:
        state.error = (state.stage if state.stage == "config" else "pack", str(exc))
        state.error_place = _place(exc.file, exc.line)
    except Stopped as exc:
        state.error = (exc.stage, exc.message)
        state.run = None
    except Exception as exc:  # fail closed on anything unforeseen, with its message
        state.error = (state.stage, f"{type(exc).__name__}: {exc}")


def _place(file: Path | None, line: int | None) -> sarif.Place | None:
    """A file's line an error names as data, when it names one."""
    return sarif.Place(file, line) if file is not None and line is not None else None


def _show(state: _Run, verdict: Verdict, out: TextIO) -> Verdict:
    """Print the tree, the policy report and the summary; write the diagram and the JSON. An
    output that cannot be written makes the stack not checked."""
    args, plan, run = state.args, state.plan, state.run
    if plan is not None:
        print(f"Previewing update ({args.stack}), offline:\n", file=out)
        print("\n".join(resource_tree(plan)), file=out)
        print(file=out)
        if plan.warnings:
            print("\n".join(diagnostics(plan)), file=out)
            print(file=out)
    if run is not None and plan is not None:
        print("\n".join(policy_report(run, plan, verdict)), file=out)
        print(file=out)
    if plan is not None:
        print("\n".join(summary(plan)), file=out)
        print(file=out)

    if args.diagram and plan is not None:
        target = Path(args.diagram)
        text = diagram.markdown(plan) if target.suffix == ".md" else diagram.mermaid(plan)
        kind = "Mermaid in Markdown" if target.suffix == ".md" else "Mermaid"
        try:
            _write("--diagram", args.diagram, text)
            print(f"Diagram: wrote {shown(args.diagram)} ({kind}).", file=out)
        except OutputError as exc:
            verdict = decide(run, verdict.error or ("output", str(exc)))
    if args.json:
        doc = document.build(
            project=state.project_name,
            stack=args.stack,
            plan=plan,
            run=run,
            verdict=verdict,
            timings=state.timings,
        )
        try:
            _write("--json", args.json, json.dumps(doc, indent=2) + "\n")
            if args.json != "-":
                print(f"JSON: wrote {shown(args.json)}.", file=out)
        except OutputError as exc:
            verdict = decide(run, verdict.error or ("output", str(exc)))
    if args.sarif:
        stack_config = state.stack_config
        sources = sarif.Sources.read(
            project_dir=Path(args.project),
            stack_file=stack_config.path if stack_config else None,
            stack_lines=stack_config.lines if stack_config else {},
            config=stack_config.values if stack_config else {},
            program=state.program,
        )
        log = sarif.build(
            stack=args.stack,
            plan=plan,
            run=run,
            verdict=verdict,
            sources=sources,
            error_place=state.error_place if verdict.error == state.error else None,
            version=sarif.tool_version(),
            base=Path.cwd(),
        )
        try:
            _write("--sarif", args.sarif, json.dumps(log, indent=2) + "\n")
            if args.sarif != "-":
                print(f"SARIF: wrote {shown(args.sarif)}.", file=out)
        except OutputError as exc:
            verdict = decide(run, verdict.error or ("output", str(exc)))
    return verdict


def _print_verdict(verdict: Verdict, out: TextIO) -> None:
    """The verdict lines: the only lines that begin `error (` or `Policy gate:`. A message is
    shown with its control characters escaped and its lines after the first indented, so no
    value in it can begin a line of its own."""
    if verdict.error is not None:
        stage, message = verdict.error
        print(f"error ({stage}): {shown_block(unknowns_shown(message), '  ')}", file=sys.stderr)
        print(f"Policy gate: NOT CHECKED ({stage}); the stack does not pass.", file=out)
    elif verdict.blocking:
        print(f"Policy gate: FAILED: {len(verdict.blocking)} blocking violation(s).", file=out)
    else:
        print("Policy gate: passed.", file=out)


def _check_target(flag: str, target: str) -> None:
    """Refuse, before anything runs, an output path that cannot be a file to write."""
    path = Path(target)
    if path.is_dir():
        raise OutputError(f"{flag} {target}: is a folder; name a file")
    if not path.parent.is_dir():
        raise OutputError(f"{flag} {target}: the folder {path.parent} does not exist")


def _write(flag: str, target: str, text: str) -> None:
    """Write `text` to `target` ('-': stdout) without blocking on a fifo nobody reads."""
    try:
        if target == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(target, flags, 0o666)
        try:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
            _write_all(fd, text.encode("utf-8"))
        finally:
            os.close(fd)
    except ValueError:  # stdout already closed
        raise OutputError(f"{flag} stdout: cannot be written (it is closed)") from None
    except OSError as error:
        where = "stdout" if target == "-" else target
        reason = error.strerror or type(error).__name__
        if error.errno == errno.ENXIO:
            reason = "a named pipe that no process reads"
        raise OutputError(f"{flag} {where}: cannot be written ({reason})") from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM end the run as not checked, the pack stopped on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        raise Stopped("interrupted", f"stopped by {name}; the stack was not checked")

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _alarm(state: _Run) -> Iterator[None]:
    """Stop the run `BACKSTOP_GRACE` s past its deadline, whatever it is doing (SIGALRM; only
    the main thread can take it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def late(_signum: int, _frame: FrameType | None) -> None:
        raise Stopped(state.stage, state.late())

    previous = signal.signal(signal.SIGALRM, late)
    signal.setitimer(
        signal.ITIMER_REAL, max(state.deadline + BACKSTOP_GRACE - time.monotonic(), 0.001)
    )
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
