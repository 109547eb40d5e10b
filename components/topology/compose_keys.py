"""Every key of the compose specification, path-keyed as compose-go keys its loader, and what
this project makes of it: mapped (to which spec field and provider wire property), applied by
Compose itself before the model is read, of no effect on one engine (as `docker compose up`
treats it), mapped with a stated difference (an advisory), or refused with the reason.

A path names a key the way compose-go's `tree.Path` does: `services.*.ports[].app_protocol`,
where `*` stands for any name (a service, network, volume) and `[]` for any list item.
`KEYS` holds one row per key of the compose-spec JSON schema that Docker Compose 2.40.3 ships
(compose-go v2.9.1); `rows_in(model)` walks a normalised model against it, so the keys a file
uses, and where each was written, are known in one place, and nothing outside the table passes.
The README's compose key table is generated from `KEYS` (`readme_table`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..problems import Location, Problem
from ..swarm import NO_JOINED_NAMESPACE, NO_STATIC_ADDRESS, UNSUPPORTED_OPTIONS
from ..vocabulary import (
    CONTAINER_TYPE,
    DOCKER_SERVICE_TYPE,
    NETWORK_TYPE,
    REMOTE_IMAGE_TYPE,
    VOLUME_TYPE,
    target_drivers,
)

Verdict = Literal["mapped", "compose", "no effect", "advisory", "refused"]
"""What a key becomes:

- `mapped`: translated to a spec field, written to the provider's wire property `wire`;
- `compose`: settled by Docker Compose itself while it normalises the file (merged, folded
  into another key, or dropped); the key never reaches the model the project deploys;
- `no effect`: `docker compose up` on one engine gives it no effect on what runs (it is read
  by other compose commands, or by a swarm), so nothing is deployed for it;
- `advisory`: mapped as far as pulumi-docker 5.2.0 can, and `note` says exactly what the
  deployment differs in; the difference is reported, never silent;
- `refused`: the file is refused at the key, with `note` as the reason.
"""


@dataclass(frozen=True)
class Outcome:
    """What one compose key becomes on one target."""

    verdict: Verdict
    """Mapped, applied by Compose, of no effect, advisory or refused."""
    to: str = ""
    """Mapped and advisory: the spec field it sets (`ContainerSpec.tty`); compose and
    no effect: what happens to it instead."""
    wire: str = ""
    """Mapped and advisory: the provider's wire property (`docker:Container.tty`)."""
    note: str = ""
    """Advisory: what the deployment differs in; refused: the reason and the fix."""


@dataclass(frozen=True)
class KeyRow:
    """One compose key and what it becomes on one engine and on a swarm."""

    path: str
    """The key's path, compose-go style (`services.*.volumes[].bind.selinux`)."""
    engine: Outcome
    """What it becomes with `composeTarget: engine` (the default)."""
    swarm: Outcome | None = None
    """What it becomes with `composeTarget: swarm`; the engine's outcome when None."""

    def on(self, target: str) -> Outcome:
        """The outcome on `target` (`engine` or `swarm`)."""
        return self.swarm if target == "swarm" and self.swarm is not None else self.engine


# --- shorthand for the rows -----------------------------------------------------------------

_C = CONTAINER_TYPE
_N = NETWORK_TYPE
_ND = f"{_N}.driver"
_V = VOLUME_TYPE
_S = DOCKER_SERVICE_TYPE
_I = REMOTE_IMAGE_TYPE


def mapped(to: str, wire: str) -> Outcome:
    return Outcome("mapped", to, wire)


def container(field: str, prop: str) -> Outcome:
    """Mapped to a `ContainerSpec` field and a `Container` input."""
    return Outcome("mapped", f"ContainerSpec.{field}", f"Container.{prop}")


def advisory(to: str, wire: str, note: str) -> Outcome:
    return Outcome("advisory", to, wire, note)


def by_compose(how: str) -> Outcome:
    return Outcome("compose", how)


def no_effect(why: str) -> Outcome:
    return Outcome("no effect", why)


def refused(reason: str) -> Outcome:
    return Outcome("refused", note=reason)


_NOT_YET = "is not supported by container-comms; remove it, or deploy this file with docker compose"
_WINDOWS = ("applies to Windows containers only; a Linux engine ignores it",)
_SWARM_ONLY = "read by a swarm only: `docker compose up` on one engine ignores it"


def _unsupported(what: str = "") -> Outcome:
    return refused(f"{what + ' ' if what else ''}{_NOT_YET}")


def _no_provider(what: str) -> Outcome:
    """Refused: compose applies it, and pulumi-docker 5.2.0 has no input for it."""
    return refused(
        f"{what}; pulumi-docker 5.2.0 has no input for it, so the container would run without "
        "it; remove it, or deploy this file with docker compose"
    )


def _swarm_refuses(option: str) -> Outcome:
    """Refused on a swarm, for the reason the swarm service component gives for `option`."""
    return refused(UNSUPPORTED_OPTIONS[option])


