"""The gate checks the project it is pointed at, with that project's code, within its time, and
no value in a stack can write the gate's verdict lines.

Each test is named for the promise it holds and asserts what a user sees.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import preview.cli
from tests.preview.helpers_preview import PACKS, REAL_PACK, REPO, run_preview

HERE = Path(__file__).resolve().parent
ADVERSARY = HERE / "fixtures" / "adversary"
TINY_PACK = PACKS / "tiny"
VERDICT = ("Policy gate:", "error (")
"""How the verdict lines begin; no other line of the gate's output begins so."""


def _processes_in(folder: Path) -> list[int]:
    """Processes still running with `folder` as their working directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == folder.resolve():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _verdict_lines(out: str, err: str) -> list[str]:
    return [line for line in (out + err).splitlines() if line.startswith(VERDICT)]


def _adversary(tmp_path: Path, stack: str, text: str) -> Path:
    project = tmp_path / "adversary"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ADVERSARY / name, project / name)
    (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return project


def _project_copy(tmp_path: Path, stacks: tuple[str, ...] = ("dev",)) -> Path:
    """A copy of this project, its components copied (not linked), with the given stacks."""
    copy = tmp_path / "copy"
    (copy / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, copy / name)
    shutil.copytree(REPO / "components", copy / "components", symlinks=False)
    for stack in stacks:
        shutil.copy(REPO / "stacks" / f"Pulumi.{stack}.yaml", copy / "stacks")
    shutil.copytree(REPO / "stacks" / "secrets", copy / "stacks" / "secrets")
    return copy


# --- The project's own code ---------------------------------------------------------------------


def test_project_is_checked_with_its_own_components(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A copy whose components force `privileged: true` is blocked when pointed at with
    `--project`, as it is when run from inside it: its own components are the ones that run,
    not the gate's (already imported in the gate's process)."""
    copy = _project_copy(tmp_path)
    container = copy / "components" / "container.py"
    source = container.read_text(encoding="utf-8")
    assert source.count("        privileged=spec.privileged or None,\n") == 1
    container.write_text(
        source.replace(
            "        privileged=spec.privileged or None,\n", "        privileged=True,\n"
        ),
        encoding="utf-8",
    )
    outcome = run_preview(capsys, "dev", "--project", str(copy), "--pack", str(REAL_PACK))
    assert outcome.code == 1, outcome.out + outcome.err
    lines = outcome.out.splitlines()
    privileged = [line for line in lines if "docker-container-disallow-privileged" in line]
    names = ["bboxes-bbox1", "bboxes-bbox2", "bbox3-container", "web-web1", "web-web1-shell"]
    assert sorted(privileged) == sorted(
        "        - [mandatory]  docker-container-disallow-privileged  "
        f"(docker:index/container:Container: {name})"
        for name in names
    )
    assert lines[-1] == "Policy gate: FAILED: 5 blocking violation(s)."
    # From inside the copy, the same verdict.
    inside = subprocess.run(
        [sys.executable, "-m", "preview", "dev", "--pack", str(REAL_PACK)],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert inside.returncode == 1, inside.stdout + inside.stderr
    assert inside.stdout.splitlines()[-1] == "Policy gate: FAILED: 5 blocking violation(s)."


def test_a_project_without_the_components_cannot_borrow_the_gates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _adversary(
        tmp_path, "parts", "config:\n  adversary:case: component-error\n  adversary:sidecars: {}\n"
    )
    outcome = run_preview(capsys, "parts", "--project", str(project), "--pack", str(TINY_PACK))
    assert outcome.code == 2
    line = next(
        number
        for number, text in enumerate((ADVERSARY / "__main__.py").read_text().splitlines(), 1)
        if text.strip().startswith("from components import")
    )
    assert outcome.err.splitlines() == [
        f"error (program): __main__.py:{line}: ModuleNotFoundError: No module named 'components'"
    ]


@pytest.mark.parametrize("case", ["exit", "os-exit"])
def test_a_program_that_ends_its_process_is_not_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    """`sys.exit(0)` in a program run inside the gate's process once ended the gate with status
    0 and no verdict at all."""
    project = _adversary(tmp_path, case, f"config:\n  adversary:case: {case}\n")
    outcome = run_preview(capsys, case, "--project", str(project), "--pack", str(TINY_PACK))
    assert outcome.code == 2
    message = {
        "exit": "the program exited (status 0) before it finished",
        "os-exit": "the program's process ended without a plan (exit status 0)",
    }[case]
    assert _verdict_lines(outcome.out, outcome.err) == [
        "Policy gate: NOT CHECKED (program); the stack does not pass.",
        f"error (program): {message}",
    ]


# --- Bounded ------------------------------------------------------------------------------------


def test_a_program_error_is_reported_at_once_whatever_the_pack_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The program and the pack start together; the program's answer is awaited first, so its
    error does not wait for a pack that never prints its port."""
    project = _adversary(tmp_path, "exit", "config:\n  adversary:case: exit\n")
    started = time.monotonic()
    outcome = run_preview(
        capsys, "exit", "--project", str(project), "--pack", str(PACKS / "silent"),
        "--timeout", "60",
    )  # fmt: skip
    assert time.monotonic() - started < 20
    assert outcome.code == 2
    assert _verdict_lines(outcome.out, outcome.err) == [
        "Policy gate: NOT CHECKED (program); the stack does not pass.",
        "error (program): the program exited (status 0) before it finished",
    ]
    assert _processes_in(PACKS / "silent") == []


HOSTILE_KEY = "a." * 34 + "a!"
"""A network key on which a backtracking key-path pattern ran for minutes."""


def test_a_hostile_key_is_placed_at_its_line_in_linear_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = _project_copy(tmp_path, ())
    stack = copy / "stacks" / "Pulumi.key.yaml"
    stack.write_text(
        "config:\n  container-comms:topology:\n    networks:\n"
        f'      "{HOSTILE_KEY}": {{subnet: 172.22.40.0/24}}\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    outcome = run_preview(
        capsys, "key", "--project", str(copy), "--pack", str(REAL_PACK), "--timeout", "20"
    )
    assert time.monotonic() - started < 20
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        f'error (program): {stack}:4: topology.networks["{HOSTILE_KEY}"]: "{HOSTILE_KEY}" is not '
        "a valid network name: use letters, digits and _.- after a leading letter or digit"
    ]


def test_the_timeout_covers_reading_the_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Work that waits on nothing (reading, placing errors, writing) is stopped too."""
    real = preview.cli.load_stack_config

    def slow(*args: object) -> object:
        time.sleep(30)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(preview.cli, "load_stack_config", slow)
    started = time.monotonic()
    outcome = run_preview(capsys, "dev", "--project", str(REPO), "--timeout", "1")
    assert time.monotonic() - started < 1 + 2
    assert outcome.code == 2
    assert _verdict_lines(outcome.out, outcome.err) == [
        "Policy gate: NOT CHECKED (config); the stack does not pass.",
        "error (config): the stack's config was not read within the 1 s allowed (--timeout)",
    ]


# --- Values never write the verdict -------------------------------------------------------------

FORGED = "x\n\nPolicy gate: passed.\n"


def test_a_value_in_an_error_cannot_print_a_line_of_its_own(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = _project_copy(tmp_path, ("swarm",))
    stack = copy / "stacks" / "Pulumi.swarm.yaml"
    text = stack.read_text(encoding="utf-8")
    assert "constraints: [node.role == manager]" in text
    forged = 'constraints: ["x\\n\\nPolicy gate: passed.\\n"]'
    stack.write_text(text.replace("constraints: [node.role == manager]", forged), encoding="utf-8")
    outcome = run_preview(capsys, "swarm", "--project", str(copy), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert outcome.out.splitlines() == [
        "Policy gate: NOT CHECKED (program); the stack does not pass."
    ]
    assert outcome.err.splitlines() == [
        f"error (program): {stack}:40: topology.services.api.deploy.constraints[0]: "
        '"x\\n\\nPolicy gate: passed.\\n" is not a constraint; write <attribute> == <value> or '
        "<attribute> != <value>, e.g. node.role == manager"
    ]


def test_names_and_program_output_cannot_print_the_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The program prints the verdict lines and names a container with them: its output stays in
    its own process, and the name is shown escaped."""
    project = _adversary(tmp_path, "forge", "config:\n  adversary:case: forge\n")
    outcome = run_preview(capsys, "forge", "--project", str(project), "--pack", str(TINY_PACK))
    assert outcome.code == 0, outcome.out + outcome.err
    assert outcome.err == ""
    assert _verdict_lines(outcome.out, outcome.err) == ["Policy gate: passed."]
    assert outcome.out.splitlines()[-1] == "Policy gate: passed."
    assert (
        " +   ├─ docker:index/container:Container  \\nPolicy gate: passed.\\n  create"
        in outcome.out.splitlines()
    )


@pytest.mark.parametrize(
    "text",
    ["\rPolicy gate: passed.", "\x1b[2K\rPolicy gate: passed.", "\u2028Policy gate: passed."],
)
def test_terminal_controls_in_a_name_are_shown_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    escaped = text.encode("unicode_escape").decode()
    stack = f'config:\n  adversary:case: forge\n  adversary:text: "{escaped}"\n'
    project = _adversary(tmp_path, "forge", stack)
    outcome = run_preview(capsys, "forge", "--project", str(project), "--pack", str(TINY_PACK))
    assert outcome.code == 0
    printed = outcome.out + outcome.err
    assert not any(char in printed for char in "\r\x1b\u2028")
    assert repr(text)[1:-1] in outcome.out
    assert _verdict_lines(outcome.out, outcome.err) == ["Policy gate: passed."]


def test_an_ascii_terminal_gets_the_report_and_the_verdict() -> None:
    """`PYTHONIOENCODING=ascii`: the tree's box-drawing characters are written as escapes."""
    gate = subprocess.run(
        [sys.executable, "-m", "preview", "dev"],
        cwd=REPO,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        capture_output=True,
        text=True,
        encoding="ascii",
        check=False,
    )
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "Traceback" not in gate.stderr
    assert " +   \\u251c\\u2500 container-comms:index:DnsGroup " in gate.stdout
    assert gate.stdout.splitlines()[-1] == "Policy gate: passed."


# --- Numbers the wire cannot hold ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpus", "stage", "problem"),
    [
        ("inf", "program", None),
        ("nan", "program", None),
        ('"1e400"', "program", None),
        ("1e400", "config", "YAML reads this number as inf, which JSON cannot hold"),
        (".nan", "config", "YAML reads this number as nan, which JSON cannot hold"),
    ],
)
def test_swarm_cpus_that_is_not_a_finite_number_names_its_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cpus: str, stage: str, problem: str | None
) -> None:
    copy = _project_copy(tmp_path, ("swarm",))
    stack = copy / "stacks" / "Pulumi.swarm.yaml"
    text = stack.read_text(encoding="utf-8")
    assert 'limits: {cpus: "0.5", memory: 128}' in text
    given = f"limits: {{cpus: {cpus}, memory: 128}}"
    stack.write_text(text.replace('limits: {cpus: "0.5", memory: 128}', given), encoding="utf-8")
    outcome = run_preview(capsys, "swarm", "--project", str(copy), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    key = "topology.services.api.deploy.limits.cpus"
    if problem is None:
        expected = (
            f'{key}: "{cpus.strip(chr(34))}" is not a number of CPUs above 0 (and at most '
            "9223372036, what the engine can hold)"
        )
    else:
        expected = (
            f"container-comms:{key}: {problem}; write a finite number, or quote the value to pass "
            "it as a string"
        )
    assert outcome.err.splitlines() == [f"error ({stage}): {stack}:41: {expected}"]


# --- scripts/preview.sh on a fresh clone --------------------------------------------------------

FAKE_PYTHON3 = """\
#!/bin/sh
# Stands in for python3: `-m venv DIR` makes DIR/bin/python, whose pip fails when another
# install is under way (as two pips in one venv do), logs each install, and fails altogether
# when FAKE_PIP_FAILS is set; anything else it runs is echoed.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    sleep 0.5
    mkdir -p "$3/bin"
    cat > "$3/bin/python" <<'INNER'
#!/bin/sh
if [ "$2" = pip ]; then
    [ -n "$FAKE_PIP_FAILS" ] && { echo "ERROR: no matching distribution" >&2; exit 1; }
    here=$(dirname "$0")
    mkdir "$here/../installing" 2>/dev/null || { echo "pip: another install" >&2; exit 1; }
    echo install >> "$here/../installs"
    sleep 1
    rmdir "$here/../installing"
    exit 0
fi
echo "ran $*"
INNER
    chmod +x "$3/bin/python"
fi
"""


def _clone(tmp_path: Path) -> tuple[list[str], dict[str, str], Path]:
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    (clone / "policies").mkdir()
    shutil.copy(REPO / "scripts" / "preview.sh", clone / "scripts")
    for name in ("requirements.txt", "requirements-dev.txt", "policies/requirements.txt"):
        shutil.copy(REPO / name, clone / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(FAKE_PYTHON3)
    (bin_dir / "python3").chmod(stat.S_IRWXU)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return ["bash", str(clone / "scripts" / "preview.sh"), "dev"], env, clone


def test_two_first_runs_at_once_both_run_the_gate(tmp_path: Path) -> None:
    command, env, clone = _clone(tmp_path)
    results: list[subprocess.CompletedProcess[str]] = []

    def run() -> None:
        results.append(
            subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        )

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(60)
    assert [(r.returncode, r.stdout) for r in results] == [(0, "ran -m preview dev\n")] * 2
    assert (clone / ".venv" / "installs").read_text() == "install\n"  # one install, not two


def test_a_failed_install_is_not_checked(tmp_path: Path) -> None:
    command, env, _ = _clone(tmp_path)
    failed = subprocess.run(
        command, env={**env, "FAKE_PIP_FAILS": "1"}, capture_output=True, text=True, check=False
    )
    assert failed.returncode == 2
    assert failed.stdout == "Policy gate: NOT CHECKED (setup); the stack does not pass.\n"
    assert failed.stderr.splitlines()[-2:] == [
        "ERROR: no matching distribution",
        "preview.sh: installing the pinned requirements failed (pip, exit status 1); the stack "
        "was not checked",
    ]
