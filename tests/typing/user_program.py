"""A user's Pulumi program, type-checked with `mypy --strict` by the test command: ordinary
lists and the program's own resources are what the components' arguments accept."""

from __future__ import annotations

import pulumi_docker as docker

from components import (
    Application,
    ApplicationArgs,
    Attachment,
    DnsGroup,
    DnsGroupArgs,
    DnsMember,
    HealthcheckSpec,
    MountSpec,
    PortSpec,
    ServiceSpec,
    UserDefinedNetwork,
    UserDefinedNetworkArgs,
)


def program() -> Application:
    shared = docker.Network("shared", name="shared")
    data = docker.Volume("data", name="data")
    image = docker.RemoteImage("busybox", name="busybox:1.36")
    back = UserDefinedNetwork("back", UserDefinedNetworkArgs(subnet="10.40.1.0/24"))
    DnsGroup(
        "bboxes",
        DnsGroupArgs(network=shared, members={"bbox1": DnsMember(image=image, aliases=["box1"])}),
    )
    return Application(
        "app",
        ApplicationArgs(
            services={
                "web": ServiceSpec(
                    image="nginx:1.27-alpine",
                    networks=[shared, Attachment(back, aliases=["www"], ipv4_address="auto")],
                    ports=[PortSpec(internal=80, external=8080)],
                    mounts=[MountSpec(target="/data", source=data)],
                    command=["nginx", "-g", "daemon off;"],
                    healthcheck=HealthcheckSpec(test=["CMD", "wget", "-q", "127.0.0.1"]),
                ),
                "db": ServiceSpec(image=image, networks=[back], mounts=[]),
            }
        ),
    )
