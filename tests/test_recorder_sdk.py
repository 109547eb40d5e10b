"""The recorder takes four of the SDK's per-registration costs out while a program runs (its
stack traces, its debug log lines, re-reading a resource class's type annotations, a thread
hand-off per call to the in-process monitor) and keeps the cyclic collector off; what a plan
keeps is unchanged, and the SDK and the collector are as they were once the recording ends,
whether the program succeeded or failed."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pulumi
import pulumi_docker as docker
import pytest
from google.protobuf import struct_pb2
from pulumi import _types as pulumi_types
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc as pulumi_rpc
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop

from plan import UNKNOWN, Plan, ProgramError, record
from plan.recorder import PlanMocks, RecordingMonitor
from preview.program import ProgramProcess

_SIGNATURE = pulumi_rpc._special_sig_key
_RESOURCE = pulumi_rpc._special_resource_sig


class Annotated(pulumi.ComponentResource):
    """A component that documents its attributes with annotations, as the components do."""

    label: str
    """What the component registered."""

    def __init__(self, name: str, label: str) -> None:
        super().__init__("test:index:Annotated", name, {"label": label})
        self.label = label
        self.register_outputs({"label": label})


def _sdk() -> tuple[object, ...]:
    return (
        pulumi.log.debug,
        pulumi_types.resource_types,
        getattr(pulumi_resource, "_get_stack_trace", None),
        pulumi_mocks._sync_await,
        getattr(_ensure_event_loop(), "_default_executor", None),
    )


@pytest.fixture
def collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def _program() -> None:
    pulumi.log.debug("a debug line no plan keeps")
    pulumi.log.warn("a warning the plan keeps")
    first = Annotated("first", "one")
    Annotated("second", "two")
    net = docker.Network("net", name="net", opts=pulumi.ResourceOptions(parent=first))
    docker.Network("other", name="other", opts=pulumi.ResourceOptions(depends_on=[net]))


@pytest.mark.parametrize("enabled", [True, False])
def test_the_sdk_and_the_collector_are_as_they_were_after_a_recording(collector, enabled):
    before = _sdk()
    gc.enable() if enabled else gc.disable()
    seen: list[bool] = []

    def program() -> None:
        seen.append(gc.isenabled())
        _program()

    plan = record(program, project="container-comms", stack="test")
    assert seen == [False]
    assert gc.isenabled() is enabled
    assert _sdk() == before
    assert plan.warnings == ("a warning the plan keeps",)


def test_the_sdk_and_the_collector_are_as_they_were_after_a_failed_program(collector):
    before = _sdk()
    gc.enable()

    def program() -> None:
        _program()
        raise ValueError("the program's own mistake")

    with pytest.raises(ProgramError, match="the program's own mistake"):
        record(program, project="container-comms", stack="test")
    assert gc.isenabled()
    assert _sdk() == before


def test_each_component_of_one_class_keeps_its_own_outputs_and_order():
    plan = record(_program, project="container-comms", stack="test")
    by_name = {r.name: r for r in plan.resources}
    assert by_name["first"].outputs == {"label": "one"}
    assert by_name["second"].outputs == {"label": "two"}
    assert by_name["first"].inputs == {"label": "one"}
    order = [r.name for r in plan.resources]
    # The stack first; each resource after its parent and its dependencies.
    assert order[0] == "container-comms-test"
    assert order.index("net") > order.index("first")
    assert order.index("other") > order.index("net")
    assert by_name["other"].dependencies == (by_name["net"].urn,)


def test_the_monitor_is_called_in_the_programs_own_thread(monkeypatch):
    threads: set[int] = set()
    register = RecordingMonitor.RegisterResource

    def watched(self, request):
        threads.add(threading.get_ident())
        return register(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", watched)
    plan = record(_program, project="container-comms", stack="test")
    assert threads == {threading.get_ident()}
    assert sorted(r.name for r in plan.resources) == [
        "container-comms-test",
        "first",
        "net",
        "other",
        "second",
    ]


def test_a_programs_own_blocking_work_still_runs_on_a_worker_thread():
    def program() -> None:
        loop = asyncio.get_event_loop()
        pulumi.export(
            "ran on", pulumi.Output.from_input(loop.run_in_executor(None, threading.get_ident))
        )

    plan = record(program, project="container-comms", stack="test")
    assert plan.exports["ran on"] != float(threading.get_ident())


def test_a_resource_reference_a_read_and_an_invoke_are_answered_without_waiting_on_the_loop():
    def program() -> None:
        net = docker.Network("net", name="net")
        pulumi.ComponentResource("test:index:Holder", "holder", {"network": net})
        read = docker.Network.get("existing", "existing-id")
        pulumi.export("read", read.id)

    plan = record(program, project="container-comms", stack="test", preview=False)
    holder = next(r for r in plan.resources if r.name == "holder")
    assert holder.inputs["network"]["urn"] == next(r.urn for r in plan.resources if r.name == "net")
    assert plan.exports == {"read": "existing-id"}
    with pytest.raises(ProgramError, match="the program calls docker:index/getNetwork:getNetwork"):
        record(
            lambda: pulumi.export("found", docker.get_network(name="net").id),
            project="container-comms",
            stack="test",
        )


HOLDS_REFERENCES = """
import pulumi
import pulumi_docker as docker

