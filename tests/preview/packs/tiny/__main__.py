"""Assembles the tiny test pack."""

from pulumi_policy import PolicyPack
from rules import (
    tiny_container_disallow_localhost_hostname,
    tiny_container_enforce_address_prefix,
    tiny_container_require_healthcheck,
    tiny_stack_require_join_owner,
)

PolicyPack(
    name="tiny",
    policies=[
        tiny_container_enforce_address_prefix,
        tiny_container_disallow_localhost_hostname,
        tiny_container_require_healthcheck,
        tiny_stack_require_join_owner,
    ],
)
