"""The container-comms program: one stack's topology, from its config, as components."""

from pathlib import Path

import pulumi

from components.topology import FILE_KEY, ROOT, build_topology, load_topology_source

config = pulumi.Config()
topology = load_topology_source(
    config.get_object(ROOT), config.get(FILE_KEY), Path(__file__).resolve().parent
)
deployment = build_topology(topology, Path(__file__).resolve().parent)
for key, value in deployment.exports().items():
    pulumi.export(key, value)
