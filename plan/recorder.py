"""Run a Pulumi program under mocks and record every registration it makes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import heapq
import logging
import runpy
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi import _types as pulumi_types
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import rpc as pulumi_rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from .model import STACK_TYPE, UNKNOWN, Plan, Registration
from .vocabulary import CONTAINER_TYPE, NETWORK_TYPE, REMOTE_IMAGE_TYPE

if TYPE_CHECKING or __package__ == "plan":
    from components.problems import ContainerCommsError as _Root
else:  # the gate's host loads this package privately and none of its own `components`
    _Root = pulumi.RunError


class ProgramError(_Root):
    """The program failed; the message is what a user needs, without a traceback dump.

    When the program raised the library's error, `subject` and `problems` are that error's,
    as data: a reader finds where each problem is without reading the message. `file` and
    `line` are the program's own line the error came through (`file` relative to the program's
    folder; line 0 when none of the program's own code was on its way).
    """

    def __init__(
        self,
        message: str,
        subject: str = "",
        problems: tuple[Any, ...] = (),
        name: str = "",
        *,
        file: str = "",
        line: int = 0,
    ) -> None:
        super().__init__(message)
        self.subject = subject
        self.problems = problems
        self.name = name
        """The name of the component the subject names (`web` of `service "web"`), if given."""
        self.file = file
        self.line = line

    @property
    def program_place(self) -> tuple[str, int] | None:
        """(`file`, `line`) when the program's line is where this error is: a component the
        program made, refused for its arguments (a subject), or the program's own error (no
        problems as data). None for a problem of the stack's config, or with no program line."""
        if self.line and (self.subject or not self.problems):
            return self.file, self.line
        return None


def problems_of(error: BaseException) -> tuple[str, tuple[Any, ...], str]:
    """The subject, problems and component name an error holds as data (the library's errors
    do), else `("", (), "")`: also when a problem's path is not keys and indexes."""
    subject = getattr(error, "subject", "")
    found = getattr(error, "problems", ())
    name = getattr(error, "name", "")
    if not isinstance(subject, str) or not isinstance(found, tuple | list) or not found:
        return "", (), ""
    for problem in found:
        path = getattr(problem, "path", None)
        if not isinstance(path, tuple) or not all(
            isinstance(part, str | int) and not isinstance(part, bool) for part in path
        ):
            return "", (), ""  # not the library's problems: the message alone tells them
    return subject, tuple(found), name if isinstance(name, str) else ""


