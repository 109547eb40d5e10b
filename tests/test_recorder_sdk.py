"""The recorder takes four of the SDK's per-registration costs out while a program runs (its
stack traces, its debug log lines, re-reading a resource class's type annotations, a thread
hand-off per call to the in-process monitor) and keeps the cyclic collector off; what a plan
keeps is unchanged, and the SDK and the collector are as they were once the recording ends,
whether the program succeeded or failed."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator

import pulumi
import pulumi_docker as docker
import pytest
from pulumi import _types as pulumi_types
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.sync_await import _ensure_event_loop

from plan import ProgramError, record
from plan.recorder import RecordingMonitor


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
