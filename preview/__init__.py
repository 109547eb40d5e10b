"""Offline preview with a policy gate: a stack's plan checked by the real policy pack.

`python -m preview <stack>` loads the stack's config, records the program under Pulumi mocks in
preview mode, starts the policy pack as its own process the way the Pulumi CLI does, and speaks
the analyzer protocol to it. See `preview.cli` for the exit statuses.
"""
