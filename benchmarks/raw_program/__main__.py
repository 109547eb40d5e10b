"""Floor 1: the same topology as plain pulumi_docker resources, without the components.

It reads the same `container-comms:topology` value and registers exactly what the components
register on the wire, under the same resource names: one pulled image per distinct image,
networks (driver, subnet and gateway, internal and ipv6 flags), containers with the same
labels, networks, aliases, static addresses and `container:<owner>` modes, and the same
dependencies (image and network; a sidecar on its owner). It does no validation, registers no
component resources and exports nothing.
"""

import ipaddress

import pulumi
import pulumi_docker as docker

spec = pulumi.Config("container-comms").require_object("topology")
STACK = pulumi.get_stack()
images: dict[str, docker.RemoteImage] = {}


def image(name):
    if name not in images:
        resource = "images-" + name.replace(":", "-").replace("/", "-")
        images[name] = docker.RemoteImage(resource, name=name, keep_locally=True)
    return images[name]


def container(resource, name, config, group, role, *, mode=None, attachments=(), depends_on=()):
    labels = {"container-comms.group": group, "container-comms.role": role}
    labels["container-comms.stack"] = STACK
    return docker.Container(
        resource,
        name=name,
        image=config["image"],
        command=config.get("command"),
        restart="unless-stopped",
        must_run=True,
        labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())],
        network_mode=mode,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=net, aliases=aliases or None, ipv4_address=ip)
            for net, aliases, ip in attachments
        ]
        or None,
        opts=pulumi.ResourceOptions(depends_on=[image(config["image"]), *depends_on]),
    )


networks = {}
for key, net in spec.get("networks", {}).items():
    subnet = ipaddress.ip_network(net["subnet"])
    networks[key] = docker.Network(
        f"{key}-network",
        name=key,
        driver="bridge",
        internal=False,
        ipv6=False,
        ipam_configs=[
            docker.NetworkIpamConfigArgs(
                subnet=str(subnet), gateway=str(subnet.network_address + 1)
            )
        ],
    )
for group_name, group in spec.get("dns_groups", {}).items():
    for name, member in group["members"].items():
        attachment = (group["network"], member.get("aliases", []), member.get("ipv4_address"))
        container(
            f"{group_name}-{name}",
            name,
            member,
            group_name,
            "dns-member",
            attachments=[attachment],
            depends_on=[networks[group["network"]]],
        )
for group_name, group in spec.get("joined_groups", {}).items():
    owner = group["owner"]
    attachments = [
        (n["network"], n.get("aliases", []), n.get("ipv4_address"))
        for n in owner.get("networks", [])
    ]
    owner_resource = container(
        f"{group_name}-{owner['name']}",
        owner["name"],
        owner,
        group_name,
        "joined-owner",
        attachments=attachments,
        depends_on=[networks[a[0]] for a in attachments],
    )
    for name, sidecar in group.get("sidecars", {}).items():
        container(
            f"{group_name}-{name}",
            name,
            sidecar,
            group_name,
            "joined-sidecar",
            mode=f"container:{owner['name']}",
            depends_on=[owner_resource],
        )
for name, static in spec.get("containers", {}).items():
    attachment = (static["network"], static.get("aliases", []), static["ipv4_address"])
    container(
        f"{name}-container",
        name,
        static,
        name,
        "static",
        attachments=[attachment],
        depends_on=[networks[static["network"]]],
    )
