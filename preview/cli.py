"""`python -m preview <stack>`: preview a stack offline and gate it on the policy pack.

Exit status: 0 when the pack finds no blocking violation, 1 when it does (a mandatory
violation, or a mandatory policy that could not reach a verdict at preview), 2 when the stack
could not be checked at all (unknown stack, bad config, program error, a pack that crashed,
printed no port or stopped answering, bad policy config). Never 0 for a stack not checked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from plan import Plan, ProgramError, StackConfigError, load_stack_config, record_program
from plan.stack_config import read_project
from preview import diagram, document
from preview.analyzer import PolicyRun, run_policies
from preview.pack import (
    ENV_STRING_LIMIT,
    PackError,
    check_config_size,
    config_env_size,
    start_pack,
)
from preview.policy_config import PolicyConfigError, PolicySettings, load_policy_config
from preview.report import gate_failures, policy_report, resource_tree, summary

EXIT_PASSED = 0
EXIT_BLOCKED = 1
EXIT_UNCHECKED = 2

DEFAULT_TIMEOUT = 120.0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m preview",
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
        "--policy-config",
        metavar="FILE",
        help="policy config, the format of `pulumi preview --policy-pack-config`",
    )
    p.add_argument("--pack", metavar="DIR", help="policy pack folder (default: <project>/policies)")
    p.add_argument("--project", metavar="DIR", default=".", help="project folder (default: .)")
    p.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds the policy pack may take, start to last answer ({DEFAULT_TIMEOUT:g})",
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


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 (one linear story)
    args = parser().parse_args(argv)
    to_stdout = args.json == "-"
    out: TextIO = sys.stderr if to_stdout else sys.stdout
    project_dir = Path(args.project)
    pack_dir = Path(args.pack) if args.pack else project_dir / "policies"
    timings: dict[str, float] = {}
    started = time.monotonic()
    plan: Plan | None = None
    run: PolicyRun | None = None
    error: tuple[str, str] | None = None
    project_name = ""
    try:
        stage = "config"
        config = load_stack_config(project_dir, args.stack)
        project_name = config.project
        oversized = config_env_size(config.values) > ENV_STRING_LIMIT
        if not args.allow_oversized_config:
            check_config_size(config.values)
        given: dict[str, PolicySettings] = {}
        if args.policy_config:
            stage = "policy-config"
            given = load_policy_config(Path(args.policy_config))
        stage = "program"
        program = project_dir / str(read_project(project_dir).get("main") or "") / "__main__.py"
        t = time.monotonic()
        plan = record_program(
            program, project=config.project, stack=args.stack, config=config.values
        )
        timings["programSeconds"] = time.monotonic() - t
        stage = "pack"
        t = time.monotonic()
        with start_pack(
            pack_dir,
            project=config.project,
            stack=args.stack,
            config=config.values,
            start_timeout=args.timeout,
            withhold_config=oversized,
        ) as pack:
            stage = "policy"
            run = run_policies(
                plan, pack, given, stack_config=config.values, timeout=args.timeout, started=t
            )
        timings["policySeconds"] = time.monotonic() - t
    except StackConfigError as exc:
        error = ("config", str(exc))
    except PolicyConfigError as exc:
        error = ("policy-config", str(exc))
    except ProgramError as exc:
        error = ("program", config.locate(str(exc)))
    except PackError as exc:
        error = (stage if stage == "config" else "pack", str(exc))
    except Exception as exc:  # fail closed on anything unforeseen, with its message
        error = (stage, f"{type(exc).__name__}: {exc}")
    timings["totalSeconds"] = time.monotonic() - started

    if plan is not None:
        print(f"Previewing update ({args.stack}), offline:\n", file=out)
        print("\n".join(resource_tree(plan)), file=out)
        print(file=out)
    if run is not None and plan is not None:
        print("\n".join(policy_report(run, plan)), file=out)
        print(file=out)
    if plan is not None:
        print("\n".join(summary(plan)), file=out)
        print(file=out)

    if error is not None:
        exit_code = EXIT_UNCHECKED
        print(f"error ({error[0]}): {error[1]}", file=sys.stderr)
        print(f"Policy gate: NOT CHECKED ({error[0]}); the stack does not pass.", file=out)
    else:
        assert run is not None
        blocking = gate_failures(run)
        exit_code = EXIT_BLOCKED if blocking else EXIT_PASSED
        if blocking:
            print(f"Policy gate: FAILED: {len(blocking)} blocking violation(s).", file=out)
        else:
            print("Policy gate: passed.", file=out)

    if args.diagram and plan is not None:
        target = Path(args.diagram)
        text = diagram.markdown(plan) if target.suffix == ".md" else diagram.mermaid(plan)
        target.write_text(text, encoding="utf-8")
    if args.json:
        doc = document.build(
            project=project_name,
            stack=args.stack,
            plan=plan,
            run=run,
            error=error,
            exit_code=exit_code,
            timings=timings,
        )
        _write_json(doc, args.json)
    return exit_code


def _write_json(doc: dict[str, Any], target: str) -> None:
    text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")