net = docker.Network("net", name="net")
holder = pulumi.ComponentResource("test:index:Holder", "holder", {"network": net})
pulumi.ComponentResource("test:index:Outer", "outer", {"holder": holder})
thing = pulumi.CustomResource("test:index:Thing", "thing", {"net": net, "holder": holder})
# Reading the output turns the reference back into a resource (the SDK's getResource).
pulumi.export("network name", thing.net.apply(lambda network: network.name))
pulumi.export("holder", thing.holder)
"""


def _recorded_as_the_gate_records(tmp_path: Path, source: str, preview: bool) -> Plan:
    """`source` recorded in a process of its own, as the gate records a program: a program
    that hangs fails after a minute instead of stopping the tests."""
    program = tmp_path / "__main__.py"
    program.write_text(source, encoding="utf-8")
    with ProgramProcess(program, project="p", stack="s", config={}, preview=preview) as process:
        return process.plan(time.monotonic() + 60, 60)


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_resources_and_components_passed_as_inputs_are_recorded_as_references(tmp_path, preview):
    plan = _recorded_as_the_gate_records(tmp_path, HOLDS_REFERENCES, preview)
    by_name = {r.name: r for r in plan.resources}
    net, holder = by_name["net"].urn, by_name["holder"].urn
    network_id = UNKNOWN if preview else "net-id"
    network = {_SIGNATURE: _RESOURCE, "urn": net, "id": network_id}
    component = {_SIGNATURE: _RESOURCE, "urn": holder}
    assert by_name["holder"].inputs == {"network": network}
    assert by_name["outer"].inputs == {"holder": component}
    assert by_name["thing"].inputs == {"net": network, "holder": component}
    assert by_name["thing"].outputs == {"net": network, "holder": component}
    assert by_name["thing"].id == ("" if preview else "thing-id")
    # A custom resource comes back as the resource, with the state it was registered with; a
    # component as its URN.
    assert plan.exports == {"network name": "net", "holder": holder}


def test_a_reference_to_a_resource_the_program_never_registered_is_refused():
    monitor = RecordingMonitor(PlanMocks(preview=True))
    ghost = "urn:pulumi:s::p::docker:index/network:Network::ghost"
    args = struct_pb2.Struct()
    args.update({"urn": ghost})
    request = resource_pb2.ResourceInvokeRequest(tok="pulumi:pulumi:getResource", args=args)
    with pytest.raises(ProgramError) as refused:
        monitor.Invoke(request)
    assert str(refused.value) == f"the program refers to {ghost}, which it never registered"


def test_a_failed_programs_unsettled_outputs_are_not_the_next_programs_error():
    def reads_a_network() -> None:
        found = docker.get_network_output(name="net")
        docker.Network("copy", name=found.name)

    with pytest.raises(ProgramError) as first:
        record(reads_a_network, project="p", stack="s")
    assert str(first.value) == (
        "the program calls docker:index/getNetwork:getNetwork, which the offline plan cannot answer"
    )

    def fails() -> None:
        raise ProgramError("the second program's own error")

    with pytest.raises(ProgramError) as second:
        record(fails, project="p", stack="s")
    assert str(second.value) == "the second program's own error"
    plan = record(_program, project="container-comms", stack="test")
    assert "net" in {r.name for r in plan.resources}


def test_plain_exports_are_kept_as_exports_with_outputs_in_them_resolve():
    """A stack's exports are plain data (a large stack's are thousands of maps and lists) or
    hold Outputs: each comes out as JSON, the same either way."""

    def program() -> None:
        net = docker.Network("net", name="net")
        pulumi.export("plain", {"a": ["x", ("y", 2)], "b": {"c": None, "d": True, "e": 1.5}})
        pulumi.export("nested", {"a": ["x", ("y", 2)], "name": net.name, "ids": [net.id]})
        pulumi.export("tuple", ("a", 3))
        pulumi.export("number", 7)

    for preview in (True, False):
        plan = record(program, project="container-comms", stack="test", preview=preview)
        net_id = UNKNOWN if preview else "net-id"
        assert plan.exports == {
            "plain": {"a": ["x", ["y", 2.0]], "b": {"c": None, "d": True, "e": 1.5}},
            "nested": {"a": ["x", ["y", 2.0]], "name": "net", "ids": [net_id]},
            "tuple": ["a", 3.0],
            "number": 7.0,
        }
