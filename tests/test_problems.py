"""A problem is data (a path of keys and indexes, a reason, a kind), rendered one way, and every
error the library raises is under one root that users catch."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import time
from pathlib import Path

import pulumi
import pytest

import components
from components import ComponentError, ContainerCommsError, Problem
from components.problems import render_path
from components.topology.errors import TopologyError
from components.topology.loader import load_topology
from plan import ProgramError, StackConfigError, record_program
from plan.stack_config import load_stack_config


def test_a_path_renders_as_keys_and_indexes() -> None:
    assert render_path(("sidecars", "probe", "ports", 0)) == "sidecars.probe.ports[0]"
    assert render_path((0, "x")) == "[0].x"
    assert render_path(("networks", 1, 2)) == "networks[1][2]"
    assert render_path(("docker:host",)) == "docker:host"
    assert render_path(()) == ""


def test_a_key_that_would_read_two_ways_renders_quoted() -> None:
    assert render_path(("services", "a.b", "image")) == 'services["a.b"].image'
    assert render_path(("a[0]",)) == '["a[0]"]'
    assert render_path(("labels", 'say "hi"')) == 'labels["say \\"hi\\""]'
    assert render_path(("x", "two words", "")) == 'x["two words"][""]'
    assert render_path(("env", "A\nB")) == 'env["A\\nB"]'  # one line, as JSON escapes it
    # A quoted key and the keys it would otherwise be read as differ.
    assert render_path(("a.b",)) != render_path(("a", "b"))


def test_under_prepends_keys_and_indexes_without_reading_them() -> None:
    problem = Problem(("ports", 0), "is refused", "unsupported")
    moved = problem.under("sidecars", "probe.v2")
    assert moved.path == ("sidecars", "probe.v2", "ports", 0)
    assert (moved.reason, moved.kind) == ("is refused", "unsupported")
    assert moved.field == 'sidecars["probe.v2"].ports[0]'
    assert Problem((), "whole").under("mounts", 3).field == "mounts[3]"


def test_builders_and_kinds() -> None:
    assert Problem.at("secrets", "db", "file").incompatible("x") == Problem(
        ("secrets", "db", "file"), "x", "incompatible"
    )
    assert Problem("subnet", "x").path == ("subnet",)
    assert Problem("", "x").path == ()
    with pytest.raises(ValueError, match="kind is one of invalid, unsupported, incompatible"):
        Problem(("a",), "x", "wrong")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys and indexes"):
        Problem(("a", 1.5), "x")  # type: ignore[arg-type]


def test_a_problem_crosses_a_process_as_data() -> None:
    problem = Problem(("services", "a.b", "ports", 0), "no", "unsupported", file="c.yaml")
    assert Problem.from_wire(problem.to_wire()) == problem
    assert problem.field == 'c.yaml: services["a.b"].ports[0]'
    for bad in ({"path": "a.b", "reason": "x"}, {"path": [1.5], "reason": "x"}, {"path": []}):
        with pytest.raises(ValueError):
            Problem.from_wire(bad)


def test_a_component_error_names_subject_path_and_reason() -> None:
    error = ComponentError(
        'service "web"', [Problem(("sidecars", "a.b", "ports"), "no"), Problem((), "all")]
    )
    assert str(error) == 'service "web": sidecars["a.b"].ports: no\nservice "web": all'
    assert TopologyError([Problem(("topology", "x"), "bad")]).args == ("topology.x: bad",)


def _library_modules() -> list[str]:
    names = []
    for package in ("components", "plan", "preview"):
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return names


INTERNAL = {"preview.cli.Stopped"}
"""Not an error: the gate's own signal and deadline stop, a BaseException like KeyboardInterrupt
that the gate turns into its verdict and never lets out."""


def test_every_error_class_of_the_library_is_under_the_root() -> None:
    found = {}
    for name in _library_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    assert len(found) >= 13, sorted(found)  # the walk does find the library's errors
    outside = sorted(
        name
        for name, cls in found.items()
        if not issubclass(cls, ContainerCommsError) and name not in INTERNAL
    )
    assert outside == []
    assert issubclass(ContainerCommsError, pulumi.RunError)  # printed without a traceback
    assert components.ContainerCommsError is ContainerCommsError
    assert "ContainerCommsError" in components.__all__


STACK = """\
config:
  container-comms:topology:
    networks:
      {key}:
        subnet: 172.22.40.0/24
    services:
      web:
        image: busybox
        sidecars:
          "probe.v2":
            image: busybox
            ports: [80]
  container-comms:other: 1
