"""Resource rules: memory, CPU, ulimits and shared memory as the engine takes them.

They judge containers only: a swarm service's wire has none of these keys (its task's limits are
`taskSpec.resources`, in bytes and nano-CPUs, judged by the swarm rules; it has no ulimits,
shmSize or ipcMode).

pulumi-docker gives `memory`, `memorySwap`, `memoryReservation` and `shmSize` in MiB (the
provider multiplies by 1024 * 1024; a `memorySwap` of -1 stays -1: unlimited swap), `cpus` as
a decimal string the provider turns into nano-CPUs, and `ulimits` as `{name, soft, hard}`.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from ._props import Unknown, is_unknown, items, number, shown, text
from ._subject import Subject, for_subjects
from .vocabulary import MIN_MEMORY_BYTES, MIN_NANO_CPUS, ULIMIT_NAMES, parse_cpus

_MIB = 1024 * 1024


def _cpus_problem(value: str) -> str | None:
    cpus = parse_cpus(value)
    if cpus is None:
        return (
            f"cpus {shown(value)} is not a number; the provider refuses it (failed to parse "
            'it as a rational number); give a decimal such as "0.5"'
        )
    nano = cpus * 1_000_000_000
    if nano.denominator != 1:
        return (
            f"cpus {shown(value)} has more than nine decimals; the provider refuses it (value "
            'is too precise); give at most nine, such as "0.5"'
        )
    if nano < 0:
        return (
            f'cpus {shown(value)} is negative; the engine refuses it at create with "Range of '
            'CPUs is from 0.01 to <n>.00, as there are only <n> CPUs available"; give 0.01 or '
            "more"
        )
    if 0 < nano < MIN_NANO_CPUS:
        return (
            f"cpus {shown(value)} is below 0.01; the engine's CPU quota for it is under the "
            "kernel's 1 ms floor, and the start fails (runc: failed to write cpu.cfs_quota_us: "
            "invalid argument) or, below 0.00001, the quota rounds to no limit at all; give "
            "0.01 or more"
        )
    return None


def _memory_problems(subject: Subject) -> list[str]:
    values: dict[str, float | None] = {}
    for key in ("memory", "memorySwap", "memoryReservation", "shmSize"):
        value = subject.read(number, key)
        if isinstance(value, Unknown):
            subject.undecided(f"{key} of {subject.subject} is")
            value = None
        values[key] = value
    memory, swap = values["memory"], values["memorySwap"]
    reservation, shm = values["memoryReservation"], values["shmSize"]
    found: list[str] = []
    if memory is not None and memory != 0 and memory * _MIB < MIN_MEMORY_BYTES:
        found.append(
            f"memory {memory:g} MiB is below the engine's least limit; the engine refuses it at "
            'create with "Minimum memory limit allowed is 6MB"; give 6 (MiB) or more, or none'
        )
    if swap is not None and swap > 0:
        if not memory:
            found.append(
                f"memorySwap {swap:g} MiB without a memory limit; the engine refuses it at create "
                'with "You should always set the Memory limit when using Memoryswap limit, see '
                'usage"; set memory too, or drop memorySwap'
            )
        elif memory > 0 and swap < memory:
            found.append(
                f"memorySwap {swap:g} MiB is below memory {memory:g} MiB (memorySwap is memory "
                'plus swap); the engine refuses it at create with "Minimum memoryswap limit '
                'should be larger than memory limit, see usage"; give at least the memory limit, '
                "or -1 for unlimited swap"
            )
    if reservation and memory and memory > 0 and reservation > memory:
        found.append(
            f"memoryReservation {reservation:g} MiB is above memory {memory:g} MiB; the engine "
            'refuses it at create with "Minimum memory limit can not be less than memory '
            'reservation limit, see usage"; keep the reservation at or below the limit'
        )
    if shm is not None and shm < 0:
        found.append(
            f'shmSize {shm:g} is negative; the engine refuses it at create with "SHM size can '
            'not be less than 0"; give a size in MiB, or none'
        )
    return found


def _ulimit_problems(subject: Subject) -> list[str]:
    entries = subject.read(items, "ulimits")
    if isinstance(entries, Unknown):
        subject.undecided(f"the ulimits of {subject.subject} are")
        return []
    found: list[str] = []
    for index, entry in enumerate(entries):
        name = text(entry, "name")
        soft, hard = number(entry, "soft"), number(entry, "hard")
        if is_unknown(entry) or any(isinstance(v, Unknown) for v in (name, soft, hard)):
            subject.undecided(f"ulimits[{index}] of {subject.subject} is")
            continue
        if isinstance(name, str) and name.lower() not in ULIMIT_NAMES:
            found.append(
                f"ulimits[{index}] names {shown(name)}, which is not a resource limit; the start "
                f'fails with "wrong rlimit value: RLIMIT_{shown(name.upper())[1:-1]}"; use one '
                f"of {', '.join(sorted(ULIMIT_NAMES))}"
            )
        elif isinstance(soft, float) and isinstance(hard, float) and soft > hard >= 0:
            found.append(
                f"ulimits[{index}] ({shown(str(name))}) has soft limit {soft:g} above hard limit "
                f'{hard:g}; the start fails with "error setting rlimit type <n>: invalid '
                'argument"; keep soft at or below hard'
            )
    return found


@for_subjects(services=False)
def _valid_resources(subject: Subject) -> Iterator[str]:
    yield from _memory_problems(subject)
    cpus = subject.read(text, "cpus")
    if isinstance(cpus, Unknown):
        subject.undecided(f"cpus of {subject.subject} is")
    elif cpus is not None:
        problem = _cpus_problem(cpus)
        if problem:
            yield problem
    yield from _ulimit_problems(subject)


docker_container_enforce_valid_resources = ResourceValidationPolicy(
    name="docker-container-enforce-valid-resources",
    description=(
        "A container's memory limit is 6 MiB or more, its swap limit and reservation agree "
        "with it, its CPU share is 0.01 or more, and its ulimits are known names with soft at "
        "or below hard."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_resources,
)


@for_subjects(services=False)
def _ignored_shm_size(subject: Subject) -> Iterator[str]:
    shm = subject.read(number, "shmSize")
    mode = subject.read(text, "ipcMode")
    if isinstance(shm, Unknown) or isinstance(mode, Unknown):
        if shm and mode is not None:
            subject.undecided(f"the shmSize or ipcMode of {subject.subject} is")
        return
    if not shm or mode is None:
        return
    if mode == "host" or mode.startswith("container:"):
        whose = "the host's" if mode == "host" else f'"{mode[len("container:") :]}"\'s'
        yield (
            f"shmSize {shm:g} MiB with ipcMode {shown(mode)}; the container uses {whose} "
            "/dev/shm, so the engine accepts the size and ignores it; set the size where the IPC "
            "namespace is made (its owner's shmSize), or drop it"
        )


docker_container_disallow_ignored_shm_size = ResourceValidationPolicy(
    name="docker-container-disallow-ignored-shm-size",
    description=(
        "A container that joins another's IPC namespace (or the host's) sets no shmSize: the "
        "engine ignores it."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_ignored_shm_size,
)

RESOURCE_POLICIES = [
    docker_container_enforce_valid_resources,
    docker_container_disallow_ignored_shm_size,
]
"""The resource rules, in README order."""
