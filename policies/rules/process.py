"""Process rules: how the container's process is started, checked, logged and stopped.

Every value the engine parses is read whole, as the engine's Go code reads it (durations as
`time.ParseDuration`, sizes as go-units, signals by name or number), so a value with a trailing
newline is refused as the engine refuses it.

A swarm service's task runs a container that its node creates as the engine creates any other,
so the process, logging, sysctl and user rules judge a service's task too (through
`_subject.Subject`: `taskSpec.containerSpec.dir`, `stopSignal`, `env`, `commands`, `args`,
`hostname`, `sysctl`, `user`, and `taskSpec.logDriver`); `rm` and `restart` have no counterpart
on a service. The healthcheck rule judges containers only: how the swarm refuses a service's
healthcheck (at service create, or at each task's create) is not proven here, so the engine's
words at a container's create are not claimed for a service.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
)

from ._props import (
    Unknown,
    flag,
    is_unknown,
    items,
    number,
    record,
    shown,
    strings,
    text,
    unwrap,
)
from ._subject import Subject, for_subjects
from .security import GO_BOOLEANS
from .vocabulary import (
    FILE_LOG_OPTIONS,
    HOSTNAME_LIMIT,
    LOG_COMMON_OPTIONS,
    LOG_DRIVERS,
    LOG_MODES,
    MIN_HEALTHCHECK_NS,
    go_duration_ns,
    is_signal,
    ram_bytes,
    sysctl_problem,
)


def _esc(value: str) -> str:
    return shown(value)[1:-1]


def _argv_problems(subject: Subject) -> Iterator[str]:
    for key in ("entrypoints", "command"):
        where = subject.where(key)
        values, unknown = strings(subject.read(items, key))
        if unknown:
            subject.undecided(f"{where} of {subject.subject} is")
        for index, value in enumerate(values):
            if "\x00" in value:
                yield (
                    f"{where}[{index}] {shown(value)} holds a NUL byte, which no program argument "
                    "can carry; the engine accepts it and the start fails (exec: invalid "
                    "argument, or the program is not found); remove it"
                )


def _env_problems(subject: Subject) -> Iterator[str]:
    entries = subject.env()
    unknown = isinstance(entries, Unknown)
    for where, key, given in () if isinstance(entries, Unknown) else entries:
        value = unwrap(given)
        if is_unknown(value):
            unknown = True
            continue
        if not isinstance(value, str):
            continue
        entry = f"{key}={value}" if subject.is_service else value
        name, _, value = entry.partition("=")
        if entry.startswith("="):
            yield (
                f"{where} {shown(entry)} has an empty variable name; the engine refuses it at "
                f'create with "invalid environment variable: {_esc(entry)}"; name the variable'
            )
        elif "\x00" in name:
            yield (
                f"{where} {shown(entry)} has a NUL byte in its name; the start fails with "
                '"environment variable name can\'t contain null(\\x00)"; remove it'
            )
        elif "\x00" in value:
            yield (
                f"{where} {shown(entry)} has a NUL byte in its value; the start fails with "
                '"environment variable value can\'t contain null(\\x00)"; remove it'
            )
    if unknown:
        subject.undecided(f"{subject.where('envs')} of {subject.subject} is")


@for_subjects(services=True)
def _valid_process(subject: Subject) -> Iterator[str]:
    yield from _argv_problems(subject)
    yield from _env_problems(subject)
    working_dir = subject.read(text, "workingDir")
    if isinstance(working_dir, Unknown):
        subject.undecided(f"{subject.where('workingDir')} of {subject.subject} is")
    elif working_dir is not None and not working_dir.startswith("/"):
        yield (
            f"{subject.where('workingDir')} {shown(working_dir)} is not an absolute path; the "
            f"engine refuses it at create with \"the working directory '{_esc(working_dir)}' is "
            'invalid, it needs to be an absolute path"; give an absolute path such as /app'
        )
    signal = subject.read(text, "stopSignal")
    if isinstance(signal, Unknown):
        subject.undecided(f"{subject.where('stopSignal')} of {subject.subject} is")
    elif signal is not None and not is_signal(signal):
        yield (
            f"{subject.where('stopSignal')} {shown(signal)} is not a signal; the engine refuses "
            f'it at create with "Invalid signal: {_esc(signal)}"; give a signal name such as '
            "SIGTERM (or SIGINT, SIGQUIT, SIGUSR1) or its number"
        )
    hostname = subject.read(text, "hostname")
    if isinstance(hostname, Unknown):
        subject.undecided(f"{subject.where('hostname')} of {subject.subject} is")
    elif hostname is not None and len(hostname) > HOSTNAME_LIMIT:
        yield (
            f"{subject.where('hostname')} {shown(hostname)} has {len(hostname)} characters, more "
            f"than the kernel's {HOSTNAME_LIMIT}; the start fails with \"sethostname: invalid "
            f'argument"; give a hostname of at most {HOSTNAME_LIMIT} characters'
        )
    remove = subject.read(flag, "rm")
    restart = subject.read(text, "restart")
    if isinstance(remove, Unknown) or isinstance(restart, Unknown):
        if remove is not False and remove is not None:
            subject.undecided(f"rm or restart of {subject.subject} is")
    elif remove and restart not in (None, "no"):
        yield (
            f"rm is true with restart {shown(restart or '')}; the engine refuses it at create "
            "with \"can't create 'AutoRemove' container with restart policy\"; drop rm, or set "
            'restart "no"'
        )


docker_container_enforce_valid_process = ResourceValidationPolicy(
    name="docker-container-enforce-valid-process",
    description=(
        "A container's working directory is absolute, its stop signal is one the engine knows, "
        "its env names are not empty, no argument or env holds a NUL byte, its hostname has at "
        "most 64 characters, and rm comes without a restart policy."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_process,
)


_HEALTH_FIELDS = (("interval", "Interval"), ("timeout", "Timeout"), ("startPeriod", "StartPeriod"))


@for_subjects(services=False)
def _valid_healthcheck(subject: Subject) -> Iterator[str]:
    health = subject.read(record, "healthcheck")
    if isinstance(health, Unknown):
        subject.undecided(f"the healthcheck of {subject.subject} is")
        return
    for key, engine_name in _HEALTH_FIELDS:
        value = text(health, key)
        if isinstance(value, Unknown):
            subject.undecided(f"healthcheck.{key} of {subject.subject} is")
            continue
        if value is None:
            continue
        ns = go_duration_ns(value)
        if ns is None:
            yield (
                f"healthcheck.{key} {shown(value)} is not a duration; the provider cannot parse "
                "it (time.ParseDuration); write it like 10s, 1m30s or 500ms"
            )
        elif ns != 0 and ns < MIN_HEALTHCHECK_NS:
            yield (
                f"healthcheck.{key} {shown(value)} is below 1ms; the engine refuses it at create "
                f'with "{engine_name} in Healthcheck cannot be less than 1ms"; give 1ms or more '
                "(or 0s for the default)"
            )
    retries = number(health, "retries")
    if isinstance(retries, Unknown):
        subject.undecided(f"healthcheck.retries of {subject.subject} is")
    elif retries is not None and retries < 0:
        yield (
            f"healthcheck.retries {retries:g} is negative; the engine refuses it at create with "
            '"Retries in Healthcheck cannot be negative"; give 0 or more'
        )


docker_container_enforce_valid_healthcheck = ResourceValidationPolicy(
    name="docker-container-enforce-valid-healthcheck",
    description=(
        "A container's healthcheck interval, timeout and start period are durations of 1ms or "
        "more (or 0 for the default), and its retries are not negative."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_healthcheck,
)


def _file_log_problems(driver: str, options: dict[str, str], opts: str) -> list[str]:
    found: list[str] = []
    known = FILE_LOG_OPTIONS[driver] | LOG_COMMON_OPTIONS
    for key in options:
        if key not in known:
            refusal = (
                f"unknown log opt '{_esc(key)}' for json-file log driver"
                if driver == "json-file"
                else f"unknown log opt '{_esc(key)}' for log driver {driver}"
            )
            found.append(
                f"{opts} {shown(key)} is not an option of the {driver} driver; the engine "
                f'refuses it at create with "{refusal}"; use {", ".join(sorted(known))}'
            )
    size = options.get("max-size")
    if size is not None:
        parsed = ram_bytes(size)
        if parsed is None:
            found.append(
                f'{opts} max-size {shown(size)} is not a size; the start fails with "failed to '
                f"initialize logging driver: invalid size: '{_esc(size)}'\"; write it like 10m"
            )
        elif parsed <= 0:
            found.append(
                f'{opts} max-size {shown(size)} is not positive; the start fails with "failed '
                'to initialize logging driver: max-size must be a positive number"; write it '
                "like 10m"
            )
    files = options.get("max-file")
    count: int | None = None
    if files is not None:
        digits = files.removeprefix("+")
        if not (digits.isascii() and digits.isdigit()):
            found.append(
                f'{opts} max-file {shown(files)} is not a number; the start fails with "failed '
                f'to initialize logging driver: strconv.Atoi: parsing "{_esc(files)}": invalid '
                'syntax"; give a count such as 3'
            )
        elif int(digits) < 1:
            found.append(
                f'{opts} max-file {shown(files)} is below 1; the start fails ("failed to '
                'initialize logging driver: ..."); give a count of 1 or more'
            )
        else:
            count = int(digits)
    compress = options.get("compress")
    if compress is not None and compress not in GO_BOOLEANS:
        found.append(
            f"{opts} compress {shown(compress)} is not a boolean; the start fails with "
            f'"strconv.ParseBool: parsing "{_esc(compress)}": invalid syntax"; give true or false'
        )
    elif (
        driver == "json-file"
        and compress is not None
        and compress.lower() in ("1", "t", "true")
        and (count is None or count < 2 or size is None)
    ):
        found.append(
            f"{opts} compress {shown(compress)} without max-file of 2 or more and a max-size; "
            'the start fails with "failed to initialize logging driver: compress cannot be true '
            'when max-file is less than 2 or max-size is not set"; set both, or drop compress'
        )
    return found


def _log_problems(
    driver: str | None,
    options: dict[str, str],
    plugins: list[str],
    keys: tuple[str, str] = ("logDriver", "logOpts"),
) -> list[str]:
    """Problems of a log config; with no driver the engine's default driver (set on the host)
    takes the options, so only the options every driver takes are judged. `keys` are where the
    driver and its options are written."""
    driver_key, opts = keys
    if driver is not None and driver not in LOG_DRIVERS and driver not in plugins:
        return [
            f"{driver_key} {shown(driver)} is not a log driver engine 20.10 has; the engine "
            f'refuses it at create with "error looking up logging plugin {_esc(driver)}: plugin '
            f'"{_esc(driver)}" not found"; use one of {", ".join(sorted(LOG_DRIVERS))}, or list '
            "a log plugin installed on the engine in this policy's logPlugins config"
        ]
    found: list[str] = []
    mode = options.get("mode")
    if mode is not None and mode not in LOG_MODES:
        found.append(
            f"{opts} mode {shown(mode)} is not a logging mode; the engine refuses it at create "
            f'with "logger: logging mode not supported: {_esc(mode)}"; use blocking or '
            "non-blocking"
        )
    buffer = options.get("max-buffer-size")
    if buffer is not None and ram_bytes(buffer) is None:
        found.append(
            f"{opts} max-buffer-size {shown(buffer)} is not a size; the engine refuses it at "
            'create with "error parsing option max-buffer-size: invalid size: '
            f"'{_esc(buffer)}'\"; write it like 4m"
        )
    if driver is not None and driver in FILE_LOG_OPTIONS:
        found += _file_log_problems(driver, options, opts)
    return found


@for_subjects(services=True)
def _valid_logging(subject: Subject) -> Iterator[str]:
    keys = (subject.where("logDriver"), subject.where("logOpts"))
    driver = subject.read(text, "logDriver")
    raw = subject.read(record, "logOpts")
    if isinstance(driver, Unknown) or isinstance(raw, Unknown):
        subject.undecided(f"the {keys[0]} or {keys[1]} of {subject.subject} is")
        return
    options: dict[str, str] = {}
    for key, given in raw.items():
        value = unwrap(given)
        if is_unknown(value):
            subject.undecided(
                f"{keys[1]} {shown(str(key))} of {subject.kind} {shown(subject.label)} is"
            )
        elif isinstance(value, str):
            options[str(key)] = value
    plugins = subject.setting("logPlugins", ())
    yield from _log_problems(driver, options, plugins, keys)


docker_container_enforce_valid_logging = ResourceValidationPolicy(
    name="docker-container-enforce-valid-logging",
    description=(
        "A container's log driver is one the engine has (or a plugin listed in logPlugins) and "
        "its log options are ones the driver takes, with values it can parse."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_valid_logging,
    config_schema=PolicyConfigSchema(
        properties={"logPlugins": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
)


@for_subjects(services=True)
def _host_sysctls(subject: Subject) -> Iterator[str]:
    sysctls = subject.read(record, "sysctls")
    ipc = subject.read(text, "ipcMode")
    mode = subject.read(text, "networkMode")
    if isinstance(sysctls, Unknown):
        subject.undecided(f"the {subject.where('sysctls')} of {subject.subject} are")
        return
    if sysctls and (isinstance(ipc, Unknown) or isinstance(mode, Unknown)):
        subject.undecided(f"the ipcMode or networkMode of {subject.subject} is")
    for name in sysctls:
        # The name is escaped first: the namespace it belongs to is read from its prefix, which
        # escaping leaves alone, and runc's message then shows it safely.
        problem = sysctl_problem(
            _esc(str(name)), host_ipc=ipc == "host", host_network=mode == "host"
        )
        if problem is not None:
            yield (
                f"sysctl {shown(str(name))} cannot be set in the container; the start fails "
                f'with "{problem}"; set only parameters of the container\'s own namespaces '
                "(net.* off the host's network; kernel.shm*, kernel.msg*, kernel.sem, "
                "fs.mqueue.* off the host's IPC namespace; kernel.domainname), and host-wide "
                "ones on the host"
            )


docker_container_disallow_host_sysctls = ResourceValidationPolicy(
    name="docker-container-disallow-host-sysctls",
    description=(
        "A container sets only kernel parameters of its own namespaces: net.* (not on the "
        "host's network), the IPC ones (not in the host's IPC namespace) and kernel.domainname."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_host_sysctls,
)


@for_subjects(services=True)
def _image_user(subject: Subject) -> Iterator[str]:
    user = subject.read(text, "user")
    if isinstance(user, Unknown):
        subject.undecided(f"the user of {subject.subject} is")
        return
    if user is None:
        return
    name, _, group = user.partition(":")
    for kind, value, table in (("user", name, "passwd"), ("group", group, "group")):
        if value and not (value.isascii() and value.isdigit()) and value != "root":
            yield (
                f"{kind} {shown(value)} is a name, which the engine looks up in the image's "
                f"/etc/{table} at start (the pack cannot see the image); without it the start "
                f'fails with "unable to find {kind} {_esc(value)}: no matching entries in '
                f'{table} file"; make sure the image has it, or give the number'
            )


docker_container_require_image_user = ResourceValidationPolicy(
    name="docker-container-require-image-user",
    description=(
        "A user or group given by name exists in the container's image: the pack names each, "
        "since it cannot see the image."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_image_user,
)

PROCESS_POLICIES = [
    docker_container_enforce_valid_process,
    docker_container_enforce_valid_healthcheck,
    docker_container_enforce_valid_logging,
    docker_container_disallow_host_sysctls,
    docker_container_require_image_user,
]
"""The process rules, in README order."""
