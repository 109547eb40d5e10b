"""The gate never passes what it did not check: each way it was once fooled, tried again.

Fail closed (undecided mandatory policies, duplicate URNs, malformed pack answers, unwritable
outputs, unbounded inputs, time limits, signals, leftover processes), stack files read as the
Pulumi CLI reads them, stable output, and the blocking decision made once. Every case asserts
the exact message a user gets. The last test feeds generated stack configs through the whole
gate: no traceback, no hang, and no exit 0 on anything that was not checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.inputfiles import MAX_DEPTH, SIZE_LIMIT
from components.problems import one_line as shown
from plan import load_stack_config, record_program
from preview.cli import main
from tests.preview.helpers_preview import (
    PACKS,
    REAL_PACK,
    REPO,
    TINY,
    Outcome,
    real_project,
    run_preview,
)

HERE = Path(__file__).resolve().parent
ADVERSARY = HERE / "fixtures" / "adversary"
LIAR = PACKS / "liar"
WEB_URN = "urn:pulumi:ok::tiny::docker:index/container:Container::web"
CONTAINER = "docker:index/container:Container"


def _adversary(tmp_path: Path, stacks: dict[str, str]) -> Path:
    """A copy of the adversary program with the given stack files (and, as its own code, the
    components: the program runs with its project's code only)."""
    project = tmp_path / "adversary"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ADVERSARY / name, project / name)
    (project / "components").symlink_to(REPO / "components")
    for stack, text in stacks.items():
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return project


