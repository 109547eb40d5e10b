"""The container-comms program: one stack's topology from its `container-comms:topology` config."""

import pulumi

from topology import ROOT, build_topology, load_topology

topology = load_topology(pulumi.Config().get_object(ROOT))
deployment = build_topology(topology)
for key, value in deployment.exports().items():
    pulumi.export(key, value)
