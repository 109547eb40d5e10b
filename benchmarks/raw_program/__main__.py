"""Floor 1: the same topology as plain pulumi_docker resources, without the components.

It reads the same `container-comms:topology` value and registers what the components register
on the wire (one pulled image per distinct image, networks, containers with their networks,
aliases, static addresses and `container:<owner>` modes), with no validation at all.
"""

import pulumi
import pulumi_docker as docker

spec = pulumi.Config("container-comms").require_object("topology")
images: dict[str, docker.RemoteImage] = {}


def image(name):
    if name not in images:
        images[name] = docker.RemoteImage(f"image-{len(images)}", name=name, keep_locally=True)
    return images[name]


def container(name, config, *, mode=None, attachments=(), depends_on=()):
    return docker.Container(
        name,
        name=name,
        image=config["image"],
        command=config.get("command"),
        restart="unless-stopped",
        must_run=True,
        labels=[docker.ContainerLabelArgs(label="container-comms.stack", value="bench")],
        network_mode=mode,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(name=net, aliases=aliases, ipv4_address=ip)
            for net, aliases, ip in attachments
        ]
        or None,
        opts=pulumi.ResourceOptions(depends_on=[image(config["image"]), *depends_on]),
    )


networks = {
    key: docker.Network(
        key,
        name=key,
        driver="bridge",
        ipam_configs=[docker.NetworkIpamConfigArgs(subnet=net["subnet"])],
    )
    for key, net in spec.get("networks", {}).items()
}
for group in spec.get("dns_groups", {}).values():
    for name, member in group["members"].items():
        attachment = (
            group["network"],
            [name, *member.get("aliases", [])],
            member.get("ipv4_address"),
        )
        container(name, member, attachments=[attachment], depends_on=[networks[group["network"]]])
for group in spec.get("joined_groups", {}).values():
    owner = group["owner"]
    attachments = [
        (n["network"], [owner["name"], *n.get("aliases", [])], n.get("ipv4_address"))
        for n in owner.get("networks", [])
    ]
    owner_resource = container(owner["name"], owner, attachments=attachments)
    for name, sidecar in group.get("sidecars", {}).items():
        container(name, sidecar, mode=f"container:{owner['name']}", depends_on=[owner_resource])
for name, static in spec.get("containers", {}).items():
    attachment = (static["network"], [name, *static.get("aliases", [])], static["ipv4_address"])
    container(name, static, attachments=[attachment], depends_on=[networks[static["network"]]])
