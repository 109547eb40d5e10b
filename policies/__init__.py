"""The container-comms policy pack.

`policies/rules` holds the rules (`policies.rules.POLICIES`) and the wire vocabulary they share
with the components and the preview (`rules/vocabulary.py`); `policies/__main__.py` is what the
Pulumi CLI runs (`--policy-pack policies`): it only assembles the `PolicyPack`. The pack is
reached only as its own process, over the analyzer protocol, by the CLI, the offline preview
and the tests alike.
"""