def _case(case: str, **extra: str) -> str:
    lines = ["config:", f"  adversary:case: {case}"]
    lines += [f"  adversary:{key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def _errors(outcome: Outcome) -> list[str]:
    return [line for line in outcome.err.splitlines() if line.startswith("error (")]


def _no_traceback(outcome: Outcome) -> None:
    assert "Traceback" not in outcome.out + outcome.err


def _processes_in(folder: Path) -> list[int]:
    """Processes still running with `folder` as their working directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if Path(os.readlink(entry / "cwd")) == folder.resolve():
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gate_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "preview", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- 1. Fail closed -----------------------------------------------------------------------------


def test_mandatory_policy_that_cannot_decide_at_preview_blocks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The real pack marks itself not applicable when a value is unknown at preview (a network
    mode built from another container's id); the CLI would let that pass, the gate blocks."""
    project = _adversary(tmp_path, {"late": _case("unknown-mode")})
    report = tmp_path / "late.json"
    outcome = run_preview(
        capsys, "late", "--project", str(project), "--pack", str(REAL_PACK), "--json", str(report)
    )
    assert outcome.code == 1, outcome.out + outcome.err
    lines = outcome.out.splitlines()
    undecided = (
        '          cannot decide during preview: the network mode of container "probe" is '
        "unknown until the update; the rule decides when the update runs"
    )
    assert lines[lines.index("Policies:") + 1 :][:6] == [
        f"    FAILED  container-comms@v0.1.0 (local: {REAL_PACK})",
        "        could not decide at preview (a value it reads is unknown, or the policy said it "
        "does not apply) (5)",
        "        - [mandatory]  docker-container-disallow-host-network  "
        "(docker:index/container:Container: probe)",
        undecided,
        "        - [mandatory]  docker-container-require-running-join-target  "
        "(pulumi:pulumi:Stack: adversary-late)",
        undecided,
    ]
    assert lines[-1] == "Policy gate: FAILED: 2 blocking violation(s)."
    # One verdict: the JSON's flags and counts are the text's and the exit status's.
    document = json.loads(report.read_text(encoding="utf-8"))
    flagged = [(v["policy"], v["blocking"]) for v in document["policy"]["violations"]]
    assert flagged == [
        ("docker-container-disallow-host-network", True),
        ("docker-container-require-running-join-target", True),
        ("docker-container-require-kept-running-join-target", False),
        ("docker-container-require-dependency-on-join-target", False),
        ("docker-network-disallow-duplicate-dns-name", False),
    ]
    assert all(v["notApplicable"] and v["undecided"] for v in document["policy"]["violations"])
    assert document["summary"]["blocking"] == 2
    assert (document["exitCode"], document["passed"]) == (1, False)


@pytest.mark.parametrize(
    ("mode", "reason", "code"),
    [
        ("not-applicable", "only networks are checked", 1),
        ("stack-not-applicable", "", 1),
        ("not-applicable", "Policy does not implement validate", 0),
    ],
)
def test_not_applicable_answers_of_a_mandatory_policy(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    reason: str,
    code: int,
) -> None:
    """Whatever its reason, a mandatory policy that did not decide blocks; only
    pulumi-policy's own "has no check of this kind" leaves nothing unchecked."""
    monkeypatch.setenv("LIAR_MODE", mode)
    monkeypatch.setenv("LIAR_REASON", reason)
    outcome = run_preview(capsys, "ok", "--project", str(TINY), "--pack", str(LIAR))
    assert outcome.code == code, outcome.out + outcome.err
    if code == 1:
        subject = "tiny-ok" if mode == "stack-not-applicable" else "web"
        kind = "pulumi:pulumi:Stack" if mode == "stack-not-applicable" else CONTAINER
        assert f"        - [mandatory]  liar-container-check  ({kind}: {subject})" in (
            outcome.out.splitlines()
        )
        assert f"          {reason or '(no reason given)'}" in outcome.out.splitlines()


def test_a_well_behaved_liar_passes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control for the malformed answers below: the same pack answering properly passes."""
    monkeypatch.setenv("LIAR_MODE", "ok")
    outcome = run_preview(capsys, "ok", "--project", str(TINY), "--pack", str(LIAR))
    assert outcome.code == 0, outcome.out + outcome.err


@pytest.mark.parametrize(
    ("mode", "detail"),
    [
        (
            "unknown-level",
            f"analyze of {WEB_URN}: liar-container-check: enforcement level 7, which the "
            "analyzer protocol does not define",
        ),
        (
            "info-unknown-level",
            "GetAnalyzerInfo: policy 'liar-container-check': enforcement level 9, which the "
            "analyzer protocol does not define",
        ),
        (
            "unannounced",
            f"analyze of {WEB_URN}: policy 'liar-ghost', which GetAnalyzerInfo did not announce",
        ),
        (
            "foreign-urn",
            f"analyze of {WEB_URN}: liar-container-check reported "
            "urn:pulumi:elsewhere::x::t::n, not a resource of the stack",
        ),
        ("no-policies", "GetAnalyzerInfo: no policies, so nothing would be checked"),
        ("duplicate-policy", "GetAnalyzerInfo: policy 'liar-container-check' twice"),
        (
            "disabled-violation",
            f"analyze of {WEB_URN}: liar-container-check reported a disabled violation",
        ),
    ],
)
def test_malformed_pack_answer_is_not_checked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, mode: str, detail: str
) -> None:
    monkeypatch.setenv("LIAR_MODE", mode)
    outcome = run_preview(capsys, "ok", "--project", str(TINY), "--pack", str(LIAR))
    assert outcome.code == 2, outcome.out + outcome.err
    assert _errors(outcome) == [
        f"error (pack): policy pack {LIAR} gave a malformed answer: {detail}"
    ]
    assert (
        outcome.out.splitlines()[-1] == "Policy gate: NOT CHECKED (pack); the stack does not pass."
    )


def test_two_resources_with_one_urn_are_refused_as_the_engine_refuses_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _adversary(tmp_path, {"twins": _case("duplicate-urn")})
    outcome = run_preview(capsys, "twins", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert _errors(outcome) == [
        "error (program): Duplicate resource URN "
        "'urn:pulumi:twins::adversary::docker:index/container:Container::twin'; try giving it "
        "a unique name"
    ]


SAME_IMAGE_SLUG = """\
config:
  container-comms:topology:
    networks:
      n1: {subnet: 172.22.30.0/24}
    dns_groups:
      g:
        network: n1
        members:
          m1: {image: "busybox:1.36"}
          m2: {image: "busybox-1.36"}
"""

SAME_MEMBER_NAME = """\
config:
  container-comms:topology:
    networks:
      n1: {subnet: 172.22.30.0/24}
    dns_groups:
      aa:
        network: n1
        members:
          bb-cc: {image: "busybox:1.36"}
      aa-bb:
        network: n1
        members:
          cc: {image: "busybox:1.36"}
"""


def test_images_whose_names_slug_alike_get_distinct_resources(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = real_project(tmp_path, {"dup": SAME_IMAGE_SLUG})
    outcome = run_preview(capsys, "dup", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 0, outcome
    digest = hashlib.sha256(b"busybox-1.36").hexdigest()[:8]
    assert "images-busybox-1.36 " in outcome.out
    assert f"images-busybox-1.36-{digest}" in outcome.out


def test_groups_whose_child_names_collide_are_refused_at_their_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = real_project(tmp_path, {"dup": SAME_MEMBER_NAME})
    outcome = run_preview(capsys, "dup", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert _errors(outcome) == [
        f"error (program): {project}/stacks/Pulumi.dup.yaml:13: "
        'topology.dns_groups.aa-bb.members.cc: its resource name "aa-bb-cc" is also that of '
        "topology.dns_groups.aa.members.bb-cc, and the engine refuses two resources with one "
        "URN; rename the group or the container"
    ]


def test_unwritable_outputs_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "report.json"
    outcome = run_preview(capsys, "ok", "--project", str(TINY), "--json", str(missing))
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err.splitlines() == [
        f"error (output): --json {missing}: the folder {missing.parent} does not exist"
    ]
    outcome = run_preview(capsys, "ok", "--project", str(TINY), "--diagram", str(tmp_path))
    assert outcome.err.splitlines() == [
        f"error (output): --diagram {tmp_path}: is a folder; name a file"
    ]
    assert outcome.code == 2


@pytest.mark.parametrize("stack", ["ok", "bad"])  # passed, and blocked: both become 2
def test_output_that_fails_while_writing_is_exit_2_never_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, stack: str
) -> None:
    fifo = tmp_path / "nobody-reads.md"
    os.mkfifo(fifo)
    outcome = run_preview(
        capsys, stack, "--project", str(TINY), "--pack", str(PACKS / "tiny"),
        "--diagram", str(fifo), "--json", "/dev/full",
    )  # fmt: skip
    assert outcome.code == 2
    _no_traceback(outcome)
    assert _errors(outcome) == [
        f"error (output): --diagram {fifo}: cannot be written (a named pipe that no process reads)"
    ]
    assert outcome.out.splitlines()[-1] == (
        "Policy gate: NOT CHECKED (output); the stack does not pass."
    )
    full = run_preview(
        capsys, stack, "--project", str(TINY), "--pack", str(PACKS / "tiny"), "--json", "/dev/full"
    )
    assert full.code == 2
    assert _errors(full) == [
        "error (output): --json /dev/full: cannot be written (No space left on device)"
    ]


def _tiny_copy(tmp_path: Path) -> Path:
    project = tmp_path / "tiny"
    shutil.copytree(TINY, project)
    return project


def test_oversized_stack_file_is_refused_before_it_is_parsed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _tiny_copy(tmp_path)
    big = project / "stacks" / "Pulumi.big.yaml"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("config:\n  tiny:padding: ")
        handle.truncate(SIZE_LIMIT + 1)
    outcome = run_preview(capsys, "big", "--project", str(project))
    assert outcome.code == 2
    assert _errors(outcome) == [
        f"error (config): {big}: is 8,388,609 bytes, over the 8,388,608-byte limit for a stack file"
    ]


def test_input_that_is_a_fifo_or_a_device_is_refused_without_waiting(tmp_path: Path) -> None:
    """Stack files and the policy config; in a process of its own, so that a regression hangs
    that process, not the test run."""
    project = _tiny_copy(tmp_path)
    stacks = project / "stacks"
    os.mkfifo(stacks / "Pulumi.fifo.yaml")
    (stacks / "Pulumi.zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "policy.json")
    runs = [
        (["fifo"], f"config): {stacks / 'Pulumi.fifo.yaml'}: is a named pipe (fifo); a stack file"),
        (["zero"], f"config): {stacks / 'Pulumi.zero.yaml'}: is a character device; a stack file"),
        (
            ["ok", "--policy-config", str(tmp_path / "policy.json")],
            f"policy-config): {tmp_path / 'policy.json'}: is a named pipe (fifo); a policy "
            "config file",
        ),
    ]
    for args, message in runs:
        started = time.monotonic()
        gate = _gate_process(*args, "--project", str(project), "--pack", str(PACKS / "tiny"))
        _, err = gate.communicate(timeout=60)
        assert time.monotonic() - started < 30
        assert gate.returncode == 2
        assert err.splitlines() == [f"error ({message} must be a regular file"]


def test_alias_bomb_and_deep_nesting_are_refused_fast(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _tiny_copy(tmp_path)
    bomb = ["config:", "  tiny:a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"  tiny:a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    (project / "stacks" / "Pulumi.bomb.yaml").write_text("\n".join(bomb) + "\n")
    nested = "config:\n  tiny:deep: " + "[" * 10_000 + "]" * 10_000 + "\n"
    (project / "stacks" / "Pulumi.deep.yaml").write_text(nested)
    started = time.monotonic()
    bombed = run_preview(capsys, "bomb", "--project", str(project))
    deep = run_preview(capsys, "deep", "--project", str(project))
    assert time.monotonic() - started < 5
    assert (bombed.code, deep.code) == (2, 2)
    stacks = project / "stacks"
    assert _errors(bombed) == [
        f"error (config): {stacks / 'Pulumi.bomb.yaml'}: malformed YAML: document contains "
        "excessive aliasing (1,234,567,911 values from 31 written)"
    ]
    assert _errors(deep) == [
        f"error (config): {stacks / 'Pulumi.deep.yaml'}:2: nested deeper than {MAX_DEPTH} "
        "levels of maps and lists"
    ]


@pytest.mark.parametrize("case", ["sleep", "spin"])
def test_timeout_stops_a_program_that_never_finishes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    project = _adversary(tmp_path, {case: _case(case)})
    started = time.monotonic()
    outcome = run_preview(capsys, case, "--project", str(project), "--timeout", "1")
    assert time.monotonic() - started < 5
    assert outcome.code == 2
    assert _errors(outcome) == [
        "error (program): the program did not finish within the 1 s allowed (--timeout)"
    ]


def test_timeout_covers_program_and_pack_together(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A program taking 1 of the 4 s (and its process's start) leaves the pack the rest, not
    another 4."""
    project = _adversary(tmp_path, {"slow": _case("sleep", seconds="1")})
    started = time.monotonic()
    outcome = run_preview(
        capsys, "slow", "--project", str(project), "--pack", str(PACKS / "hang"), "--timeout", "4"
    )
    elapsed = time.monotonic() - started
    assert outcome.code == 2
    assert elapsed < 4 + 2  # the budget, and the pack's stop (SIGTERM, then SIGKILL)
    # The budget runs out while the pack starts or while it is asked: which one depends on how
    # fast the machine starts a Python process, so both exact endings are accepted.
    assert _errors(outcome)[0] in {
        f"error (pack): policy pack {PACKS / 'hang'} {phase} within the 4 s allowed (--timeout)"
        for phase in ("did not answer ConfigureStack", "printed no port")
    }
    assert _processes_in(PACKS / "hang") == []


def test_what_the_pack_leaves_in_its_process_group_is_stopped_with_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pidfile = tmp_path / "helper.pid"
    monkeypatch.setenv("LIAR_MODE", "group-helper")
    monkeypatch.setenv("LIAR_PIDFILE", str(pidfile))
    outcome = run_preview(capsys, "ok", "--project", str(TINY), "--pack", str(LIAR))
    assert outcome.code == 0, outcome.out + outcome.err
    helper = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(helper)


def test_a_detached_helper_holding_the_packs_pipes_cannot_hang_the_gate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pack starts a helper in a session of its own (out of reach of its process group)
    that keeps its stdout and stderr open for a minute, then exits without a port."""
    monkeypatch.setenv("LIAR_MODE", "detached-helper")
    started = time.monotonic()
    try:
        outcome = run_preview(
            capsys, "ok", "--project", str(TINY), "--pack", str(LIAR), "--timeout", "30"
        )
        assert time.monotonic() - started < 10
        assert outcome.code == 2
        assert _errors(outcome) == [
            f"error (pack): policy pack {LIAR} exited before printing its port; exit status 3"
        ]
    finally:
        for pid in _processes_in(LIAR):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_gate_and_its_pack(sig: signal.Signals) -> None:
    hang = PACKS / "hang"
    gate = _gate_process("ok", "--project", str(TINY), "--pack", str(hang), "--timeout", "60")
    try:
        deadline = time.monotonic() + 30
        while not _processes_in(hang) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_in(hang), "the pack never started"
        time.sleep(0.3)  # the gate is now waiting for the pack's answer
        gate.send_signal(sig)
        out, err = gate.communicate(timeout=15)
    finally:
        gate.kill()
    assert gate.returncode == 2
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"error (interrupted): stopped by {sig.name}; the stack was not checked"
    ]
    assert out.splitlines()[-1] == (
        "Policy gate: NOT CHECKED (interrupted); the stack does not pass."
    )
    assert _processes_in(hang) == []


# --- 2. Stack files as the Pulumi CLI reads them ------------------------------------------------


def test_yaml_1_2_core_only_true_and_false_are_booleans(tmp_path: Path) -> None:
    project = _tiny_copy(tmp_path)
    (project / "stacks" / "Pulumi.yaml12.yaml").write_text(
        "config:\n"
        "  tiny:topology:\n"
        "    restart: no\n"
        "    on: yes\n"
        "    yes: off\n"
        "    flags: [true, false, True, y, n]\n"
        "    when: 2001-12-14\n"
        "    mode: 0o17\n"
        "  tiny:plain: no\n",
        encoding="utf-8",
    )
    config = load_stack_config(project, "yaml12")
    assert json.loads(config.values["tiny:topology"]) == {
        "restart": "no",
        "on": "yes",
        "yes": "off",
        "flags": [True, False, True, "y", "n"],
        "when": "2001-12-14",
        "mode": 15,
    }
    assert config.values["tiny:plain"] == "no"


def test_restart_no_reaches_the_container_as_the_string_no(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SAME_IMAGE_SLUG.replace(
        'm2: {image: "busybox-1.36"}', 'm2: {image: "busybox:1.36", restart: no}'
    )
    project = real_project(tmp_path, {"restart": text})
    (project / "inputfiles").symlink_to(REPO / "inputfiles")
    report = tmp_path / "restart.json"
    outcome = run_preview(
        capsys, "restart", "--project", str(project), "--pack", str(REAL_PACK),
        "--json", str(report),
    )  # fmt: skip
    _no_traceback(outcome)
    document = json.loads(report.read_text(encoding="utf-8"))
    restarts = {
        r["inputs"]["name"]: r["inputs"].get("restart")
        for r in document["resources"]
        if r["type"] == CONTAINER
    }
    assert restarts == {"m1": "unless-stopped", "m2": "no"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "config:\n  tiny:topology: {}\n  tiny:topology: {}\n",
            '3: malformed YAML: mapping key "tiny:topology" already defined at line 2',
        ),
        (
            "config:\n  tiny:topology:\n    pair:\n      members:\n        - name: a\n"
            "          ip: 172.30.1.5\n          ip: 172.30.1.6\n",
            '7: malformed YAML: mapping key "ip" already defined at line 6',
        ),
    ],
    ids=["top-level", "deep"],
)
def test_duplicate_keys_are_errors_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, problem: str
) -> None:
    project = _tiny_copy(tmp_path)
    path = project / "stacks" / "Pulumi.dup.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = run_preview(capsys, "dup", "--project", str(project))
    assert outcome.code == 2
    assert _errors(outcome) == [f"error (config): {path}:{problem}"]


def test_a_key_with_and_without_its_namespace_is_one_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _tiny_copy(tmp_path)
    path = project / "stacks" / "Pulumi.twice.yaml"
    path.write_text("config:\n  tiny:topology: {}\n  topology: {}\n", encoding="utf-8")
    outcome = run_preview(capsys, "twice", "--project", str(project))
    assert outcome.code == 2
    assert _errors(outcome) == [
        f'error (config): {path}:3: config keys "tiny:topology" and "topology" are both '
        "tiny:topology (a key without a namespace is the project's); give it once"
    ]


def test_stack_name_is_not_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_preview(capsys, "../../etc/passwd", "--project", str(TINY))
    assert outcome.code == 2
    assert _errors(outcome) == [
        "error (config): '../../etc/passwd' is not a stack name: use 1 to 100 letters, digits, "
        "`-`, `_` or `.`"
    ]


def test_a_name_with_a_trailing_newline_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SAME_IMAGE_SLUG.replace('m1: {image: "busybox:1.36"}', '"bbox1\\n": {image: busybox}')
    project = real_project(tmp_path, {"newline": text})
    (project / "inputfiles").symlink_to(REPO / "inputfiles")
    outcome = run_preview(capsys, "newline", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert (
        ': "bbox1\\n" is not a valid container name: the engine wants two or more characters of '
        "[a-zA-Z0-9][a-zA-Z0-9_.-]"
    ) in outcome.err


SECRET = "s3cret-token-do-not-echo"


def _topology_file_project(tmp_path: Path, reference: str) -> Path:
    text = f"config:\n  container-comms:topologyFile: {reference}\n"
    project = real_project(tmp_path, {"file": text})
    (project / "inputfiles").symlink_to(REPO / "inputfiles")
    return project


@pytest.mark.parametrize("kind", ["relative", "absolute", "symlink"])
def test_topology_file_outside_the_project_is_refused_without_its_contents(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(f"{SECRET}\n", encoding="utf-8")
    reference = {"relative": "../outside.yaml", "absolute": str(outside), "symlink": "link.yaml"}
    project = _topology_file_project(tmp_path, reference[kind])
    (project / "link.yaml").symlink_to(outside)
    outcome = run_preview(capsys, "file", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert SECRET not in outcome.out + outcome.err
    stack = project / "stacks" / "Pulumi.file.yaml"
    assert _errors(outcome) == [
        f'error (program): {stack}:2: topologyFile: "{reference[kind]}" resolves to '
        f"{outside}, outside the project folder; name a file under {project.resolve()}"
    ]


def test_topology_file_that_is_not_a_map_is_not_repeated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _topology_file_project(tmp_path, "secret.txt")
    (project / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    outcome = run_preview(capsys, "file", "--project", str(project), "--pack", str(REAL_PACK))
    assert outcome.code == 2
    assert SECRET not in outcome.out + outcome.err
    stack = project / "stacks" / "Pulumi.file.yaml"
    assert _errors(outcome) == [
        f'error (program): {stack}:2: topologyFile: "secret.txt" holds a single value, not a map '
        "of the topology's keys"
    ]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (os.mkfifo, "is a named pipe (fifo); a topology file must be a regular file"),
        (lambda p: p.symlink_to("/dev/zero"), None),  # outside the project: refused as such
        (
            lambda p: p.write_bytes(b"x" * (SIZE_LIMIT + 1)),
            "is 8,388,609 bytes, over the 8,388,608-byte limit for a topology file",
        ),
    ],
    ids=["fifo", "device", "oversized"],
)
def test_topology_file_is_bounded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make: Any, problem: str | None
) -> None:
    project = _topology_file_project(tmp_path, "big.yaml")
    make(project / "big.yaml")
    started = time.monotonic()
    outcome = run_preview(capsys, "file", "--project", str(project), "--pack", str(REAL_PACK))
    assert time.monotonic() - started < 10
    assert outcome.code == 2
    stack = project / "stacks" / "Pulumi.file.yaml"
    if problem is None:
        problem = "resolves to /dev/zero, outside the project folder"
    assert _errors(outcome) == [
        f'error (program): {stack}:2: topologyFile: "big.yaml" {problem}; name a file under '
        f"{project.resolve()}"
    ]


# --- 6. What a user sees ------------------------------------------------------------------------


def test_tree_json_and_diagram_are_the_same_on_every_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    runs = []
    for attempt in range(2):
        report, picture = tmp_path / f"{attempt}.json", tmp_path / f"{attempt}.md"
        outcome = run_preview(
            capsys, "prod", "--project", str(REPO), "--pack", str(REAL_PACK),
            "--json", str(report), "--diagram", str(picture),
        )  # fmt: skip
        assert outcome.code == 0, outcome.out + outcome.err
        assert f"Diagram: wrote {picture} (Mermaid in Markdown)." in outcome.out.splitlines()
        document = json.loads(report.read_text(encoding="utf-8"))
        tree = outcome.out.split("Policies:")[0]
        runs.append((tree, document["resources"], picture.read_text(encoding="utf-8")))
    assert runs[0] == runs[1]
    # The registrations themselves arrive in thread order; the plan does not follow it.
    config = load_stack_config(REPO, "prod")
    orders = {
        tuple(
            r.urn
            for r in record_program(
                REPO / "__main__.py", project=config.project, stack="prod", config=config.values
            ).resources
        )
        for _ in range(4)
    }
    assert orders == {tuple(r["urn"] for r in runs[0][1])}
    urns = [r["urn"] for r in runs[0][1]]
    for index, resource in enumerate(runs[0][1]):
        assert resource["parent"] is None or urns.index(resource["parent"]) < index


def test_component_error_names_the_stack_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = _case("component-error") + (
        "  adversary:sidecars:\n    shell: {image: busybox}\n    probe:\n"
        "      image: busybox\n      ports: [80]\n"
    )
    project = _adversary(tmp_path, {"parts": text})
    outcome = run_preview(capsys, "parts", "--project", str(project))
    assert outcome.code == 2
    assert _errors(outcome) == [
        f'error (program): {project / "stacks" / "Pulumi.parts.yaml"}:7: joined group "web": '
        "sidecars.probe.ports: a container sharing another's network namespace cannot publish "
        'ports; publish them on the owner "web"'
    ]


def test_default_pack_is_the_projects_own(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = _tiny_copy(tmp_path)
    shutil.copytree(LIAR, project / "policies")
    monkeypatch.setenv("LIAR_MODE", "no-policies")
    outcome = run_preview(capsys, "ok", "--project", str(project))
    assert _errors(outcome) == [
        f"error (pack): policy pack {project / 'policies'} gave a malformed answer: "
        "GetAnalyzerInfo: no policies, so nothing would be checked"
    ]


FAKE_PYTHON3 = """\
#!/bin/sh
# Stands in for python3: `-m venv DIR` makes DIR/bin/python, which logs pip and runs nothing.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/bin/sh\\nif [ "$2" = pip ]; then exit 0; fi\\necho "ran $*"\\n' > "$3/bin/python"
    chmod +x "$3/bin/python"
fi
"""


def test_first_run_of_preview_sh_says_it_is_installing(tmp_path: Path) -> None:
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
    command = ["bash", str(clone / "scripts" / "preview.sh"), "dev"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert first.stderr.splitlines() == [
        "preview.sh: first run: creating .venv and installing the pinned requirements into it "
        "(a minute or so; later runs start at once)",
        "preview.sh: installing the pinned requirements into .venv (requirements-dev.txt)...",
        "preview.sh: dependencies installed",
    ]
    assert first.stdout == "ran -m preview dev\n"
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert (again.stderr, again.stdout) == ("", "ran -m preview dev\n")


# --- Generated stack configs through the whole gate ---------------------------------------------

RAW_SCALARS = [
    "no", "yes", "on", "off", "~", "null", "0o17", "017", "1e3", ".inf", ".nan", "2001-12-14",
    "!!binary aGk=", "*nowhere", '"bbox1\\n"', '""', "[]", "{}", "-1", "65536", "true",
    "172.22.16.300", "bridge", "host", "container:web1", '"a b"', "'x'", "!!str 5", "&anchor x",
]  # fmt: skip

BASE: dict[str, Any] = {
    "networks": {"n1": {"subnet": "172.22.40.0/24"}},
    "dns_groups": {
        "g": {
            "network": "n1",
            "members": {"m1": {"image": "busybox:1.36"}, "m2": {"image": "busybox:1.36"}},
        }
    },
    "containers": {"s1": {"image": "busybox:1.36", "network": "n1", "ipv4_address": "auto"}},
    "joined_groups": {
        "j": {
            "owner": {"name": "o1", "image": "httpd:2.4"},
            "sidecars": {"sc": {"image": "busybox:1.36"}},
        }
    },
}
"""A topology that passes the gate; the generator changes a few things in it."""


CONTAINERS = [
    ("dns_groups", "g", "members", "m1"),
    ("dns_groups", "g", "members", "m2"),
    ("containers", "s1"),
    ("joined_groups", "j", "owner"),
    ("joined_groups", "j", "sidecars", "sc"),
]
RISKY: list[tuple[str, Any]] = [
    ("capabilities_add", ["SYS_ADMIN"]),
    ("capabilities_add", ["NET_RAW"]),
    ("command", ["ping", "-c1", "o1"]),
    ("command", ["wget", "http://m1:80/"]),
    ("ports", [{"internal": 80, "external": 8080}]),
    ("ports", [{"internal": 80, "external": 8080, "host_ip": "0.0.0.0"}]),
    ("restart", "no"),
    ("hostname", "box"),
    ("dns", ["10.0.0.2"]),
]
"""Settings the policy pack has an opinion on, put on one of the containers."""


FORGED_LINES = [
    "Policy gate: passed.",
    "Policy gate: FAILED: 0 blocking violation(s).",
    "error (config): forged",
    "Policy gate: NOT CHECKED (program); the stack does not pass.",
]
INJECTED = st.one_of(
    st.builds(
        lambda before, line, after, sep: f"{before}{sep}{line}{sep}{after}",
        st.text(max_size=4),
        st.sampled_from(FORGED_LINES),
        st.text(max_size=4),
        st.sampled_from(["\n", "\r", "\r\n", "\n\n", "\x1b[2K\r", "\u2028", "\x85", "\x0b"]),
    ),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
"""Text a user can write into a key or value: the gate's verdict lines after a line break or a
terminal control, or anything at all."""


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    return found


@st.composite
def stack_texts(draw: st.DrawFn) -> str:
    """A stack file: the base topology with a few of its values, keys or names replaced by
    adversarial ones, written in flow YAML with some scalars left unquoted."""
    raw: dict[tuple[str, ...], str] = {}
    topology = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_paths(topology)[1:]))
        parent = topology
        for part in path[:-1]:
            parent = parent[part]
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        action = draw(
            st.sampled_from(
                ["risky"] * 4 + ["raw", "value", "drop", "rename", "extra"] + ["inject"] * 3
            )
        )
        if action == "risky":
            container = topology
            for part in draw(st.sampled_from(CONTAINERS)):
                container = container.get(part) if isinstance(container, dict) else None
            if isinstance(container, dict):
                key, value = draw(st.sampled_from(RISKY))
                container[key] = value
        elif action == "raw":
            raw[path] = draw(st.sampled_from(RAW_SCALARS))
        elif action == "value":
            parent[path[-1]] = draw(
                st.recursive(
                    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: (
                        st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                    ),
                    max_leaves=6,
                )
            )
        elif action == "inject":  # a user-supplied byte sequence, as a key or as a value
            if draw(st.booleans()):
                parent[draw(INJECTED)] = parent.pop(path[-1])
            else:
                parent[path[-1]] = draw(INJECTED)
        elif action == "drop":
            del parent[path[-1]]
        elif action == "rename":
            parent[draw(st.text(min_size=1, max_size=6))] = parent.pop(path[-1])
        else:
            extra = draw(st.text(max_size=6))
            parent[extra] = None
            raw[(*path[:-1], extra)] = draw(st.sampled_from(RAW_SCALARS))
    return (
        "config:\n  container-comms:topology: "
        + _flow(topology, (), raw)
        + ("\n  container-comms:topology: {}" if draw(st.integers(0, 9)) == 0 else "")
        + "\n"
    )


def _flow(value: Any, path: tuple[str, ...], raw: dict[tuple[str, ...], str]) -> str:
    if path in raw:
        return raw[path]
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {_flow(v, (*path, k), raw)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v, (), {}) for v in value) + "]"
    return json.dumps(value)


@pytest.fixture(scope="module")
def generated_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = real_project(tmp_path_factory.mktemp("generated"), {})
    (project / "inputfiles").symlink_to(REPO / "inputfiles")
    return project


def _generated_run(project: Path, text: str) -> tuple[int, str, str, dict[str, Any]]:
    (project / "stacks" / "Pulumi.gen.yaml").write_text(text, encoding="utf-8")
    report = project / "gen.json"
    report.unlink(missing_ok=True)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            ["gen", "--project", str(project), "--pack", str(REAL_PACK),
             "--json", str(report), "--timeout", "30"]
        )  # fmt: skip
    return code, out.getvalue(), err.getvalue(), json.loads(report.read_text(encoding="utf-8"))


def test_the_generators_base_topology_passes(generated_project: Path) -> None:
    """The generated configs start from a stack that is checked and passes, so the changes,
    not the base, decide each outcome."""
    text = "config:\n  container-comms:topology: " + _flow(BASE, (), {}) + "\n"
    code, out, err, document = _generated_run(generated_project, text)
    assert code == 0, out + err
    assert document["policy"]["analyzed"] == len(document["resources"]) + 1


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=stack_texts())
def test_generated_stack_configs_never_pass_unchecked(generated_project: Path, text: str) -> None:
    """For any generated stack: no traceback, no exit 0 unchecked, a pass only when every
    mandatory rule decided and nothing blocks, and the verdict lines are the verdict's own,
    whatever bytes the stack holds."""
    started = time.monotonic()
    code, out, err, document = _generated_run(generated_project, text)
    assert time.monotonic() - started < 40, text
    printed = out + err
    assert "Traceback" not in printed, text
    assert code in (0, 1, 2), text
    assert document["exitCode"] == code
    _verdict_lines_are_the_verdicts(code, out, err, document, text)
    errors = [line for line in err.splitlines() if line.startswith("error (")]
    if code == 2:
        assert document["error"] is not None and len(errors) == 1, text
        return
    # Checked: the program ran, and every registration and the stack went through the pack.
    assert document["error"] is None and errors == [], text
    policy = document["policy"]
    assert policy is not None, text
    assert policy["analyzed"] == len(document["resources"]) + 1  # and the default provider
    blocking = [v for v in policy["violations"] if v["blocking"]]
    assert (code == 1) == bool(blocking) == (document["summary"]["blocking"] > 0), text
    if code == 0:  # re-derived here: nothing at a blocking level, decided or not
        levels = {"mandatory", "remediate"}
        assert not [
            v
            for v in policy["violations"]
            if v["enforcementLevel"] in levels or v["configuredLevel"] in levels
        ], text


def _verdict_lines_are_the_verdicts(
    code: int, out: str, err: str, document: dict[str, Any], text: str
) -> None:
    """The lines that begin like a verdict are exactly the verdict's, the gate's verdict is its
    last line, and no line holds a character that would move a terminal's cursor or start a
    line of its own."""
    for line in (out + err).split("\n"):
        assert line.isprintable(), (line, text)
    verdict = {
        0: ["Policy gate: passed."],
        1: [f"Policy gate: FAILED: {document['summary']['blocking']} blocking violation(s)."],
    }.get(code)
    if verdict is None:
        stage = document["error"]["stage"]
        verdict = [f"Policy gate: NOT CHECKED ({stage}); the stack does not pass."]
    assert [line for line in out.splitlines() if line.startswith("Policy gate:")] == verdict
    assert out.splitlines()[-1] == verdict[0], text
    errors = [line for line in err.splitlines() if line.startswith("error (")]
    if code == 2:
        first = document["error"]["message"].split("\n")[0]
        assert errors == [f"error ({document['error']['stage']}): {shown(first)}"], text
    else:
        assert errors == [], text
    # Nor does any other line, indented or not, begin as the verdict lines do.
    begins = [
        line.lstrip()
        for line in out.splitlines() + err.splitlines()
        if line.lstrip().startswith(("Policy gate:", "error ("))
    ]
    assert begins == verdict + errors, text
