"""The installed library is `container_comms` and claims no generic top-level name.

A user's own Pulumi project often has a `components/` (or `topology/`) folder of its own; the
library installs as `container_comms` (its source folder `components/` is mapped to that name
in pyproject.toml), so both import side by side.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR

CHECK = """
import importlib.util, json
import container_comms, container_comms.topology, container_comms.vocabulary
print(json.dumps({
    "file": container_comms.__file__,
    "topology": container_comms.topology.__file__,
    "vocabulary": container_comms.vocabulary.__file__,
    "predefined": sorted(container_comms.vocabulary.PREDEFINED_NETWORKS),
    "exports": sorted(n for n in ("Application", "Service", "NamedVolume", "ComponentError")
                      if hasattr(container_comms, n)),
    "loads": type(container_comms.topology.load_topology({"networks": {}})).__name__,
    "components": importlib.util.find_spec("components") is not None,
    "topology_top": importlib.util.find_spec("topology") is not None,
    "policies": importlib.util.find_spec("policies") is not None,
}))
"""


def test_pip_install_gives_container_comms_and_no_generic_top_level_name(tmp_path: Path):
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(PROJECT_DIR / "pyproject.toml", source)
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(PROJECT_DIR / "components", source / "components", ignore=skip)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    installed = sorted(p.name for p in site.iterdir() if not p.name.endswith(".dist-info"))
    assert installed == ["container_comms"]
    package = site / "container_comms"
    for typed in (package / "py.typed", package / "topology" / "py.typed"):
        assert typed.is_file(), typed
    # The wheel carries the pack's vocabulary file itself (components/vocabulary.py links to it).
    vocabulary = package / "vocabulary.py"
    assert not vocabulary.is_symlink()
    assert vocabulary.read_bytes() == (PROJECT_DIR / "policies/rules/vocabulary.py").read_bytes()
    # A fresh interpreter in an empty folder, the installed copy first on its path.
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=empty, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = json.loads(result.stdout)
    assert found == {
        "file": str(package / "__init__.py"),
        "topology": str(package / "topology" / "__init__.py"),
        "vocabulary": str(vocabulary),
        "predefined": ["bridge", "default", "host", "none"],
        "exports": ["Application", "ComponentError", "NamedVolume", "Service"],
        "loads": "TopologyConfig",
        "components": False,
        "topology_top": False,
        "policies": False,
    }
