"""Benchmark of the offline preview gate on synthetic topologies of 100 to 10,000 containers.

For each size, in one run: the program under mocks written with raw pulumi_docker resources
(floor 1), the same stack through two packs that check nothing (floor 2: the minimal pack, one
resource and one stack policy; floor 2s: a pack of the real pack's shape, the same resource
and stack policies accepting everything), and the gate end to end with the real pack. Each
measurement runs in its own process, so peak memory is its own. With `--swarm` the topology is
a swarm stack of that many swarm services (`synthetic.swarm_topology`) and floor 1 is
`raw_swarm_program/`.

Floor 1 runs as the gate runs a program (`preview.program.ProgramProcess`: a fresh interpreter,
the recorder, the plan back over a pipe), so the two programs are timed the same way. With
`--programs` only the two programs are measured, each that way (no pack): the quick comparison
at the large sizes (`--programs --sizes 5000,10000`, `--swarm --programs --sizes 1000,5000`).
Its repetitions take turns at which program runs first, and the report gives each pair's ratio
and their median beside the least of each program.

    .venv/bin/python benchmarks/bench.py [--swarm] [--programs] [--sizes 100,1000,5000]
        [--repeat N] [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from synthetic import (  # noqa: E402
    compose_model,
    make_swarm_secrets,
    swarm_compose_model,
    swarm_topology,
    topology,
)

if TYPE_CHECKING:
    from plan import Plan

PYTHON = sys.executable
NOOP_PACK = REPO / "benchmarks" / "noop_pack"
SHAPED_PACK = REPO / "benchmarks" / "shaped_noop_pack"
REAL_PACK = REPO / "policies"
RAW_PROGRAM = REPO / "benchmarks" / "raw_program" / "__main__.py"
RAW_SWARM_PROGRAM = REPO / "benchmarks" / "raw_swarm_program" / "__main__.py"
KEY = "container-comms:topology"
PROJECT = "container-comms"
STACK = "bench"


def make_project(root: Path, size: int, *, swarm: bool = False) -> Path:
    """A project folder with the real program and one `bench` stack: `size` containers, or
    with `swarm` a swarm stack of `size` services (and its secrets' files)."""
    project = root / f"project-{'swarm-' if swarm else ''}{size}"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, project / name)
    (project / "components").symlink_to(REPO / "components")
    stack = {"config": {KEY: swarm_topology(size) if swarm else topology(size)}}
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(json.dumps(stack), encoding="utf-8")
    if swarm:
        make_swarm_secrets(project)
    return project


def load_config(project: Path) -> dict[str, str]:
    """The `bench` stack's config of `project`, as the Pulumi CLI hands it to a program."""
    stack = json.loads((project / "stacks" / f"Pulumi.{STACK}.yaml").read_text(encoding="utf-8"))
    return {KEY: json.dumps(stack["config"][KEY])}


def record_floor(project: Path, program: Path, config: dict[str, str] | None = None) -> Plan:
    """Floor 1's registrations: the raw `program` under the gate's mocks, with the `bench`
    stack's config of `project` (`config`, when already loaded), run from `project` (where its
    secrets' files are)."""
    from plan import record_program

    given = config if config is not None else load_config(project)
    with contextlib.chdir(project):
        return record_program(program, project=PROJECT, stack=STACK, config=given)


