"""Three small rules over raw pulumi_docker inputs, one of each kind the preview reports."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

CONTAINER = "docker:index/container:Container"


def _addresses(args, report_violation):
    if args.resource_type != CONTAINER:
        return
    prefix = args.get_config()["prefix"]
    for attachment in args.props.get("networksAdvanced") or []:
        address = attachment.get("ipv4Address")
        if address and not address.startswith(prefix):
            report_violation(
                f'container "{args.props.get("name")}": ipv4Address "{address}" is outside '
                f"{prefix}*; pick an address there"
            )


def _hostname(args, report_violation):
    if args.resource_type == CONTAINER and args.props.get("hostname") == "localhost":
        report_violation(f'container "{args.props.get("name")}": hostname "localhost"')


def _healthcheck(args, report_violation):
    if args.resource_type == CONTAINER and not args.props.get("healthcheck"):
        report_violation(f'container "{args.props.get("name")}" has no healthcheck; add one')


def _owners(args, report_violation):
    names = {r.props.get("name") for r in args.resources if r.resource_type == CONTAINER}
    for r in args.resources:
        if r.resource_type != CONTAINER:
            continue
        mode = r.props.get("networkMode") or ""
        if mode.startswith("container:") and mode[len("container:") :] not in names:
            report_violation(
                f'container "{r.props.get("name")}" joins "{mode}", which the stack does not '
                "create",
                r.urn,
            )


tiny_container_enforce_address_prefix = ResourceValidationPolicy(
    name="tiny-container-enforce-address-prefix",
    description="Static addresses are taken from the configured prefix.",
    validate=_addresses,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={"prefix": {"type": "string", "default": "172.30."}}
    ),
)
tiny_container_disallow_localhost_hostname = ResourceValidationPolicy(
    name="tiny-container-disallow-localhost-hostname",
    description="A container's hostname is not localhost.",
    validate=_hostname,
    enforcement_level=EnforcementLevel.MANDATORY,
)
tiny_container_require_healthcheck = ResourceValidationPolicy(
    name="tiny-container-require-healthcheck",
    description="Every container has a healthcheck.",
    validate=_healthcheck,
    enforcement_level=EnforcementLevel.ADVISORY,
)
tiny_stack_require_join_owner = StackValidationPolicy(
    name="tiny-stack-require-join-owner",
    description="A joined container's owner is part of the stack.",
    validate=_owners,
    enforcement_level=EnforcementLevel.MANDATORY,
)
