"""One vocabulary: the wire facts shared by the components, the pack and the preview are written
once, in `policies/rules/vocabulary.py`, and every side reads that one file.

A second copy of a fact anywhere in the tree (a set of predefined networks, a name regex, a
label key, a sentinel, a type token, a capability set, the level names) fails
`test_no_fact_is_written_twice`; the detector itself is proved on a copy of each fact.
Test modules (`test_*.py`) are not scanned: they state expected values of their own.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pulumi.runtime.rpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import proxy

import components.vocabulary as component_side
from components.naming import capability_problem, container_name_problem, dns_name_problem
from policies.rules import vocabulary as v
from policies.rules.security import docker_container_enforce_allowed_capabilities
from tests.conftest import PROJECT_DIR
from tests.pack_client import PackClient
from tests.policies.policy_cases import BY_NAME, compliant_stack, mutated, run_direct, set_field

VOCABULARY = PROJECT_DIR / "policies" / "rules" / "vocabulary.py"
LINK = PROJECT_DIR / "components" / "vocabulary.py"

TYPE_TOKENS = frozenset(
    value for name, value in vars(v).items() if name.endswith("_TYPE") and isinstance(value, str)
)
LABEL_KEYS = (v.LABEL_STACK, v.LABEL_GROUP, v.LABEL_ROLE, v.LABEL_PRESET, v.LABEL_EXPOSE)
NAME_PATTERNS = (
    v.NAME_CHARS + "+",
    v.NAME_CHARS.replace("a-zA-Z", "A-Za-z") + "+",
    "{0,61}",
    "{1,63}",
)
PUBLIC = frozenset(name for name in vars(v) if name.isupper() and not name.startswith("_"))


@dataclass(frozen=True)
class Copy:
    """A fact of the vocabulary written again."""

    path: str
    line: int
    fact: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.fact}"


def _strings(node: ast.AST) -> set[str]:
    elements = node.elts if isinstance(node, ast.Set | ast.List | ast.Tuple) else []
    return {e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def _constant_fact(value: str) -> str | None:
    if value in TYPE_TOKENS:
        return f"type token {value!r}"
    if value in v.UNKNOWN_SENTINELS:
        return f"unknown sentinel {value!r}"
    for key in LABEL_KEYS:
        if key in value:
            return f"label key {key!r}"
    for pattern in NAME_PATTERNS:
        if pattern in value:
            return f"name or DNS label pattern {pattern!r}"
    return None


def _collection_fact(strings: set[str]) -> str | None:
    if {"bridge", "host", "none"} <= strings:
        return "predefined networks (or the network modes)"
    if strings == set(v.MONITOR_CAPABILITIES):
        return "monitor capabilities"
    if len(strings & v.KNOWN_CAPABILITIES) >= 5:
        return "a capability set"
    if set(v.LEVELS) <= strings:
        return "enforcement level names"
    return None


def copies(source: str, path: str) -> list[Copy]:
    """Every fact of the vocabulary that `source` writes out itself."""
    found: list[Copy] = []
    for node in ast.walk(ast.parse(source)):
        fact: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            fact = _constant_fact(node.value)
        elif isinstance(node, ast.Set | ast.List | ast.Tuple):
            fact = _collection_fact(_strings(node))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)} & PUBLIC
            literal = node.value is not None and any(
                isinstance(n, ast.Constant) for n in ast.walk(node.value)
            )
            if names and literal:
                fact = f"a definition of {', '.join(sorted(names))}"
        if fact:
            found.append(Copy(path, getattr(node, "lineno", 0), fact))
    return found


SELF_CONTAINED = (
    "benchmarks/raw_program/",  # the floor: plain pulumi_docker, nothing of this project
    "benchmarks/raw_swarm_program/",  # the swarm floor, likewise
    "tests/preview/packs/",  # stand-in packs, each run from its own folder like a published pack
)
"""Folders whose programs run on their own and import nothing of this project."""


def _scanned() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.py"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = [PROJECT_DIR / name for name in sorted(set(listed))]
    return [
        path
        for path in files
        if path.is_file()
        and path.resolve() != VOCABULARY.resolve()
        and not (path.parts[len(PROJECT_DIR.parts)] == "tests" and path.name.startswith("test_"))
        and not str(path.relative_to(PROJECT_DIR)).startswith(SELF_CONTAINED)
    ]


def test_no_fact_is_written_twice() -> None:
    scanned = _scanned()
    assert len(scanned) > 50  # the tree was read
    found = [
        str(copy)
        for path in scanned
        for copy in copies(path.read_text(encoding="utf-8"), str(path.relative_to(PROJECT_DIR)))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("source", "fact"),
    [
        ('P = frozenset({"bridge", "default", "host", "none"})', "predefined networks"),
        ('mode: Literal["bridge", "host", "none"] | None = None', "predefined networks"),
        ('if n not in {"bridge", "host", "none"}: pass', "predefined networks"),
        ('MONITOR = ["NET_ADMIN", "NET_RAW"]', "monitor capabilities"),
        ('D = {"CHOWN", "KILL", "MKNOD", "SETUID", "SETGID", "SYS_CHROOT"}', "a capability set"),
        ('U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"', "unknown sentinel"),
        ('labels = {"container-comms.role": role}', "label key"),
        ('d = "labelled container-comms.preset=monitor"', "label key"),
        ('N = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")', "name or DNS label pattern"),
        ('L = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")', "name or DNS"),
        ('L = re.compile(r"(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")', "name or DNS label pattern"),
        ('T = "docker:index/container:Container"', "type token"),
        ('component = "container-comms:index:DnsGroup"', "type token"),
        ('LEVELS = ("advisory", "mandatory", "remediate", "disabled")', "enforcement level"),
        ("DNS_LABEL_LIMIT = 63", "a definition of DNS_LABEL_LIMIT"),
    ],
)
def test_the_detector_finds_a_copy_of_each_fact(source: str, fact: str) -> None:
    found = copies(source, "x.py")
    assert [c.fact for c in found if c.fact.startswith(fact)], found


def test_the_detector_leaves_derived_and_unrelated_values_alone() -> None:
    source = (
        "DEFAULT_MONITOR_CAPABILITIES = list(MONITOR_CAPABILITIES)\n"
        'NETWORK_NAME = re.compile(f"{NAME_CHARS}*")\n'
        'PROFILE = re.compile(r"^(?:[a-zA-Z0-9][a-zA-Z0-9_.-]*|\\*)$")\n'
        'if mode in (None, "bridge", "default"): pass\n'
        'description = f"labelled {LABEL_PRESET}={PRESET_MONITOR} may add NET_RAW and NET_ADMIN."\n'
    )
    assert copies(source, "x.py") == []


def test_the_vocabulary_is_one_file() -> None:
    """The components reach the pack's file through a link; the wheel ships that file (see
    tests/test_packaging.py); no other module is called vocabulary."""
    assert VOCABULARY.is_file() and not VOCABULARY.is_symlink()
    assert LINK.is_symlink()
    assert os.readlink(LINK) == "../policies/rules/vocabulary.py"
    assert LINK.resolve() == VOCABULARY.resolve()
    assert Path(component_side.__file__).resolve() == VOCABULARY.resolve()
    others = [
        p for p in _scanned() if p.name == "vocabulary.py" and p.resolve() != VOCABULARY.resolve()
    ]
    assert others == []


def test_the_vocabulary_needs_only_the_standard_library() -> None:
    tree = ast.parse(VOCABULARY.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported == {"__future__", "collections", "dataclasses", "fractions", "re", "typing"}


def test_the_sentinels_are_pulumis() -> None:
    names = [name for name in dir(proxy) if re.fullmatch(r"UNKNOWN_\w+_VALUE", name)]
    assert len(names) == 7
    assert {n: getattr(v, n) for n in names} == {n: getattr(proxy, n) for n in names}
    assert {getattr(proxy, n) for n in names} == v.UNKNOWN_SENTINELS
    assert v.UNKNOWN_STRING_VALUE == pulumi.runtime.rpc.UNKNOWN


def test_the_levels_are_the_analyzer_protocols() -> None:
    assert set(v.LEVELS) == {name.lower() for name in analyzer_pb2.EnforcementLevel.keys()}  # noqa: SIM118


def test_the_default_capabilities_are_dockers() -> None:
    """Docker's default set as the task lists it; tests/engine/test_engine_security.py reads
    it from a container's CapEff on the engine."""
    assert sorted(v.ENGINE_DEFAULT_CAPABILITIES) == sorted(
        [
            "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
            "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
        ]
    )  # fmt: skip


