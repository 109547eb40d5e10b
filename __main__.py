"""The container-comms program: one stack's topology, from its config or its compose file, as
components."""

from pathlib import Path

import pulumi

from components import Problem
from components.compose_file import ENV_FILE_KEY
from components.compose_file import FILE_KEY as COMPOSE_FILE_KEY
from components.topology import (
    COMPOSE_PROFILES_KEY,
    COMPOSE_PROJECT_KEY,
    COMPOSE_TARGET_KEY,
    FILE_KEY,
    ROOT,
    TopologyConfig,
    TopologyError,
    build_topology,
    load_compose_source,
    load_topology_source,
    stack_key_problems,
    stack_keys,
)

project_dir = Path(__file__).resolve().parent


def stack_topology() -> TopologyConfig:
    """The stack's topology, from its config or its compose file, validated."""
    config = pulumi.Config()
    given = stack_keys()
    compose_file = config.get(COMPOSE_FILE_KEY)
    if compose_file is None and (config.get(ROOT) is not None or config.get(FILE_KEY) is not None):
        topology = load_topology_source(config.get_object(ROOT), config.get(FILE_KEY), project_dir)
        # A topology's secrets may name keys of their own (`secrets: {db: {config: dbPassword}}`).
        named = {s.config for s in topology.secrets.values() if s.config is not None}
        unknown = stack_key_problems(given, config.name, named)
        if unknown:
            raise TopologyError(unknown)
        return topology
    unknown = stack_key_problems(given, config.name)
    if unknown:
        raise TopologyError(unknown)
    if compose_file is None:
        return load_topology_source(None, None, project_dir)  # says what to set
    if config.get(ROOT) is not None or config.get(FILE_KEY) is not None:
        raise TopologyError(
            [
                Problem(
                    COMPOSE_FILE_KEY,
                    f"is set together with {ROOT}; give the topology in one place",
                )
            ]
        )
    profiles = config.get_object(COMPOSE_PROFILES_KEY) or []
    return load_compose_source(
        compose_file,
        project_dir,
        profiles=tuple(str(p) for p in profiles),
        env_file=config.get(ENV_FILE_KEY),
        project_name=config.get(COMPOSE_PROJECT_KEY),
        target=config.get(COMPOSE_TARGET_KEY) or "engine",
    )


# Built from a call's result, the validated config is freed once the components hold what they
# need, before the resources' registrations (most of the program's memory) complete.
deployment = build_topology(stack_topology(), project_dir)
for key, value in deployment.exports().items():
    pulumi.export(key, value)
