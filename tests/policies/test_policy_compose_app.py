"""A plain compose web + app + db application, as its props reach the pack, blocks nothing.

Compose's defaults are what such an app relies on: the project's own bridge network without a
configured subnet, service names as aliases, restart "no", ports published on all interfaces,
a named volume for the database, the project's files bind-mounted (read-only config, writable
data), the host's /etc/localtime read-only. The pack may advise about the ports and, once for the
whole stack each, about the hardening compose leaves out; it blocks nothing, and no other rule
says a word.
"""

from __future__ import annotations

from typing import Any

from tests.pack_client import PackClient, Resource
from tests.policies.hygiene_cases import HARDENING, summary
from tests.policies.policy_cases import CONTAINER, NETWORK, STACK, urn

VOLUME = "docker:index/volume:Volume"
PROJECT = "/home/user/shop"


def _service(service: str, image: str, **props: Any) -> Resource:
    name = f"shop-{service}-1"
    return Resource(
        CONTAINER,
        name,
        urn(CONTAINER, name),
        {
            "name": name,
            "image": image,
            "restart": "no",
            "labels": [
                {"label": "com.docker.compose.project", "value": "shop"},
                {"label": "com.docker.compose.service", "value": service},
            ],
            "networksAdvanced": [{"name": "shop_default", "aliases": [service, name]}],
            **props,
        },
    )


def compose_app() -> list[Resource]:
    """web (nginx) -> app (python) -> db (postgres), with compose's defaults."""
    return [
        Resource(STACK, "shop-app", urn(STACK, "shop-app"), {}),
        Resource(
            NETWORK,
            "shop_default",
            urn(NETWORK, "shop_default"),
            {"name": "shop_default", "driver": "bridge"},
        ),
        Resource(VOLUME, "shop_db-data", urn(VOLUME, "shop_db-data"), {"name": "shop_db-data"}),
        _service(
            "web",
            "nginx:1.27-alpine",
            ports=[{"internal": 80.0, "external": 8080.0, "ip": "0.0.0.0", "protocol": "tcp"}],
            volumes=[
                {
                    "hostPath": f"{PROJECT}/nginx.conf",
                    "containerPath": "/etc/nginx/nginx.conf",
                    "readOnly": True,
                },
                {
                    "hostPath": "/etc/localtime",
                    "containerPath": "/etc/localtime",
                    "readOnly": True,
                },
            ],
            envs=["APP_URL=http://app:8000"],
        ),
        _service(
            "app",
            "python:3.12-slim",
            command=["python", "-m", "http.server", "8000"],
            envs=["DB_HOST=db", "DB_PORT=5432"],
            mounts=[{"type": "bind", "source": f"{PROJECT}/uploads", "target": "/srv/uploads"}],
        ),
        _service(
            "db",
            "postgres:16-alpine",
            envs=["POSTGRES_PASSWORD_FILE=/run/secrets/db_password"],
            mounts=[{"type": "volume", "source": "shop_db-data", "target": "/var/lib/postgresql"}],
            volumes=[{"hostPath": f"{PROJECT}/data", "containerPath": "/var/lib/postgresql/data"}],
            healthcheck={"tests": ["CMD", "pg_isready", "-U", "postgres"], "retries": 5.0},
        ),
    ]


HARDENING_ADVICE = [
    (policy, "advisory", summary(policy, ["shop-app-1", "shop-db-1", "shop-web-1"], 3))
    for policy in HARDENING
]
"""What compose leaves out, said once for the stack by each hygiene rule."""


def test_a_plain_compose_app_passes_with_only_advice(pack: PackClient) -> None:
    verdict = pack.analyze_all(compose_app())
    assert verdict.mandatory == ()
    assert verdict.cant_run == ()
    assert [(f.policy, f.level, f.message) for f in verdict.findings] == [
        (
            "docker-container-enforce-port-bind-address",
            "advisory",
            'container "shop-web-1": port 80 is published on 0.0.0.0 (all host interfaces: what '
            "Docker and compose do with a port that names no address); bind it to an allowed "
            "address (127.0.0.1, ::1) with the port's ip, or list the address in this policy's "
            "allowedBindAddresses config.",
        ),
        (
            "docker-container-require-host-sources",
            "advisory",
            'container "shop-app-1": mounts[0] binds the host path '
            f'"{PROJECT}/uploads", which must exist on the engine\'s host when the container is '
            "created (the pack cannot see that host); the engine refuses a missing one with "
            '"invalid mount config for type "bind": bind source path does not exist: '
            f'{PROJECT}/uploads"; create it first, or bind it through volumes (hostPath), which '
            "creates a missing folder.",
        ),
        *HARDENING_ADVICE,
    ]
    assert verdict.not_applicable == ()


def test_the_same_app_without_restart_or_addresses_still_blocks_nothing(pack: PackClient) -> None:
    """Compose leaves restart and a port's address out when they are the defaults."""
    resources = []
    for resource in compose_app():
        props = dict(resource.props)
        props.pop("restart", None)
        for port in props.get("ports", []):
            port.pop("ip", None)
        resources.append(Resource(resource.type, resource.name, resource.urn, props))
    verdict = pack.analyze_all(resources)
    assert verdict.mandatory == ()
    assert [f.policy for f in verdict.findings] == [
        "docker-container-enforce-port-bind-address",
        "docker-container-require-host-sources",
        *(policy for policy, _, _ in HARDENING_ADVICE),
    ]