def test_the_packs_default_monitor_capabilities_are_what_the_preset_adds() -> None:
    schema = docker_container_enforce_allowed_capabilities.config_schema
    assert schema is not None
    assert schema.properties["monitorCapabilities"]["default"] == ["NET_ADMIN", "NET_RAW"]
    assert list(v.MONITOR_CAPABILITIES) == ["NET_ADMIN", "NET_RAW"]


def test_every_capability_the_pack_knows_the_components_know() -> None:
    assert [c for c in sorted(v.ENGINE_CAPABILITIES) if capability_problem(c)] == []
    assert v.ENGINE_DEFAULT_CAPABILITIES <= v.ENGINE_CAPABILITIES


# Names: Go's regexp matches `^...$` against the whole string.


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("bbox1", True),
        ("/bbox1", True),
        ("web-1.a_b", True),
        ("a", False),
        ("bbox1\n", False),
        ("/bbox1\n", False),
        ("\nbbox1", False),
        ("-bbox", False),
        ("my box", False),
        ("//bbox", False),
    ],
)
def test_container_names_match_whole(name: str, valid: bool) -> None:
    assert v.is_container_name(name) is valid
    assert v.is_name(name) is (valid and not name.startswith("/"))


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("box1", True),
        ("a.b-c.d", True),
        ("w" * 63, True),
        ("w" * 64, False),
        (".".join(["w" * 63] * 4)[:253], True),
        ("box1\n", False),
        ("box1.", False),
        ("-box", False),
        ("box-", False),
        ("box_1", False),
        ("", False),
        ("a..b", False),
    ],
)
def test_dns_names_match_whole(name: str, valid: bool) -> None:
    assert v.is_dns_name(name) is valid