_ROWS: list[KeyRow] = []


def row(path: str, engine: Outcome, swarm: Outcome | None = None) -> None:
    _ROWS.append(KeyRow(path, engine, swarm))


def rows(paths: str, engine: Outcome, swarm: Outcome | None = None) -> None:
    """One row per path of a whitespace-separated list, all with the same outcome."""
    for path in paths.split():
        row(path, engine, swarm)


# --- top level ------------------------------------------------------------------------------

row("version", by_compose("obsolete: Compose ignores it (and warns)"))
row("name", mapped("the project name: `<name>-<service>-1`, `<name>_<network>`", f"{_C}.name"))
rows(
    "include include[].path include[].env_file include[].project_directory",
    by_compose("Compose merges the included files into the model"),
)
rows(
    "models models.*.model models.*.name models.*.context_size models.*.runtime_flags",
    by_compose(
        "Compose 2.40.3 leaves models out of the model it prints; a service that uses one is "
        "refused at services.*.models"
    ),
)
rows(
    "services.*.models services.*.models.*.endpoint_var services.*.models.*.model_var",
    refused(
        "needs Docker Model Runner, which `docker compose up` asks of the engine's host; "
        f"{_NOT_YET}"
    ),
)

# --- networks -------------------------------------------------------------------------------

row("networks", mapped("NetworkConfig per key", f"{_N}"))
row("networks.*.name", mapped("NetworkConfig.network_name", f"{_N}.name"))
row(
    "networks.*.driver",
    *(
        mapped(f"NetworkConfig.driver ({' or '.join(target_drivers(t))}; others refused)", _ND)
        for t in ("engine", "swarm")
    ),
)
row("networks.*.driver_opts", mapped("NetworkConfig.driver_opts", f"{_N}.options"))
row(
    "networks.*.attachable",
    no_effect("lets standalone containers join a swarm's overlay; a bridge ignores it"),
    mapped("NetworkConfig.attachable", f"{_N}.attachable"),
)
row("networks.*.internal", mapped("NetworkConfig.internal", f"{_N}.internal"))
row("networks.*.labels", mapped("NetworkConfig.labels", f"{_N}.labels"))
row("networks.*.external", mapped("NetworkConfig.external: used, never created", "(none)"))
_EXTERNAL_NAME = by_compose("Compose folds the obsolete `external: {name: X}` into `name: X`")
row("networks.*.external.name", _EXTERNAL_NAME)
row(
    "networks.*.enable_ipv6",
    mapped("NetworkConfig.ipv6 (refused without an IPv6 subnet)", f"{_N}.ipv6"),
)
row(
    "networks.*.enable_ipv4",
    mapped("true: the default; false refused", f"{_N}"),
)
row("networks.*.ipam", mapped("NetworkConfig subnets", f"{_N}.ipamConfigs"))
row("networks.*.ipam.driver", mapped("NetworkConfig.ipam_driver", f"{_N}.ipamDriver"))
row(
    "networks.*.ipam.options",
    by_compose("Compose 2.40.3 drops it from the model: it never reaches the engine"),
)
rows(
    "networks.*.ipam.config networks.*.ipam.config[].subnet networks.*.ipam.config[].gateway",
    mapped("NetworkConfig.subnet/gateway (one IPv4, one IPv6)", f"{_N}.ipamConfigs"),
)
rows(
    "networks.*.ipam.config[].ip_range networks.*.ipam.config[].aux_addresses",
    mapped("NetworkConfig.ip_range/aux_addresses (IPv4 only)", f"{_N}.ipamConfigs"),
)

# --- volumes --------------------------------------------------------------------------------

row("volumes", mapped("NamedVolumeArgs per key", _V))
row("volumes.*.name", mapped("NamedVolumeArgs.volume_name", f"{_V}.name"))
row("volumes.*.driver", mapped("NamedVolumeArgs.driver", f"{_V}.driver"))
row("volumes.*.driver_opts", mapped("NamedVolumeArgs.driver_opts", f"{_V}.driverOpts"))
row("volumes.*.labels", mapped("NamedVolumeArgs.labels", f"{_V}.labels"))
row("volumes.*.external", mapped("NamedVolumeArgs.external: used, never created", "(none)"))
row("volumes.*.external.name", _EXTERNAL_NAME)

# --- secrets and configs: as `docker compose up` places them on one engine ------------------
# (compose's pkg/compose/create.go and secrets.go; the mapping is `compose.file_references`)

