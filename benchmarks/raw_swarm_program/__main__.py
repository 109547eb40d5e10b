"""Floor 1 of a swarm stack: the same topology as plain pulumi_docker resources, without the
components.

It reads the same `container-comms:topology` value (`target: swarm`) and registers exactly what
the components register on the wire, under the same resource names: overlay networks (driver,
subnet and gateway, attachable and encrypted), named volumes, one swarm secret per secret
(base64 text read from its file, relative to the current directory, as a Pulumi secret), one
`docker.Service` per service in `depends_on` order (labels, mode and replicas, the container
spec with its secrets, mounts and healthcheck, networks by id with aliases, placement,
resources, restart, update and rollback policies, endpoint mode and ports, convergence), and
the joined groups' plain containers with one pulled image per distinct image; with the same
dependencies (a service on its networks, the services it waits for, its secrets and volumes; a
container on its image and network, a sidecar on its owner). It does no validation, registers no
component resources and exports nothing. `tests/test_bench_floors.py` holds it to the
components' registrations.
"""

import base64
import graphlib
import ipaddress
from pathlib import Path

import pulumi
import pulumi_docker as docker

spec = pulumi.Config("container-comms").require_object("topology")
STACK = pulumi.get_stack()
APP = spec.get("application", "app")
RESTART = {"no": "none", "on-failure": "on-failure", "always": "any", "unless-stopped": "any"}
images: dict[str, docker.RemoteImage] = {}


def child_name(prefix, name):
    if name == prefix:
        return f"{prefix}-container"
    return name if name.startswith(f"{prefix}-") else f"{prefix}-{name}"


def labels(own, extra=None):
    merged = {**(extra or {}), **own}
    return [{"label": k, "value": v} for k, v in sorted(merged.items())]


def image(name):
    if name not in images:
        resource = "images-" + name.replace(":", "-").replace("/", "-")
        images[name] = docker.RemoteImage(resource, name=name, keep_locally=True)
    return images[name]


def container(resource, name, config, group, role, *, mode=None, attachments=(), depends_on=()):
    own = {"container-comms.group": group, "container-comms.role": role}
    own["container-comms.stack"] = STACK
    return docker.Container(
        resource,
        name=name,
        image=config["image"],
        command=config.get("command"),
        restart="unless-stopped",
        must_run=True,
        labels=[docker.ContainerLabelArgs(**x) for x in labels(own)],
        network_mode=mode,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=net, aliases=aliases or None)
            for net, aliases in attachments
        ]
        or None,
        opts=pulumi.ResourceOptions(depends_on=[image(config["image"]), *depends_on]),
    )


def update(policy, args):
    if policy is None:
        return None
    return args(
        parallelism=policy.get("parallelism", 1),
        delay=policy.get("delay", "0s"),
        failure_action=policy.get("failure_action", "pause"),
        monitor=policy.get("monitor", "5s"),
        max_failure_ratio=str(float(policy.get("max_failure_ratio", 0.0))),
        order=policy.get("order", "stop-first"),
    )


def resources(deploy):
    limits, reservations = deploy.get("limits"), deploy.get("reservations")
    if limits is None and reservations is None:
        return None

    def amounts(given, args):
        if given is None:
            return None
        cpus, memory = given.get("cpus"), given.get("memory")
        return args(
            nano_cpus=round(float(cpus) * 1e9) if cpus is not None else None,
            memory_bytes=memory * 1024 * 1024 if memory is not None else None,
        )

    return docker.ServiceTaskSpecResourcesArgs(
        limits=amounts(limits, docker.ServiceTaskSpecResourcesLimitsArgs),
        reservation=amounts(reservations, docker.ServiceTaskSpecResourcesReservationArgs),
    )


