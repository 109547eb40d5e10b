"""The gate fails closed: whatever keeps a stack from being checked is reported, never passed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from preview.pack import start_pack
from tests.preview.helpers_preview import PACKS, TINY, Outcome, run_preview


def _pack_processes(pack: Path) -> list[int]:
    """Processes still running with `pack` as their working directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == pack.resolve():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _tiny(capsys: pytest.CaptureFixture[str], stack: str, pack: str, *extra: str) -> Outcome:
    return run_preview(capsys, stack, "--project", str(TINY), "--pack", str(PACKS / pack), *extra)


def test_tiny_stack_passes_and_its_broken_variant_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ok = _tiny(capsys, "ok", "tiny")
    assert ok.code == 0, ok.out + ok.err
    bad = _tiny(capsys, "bad", "tiny")
    assert bad.code == 1
    assert (
        "        - [mandatory]  tiny-container-enforce-address-prefix"
        "  (docker:index/container:Container: pair-bbox1)"
    ) in bad.out.splitlines()
    assert (
        '          container "bbox1": ipv4Address "10.0.0.5" is outside 172.30.*; '
        "pick an address there"
    ) in bad.out.splitlines()


def test_pack_that_crashes_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _tiny(capsys, "ok", "crash", "--timeout", "20")
    assert outcome.code == 2
    assert "exited before printing its port; exit status 1" in outcome.err
    assert "rules module is broken" in outcome.err
    assert "Policy gate: NOT CHECKED (pack)" in outcome.out


@pytest.mark.parametrize(
    ("pack", "message"),
    [
        ("silent", "printed no port within the 8 s allowed (--timeout)"),
        ("hang", "did not answer ConfigureStack within the 8 s allowed (--timeout)"),
    ],
)
def test_pack_that_never_answers_is_stopped_within_the_timeout(
    capsys: pytest.CaptureFixture[str], pack: str, message: str
) -> None:
    started = time.monotonic()
    outcome = _tiny(capsys, "ok", pack, "--timeout", "8")
    assert time.monotonic() - started < 8 + 5
    assert outcome.code == 2
    assert message in outcome.err
    assert _pack_processes(PACKS / pack) == []


def test_pack_is_stopped_after_a_normal_run() -> None:
    pack = start_pack(PACKS / "tiny", project="tiny", stack="ok", config={}, start_timeout=20)
    assert pack.process.poll() is None
    pack.stop()
    assert pack.process.poll() is not None


def test_mandatory_policy_that_cannot_decide_at_preview_blocks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = _tiny(capsys, "late", "tiny")
    assert outcome.code == 1
    lines = outcome.out.splitlines()
    assert (
        "        - [mandatory]  tiny-container-disallow-localhost-hostname"
        "  (docker:index/container:Container: late)"
    ) in lines
    assert any("can't be known during preview" in line for line in lines)


def test_unknown_stack_lists_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = _tiny(capsys, "nope", "tiny")
    assert outcome.code == 2
    assert "stacks: bad, boom, late, ok" in outcome.err


def test_malformed_yaml_names_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        (TINY / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    stack_file = tmp_path / "stacks" / "Pulumi.broken.yaml"
    stack_file.write_text("config:\n  tiny:topology:\n    networks: [a\n    pair: 1\n")
    outcome = run_preview(capsys, "broken", "--project", str(tmp_path))
    assert outcome.code == 2
    assert f"{stack_file}:4: malformed YAML" in outcome.err


def test_program_error_is_its_message_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = _tiny(capsys, "boom", "tiny")
    assert outcome.code == 2
    assert (
        'error (program): __main__.py:70: ValueError: topology.pair.network: "x" is not a '
        "network of the stack"
    ) in outcome.err
    assert "Traceback" not in outcome.err + outcome.out


def test_policy_config_naming_an_unknown_policy_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "policy.json"
    config.write_text('{"tiny-container-require-halthcheck": "disabled"}')
    outcome = _tiny(capsys, "ok", "tiny", "--policy-config", str(config))
    assert outcome.code == 2
    assert "names tiny-container-require-halthcheck, which policy pack 'tiny'" in outcome.err


def test_config_too_large_for_the_cli_environment_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text(
        (TINY / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    padding = "x" * 140_000
    (tmp_path / "stacks" / "Pulumi.huge.yaml").write_text(f"config:\n  tiny:padding: {padding}\n")
    outcome = run_preview(capsys, "huge", "--project", str(tmp_path))
    assert outcome.code == 2
    # PULUMI_CONFIG={"tiny:padding": "xxx..."} and the terminating NUL: 140,035 bytes.
    assert outcome.err.splitlines() == [
        "error (config): the stack's config is 140,035 bytes as PULUMI_CONFIG, the environment "
        "variable through which the Pulumi CLI hands it to the program and to the policy pack; "
        "Linux refuses an environment string over 131,072 bytes (E2BIG, argument list too "
        "long), so `pulumi preview` and `pulumi up` could not start this stack: make the config "
        "smaller (a large topology goes in a file named by `container-comms:topologyFile`)"
    ]