_MOUNTED = (
    "a read-only bind mount of the host file at the target (its mode and owner are the file's)"
)
_COPIED = "copied in at the target before the container starts"
_OWNER = (
    "the copied file's {what} ({default} unless given; ignored with compose's warning for a "
    "mounted file; refused with uid/gid for a service that sets user, which compose gives the "
    "file to as the engine's host resolves it)"
)
row(
    "secrets",
    mapped(
        "SecretSourceConfig per environment secret, a mount per file secret (on a swarm: a "
        "swarm secret each)",
        f"{_C}.uploads",
    ),
)
row(
    "secrets.*.file",
    mapped(f"MountSpec: {_MOUNTED} (on a swarm: the secret's data)", f"{_C}.mounts[].source"),
)
row(
    "secrets.*.environment",
    mapped(f"SecretSourceConfig.environment: {_COPIED}", f"{_C}.uploads[].content"),
)
row("secrets.*.name", no_effect("a file or environment secret has no engine name"))
rows(
    "secrets.*.external secrets.*.driver secrets.*.driver_opts "
    "secrets.*.template_driver secrets.*.labels",
    refused("only file and environment secrets exist on one engine; give a file"),
)
row(
    "configs",
    mapped("ConfigSourceConfig per key", f"{_C}.uploads"),
    refused(UNSUPPORTED_OPTIONS["configs"]),
)
row(
    "configs.*.file",
    mapped(f"ConfigSourceConfig.file: {_MOUNTED}", f"{_C}.mounts[].source"),
    refused(UNSUPPORTED_OPTIONS["configs"]),
)
rows(
    "configs.*.content configs.*.environment",
    mapped(f"ConfigSourceConfig content: {_COPIED}", f"{_C}.uploads[].content"),
    refused(UNSUPPORTED_OPTIONS["configs"]),
)
row(
    "configs.*.name",
    no_effect("a config has no engine name on one engine"),
    refused(UNSUPPORTED_OPTIONS["configs"]),
)
rows(
    "configs.*.external configs.*.labels configs.*.template_driver",
    refused(
        "only file, content and environment configs exist on one engine (docker compose "
        "refuses an external one); give one of them"
    ),
)
rows("secrets.*.external.name configs.*.external.name", _EXTERNAL_NAME)
row(
    "services.*.secrets",
    mapped("ContainerSpec.secrets (a file secret: ContainerSpec.mounts)", f"{_C}.uploads"),
)
rows(
    "services.*.secrets[].source services.*.secrets[].target",
    mapped(
        "ContainerSpec.secrets[].file (/run/secrets/<target>; a relative target under it)",
        f"{_C}.uploads[].file",
    ),
)
row(
    "services.*.secrets[].uid",
    mapped(
        f"SecretSpec.uid: {_OWNER.format(what='owner', default='root')}", f"{_C}.uploads[].owner"
    ),
)
row(
    "services.*.secrets[].gid",
    mapped(
        f"SecretSpec.gid: {_OWNER.format(what='group', default='root')}", f"{_C}.uploads[].group"
    ),
)
row(
    "services.*.secrets[].mode",
    mapped(
        f"SecretSpec.mode: {_OWNER.format(what='mode', default='0444')}",
        f"{_C}.uploads[].permissions",
    ),
)
row(
    "services.*.configs",
    mapped("ContainerSpec.configs", f"{_C}.uploads"),
    refused(UNSUPPORTED_OPTIONS["configs"]),
)
rows(
    "services.*.configs[].source services.*.configs[].target",
    mapped(
        "ConfigSpec.target (/<source> by default; a relative target under /)",
        f"{_C}.uploads[].file",
    ),
    refused(UNSUPPORTED_OPTIONS["configs"]),
)
for _attr, _what, _default, _wire in (
    ("uid", "owner", "root", "owner"),
    ("gid", "group", "root", "group"),
    ("mode", "mode", "0444", "permissions"),
):
    row(
        f"services.*.configs[].{_attr}",
        mapped(
            f"ConfigSpec.{_attr}: {_OWNER.format(what=_what, default=_default)}",
            f"{_C}.uploads[].{_wire}",
        ),
        refused(UNSUPPORTED_OPTIONS["configs"]),
    )

# --- services: image, build, process --------------------------------------------------------