class PlanMocks(pulumi.runtime.Mocks):
    """Mocks that behave like the engine: in a preview, ids and computed outputs are unknown."""

    def __init__(self, preview: bool) -> None:
        self.preview = preview

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if self.preview:
            # A preview knows the inputs and nothing the provider computes: no id, no outputs.
            return None, state
        if args.typ == CONTAINER_TYPE:
            state["networkDatas"] = [
                {
                    "networkName": attachment.get("name", ""),
                    "ipAddress": attachment.get("ipv4Address", ""),
                }
                for attachment in state.get("networksAdvanced", [])
            ]
        elif args.typ == NETWORK_TYPE:
            state.setdefault("scope", "local")
        elif args.typ == REMOTE_IMAGE_TYPE:
            state["imageId"] = f"sha256:{args.name}"
            state["repoDigest"] = f"{state.get('name', args.name)}@sha256:{args.name}"
        return f"{args.name}-id", state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise ProgramError(f"the program calls {args.token}, which the offline plan cannot answer")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps each `RegisterResourceRequest` as a `Registration`."""

    def __init__(self, mocks: PlanMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        """What each component (and the stack) passed to `register_outputs`, by URN."""
        self.duplicates: list[str] = []
        """URNs registered more than once, which the engine refuses."""
        self._urns: set[str] = set()
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None

    def _in_worker(self, method: Callable[[Any], Any], request: Any) -> Any:
        """`method(request)` in a thread of its own, with an event loop of its own: the SDK's
        mock monitor makes resource objects for resource references in a read's or an invoke's
        arguments and awaits them there. Called off the program's loop (by such an object's own
        requests), it runs where it is."""
        if asyncio._get_running_loop() is None:
            return method(request)
        if self._worker is None:
            self._worker = concurrent.futures.ThreadPoolExecutor(1, "container-comms-monitor")
        # In the program's context (the SDK's settings live in context variables), as the
        # SDK hands its calls to a thread.
        return self._worker.submit(contextvars.copy_context().run, method, request).result()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives (`resource.NewURN`): the parent's whole qualified type
        before the resource's own, except for the root stack, which URNs leave out. (The SDK's
        mocks keep only the parent's last type and put the stack in.)"""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        inputs = json_format.MessageToDict(request.object)
        if _REFERENCE in request.object.SerializeToString():
            response = self._register_with_references(request, inputs)
        else:
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        urn = response.urn
        if urn in self._urns:
            self.duplicates.append(urn)
        self._urns.add(urn)
        state = self.resources.get(urn)
        self.registrations.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                inputs=inputs,
                # Sets in the SDK, so in no fixed order: sorted, for output that does not change.
                dependencies=tuple(sorted(request.dependencies)),
                property_dependencies={
                    key: tuple(sorted(deps.urns))
                    for key, deps in sorted(request.propertyDependencies.items())
                },
                provider=request.provider,
                id=(state.id or "") if state is not None else "",
                outputs=_jsonable(dict(state.state)) if state is not None else {},
                protect=bool(request.protect),
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=tuple(request.ignoreChanges),
            )
        )
        return response

    def _register_with_references(self, request: Any, inputs: dict[str, Any]) -> Any:
        """A registration whose inputs (`inputs`, as JSON) hold a resource reference, answered
        from the request as it came. The SDK's mocks would turn each reference back into a
        resource object and wait for it, which in a preview never ends; a reference here stays
        what it is on the wire, and the program's own SDK turns it back into a resource if it
        reads the output."""
        urn = self.make_urn(request.parent, request.type, request.name)
        args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        id_, state = self.mocks.new_resource(args)
        # An empty id is an unknown one, on the wire and to the SDK.
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        answer = struct_pb2.Struct()
        json_format.ParseDict(state, answer)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=answer)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        return self._in_worker(super().ReadResource, request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if request.tok == GET_RESOURCE:
            return self._get_resource(request)
        return self._in_worker(super().Invoke, request)

    def _get_resource(self, request: Any) -> Any:
        """What the engine answers when the program turns a resource reference back into a
        resource: its URN, id and state. In a preview a new resource's id is unknown, which
        the engine (and the SDK) spell as the empty string; the SDK's mocks leave it out, and
        the SDK then fails with "Value not set"."""
        urn = request.args.fields["urn"].string_value
        registered = self.resources.get(urn)
        if registered is None:
            raise ProgramError(f"the program refers to {urn}, which it never registered")
        # The mocks' own (the recorder's, in the program's thread), else the SDK's.
        settle = getattr(pulumi_mocks, "_sync_await", _sync_await)
        answer = settle(
            pulumi_rpc.serialize_properties(
                {"urn": urn, "id": registered.id or "", "state": registered.state}, {}
            )
        )
        return resource_pb2.ResourceInvokeResponse(**{"return": answer})

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.registered_outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def with_component_outputs(self) -> list[Registration]:
        """The registrations, components carrying the outputs they registered, as the engine's
        state does (a component's state is what it passed to `register_outputs`)."""
        return [
            replace(r, outputs=self.registered_outputs[r.urn])
            if not r.custom and r.urn in self.registered_outputs
            else r
            for r in self.registrations
        ]


GET_RESOURCE = "pulumi:pulumi:getResource"
"""The invoke by which the SDK turns a resource reference back into a resource."""

_REFERENCE = pulumi_rpc._special_resource_sig.encode()
"""The signature the SDK marks a resource reference with in a request's properties."""


def record_program(
    program: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    preview: bool = True,
) -> Plan:
    """Run `program` (a `__main__.py`) under mocks and return what it registered.

    `config` maps fully qualified keys (`"<project>:<key>"`) to their string values, structured
    values as JSON, as the Pulumi CLI hands them to a program. Raises `ProgramError` with the
    program's own message when it fails.
    """
    program_dir = str(program.resolve().parent)
    added_path = program_dir not in sys.path
    if added_path:
        sys.path.insert(0, program_dir)
    try:
        return record(
            lambda: _run_and_wait(program),
            project=project,
            stack=stack,
            config=config,
            preview=preview,
            source_root=program.resolve().parent,
        )
    finally:
        if added_path:
            sys.path.remove(program_dir)


def record(
    run: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    preview: bool = True,
    source_root: Path | None = None,
) -> Plan:
    """Call `run` (code that registers resources) under mocks and return what it registered.

    The same as `record_program` for a callable: tests use it to record one component.
    Errors name the innermost frame under `source_root` (the current directory by default).
    """
    pulumi_settings.ROOT.set(None)  # a fresh root stack for every run, not the previous one
    pulumi.runtime.set_all_config(dict(config or {}))
    monitor = RecordingMonitor(PlanMocks(preview))
    warnings = _Warnings()
    pulumi.runtime.set_mocks(
        monitor.mocks,
        project=project,
        stack=stack,
        preview=preview,
        monitor=monitor,
        logger=warnings.logger,
    )
    pulumi_settings.SETTINGS.rpc_manager.clear()
    _forget_unsettled_outputs()

    def program() -> None:
        run()

    # The collector stays off until the plan is built: sorting the registrations allocates
    # too, and a collection then would walk every object the run left alive.
    with _batch_gc():
        try:
            with (
                _no_stack_traces(),
                _no_debug_log(),
                _resource_types_once(),
                _monitor_in_loop_thread(),
            ):
                _sync_await(run_pulumi_func(program))
                exports = _sync_await(_resolve_exports())
        except pulumi.RunError as error:
            _refuse_duplicates(monitor)
            file, line = program_line(error, source_root or Path.cwd())
            raise ProgramError(str(error), *problems_of(error), file=file, line=line) from None
        except ProgramError:
            _refuse_duplicates(monitor)
            raise
        except Exception as error:
            _refuse_duplicates(monitor)
            file, line = program_line(error, source_root or Path.cwd())
            where = f"{file}:{line}: " if line else ""
            message = f"{where}{type(error).__name__}: {error}"
            raise ProgramError(message, file=file, line=line) from None
        finally:
            monitor.close()
        _refuse_duplicates(monitor)
        resources = _with_stack(monitor.with_component_outputs(), project, stack, exports)
    return Plan(
        project=project,
        stack=stack,
        preview=preview,
        resources=resources,
        exports=exports,
        warnings=tuple(warnings.messages),
    )


class _Warnings(logging.Handler):
    """What the program logs as warnings (`pulumi.log.warn`), kept in order, each once; the
    mocks' engine hands them to this logger, which no other logger sees."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        # Below warnings nothing is kept, so no record is made (the SDK's info lines).
        self.logger = logging.Logger("container-comms-program", logging.WARNING)
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            message = record.getMessage()
            if message not in self.messages:
                self.messages.append(message)


def _refuse_duplicates(monitor: RecordingMonitor) -> None:
    """The engine refuses a second registration of one URN, whatever the program did next."""
    if monitor.duplicates:
        raise ProgramError(DUPLICATE_URN.format(urn=monitor.duplicates[0]))


DUPLICATE_URN = "Duplicate resource URN '{urn}'; try giving it a unique name"
"""The Pulumi engine's message for a URN registered twice."""


@contextmanager
def _batch_gc() -> Iterator[None]:
    """Keep the cyclic collector off while a program registers its resources.

    Nearly everything a run allocates (each resource's Outputs, tasks and futures) stays alive
    until the run ends, so every collection during the run re-walks a heap that only grows:
    with the collector batched (thresholds 50,000, 20, 100) that was still about a fifth of a
    5,000-container program's CPU time. What the run leaves becomes old (frozen, then thawed
    into the oldest generation) without a walk, so the next full collection, not this one,
    frees its garbage; a one-shot process (the gate's program process) exits before then.
    The collector's state comes back after.
    """
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


@contextmanager
def _no_stack_traces() -> Iterator[None]:
    """Skip the stack trace the SDK captures for each registration, which a plan never keeps.

    `register_resource` walks the whole Python stack and makes a file URI of every frame for
    the request's `stackTrace` and `sourcePosition`, which only the Pulumi service displays:
    that walk was a tenth of a registration's time, more under components, whose stacks are
    deeper. The SDK's own function comes back after.
    """
    previous = getattr(pulumi_resource, "_get_stack_trace", None)
    if previous is None:  # an SDK without it: nothing to skip
        yield
        return
    pulumi_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = previous


class _MonitorCallsInline(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs the SDK's own calls to the monitor at once, in the calling thread,
    and hands anything else (a program's own blocking work) to worker threads as before."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        if not getattr(fn, "__module__", "").startswith("pulumi."):
            return super().submit(fn, *args, **kwargs)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the awaiting task gets it, as from a thread
            future.set_exception(error)
        return future


@contextmanager
def _monitor_in_loop_thread() -> Iterator[None]:
    """Call the in-process mock monitor in the event loop's own thread, not through a pool.

    The SDK hands every monitor call to the loop's default executor, since a real monitor is a
    gRPC server; the mocks' monitor is Python in this process, so each registration's mock work
    (deserializing and serializing again every input, the recorder's copies) ran on a worker
    thread competing with the program for the GIL: about a fifth of the CPU time of both
    programs at 2,000 containers (docs/benchmarks.md).
    The mocks' monitor settles each coroutine it makes with `_sync_await`, which would re-enter
    the running loop; in the loop's thread it is driven to its end at once instead (a
    registration's state holds no pending value). A registration carrying a resource reference
    is answered without turning the reference into a resource, and the SDK's `getResource`
    from the recorder's own registrations; `Invoke` and `ReadResource` still run on a thread of
    their own (`RecordingMonitor._in_worker`). The loop's executor and the SDK's function come
    back after.
    """
    previous_await = getattr(pulumi_mocks, "_sync_await", None)
    if previous_await is None:  # an SDK that settles its monitor's work some other way
        yield
        return

    def settled(awaitable: Any) -> Any:
        if asyncio._get_running_loop() is None:  # a worker thread: its own loop, as before
            return previous_await(awaitable)
        step = awaitable.__await__()
        try:
            step.send(None)
        except StopIteration as done:
            return done.value
        step.close()
        raise RuntimeError("the mock monitor would wait inside the program's event loop")

    loop = _ensure_event_loop()  # type: ignore[no-untyped-call]  # the loop `_sync_await` runs the program on
    previous_executor = getattr(loop, "_default_executor", None)
    inline = _MonitorCallsInline(thread_name_prefix="container-comms-program")
    loop.set_default_executor(inline)
    setattr(pulumi_mocks, "_sync_await", settled)  # noqa: B010 (not an export of the SDK's)
    try:
        yield
    finally:
        setattr(pulumi_mocks, "_sync_await", previous_await)  # noqa: B010
        loop._default_executor = previous_executor
        inline.shutdown(wait=False)


@contextmanager
def _no_debug_log() -> Iterator[None]:
    """Drop the SDK's debug messages, which a plan never keeps (it keeps warnings).

    The SDK logs several debug lines per registration ("resource registration prepared", ...),
    each a `LogRequest` to the mocks' engine and a `logging` record with its caller's frame
    looked up: about 5% of a program's time, as much per component as per container. Warnings
    and errors still go the SDK's own way. The SDK's function comes back after.
    """
    previous = pulumi.log.debug

    def drop(*_args: object, **_kwargs: object) -> None:
        return None

    pulumi.log.debug = drop
    try:
        yield
    finally:
        pulumi.log.debug = previous


@contextmanager
def _resource_types_once() -> Iterator[None]:
    """Work out each resource class's output types once, not at every registration.

    The SDK reads a resource class's type annotations (`typing.get_type_hints`, which compiles
    every string annotation anew) each time it resolves a resource's outputs. A component class
    that documents its attributes with annotations paid that per component: about 1% of a
    program's time. The answer depends on the class alone; each call gets its own copy. The
    SDK's function comes back after.
    """
    previous = pulumi_types.resource_types
    known: dict[type, dict[str, type]] = {}

    def once(resource_cls: type) -> dict[str, type]:
        found = known.get(resource_cls)
        if found is None:
            found = known[resource_cls] = previous(resource_cls)
        return dict(found)

    pulumi_types.resource_types = once
    try:
        yield
    finally:
        pulumi_types.resource_types = previous


def _forget_unsettled_outputs() -> None:
    """Stop tracking the outputs a failed program left behind. The SDK awaits every output it
    tracks before a program ends, so a previous program's failed one would raise its error in
    the next recording; the error of each is taken here, so that none is reported at exit."""
    outputs = pulumi_settings.SETTINGS.outputs
    for task in outputs:
        if task.done() and not task.cancelled():
            task.exception()
    outputs.clear()


def _run_and_wait(program: Path) -> None:
    # An absolute path, so that an error's frames can be told apart from the SDK's own.
    runpy.run_path(str(program.resolve()), run_name="__main__")


async def _resolve_exports() -> dict[str, Any]:
    root = pulumi_settings.get_root_resource()
    outputs: dict[str, Any] = getattr(root, "outputs", {}) or {}
    resolved: dict[str, Any] = {}
    for key, value in outputs.items():
        if _plain(value):  # no Output in it: nothing to wait for, as it is
            resolved[key] = _jsonable(value)
            continue
        output = pulumi.Output.from_input(value)
        resolved[key] = _jsonable(await output.future(with_unknowns=True))
    return resolved


def _plain(value: Any) -> bool:
    """Whether `value` is plain data (text, numbers, lists and maps of them), which
    `Output.from_input` would only wrap and unwrap again: one `Output` per list and map in it,
    thousands for a large stack's exports."""
    if isinstance(value, str | bool | int | float | type(None)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    return False


def _jsonable(value: Any) -> Any:
    """Plain JSON: unknowns become the engine's sentinel string, tuples become lists."""
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | str | float | type(None)):
        return value
    if isinstance(value, int):
        return float(value)
    return str(value)


def _with_stack(
    registrations: list[Registration], project: str, stack: str, exports: dict[str, Any]
) -> list[Registration]:
    """The root stack first, as the engine lists it, even when the mocks made it earlier; its
    outputs are the stack's exports. The rest in `_stable_order`."""
    stack_registrations = [r for r in registrations if r.type == STACK_TYPE]
    others = [r for r in registrations if r.type != STACK_TYPE]
    if stack_registrations:
        root = replace(stack_registrations[0], outputs=exports)
        return [root, *_stable_order(stack_registrations[1:] + others)]
    root_resource = pulumi_settings.get_root_resource()
    urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    if root_resource is not None:
        urn = _sync_await(root_resource.urn.future()) or urn
    stack_registration = Registration(
        urn=urn,
        type=STACK_TYPE,
        name=f"{project}-{stack}",
        custom=False,
        parent="",
        inputs={},
        outputs=exports,
    )
    return [stack_registration, *_stable_order(others)]


def _stable_order(registrations: list[Registration]) -> list[Registration]:
    """The registrations in an order that does not depend on thread timing: each after its
    parent and its dependencies, and among those ready, by URN.

    The SDK registers resources from worker threads as their inputs resolve, so the order the
    mocks see differs from run to run; a tree, a JSON document or a diagram kept under review
    must not.
    """
    by_urn = {r.urn: r for r in registrations}
    waiting_on: dict[str, set[str]] = {}
    unblocks: dict[str, list[str]] = {}
    for r in registrations:
        # Each resource's own few URNs, looked up: not a set of every URN per resource.
        needs = {u for u in (r.parent, *r.dependencies) if u in by_urn and u != r.urn}
        waiting_on[r.urn] = needs
        for need in needs:
            unblocks.setdefault(need, []).append(r.urn)
    ready = [urn for urn, needs in waiting_on.items() if not needs]
    heapq.heapify(ready)
    ordered: list[Registration] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for other in unblocks.get(urn, ()):
            waiting_on[other].discard(urn)
            if not waiting_on[other]:
                heapq.heappush(ready, other)
    placed = {r.urn for r in ordered}
    ordered.extend(sorted((r for r in registrations if r.urn not in placed), key=lambda r: r.urn))
    return ordered


def program_line(error: BaseException, source_root: Path) -> tuple[str, int]:
    """The innermost line of the project's own code (under `source_root`, outside a `.venv`)
    that `error` came through, as (file relative to `source_root`, line); `("", 0)` when none.
    The library's own files are not the project's, wherever they are: for the library's errors
    (those that hold problems as data) the line is the program's call that was refused."""
    root = source_root.resolve()
    library = _package_folder(error) if problems_of(error)[1] else None
    found = ("", 0)
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if not path.is_absolute():
            continue
        path = path.resolve()
        if root not in path.parents or ".venv" in path.relative_to(root).parts:
            continue
        if library is not None and (path == library or library in path.parents):
            continue
        found = (path.relative_to(root).as_posix(), frame.lineno or 0)
    return found


def _package_folder(error: BaseException) -> Path | None:
    """The folder of the top-level package that defines `error`'s class (the library's)."""
    package = sys.modules.get(type(error).__module__.partition(".")[0])
    file = getattr(package, "__file__", None)
    return Path(file).resolve().parent if isinstance(file, str) else None
