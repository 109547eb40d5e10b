"""The README's YAML examples are stack files the gate and the program read as the Pulumi CLI
does: each is parsed by the stack-file reader, and each topology in them passes the loader."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from components.topology import load_topology
from plan.stack_config import load_stack_config

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
TOPOLOGY_KEY = "container-comms:topology"


def _examples() -> list[str]:
    blocks = BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))
    stacks = []
    for block in blocks:
        body = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
        if body.startswith("config:"):
            stacks.append(block)
        elif body.startswith("    "):  # a fragment of a topology value, as the README indents it
            stacks.append(f"config:\n  {TOPOLOGY_KEY}:\n{block}")
    return stacks


EXAMPLES = _examples()


def test_the_readme_has_topology_examples_to_check() -> None:
    with_topology = [text for text in EXAMPLES if TOPOLOGY_KEY in text]
    assert len(with_topology) >= 3, EXAMPLES


@pytest.mark.parametrize("text", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_readme_example_is_a_stack_file_the_cli_reads(text: str, tmp_path: Path) -> None:
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.readme.yaml").write_text(text, encoding="utf-8")
    config = load_stack_config(tmp_path, "readme")
    if TOPOLOGY_KEY in config.values:
        # Paths in the examples (secret files) are the repository's own.
        load_topology(json.loads(config.values[TOPOLOGY_KEY]), REPO)


def test_a_flow_map_with_a_colon_in_a_plain_value_is_one_map(tmp_path: Path) -> None:
    # libyaml refuses `{image: busybox:1.36}`; YAML 1.2 and the Pulumi CLI read one map.
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.flow.yaml").write_text(
        "config:\n  container-comms:topology:\n    containers:\n"
        "      bbox3: {image: busybox:1.36, network: bridge}\n",
        encoding="utf-8",
    )
    config = load_stack_config(tmp_path, "flow")
    assert json.loads(config.values[TOPOLOGY_KEY]) == {
        "containers": {"bbox3": {"image": "busybox:1.36", "network": "bridge"}}
    }