VALID_NAME = "docker-container-enforce-valid-name"
VALID_ALIAS = "docker-container-enforce-valid-alias"


def test_the_pack_refuses_a_name_with_a_trailing_newline(pack: PackClient) -> None:
    stack = mutated(compliant_stack(), "bbox3", set_field("name", "bbox3\n"))
    message = (
        'container "bbox3\n": name "bbox3\n" is not a valid container name; the engine refuses '
        'it with "Invalid container name (bbox3\n), only [a-zA-Z0-9][a-zA-Z0-9_.-] are '
        'allowed"; use two or more characters of [a-zA-Z0-9_.-], starting with a letter or '
        "digit."
    )
    assert run_direct(BY_NAME[VALID_NAME], stack).violations == [(message, "")]
    found = pack.analyze_all(stack).findings
    assert [(f.message, f.urn, f.level) for f in found if f.policy == VALID_NAME] == [
        (message, "", "mandatory")
    ]


def test_the_components_refuse_a_name_with_a_trailing_newline() -> None:
    assert container_name_problem("bbox3\n") == (
        '"bbox3\\n" is not a valid container name: the engine wants two or more characters of '
        "[a-zA-Z0-9][a-zA-Z0-9_.-]"
    )


names = st.one_of(
    st.text(alphabet="ab1-_./\n ", min_size=1, max_size=6),
    st.sampled_from(["bbox1\n", "/bbox1", "a", "ab", "w" * 64, "box1.", "-a", "a-"]),
)
"""Names as a config or a program may give them (an empty name is "no name" on the wire)."""


@given(names)
def test_the_components_and_the_pack_agree_on_container_names(name: str) -> None:
    """The components also refuse a leading `/` (the name is looked up as a DNS name)."""
    stack = mutated(compliant_stack(), "bbox3", set_field("name", name))
    pack_accepts = run_direct(BY_NAME[VALID_NAME], stack).violations == []
    if name.startswith("/"):
        assert container_name_problem(name) is not None
    else:
        assert pack_accepts is (container_name_problem(name) is None), name


@given(names)
def test_the_components_and_the_pack_agree_on_aliases(alias: str) -> None:
    stack = mutated(compliant_stack(), "bbox3", set_field("networksAdvanced.0.aliases", [alias]))
    pack_accepts = run_direct(BY_NAME[VALID_ALIAS], stack).violations == []
    assert pack_accepts is (dns_name_problem(alias) is None), alias