row("services", mapped("ServiceConfig per key (sidecars for network_mode service:)", _C))
row("services.*.image", container("image", "image"))
row(
    "services.*.pull_policy",
    mapped(
        "ContainerSpec.pull: always/missing/if_not_present/daily/weekly/every_<d> pull, "
        "never uses the engine's copy, build builds",
        f"{_I}",
    ),
    _swarm_refuses("pull"),
)
row(
    "services.*.pull_refresh_after",
    by_compose("Compose 2.40.3 drops it: its model has no such field"),
)
row("services.*.platform", container("platform", "platform"), _swarm_refuses("platform"))
row(
    "services.*.build",
    mapped("ContainerSpec.build: the image set builds it", "Image.build"),
    _swarm_refuses("build"),
)
rows(
    "services.*.build.context services.*.build.dockerfile services.*.build.args "
    "services.*.build.target",
    mapped("BuildSpec", "Image.build"),
    _swarm_refuses("build"),
)
rows(
    "services.*.build.additional_contexts services.*.build.cache_from services.*.build.cache_to "
    "services.*.build.dockerfile_inline services.*.build.entitlements "
    "services.*.build.extra_hosts services.*.build.isolation services.*.build.labels "
    "services.*.build.network services.*.build.no_cache services.*.build.platforms "
    "services.*.build.privileged services.*.build.provenance services.*.build.pull "
    "services.*.build.sbom services.*.build.secrets services.*.build.secrets[].source "
    "services.*.build.secrets[].target services.*.build.secrets[].uid "
    "services.*.build.secrets[].gid services.*.build.secrets[].mode services.*.build.shm_size "
    "services.*.build.ssh services.*.build.tags services.*.build.ulimits "
    "services.*.build.ulimits.*.soft services.*.build.ulimits.*.hard",
    _unsupported("this build option"),
)
row("services.*.command", container("command", "command"))
row("services.*.entrypoint", container("entrypoint", "entrypoints"))
row("services.*.environment", container("env", "envs"))
rows(
    "services.*.env_file services.*.env_file[].path services.*.env_file[].required "
    "services.*.env_file[].format",
    by_compose("Compose reads the files into environment"),
)
rows(
    "services.*.label_file",
    by_compose("Compose reads the files into labels"),
)
rows(
    "services.*.extends services.*.extends.file services.*.extends.service",
    by_compose("Compose merges the extended service into this one"),
)
row(
    "services.*.profiles",
    no_effect("Compose has already left out the services of profiles not enabled"),
)
row("services.*.labels", container("labels", "labels"))
row("services.*.annotations", _unsupported())
row(
    "services.*.container_name",
    mapped("ServiceConfig.container_name", f"{_C}.name"),
    refused(
        "a swarm names a service's containers itself (<service>.<slot>.<task id>); remove "
        "container_name"
    ),
)
row("services.*.hostname", container("hostname", "hostname"))
row("services.*.domainname", _unsupported())
row("services.*.user", container("user", "user"))
row("services.*.working_dir", container("working_dir", "workingDir"))
row("services.*.init", container("init", "init"))
row("services.*.tty", container("tty", "tty"), _swarm_refuses("tty"))
row("services.*.stdin_open", container("stdin_open", "stdinOpen"), _swarm_refuses("stdin_open"))
row(
    "services.*.attach",
    no_effect("only chooses whose output `docker compose up` prints; the container is the same"),
)
row("services.*.restart", container("restart", "restart"))
row("services.*.stop_signal", container("stop_signal", "stopSignal"))
row("services.*.stop_grace_period", container("stop_grace_period", "stopTimeout"))
row("services.*.read_only", container("read_only", "readOnly"))
row("services.*.privileged", container("privileged", "privileged"), _swarm_refuses("privileged"))
rows("services.*.cap_add services.*.cap_drop", container("capabilities", "capabilities"))
row(
    "services.*.security_opt",
    container("security_opt", "securityOpts"),
    _swarm_refuses("security_opt"),
)
row("services.*.sysctls", container("sysctls", "sysctls"))
row("services.*.ulimits", container("ulimits", "ulimits"), _swarm_refuses("ulimits"))
rows(
    "services.*.ulimits.*.soft services.*.ulimits.*.hard",
    container("ulimits", "ulimits"),
    _swarm_refuses("ulimits"),
)
row("services.*.logging", container("logging", "logDriver"))
row("services.*.logging.driver", container("logging.driver", "logDriver"))
row("services.*.logging.options", container("logging.options", "logOpts"))
row("services.*.pid", container("pid_mode", "pidMode"), _swarm_refuses("pid_mode"))
row("services.*.ipc", container("ipc_mode", "ipcMode"), _swarm_refuses("ipc_mode"))
row("services.*.shm_size", container("shm_size", "shmSize"), _swarm_refuses("shm_size"))
row("services.*.mem_limit", container("memory", "memory"), _swarm_refuses("memory"))
row("services.*.cpus", container("cpus", "cpus"), _swarm_refuses("cpus"))
row(
    "services.*.scale",
    mapped("one container (a scale other than 1 refused)", _C),
    refused("a swarm service's replicas are deploy.replicas; set them there"),
)
rows(
    "services.*.cgroup services.*.cgroup_parent services.*.cpu_period services.*.cpu_quota "
    "services.*.cpu_shares services.*.cpuset services.*.device_cgroup_rules "
    "services.*.dns_opt services.*.dns_search services.*.group_add services.*.mem_reservation "
    "services.*.memswap_limit services.*.runtime services.*.storage_opt services.*.userns_mode",
    _unsupported(),
)
rows(
    "services.*.gpus services.*.gpus[].capabilities services.*.gpus[].count "
    "services.*.gpus[].device_ids services.*.gpus[].driver services.*.gpus[].options",
    container("device_requests (capabilities plus gpu)", "deviceRequests"),
    _swarm_refuses("device_requests"),
)
row("services.*.blkio_config", no_effect("its keys below say what each becomes"))
rows(
    "services.*.blkio_config.weight services.*.blkio_config.weight_device "
    "services.*.blkio_config.weight_device[].path services.*.blkio_config.weight_device[].weight",
    _no_provider("compose sets the container's block IO weight"),
)
rows(
    "services.*.blkio_config.device_read_bps services.*.blkio_config.device_read_bps[].path "
    "services.*.blkio_config.device_read_bps[].rate services.*.blkio_config.device_read_iops "
    "services.*.blkio_config.device_read_iops[].path "
    "services.*.blkio_config.device_read_iops[].rate "
    "services.*.blkio_config.device_write_bps services.*.blkio_config.device_write_bps[].path "
    "services.*.blkio_config.device_write_bps[].rate services.*.blkio_config.device_write_iops "
    "services.*.blkio_config.device_write_iops[].path "
    "services.*.blkio_config.device_write_iops[].rate",
    _unsupported(),
)
rows(
    "services.*.cpu_count services.*.cpu_percent services.*.isolation services.*.credential_spec "
    "services.*.credential_spec.config services.*.credential_spec.file "
    "services.*.credential_spec.registry",
    no_effect(_WINDOWS[0]),
)
rows(
    "services.*.cpu_rt_period services.*.cpu_rt_runtime",
    _no_provider("compose sets the container's real-time CPU scheduling"),
)
row("services.*.mem_swappiness", _no_provider("compose sets the container's swappiness"))
row("services.*.oom_kill_disable", _no_provider("compose turns off the OOM killer"))
row("services.*.oom_score_adj", _no_provider("compose sets the OOM score"))
_NO_PIDS = advisory(
    "not applied",
    "(none)",
    "the container runs with no limit on its number of processes: compose sets one, and "
    "pulumi-docker 5.2.0 has no input for it",
)
row("services.*.pids_limit", _NO_PIDS)
row("services.*.uts", _no_provider("compose shares the host's UTS namespace"))
row("services.*.mac_address", _unsupported())
row("services.*.volumes_from", _no_provider("compose mounts another container's volumes"))
row(
    "services.*.use_api_socket",
    refused(
        "mounts the engine's API socket and the caller's registry credentials into the "
        f"container; {_NOT_YET}"
    ),
)
rows(
    "services.*.post_start services.*.post_start[].command services.*.post_start[].user "
    "services.*.post_start[].privileged services.*.post_start[].working_dir "
    "services.*.post_start[].environment services.*.pre_stop services.*.pre_stop[].command "
    "services.*.pre_stop[].user services.*.pre_stop[].privileged "
    "services.*.pre_stop[].working_dir services.*.pre_stop[].environment",
    _no_provider("compose runs these commands in the container after start or before stop"),
)
rows(
    "services.*.provider services.*.provider.type services.*.provider.options",
    refused(f"a provider service is run by a compose plugin, not the engine; {_NOT_YET}"),
)
rows(
    "services.*.develop services.*.develop.watch services.*.develop.watch[].action "
    "services.*.develop.watch[].path services.*.develop.watch[].target "
    "services.*.develop.watch[].ignore services.*.develop.watch[].include "
    "services.*.develop.watch[].initial_sync services.*.develop.watch[].exec "
    "services.*.develop.watch[].exec.command services.*.develop.watch[].exec.environment "
    "services.*.develop.watch[].exec.privileged services.*.develop.watch[].exec.user "
    "services.*.develop.watch[].exec.working_dir",
    no_effect("read by `docker compose watch` only; `up` ignores it"),
)