def _run(command: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MiB (its largest process, the pack included), exit status
    and stderr."""
    with tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
    return wall, usage.ru_maxrss / 1024, process.returncode, text


def program_phase(project: Path, program: Path) -> dict[str, Any]:
    """`program` (floor 1's raw program, or the project's own) recorded as the gate records a
    program, measured as the gate measures its program phase, in a process of its own."""
    if program.parent != project:  # a raw program: run from the project, as the gate
        copy = project / program.parent.name / program.name  # runs a program from its own
        if not copy.exists():
            copy.parent.mkdir()
            shutil.copy(program, copy)
        program = copy
    out = project / f"program-{program.parent.name}.json"
    command = [PYTHON, __file__, "--program", str(project), str(program), str(out)]
    wall, _, code, err = _run(command)
    if code != 0:
        raise SystemExit(f"{program} failed: {err}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return {**result, "wall": wall}


def gate(project: Path, pack: Path) -> dict[str, Any]:
    """`python -m preview bench` with `pack`, end to end in a process of its own."""
    out = project / f"gate-{pack.name}.json"
    command = [PYTHON, "-m", "preview", "bench", "--project", str(project), "--pack", str(pack)]
    # Past ~900 containers the topology is over the CLI's PULUMI_CONFIG limit (docs/preview.md).
    flags = ["--json", str(out), "--timeout", "3600", "--allow-oversized-config"]
    wall, rss, code, err = _run([*command, *flags])
    document = json.loads(out.read_text(encoding="utf-8"))
    if code != 0:
        raise SystemExit(f"gate with {pack} exited {code}: {err}\n{document['error']}")
    return {
        **document["timings"],
        "wall": wall,
        "peakMiB": rss,
        "resources": document["summary"]["resources"],
        "analyzed": document["policy"]["analyzed"],
        "advisory": document["summary"]["advisory"],
    }


def compose_reference(project: Path, size: int, *, swarm: bool = False) -> dict[str, Any]:
    """Reference: Docker Compose v2's `config --format json` on the same topology written as a
    compose file (the time compose itself takes to read and normalise it)."""
    from components.compose_file import compose_binary

    file = project / "compose.json"  # JSON is YAML; compose reads it as it is
    model = swarm_compose_model(size) if swarm else compose_model(size)
    file.write_text(json.dumps(model), encoding="utf-8")
    command = [str(compose_binary()), "-f", str(file), "-p", "bench", "config", "--format", "json"]
    wall, rss, code, err = _run(command)
    if code != 0:
        raise SystemExit(f"compose config failed: {err}")
    return {"wall": wall, "peakMiB": rss}


def record_phase(project: Path, program: Path, out: Path) -> None:
    """Internal: `program`'s phase of the gate (run by `program_phase` in a child process):
    the same span and clocks as `preview.cli` times (`programSeconds`, `programCpuSeconds`:
    this process and the program's, reaped within it), and the program's process's peak RSS."""
    import resource

    from preview.program import ProgramProcess

    config = load_config(project)  # read before the clock starts, as the gate reads it

    def cpu_seconds() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    started, cpu = time.monotonic(), cpu_seconds()
    with ProgramProcess(program, project=PROJECT, stack=STACK, config=config) as process:
        recorded = process.plan(time.monotonic() + 3600, 3600)
        process.stop()
    seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu
    figures = {
        "programSeconds": seconds,
        "programCpuSeconds": cpu,
        "peakMiB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "resources": len(recorded.resources),
    }
    out.write_text(json.dumps(figures), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--swarm", action="store_true", help="a swarm stack of N services")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each floor and the gate this many times and keep each figure's least",
    )
    parser.add_argument(
        "--programs",
        action="store_true",
        help="measure only floor 1 and the components program (no pack, no gate)",
    )
    parser.add_argument("--out", help="also write the figures as JSON here")
    parser.add_argument(
        "--program", nargs=3, metavar=("PROJECT", "PROGRAM", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.program:
        record_phase(Path(args.program[0]), Path(args.program[1]), Path(args.program[2]))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    unit = "services" if args.swarm else "containers"
    raw_program = RAW_SWARM_PROGRAM if args.swarm else RAW_PROGRAM
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for size in sizes:
            project = make_project(Path(tmp), size, swarm=args.swarm)
            runs: dict[str, list[dict[str, Any]]] = {}
            for turn in range(args.repeat):  # interleaved, so a burst of load hits one of each
                if args.programs:  # in turn first and second, so neither gains from the order
                    order = ("raw", "program") if turn % 2 == 0 else ("program", "raw")
                    programs = {"raw": raw_program, "program": project / "__main__.py"}
                    measured = {what: program_phase(project, programs[what]) for what in order}
                else:
                    measured = {"raw": program_phase(project, raw_program)}
                    measured["noop"] = gate(project, NOOP_PACK)
                    measured["shaped"] = gate(project, SHAPED_PACK)
                    measured["gate"] = gate(project, REAL_PACK)
                    measured["compose"] = compose_reference(project, size, swarm=args.swarm)
                for what, figures in measured.items():
                    runs.setdefault(what, []).append(figures)
            results[size] = {what: _least(figures) for what, figures in runs.items()}
            print(
                _program_row(size, unit, results[size])
                if args.programs
                else _row(size, unit, results[size]),
                flush=True,
            )
    print()
    if args.programs:
        print(_programs_report(results, unit))
    else:
        print(_report(results, unit))
        print()
        print(_cpu_report(results, unit))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _least(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's least over the repetitions of one measurement (counts are the same in
    every run); the others stay in `runs`."""
    least = {key: min(run[key] for run in runs) for key in runs[0]}
    return {**least, "runs": runs}


def _row(size: int, unit: str, r: dict[str, Any]) -> str:
    return (
        f"{size} {unit}: raw {r['raw']['programSeconds']:.2f}s ({r['raw']['resources']} res), "
        f"components {r['gate']['programSeconds']:.2f}s ({r['gate']['resources']} res), "
        f"minimal no-op pack {r['noop']['policySeconds']:.2f}s, shaped no-op pack "
        f"{r['shaped']['policySeconds']:.2f}s, rules {r['gate']['policySeconds']:.2f}s, "
        f"gate total {r['gate']['totalSeconds']:.2f}s (wall {r['gate']['wall']:.2f}s), "
        f"peak {r['gate']['peakMiB']:.0f} MiB (preview and pack, largest), "
        f"compose config {r['compose']['wall']:.2f}s"
    )


def _program_row(size: int, unit: str, r: dict[str, Any]) -> str:
    raw, program = r["raw"], r["program"]
    return (
        f"{size} {unit}: CPU raw {raw['programCpuSeconds']:.2f}s ({raw['resources']} res, "
        f"{raw['peakMiB']:.0f} MiB), components {program['programCpuSeconds']:.2f}s "
        f"({program['resources']} res, {program['peakMiB']:.0f} MiB)"
    )


def _runs(r: dict[str, Any], key: str, field: str) -> str:
    """Every repetition's figure, comma-separated, in run order."""
    return ", ".join(f"{run[field]:.2f}" for run in r[key]["runs"])


def _paired(r: dict[str, Any]) -> str:
    """Each repetition's components / raw ratio in CPU seconds (the two programs of one turn
    ran back to back, so a burst of load tends to hit both), and their median."""
    ratios = sorted(
        program["programCpuSeconds"] / raw["programCpuSeconds"]
        for raw, program in zip(r["raw"]["runs"], r["program"]["runs"], strict=True)
    )
    return ", ".join(f"{ratio:.2f}x" for ratio in ratios) + f" ({statistics.median(ratios):.2f}x)"


def _growth(results: dict[int, dict[str, Any]], program: str) -> str:
    """Each size against the smallest, in CPU seconds (least of each): the raw program's and
    the components' (the same growth or less is the target)."""
    sizes = sorted(results)
    if len(sizes) < 2:
        return ""
    base = results[sizes[0]]
    parts = []
    for size in sizes[1:]:
        r = results[size]
        raw = r["raw"]["programCpuSeconds"] / base["raw"]["programCpuSeconds"]
        ours = r[program]["programCpuSeconds"] / base[program]["programCpuSeconds"]
        parts.append(f"{size:,} / {sizes[0]:,}: raw program {raw:.2f}x, components {ours:.2f}x")
    return "Growth in CPU seconds, " + "; ".join(parts)


def _programs_report(results: dict[int, dict[str, Any]], unit: str) -> str:
    """`--programs`: the two programs' phases in CPU seconds and peak RSS (each program's own
    process), least of the repetitions, and every repetition."""
    lines = [
        f"| {unit} | resources: raw | resources: components | CPU: floor 1: raw program "
        "| CPU: components program | components / raw (≤1.15) | peak RSS: raw program "
        "| peak RSS: components program | memory / raw (≤1.1) | every run: raw, components "
        "| each pair's ratio (median) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for size, r in results.items():
        raw, program = r["raw"], r["program"]
        lines.append(
            f"| {size:,} | {raw['resources']:,} | {program['resources']:,} "
            f"| {raw['programCpuSeconds']:.2f} s | {program['programCpuSeconds']:.2f} s "
            f"| {program['programCpuSeconds'] / raw['programCpuSeconds']:.2f}x "
            f"| {raw['peakMiB']:,.0f} MiB | {program['peakMiB']:,.0f} MiB "
            f"| {program['peakMiB'] / raw['peakMiB']:.2f}x "
            f"| {_runs(r, 'raw', 'programCpuSeconds')}; "
            f"{_runs(r, 'program', 'programCpuSeconds')} "
            f"| {_paired(r)} |"
        )
    growth = _growth(results, "program")
    return "\n".join([*lines, "", growth] if growth else lines)


def _report(results: dict[int, dict[str, Any]], unit: str) -> str:
    lines = [
        f"| {unit} | resources | floor 1: raw program | components program | floor 2: minimal "
        "no-op pack | floor 2s: shaped no-op pack | rules | gate end to end | wall | peak RSS "
        "| components / raw (≤1.15) | rules / shaped no-op (≤2) | rules / minimal no-op "
        "| gate / (floor 1 + floor 2s) (≤1.2) | gate / (floor 1 + floor 2) "
        "| reference: compose config |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in results.items():
        raw = r["raw"]["programSeconds"]
        noop = r["noop"]["policySeconds"]
        shaped = r["shaped"]["policySeconds"]
        program = r["gate"]["programSeconds"]
        rules = r["gate"]["policySeconds"]
        total = r["gate"]["totalSeconds"]
        lines.append(
            f"| {size:,} | {r['gate']['resources']:,} | {raw:.2f} s | {program:.2f} s "
            f"| {noop:.2f} s | {shaped:.2f} s | {rules:.2f} s | {total:.2f} s "
            f"| {r['gate']['wall']:.2f} s | {r['gate']['peakMiB']:,.0f} MiB "
            f"| {program / raw:.2f}x | {rules / shaped:.2f}x | {rules / noop:.2f}x "
            f"| {total / (raw + shaped):.2f}x | {total / (raw + noop):.2f}x "
            f"| {r['compose']['wall']:.2f} s |"
        )
    return "\n".join(lines)


def _cpu_report(results: dict[int, dict[str, Any]], unit: str) -> str:
    """The same spans in CPU seconds (user and system, the program's and the pack's processes
    included), which the machine's other load disturbs less than wall time, and peak memory:
    the gate's largest process against the raw program's process."""
    lines = [
        f"| {unit} | CPU: floor 1: raw program | components program | floor 2: minimal no-op "
        "pack | floor 2s: shaped no-op pack | rules | gate end to end | components / raw (≤1.15) "
        "| rules / shaped no-op (≤2) | gate / (floor 1 + floor 2s) (≤1.2) | peak RSS: raw "
        "program | peak RSS: gate | memory / raw (≤1.1) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in results.items():
        raw = r["raw"]["programCpuSeconds"]
        noop = r["noop"]["policyCpuSeconds"]
        shaped = r["shaped"]["policyCpuSeconds"]
        program = r["gate"]["programCpuSeconds"]
        rules = r["gate"]["policyCpuSeconds"]
        total = r["gate"]["totalCpuSeconds"]
        raw_peak, gate_peak = r["raw"]["peakMiB"], r["gate"]["peakMiB"]
        lines.append(
            f"| {size:,} | {raw:.2f} s | {program:.2f} s | {noop:.2f} s | {shaped:.2f} s "
            f"| {rules:.2f} s | {total:.2f} s | {program / raw:.2f}x | {rules / shaped:.2f}x "
            f"| {total / (raw + shaped):.2f}x | {raw_peak:,.0f} MiB | {gate_peak:,.0f} MiB "
            f"| {gate_peak / raw_peak:.2f}x |"
        )
    growth = _growth(results, "gate")
    return "\n".join([*lines, "", growth] if growth else lines)


if __name__ == "__main__":
    main()
