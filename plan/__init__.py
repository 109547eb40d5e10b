"""The plan: what a Pulumi program registers, recorded under mocks without the Pulumi CLI.

`record_program` runs a program (normally this project's `__main__.py`) under Pulumi's mocks
and returns a `Plan`: every registration with its type, name, wire-level inputs, parent,
dependencies and property dependencies, plus the stack's exports. The offline preview, the
tests and the engine realizer all read this one structure.
"""

from plan.model import SECRET_SHOWN, SECRET_SIG, UNKNOWN, Plan, Registration, without_secrets
from plan.recorder import ProgramError, record, record_program
from plan.stack_config import StackConfig, StackConfigError, list_stacks, load_stack_config

__all__ = [
    "SECRET_SHOWN",
    "SECRET_SIG",
    "UNKNOWN",
    "Plan",
    "ProgramError",
    "Registration",
    "StackConfig",
    "StackConfigError",
    "list_stacks",
    "load_stack_config",
    "record",
    "record_program",
    "without_secrets",
]