# --- services: health and order -------------------------------------------------------------

row("services.*.healthcheck", container("healthcheck", "healthcheck"))
rows(
    "services.*.healthcheck.test services.*.healthcheck.interval services.*.healthcheck.timeout "
    "services.*.healthcheck.retries services.*.healthcheck.start_period",
    container("healthcheck", "healthcheck"),
)
row(
    "services.*.healthcheck.disable",
    mapped(
        'ContainerSpec.healthcheck test ["NONE"] (the image\'s check is off)',
        "Container.healthcheck.tests",
    ),
)
row("services.*.healthcheck.start_interval", _unsupported())
row("services.*.depends_on", mapped("ServiceConfig.depends_on", f"{_C} dependsOn"))
rows(
    "services.*.depends_on.*.condition services.*.depends_on.*.required",
    mapped("ServiceConfig.depends_on condition", f"{_C} dependsOn"),
)
row(
    "services.*.depends_on.*.restart",
    no_effect(
        "restarts the dependent when `docker compose` itself restarts the dependency; "
        "Pulumi replaces a changed dependency and keeps the start order"
    ),
)
rows(
    "services.*.links",
    advisory(
        "aliases of the linked service on the networks both share",
        "Container.networksAdvanced[].aliases",
        "the link name resolves for every container on the shared network, not only for the "
        "linking one (pulumi-docker 5.2.0 has no links input)",
    ),
    no_effect("`docker stack deploy` ignores links; a service's name resolves on its networks"),
)
row(
    "services.*.external_links",
    _no_provider("compose links a container outside the project by name"),
)

# --- services: ports and networks -----------------------------------------------------------

