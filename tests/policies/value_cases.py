"""Failing (and passing) cases of the compliant stack for the rules on values the engine parses
(extra hosts, DNS servers, IPC modes, network driver options, host ports) and for the DNS rules'
name guesses: one changed field each, and the exact message."""

from __future__ import annotations

from tests.policies.policy_cases import Case, set_field

DNS_TRAP = "docker-container-require-shared-network-for-dns"
DNS_GUESS = "docker-container-require-shared-network-for-guessed-dns"


def _guess(name: str, where: str, token: str, what: str) -> str:
    return (
        f'container "{name}": {where} is "{token}", which this rule guesses may be a host name: '
        f"it is the name of {what}, and the two share no user-defined network, so if the "
        "process looks it up, it does not resolve; if it is a host, attach both to one "
        "user-defined network (if it is not, say a user or a mail box, ignore this)."
    )


def _trap(name: str, where: str, token: str, what: str) -> str:
    return (
        f'container "{name}": {where} names "{token}" ({what}), but the two share no '
        "user-defined network, so the name does not resolve (the embedded DNS server answers "
        "only on user-defined networks); attach both to one user-defined network."
    )


VALUE_CASES = [
    # A plain word in a variable whose name says nothing: a guess, advisory, never mandatory.
    Case(
        "guess-plain-word-env",
        DNS_GUESS,
        "data-api",
        set_field("envs", ["POSTMASTER=bbox1", "DB_HOST=db"]),
        ((_guess("api", "env POSTMASTER", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    Case(
        "guess-is-not-mandatory",
        DNS_TRAP,
        "data-api",
        set_field("envs", ["POSTMASTER=bbox1", "DB_HOST=db"]),
        (),
    ),
    # A path, an e-mail address or a sentence is no host, even with a container's name in it.
    Case(
        "path-email-sentence-are-no-names",
        DNS_GUESS,
        "data-api",
        set_field(
            "envs",
            ["MAIL_DIR=/var/bbox1", "ADMIN=postmaster@bbox1", "MOTD=hello bbox1", "DB_HOST=db"],
        ),
        (),
    ),
    # A variable named for a host, a URL or a host:port is certain.
    Case(
        "host-port-env-is-certain",
        DNS_TRAP,
        "data-api",
        set_field("envs", ["CACHE=bbox1:6379", "DB_HOST=db"]),
        ((_trap("api", "env CACHE", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    Case(
        "host-named-env-is-certain",
        DNS_TRAP,
        "data-api",
        set_field("envs", ["SMTP_SERVER=bbox1", "DB_HOST=db"]),
        ((_trap("api", "env SMTP_SERVER", "bbox1", 'container "bbox1"'), "data-api"),),
    ),
    # A name certainly looked up elsewhere is told once, by the mandatory rule.
    Case(
        "certain-elsewhere-is-not-also-guessed",
        DNS_GUESS,
        "data-api",
        set_field("envs", ["POSTMASTER=bbox1", "PEER_URL=http://bbox1:80/", "DB_HOST=db"]),
        (),
    ),
]
