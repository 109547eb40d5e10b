"""The container-comms policy pack.

`policies/rules` holds the rules (`policies.rules.POLICIES`), `policies/analyzer.py` runs them
in-process through pulumi-policy's own analyzer servicer, and `policies/__main__.py` is what the
Pulumi CLI runs (`--policy-pack policies`): it only assembles the `PolicyPack`.
"""