row("services.*.ports", container("ports", "ports"))
rows(
    "services.*.ports[].target services.*.ports[].published services.*.ports[].host_ip "
    "services.*.ports[].protocol",
    container("ports", "ports"),
)
row(
    "services.*.ports[].mode",
    no_effect("one engine binds the port on its host either way"),
    mapped("PortSpec.mode", f"{_S}.endpointSpec.ports[].publishMode"),
)
rows(
    "services.*.ports[].name services.*.ports[].app_protocol",
    no_effect("a port's name and protocol hint are metadata; the engine has no such field"),
)
row("services.*.expose", container("expose", "labels"))
row(
    "services.*.network_mode",
    mapped(
        "ServiceConfig.network_mode (host, none, bridge), or a sidecar (service:<name>)",
        f"{_C}.networkMode",
    ),
    refused(
        "a swarm service is reached over overlay networks; attach it to networks instead "
        f"(for service:<name>: {NO_JOINED_NAMESPACE})"
    ),
)
row("services.*.networks", mapped("ServiceConfig.networks", f"{_C}.networksAdvanced"))
row(
    "services.*.networks.*.aliases",
    mapped("ServiceAttachmentConfig.aliases", f"{_C}.networksAdvanced[].aliases"),
)
rows(
    "services.*.networks.*.ipv4_address services.*.networks.*.ipv6_address",
    mapped("ServiceAttachmentConfig addresses", f"{_C}.networksAdvanced[].ipv4Address"),
    refused(NO_STATIC_ADDRESS),
)
_NOT_ON_SWARM = refused(
    "a swarm service's network attachment has no such setting here; remove it, or deploy "
    "with composeTarget engine"
)
row(
    "services.*.networks.*.gw_priority",
    mapped("ServiceAttachmentConfig.gw_priority", f"{_C}.networksAdvanced[].gwPriority"),
    _NOT_ON_SWARM,
)
row(
    "services.*.networks.*.interface_name",
    advisory(
        "ServiceAttachmentConfig.driver_opts com.docker.network.endpoint.ifname",
        f"{_C}.networksAdvanced[].driverOpts",
        "an engine before v28.1 ignores the name and calls the interface ethN (compose "
        "refuses the key there)",
    ),
    _NOT_ON_SWARM,
)
rows(
    "services.*.networks.*.driver_opts services.*.networks.*.link_local_ips "
    "services.*.networks.*.mac_address services.*.networks.*.priority",
    _unsupported(),
)
row("services.*.dns", container("dns", "dns"))
row("services.*.extra_hosts", container("extra_hosts", "hosts"))

# --- services: storage ----------------------------------------------------------------------

row("services.*.volumes", container("mounts", "mounts"))
rows(
    "services.*.volumes[].type services.*.volumes[].source services.*.volumes[].target "
    "services.*.volumes[].read_only",
    container("mounts", "mounts"),
)
row(
    "services.*.volumes[].bind",
    container("mounts", "mounts"),
)
row(
    "services.*.volumes[].bind.create_host_path",
    container("mounts[].create_host_path", "volumes"),
)
row(
    "services.*.volumes[].bind.selinux",
    advisory(
        "MountSpec (no relabel)",
        f"{_C}.mounts",
        "the host folder is not relabelled (pulumi-docker 5.2.0 has no relabel option): on a "
        "host without SELinux that changes nothing; on an SELinux host the container cannot "
        "read it until you relabel it (chcon -Rt container_file_t <folder>)",
    ),
)
rows(
    "services.*.volumes[].bind.propagation services.*.volumes[].bind.recursive "
    "services.*.volumes[].consistency services.*.volumes[].image "
    "services.*.volumes[].image.subpath services.*.volumes[].volume.nocopy "
    "services.*.volumes[].volume.subpath services.*.volumes[].volume.labels",
    _unsupported(),
)
row("services.*.volumes[].volume", container("mounts", "mounts"))
row("services.*.volumes[].tmpfs", container("mounts[].tmpfs_size", "mounts[].tmpfsOptions"))
row(
    "services.*.volumes[].tmpfs.size",
    container("mounts[].tmpfs_size", "mounts[].tmpfsOptions.sizeBytes"),
)
row(
    "services.*.volumes[].tmpfs.mode",
    container("mounts[].tmpfs_mode", "mounts[].tmpfsOptions.mode"),
)
row("services.*.tmpfs", container("tmpfs (path: options)", "tmpfs"))
row("services.*.devices", container("devices", "devices"), _swarm_refuses("devices"))
rows(
    "services.*.devices[].source services.*.devices[].target services.*.devices[].permissions",
    container("devices", "devices"),
    _swarm_refuses("devices"),
)

# --- services: deploy -----------------------------------------------------------------------