def service(key, config):
    name = config.get("container_name") or key
    deploy = config.get("deploy") or {}
    own = {
        "container-comms.stack": STACK,
        "container-comms.group": APP,
        "container-comms.role": "swarm-service",
    }
    entries = []
    needs = []
    for net, attachment in config.get("networks", {}).items():
        aliases = (attachment or {}).get("aliases") or None
        entries.append(
            docker.ServiceTaskSpecNetworksAdvancedArgs(id=networks[net].id, aliases=aliases)
        )
        needs.append(networks[net])
    needs += [services[other] for other in config.get("depends_on", {})]
    uses = config.get("secrets", {})
    needs += [secrets[s] for s in uses]
    mounts = config.get("mounts", [])
    needs += [volumes[m["source"]] for m in mounts if m.get("type", "volume") == "volume"]
    health = config.get("healthcheck")
    restart = deploy.get("restart_policy") or {
        "condition": RESTART[config.get("restart", "unless-stopped")]
    }
    constraints = deploy.get("constraints")
    max_replicas = deploy.get("max_replicas_per_node")
    endpoint_mode = deploy.get("endpoint_mode", "vip")
    converge = deploy.get("converge_timeout", "3m")
    return docker.Service(
        child_name(APP, name),
        name=name,
        labels=[docker.ServiceLabelArgs(**x) for x in labels(own, deploy.get("labels"))],
        mode=docker.ServiceModeArgs(global_=True)
        if deploy.get("mode") == "global"
        else docker.ServiceModeArgs(
            replicated=docker.ServiceModeReplicatedArgs(replicas=deploy.get("replicas", 1))
        ),
        task_spec=docker.ServiceTaskSpecArgs(
            container_spec=docker.ServiceTaskSpecContainerSpecArgs(
                image=config["image"],
                commands=config.get("entrypoint") or None,
                args=config.get("command") or None,
                env=config.get("env") or None,
                labels=[
                    docker.ServiceTaskSpecContainerSpecLabelArgs(**x)
                    for x in labels(own, config.get("labels"))
                ],
                healthcheck=docker.ServiceTaskSpecContainerSpecHealthcheckArgs(
                    tests=health["test"],
                    interval=health.get("interval", "10s"),
                    timeout=health.get("timeout", "5s"),
                    retries=health.get("retries", 3),
                    start_period=health.get("start_period", "0s"),
                )
                if health is not None
                else None,
                mounts=[
                    docker.ServiceTaskSpecContainerSpecMountArgs(
                        target=m["target"],
                        type=m.get("type", "volume"),
                        source=m.get("source"),
                    )
                    for m in mounts
                ]
                or None,
                secrets=[
                    docker.ServiceTaskSpecContainerSpecSecretArgs(
                        secret_id=secrets[s].id,
                        secret_name=secrets[s].name,
                        file_name=(use or {}).get("file") or f"/run/secrets/{s}",
                        file_mode=0o444,
                    )
                    for s, use in uses.items()
                ]
                or None,
            ),
            networks_advanceds=entries or None,
            placement=docker.ServiceTaskSpecPlacementArgs(
                constraints=constraints or None, max_replicas=max_replicas
            )
            if constraints or max_replicas is not None
            else None,
            resources=resources(deploy),
            restart_policy=docker.ServiceTaskSpecRestartPolicyArgs(
                condition=restart.get("condition", "any"),
                delay=restart.get("delay"),
                max_attempts=restart.get("max_attempts"),
                window=restart.get("window"),
            ),
        ),
        endpoint_spec=docker.ServiceEndpointSpecArgs(
            mode=endpoint_mode,
            ports=[
                docker.ServiceEndpointSpecPortArgs(
                    target_port=p["internal"],
                    published_port=p.get("external"),
                    protocol=p.get("protocol", "tcp"),
                    publish_mode=p.get("mode", "ingress"),
                )
                for p in config.get("ports", [])
            ]
            or None,
        ),
        update_config=update(deploy.get("update"), docker.ServiceUpdateConfigArgs),
        rollback_config=update(deploy.get("rollback"), docker.ServiceRollbackConfigArgs),
        converge_config=docker.ServiceConvergeConfigArgs(delay="1s", timeout=converge)
        if converge is not None
        else None,
        opts=pulumi.ResourceOptions(depends_on=needs),
    )


networks = {}
for key, net in spec.get("networks", {}).items():
    subnet = ipaddress.ip_network(net["subnet"])
    networks[key] = docker.Network(
        f"{key}-network",
        name=key,
        driver="overlay",
        internal=net.get("internal", False),
        attachable=net.get("attachable", False),
        ipv6=False,
        ipam_configs=[
            docker.NetworkIpamConfigArgs(
                subnet=str(subnet), gateway=str(subnet.network_address + 1)
            )
        ],
        options={"encrypted": ""} if net.get("encrypted") else None,
    )
volumes = {key: docker.Volume(f"{key}-volume", name=key) for key in spec.get("volumes", {})}
secrets = {}
for name, source in spec.get("secrets", {}).items():
    text = pulumi.Output.secret(Path(source["file"]).read_text(encoding="utf-8"))
    secrets[name] = docker.Secret(
        f"{APP}-secret-{name}",
        name=f"{APP}_{name}",
        data=text.apply(lambda t: base64.b64encode(t.encode("utf-8")).decode("ascii")),
        labels=[
            docker.SecretLabelArgs(label=f"container-comms.{k}", value=v)
            for k, v in (("stack", STACK), ("group", APP))
        ],
    )
graph = {key: set(s.get("depends_on", {})) for key, s in spec.get("services", {}).items()}
services = {}
for key in graphlib.TopologicalSorter(graph).static_order():
    services[key] = service(key, spec["services"][key])
for group_name, group in spec.get("joined_groups", {}).items():
    owner = group["owner"]
    attachments = [(n["network"], n.get("aliases", [])) for n in owner.get("networks", [])]
    owner_resource = container(
        child_name(group_name, owner["name"]),
        owner["name"],
        owner,
        group_name,
        "joined-owner",
        attachments=attachments,
        depends_on=[networks[net] for net, _ in attachments],
    )
    for name, sidecar in group.get("sidecars", {}).items():
        container(
            child_name(group_name, name),
            name,
            sidecar,
            group_name,
            "joined-sidecar",
            mode=f"container:{owner['name']}",
            depends_on=[owner_resource],
        )