"""


def _stack(tmp_path: Path, key: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: container-comms\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK.format(key=json.dumps(key)), encoding="utf-8")
    return tmp_path


HOSTILE_KEYS = (
    "a." * 500 + "a!",  # a backtracking key-path pattern took minutes at 34 of them
    'n[0].x"y',
    "[" * 500 + "]" * 500,
    "x: y",
)


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=["dots", "brackets-quote", "nested", "colon"])
def test_a_hostile_key_is_found_at_its_line_fast(tmp_path: Path, key: str) -> None:
    config = load_stack_config(_stack(tmp_path, key), "dev")
    path = ("topology", "networks", key, "subnet")
    error = ProgramError(str(TopologyError([Problem(path, "bad")])), "", (Problem(path, "bad"),))
    started = time.monotonic()
    message, line = config.locate(error)
    assert time.monotonic() - started < 0.5
    assert line == 5
    assert message == f"{config.path}:5: {render_path(path)}: bad"


def test_a_sidecars_problem_is_at_the_path_the_user_wrote(tmp_path: Path) -> None:
    config = load_stack_config(_stack(tmp_path, "n1"), "dev")
    assert config.lines[("container-comms:topology", "services", "web", "sidecars")] == 9
    path = ("topology", "services", "web", "sidecars", "probe.v2", "ports", 0)
    problem = Problem(path, "a sidecar cannot publish ports")
    message, line = config.locate(ProgramError("x", "", (problem,)))
    assert line == 12
    assert message == (
        f'{config.path}:12: topology.services.web.sidecars["probe.v2"].ports[0]: '
        "a sidecar cannot publish ports"
    )
    # A component's argument path is found under the component's name when the file has it
    # nowhere else; a problem in another file is not placed in the stack file.
    named = ProgramError("x", 'service "web"', (Problem(("sidecars", "probe.v2"), "no"),), "web")
    assert config.locate(named) == (
        f'{config.path}:10: service "web": sidecars["probe.v2"]: no',
        10,
    )
    elsewhere = Problem(("services", "web"), "no", file="compose.yaml")
    assert config.locate(ProgramError("x", "", (elsewhere,))) == (
        "compose.yaml: services.web: no",
        None,
    )
    # An error without problems as data keeps its message.
    assert config.locate(ProgramError("topology.services.web: no")) == (
        "topology.services.web: no",
        None,
    )


def test_a_components_problem_the_stack_file_does_not_spell_is_at_the_programs_line(
    tmp_path: Path,
) -> None:
    config = load_stack_config(_stack(tmp_path, "n1"), "dev")
    refused = Problem(("ipv4_address",), "is outside the subnet")
    made = ProgramError("x", 'static container "b"', (refused,), "b", file="app.py", line=5)
    assert config.locate(made) == (
        'app.py:5: static container "b": ipv4_address: is outside the subnet',
        None,
    )
    # A problem in the stack's config (no subject) is not the program's, wherever it came through.
    loaded = ProgramError("x", "", (Problem(("composeFile",), "no"),), file="a.py", line=40)
    assert config.locate(loaded) == ("composeFile: no", None)


def test_the_library_refusing_is_placed_at_the_programs_line_not_the_librarys(
    tmp_path: Path,
) -> None:
    # This repository's own program, with the library in a folder of the project: the line is
    # the program's call, not a line of the library under the same folder.
    repo = Path(__file__).resolve().parents[1]
    topology = {"networks": {"n": {"subnet": "172.22.16.0/24"}}, "containers": {}}
    topology["containers"]["c"] = {"image": "x", "network": "n", "ipv4_address": "10.9.9.9"}
    with pytest.raises(ProgramError) as caught:
        record_program(
            repo / "__main__.py",
            project="container-comms",
            stack="dev",
            config={"container-comms:topology": json.dumps(topology)},
        )
    source = (repo / "__main__.py").read_text(encoding="utf-8").splitlines()
    [call] = [n for n, text in enumerate(source, 1) if "topology = load_topology_source(" in text]
    assert (caught.value.file, caught.value.line) == ("__main__.py", call)
    assert caught.value.problems[0].path == ("topology", "containers", "c", "ipv4_address")


def test_a_stack_config_error_holds_its_file_and_line(tmp_path: Path) -> None:
    folder = _stack(tmp_path, "n1")
    (folder / "Pulumi.dev.yaml").write_text(
        "config:\n  container-comms:x:\n    a: [1, .inf]\n", encoding="utf-8"
    )
    with pytest.raises(StackConfigError) as caught:
        load_stack_config(folder, "dev")
    assert (caught.value.file, caught.value.line) == (folder / "Pulumi.dev.yaml", 3)
    assert str(caught.value).startswith(f"{folder / 'Pulumi.dev.yaml'}:3: container-comms:x.a.1:")


SIDECAR_STACK = """\
config:
  container-comms:topology:
    networks:
      n: {}
    services:
      "web.a":
        image: busybox:1.36
        networks: {n: {}}
        sidecars:
          "probe.v2":
            image: busybox:1.36
            ports:
              - {internal: 80, external: 8080}
"""


def test_a_sidecar_refused_by_the_loader_is_named_and_placed_where_the_user_wrote_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: container-comms\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text(SIDECAR_STACK, encoding="utf-8")
    config = load_stack_config(tmp_path, "dev")
    with pytest.raises(TopologyError) as caught:
        load_topology(json.loads(config.values["container-comms:topology"]), tmp_path)
    reason = (
        "a container sharing another's network namespace cannot publish ports; publish them on "
        'the owner "web.a"'
    )
    assert caught.value.problems == (
        Problem(("topology", "services", "web.a", "sidecars", "probe.v2", "ports"), reason),
    )
    error = ProgramError(str(caught.value), "", caught.value.problems)
    assert config.locate(error) == (
        f'{config.path}:12: topology.services["web.a"].sidecars["probe.v2"].ports: {reason}',
        12,
    )


def test_a_problem_says_its_kind() -> None:
    config = {
        "target": "engine",
        "networks": {"o": {"driver": "bridge", "attachable": True}},
        "services": {"web": {"image": "busybox:1.36", "deploy": {"replicas": 2}}},
    }
    with pytest.raises(TopologyError) as caught:
        load_topology(config)
    assert sorted((p.path, p.kind) for p in caught.value.problems) == [
        (("topology", "networks", "o", "attachable"), "incompatible"),
        (("topology", "services", "web", "deploy"), "incompatible"),
    ]