_SWARM_DEPLOY = mapped("ServiceConfig.deploy", f"{_S}")
row("services.*.deploy", no_effect("its keys below say what each becomes"), _SWARM_DEPLOY)
rows(
    "services.*.deploy.resources services.*.deploy.resources.limits "
    "services.*.deploy.resources.reservations",
    no_effect("its keys below say what each becomes"),
    mapped("Deploy limits/reservations", f"{_S}.taskSpec.resources"),
)
row(
    "services.*.deploy.resources.limits.memory",
    container("memory", "memory"),
    mapped("Deploy.limits.memory", f"{_S}.taskSpec.resources.limits.memoryBytes"),
)
row(
    "services.*.deploy.resources.limits.cpus",
    container("cpus", "cpus"),
    mapped("Deploy.limits.cpus", f"{_S}.taskSpec.resources.limits.nanoCpus"),
)
row("services.*.deploy.resources.limits.pids", _NO_PIDS, _unsupported())
row(
    "services.*.deploy.resources.reservations.memory",
    container("memory_reservation", "memoryReservation"),
    mapped("Deploy.reservations.memory", f"{_S}.taskSpec.resources.reservation.memoryBytes"),
)
row(
    "services.*.deploy.resources.reservations.cpus",
    no_effect("compose reserves CPUs on a swarm only; one engine has no CPU reservation"),
    mapped("Deploy.reservations.cpus", f"{_S}.taskSpec.resources.reservation.nanoCpus"),
)
rows(
    "services.*.deploy.resources.reservations.devices "
    "services.*.deploy.resources.reservations.devices[].capabilities "
    "services.*.deploy.resources.reservations.devices[].count "
    "services.*.deploy.resources.reservations.devices[].device_ids "
    "services.*.deploy.resources.reservations.devices[].driver "
    "services.*.deploy.resources.reservations.devices[].options",
    container("device_requests", "deviceRequests"),
    _unsupported("a device request"),
)
rows(
    "services.*.deploy.resources.reservations.generic_resources "
    "services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec "
    "services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec.kind "
    "services.*.deploy.resources.reservations.generic_resources[].discrete_resource_spec.value",
    no_effect(_SWARM_ONLY),
    _unsupported(),
)
row(
    "services.*.deploy.replicas",
    mapped("one container (replicas other than 1 refused)", f"{_C}"),
    mapped("Deploy.replicas", f"{_S}.mode.replicated.replicas"),
)
row(
    "services.*.deploy.restart_policy",
    no_effect("its keys below say what each becomes"),
    mapped("Deploy.restart_policy", f"{_S}.taskSpec.restartPolicy"),
)
row(
    "services.*.deploy.restart_policy.condition",
    container("restart (any: always, on-failure, none: no)", "restart"),
    mapped("Deploy.restart_policy", f"{_S}.taskSpec.restartPolicy"),
)
row(
    "services.*.deploy.restart_policy.max_attempts",
    _unsupported(),
    mapped("Deploy.restart_policy", f"{_S}.taskSpec.restartPolicy"),
)
rows(
    "services.*.deploy.restart_policy.delay services.*.deploy.restart_policy.window",
    no_effect(_SWARM_ONLY),
    mapped("Deploy.restart_policy", f"{_S}.taskSpec.restartPolicy"),
)
rows(
    "services.*.deploy.mode services.*.deploy.endpoint_mode services.*.deploy.labels",
    no_effect(_SWARM_ONLY),
    mapped("Deploy", f"{_S}"),
)
rows(
    "services.*.deploy.placement services.*.deploy.placement.constraints "
    "services.*.deploy.placement.max_replicas_per_node",
    no_effect(_SWARM_ONLY),
    mapped("Deploy placement", f"{_S}.taskSpec.placement"),
)
rows(
    "services.*.deploy.placement.preferences services.*.deploy.placement.preferences[].spread",
    no_effect(_SWARM_ONLY),
    _unsupported(),
)
for _policy, _wire in (("update_config", "updateConfig"), ("rollback_config", "rollbackConfig")):
    rows(
        " ".join(
            f"services.*.deploy.{_policy}{k}"
            for k in (
                "",
                ".parallelism",
                ".delay",
                ".failure_action",
                ".monitor",
                ".max_failure_ratio",
                ".order",
            )
        ),
        no_effect(_SWARM_ONLY),
        mapped(f"Deploy.{_policy.removesuffix('_config')}", f"{_S}.{_wire}"),
    )


KEYS: Final[Mapping[str, KeyRow]] = {r.path: r for r in _ROWS}
"""Every compose key by path, in the order the README lists them."""
if len(KEYS) != len(_ROWS):  # pragma: no cover - a duplicate row is a programming error
    raise AssertionError("a compose key has two rows")


# --- walking a model ------------------------------------------------------------------------


def _named(path: str) -> bool:
    """Whether the mapping at `path` is keyed by names (services, networks) rather than keys."""
    return any(p.startswith(f"{path}.*") for p in KEYS)


@dataclass(frozen=True)
class Use:
    """One key a model uses: where it was written, and its row."""

    where: Location
    """The concrete path (`("services", "web", "volumes", 0, "bind", "selinux")`)."""
    path: str
    """The table path (`services.*.volumes[].bind.selinux`)."""
    value: Any
    """The key's value in the model."""
    row: KeyRow | None
    """Its row; None for a key the compose specification does not have."""


