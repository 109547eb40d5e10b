"""Name checks the Docker engine and its embedded DNS server apply."""

from __future__ import annotations

import json
import re

from .vocabulary import KNOWN_CAPABILITIES, NAME_CHARS, PREDEFINED_NETWORKS, is_dns_name, is_name

# The image reference grammar of the engine (distribution/reference): an optional registry
# host, path components of lower-case letters and digits with separators, a tag, a digest.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


def container_name_problem(name: str) -> str | None:
    """Why the engine would refuse `name` as a container name, or None when it is valid."""
    if is_name(name):  # no leading "/": the name is also looked up as a DNS name
        return None
    return (
        f"{_quoted(name)} is not a valid container name: the engine wants two or more characters "
        f"of {NAME_CHARS}"
    )


def dns_name_problem(name: str) -> str | None:
    """Why `name` cannot be looked up as a DNS name, or None when it can."""
    if is_dns_name(name):
        return None
    return (
        f"{_quoted(name)} is not a valid DNS name: use labels of letters, digits and hyphens, "
        "1-63 characters each, separated by dots"
    )


def alias_problem(name: str) -> str | None:
    """Why the embedded DNS server cannot answer `name` as a network alias, or None when it
    can: a DNS name, where a label may also hold `_` (the engine takes such an alias and
    answers it, and compose gives a service named `my_app` that alias)."""
    if is_dns_name(name.replace("_", "a")):
        return None
    return dns_name_problem(name)


def capability_problem(name: str) -> str | None:
    """Why the engine would refuse `name` as a capability, or None when it knows it."""
    bare = name.upper().removeprefix("CAP_")
    if bare in KNOWN_CAPABILITIES or bare == "ALL":
        return None
    return f"{_quoted(name)} is not a Linux capability the engine knows (e.g. NET_ADMIN, SYS_TIME)"


def image_reference_problem(reference: str) -> str | None:
    """Why the engine would refuse `reference` as an image reference, or None."""
    if (
        _REFERENCE.fullmatch(reference)
        and len(reference.split("@", maxsplit=1)[0].split(":", maxsplit=1)[0]) <= 255
    ):
        return None
    return (
        f"{_quoted(reference)} is not a valid image reference: use "
        "[registry/]name[:tag][@digest] with a lower-case name, e.g. busybox:1.36"
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
