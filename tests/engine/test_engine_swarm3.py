"""Proof 7: a three-node swarm on this machine (`scripts/swarm3.sh`): cross-node DNS and
connectivity over the overlay, and a joined group that lands on one node.

The script starts three more private engines in network namespaces of their own, joins them
over a bridge in a fourth, proves each step with a deadline, and removes all of it on exit;
this test runs it in a folder of its own and checks what it reports.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import docker
import pytest

pytestmark = pytest.mark.engine

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "swarm3.sh"


def test_three_node_swarm(engine: docker.DockerClient, tmp_path: Path) -> None:
    del engine  # the session's engine fixture decides whether engines can run here
    folder = tmp_path / "swarm3"
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**os.environ, "CC_SWARM3_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"{out[-3000:]}\n{done.stderr[-3000:]}"
    assert re.search(r"1\. swarm of three nodes, all Ready", out), out
    assert len(re.findall(r"^\w{25} Ready", out, re.MULTILINE)) == 3, out
    nodes = re.findall(r"^   node (\d): web\.", out, re.MULTILINE)
    assert sorted(nodes) == ["1", "2", "3"], out
    answered = re.findall(r"answers ping and HTTP: task \w+ on node (\d)", out)
    assert sorted(answered) == ["1", "2", "3"], out
    assert re.search(r"4\. joined group on node 2 only", out), out
    assert re.search(r"sidecar -> 127\.0\.0\.1: owner; -> tasks\.web: (\S+ ){2}\S+;", out), out
    assert not folder.exists(), "the script left its folder behind"
    hub = "ccsw3-" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
    namespaces = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert hub not in namespaces, namespaces