_LEAF_MAPS = frozenset(
    p for p in KEYS if not any(q.startswith(f"{p}.") or q.startswith(f"{p}[]") for q in KEYS)
)
"""Keys whose value is taken whole (labels, environment, driver_opts): never walked into."""


def rows_in(model: Mapping[str, Any]) -> Iterator[Use]:
    """Every key of a normalised compose `model`, with its row, in the model's order.

    Keys named `x-*` are extensions, which Compose itself ignores, and are skipped.
    """
    yield from _walk(model, (), "")


def _walk(value: Any, where: Location, path: str) -> Iterator[Use]:
    if isinstance(value, Mapping):
        named = bool(path) and _named(path)
        for raw, item in value.items():
            key = str(raw)
            if key.startswith("x-"):
                continue
            child_where = (*where, key)
            if named:
                yield from _walk(item, child_where, f"{path}.*")
                continue
            child = f"{path}.{key}" if path else key
            if child not in KEYS and f"{path}.{key.lower()}" in KEYS:
                # Compose 2.40.3 prints blkio_config entries with Go's field names (`Path`).
                child = f"{path}.{key.lower()}"
            known = KEYS.get(child)
            yield Use(child_where, child, item, known)
            if known is not None and child not in _LEAF_MAPS:
                yield from _walk(item, child_where, child)
    elif isinstance(value, list) and any(p.startswith(f"{path}[]") for p in KEYS):
        for index, item in enumerate(value):
            yield from _walk(item, (*where, index), f"{path}[]")


UNKNOWN_KEY: Final = (
    "is not a key of the compose specification Docker Compose 2.40.3 reads; remove it"
)


@dataclass(frozen=True)
class KeyProblems:
    """What the keys of one model are refused for, and what they are deployed with a
    difference for; each names the file and the key as written."""

    refusals: list[Problem]
    """Keys the file is refused at."""
    advisories: list[Problem]
    """Keys deployed with a stated difference from `docker compose up`."""


def key_problems(file: str, model: Mapping[str, Any], target: str = "engine") -> KeyProblems:
    """Every refused and every advisory key of a normalised compose `model`, in its order.

    A refused key whose value is empty (`placement: {}`, as Compose writes it) applies nothing
    and passes. `compose.yaml: services.web.cpu_rt_runtime: ...`
    """
    found = KeyProblems([], [])
    refused_at: list[Location] = []
    for use in rows_in(model):
        if any(use.where[: len(r)] == r for r in refused_at):
            continue  # the key holding it is refused already
        at = use.where
        if use.row is None:
            found.refusals.append(Problem(at, UNKNOWN_KEY, "unsupported", file=file))
            refused_at.append(use.where)
            continue
        outcome = use.row.on(target)
        if outcome.verdict == "refused" and use.value not in (None, {}, []):
            found.refusals.append(Problem(at, outcome.note, "unsupported", file=file))
            refused_at.append(use.where)
        elif outcome.verdict == "advisory":
            found.advisories.append(Problem(at, outcome.note, file=file))
    return found


# --- the README's table ---------------------------------------------------------------------

_VERDICT_TEXT: Final = {
    "mapped": "mapped",
    "compose": "settled by Compose",
    "no effect": "no effect on one engine",
    "advisory": "mapped, with an advisory",
    "refused": "refused",
}


def _cell(outcome: Outcome) -> str:
    text = _VERDICT_TEXT[outcome.verdict]
    if outcome.verdict in ("mapped", "advisory"):
        text += f": {outcome.to}"
        if outcome.wire and outcome.wire != "(none)":
            text += f" → `{outcome.wire.rsplit(':', 1)[-1]}`"
        if outcome.note:
            text += f"; differs: {outcome.note}"
    elif outcome.verdict in ("compose", "no effect"):
        text += f": {outcome.to}"
    else:
        text += f": {outcome.note}"
    return re.sub(r"(?<!\\)\|", r"\\|", text)


def readme_table() -> str:
    """The README's compose key table: every key, consecutive keys with the same outcomes on
    one line, with what each becomes on one engine and on a swarm."""
    lines = [
        "| Compose keys | On one engine | On a swarm (`composeTarget: swarm`) |",
        "| --- | --- | --- |",
    ]
    groups: list[tuple[list[str], KeyRow]] = []
    for key in KEYS.values():
        if groups and (groups[-1][1].engine, groups[-1][1].swarm) == (key.engine, key.swarm):
            groups[-1][0].append(key.path)
        else:
            groups.append(([key.path], key))
    for paths, key in groups:
        swarm = "the same" if key.swarm is None else _cell(key.swarm)
        names = ", ".join(f"`{p}`" for p in paths)
        lines.append(f"| {names} | {_cell(key.engine)} | {swarm} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m components.topology.compose_keys > table
    print(readme_table())
