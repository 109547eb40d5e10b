"""Name checks the Docker engine and its embedded DNS server apply."""

from __future__ import annotations

import json
import re

# Matched whole (`fullmatch`), as Go's regexp anchors `^...$`: Python's `$` also matches before
# a trailing newline, so `re.match` would take "bbox1\n" for a valid name.
_CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
_DNS_LABEL = re.compile(r"(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")

PREDEFINED_NETWORKS = frozenset({"bridge", "default", "host", "none"})
"""Networks the engine defines itself; names never resolve on them."""


def container_name_problem(name: str) -> str | None:
    """Why the engine would refuse `name` as a container name, or None when it is valid."""
    if _CONTAINER_NAME.fullmatch(name):
        return None
    return (
        f"{_quoted(name)} is not a valid container name: the engine wants two or more characters "
        "of [a-zA-Z0-9][a-zA-Z0-9_.-]"
    )


def dns_name_problem(name: str) -> str | None:
    """Why `name` cannot be looked up as a DNS name, or None when it can."""
    if len(name) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in name.split(".")):
        return None
    return (
        f"{_quoted(name)} is not a valid DNS name: use labels of letters, digits and hyphens, "
        "1-63 characters each, separated by dots"
    )


def _quoted(name: str) -> str:
    """`name` in double quotes, control characters escaped (`"bbox1\\n"`), so a message stays
    one line and shows what is wrong."""
    return json.dumps(name, ensure_ascii=False)


def is_predefined_network(name: str) -> bool:
    """True for the engine's own networks (`bridge`, `default`, `host`, `none`)."""
    return name in PREDEFINED_NETWORKS


def slug(text: str) -> str:
    """A resource-name-safe form of `text` (`library/httpd:2.4` -> `library-httpd-2.4`)."""
    return re.sub(r"[^a-zA-Z0-9.-]+", "-", text).strip("-")
