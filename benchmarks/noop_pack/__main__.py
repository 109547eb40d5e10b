"""A pack whose one resource rule and one stack rule accept everything."""

import gc

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)


def _accept_resource(args, report_violation):
    return None


def _accept_stack(args, report_violation):
    return None


# The real pack's process settings (policies/__main__.py), so the floor stays like for like.
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)

PolicyPack(
    name="noop",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="noop-resource-accept-all",
            description="Accepts every resource.",
            validate=_accept_resource,
        ),
        StackValidationPolicy(
            name="noop-stack-accept-all",
            description="Accepts every stack.",
            validate=_accept_stack,
        ),
    ],
)
