"""The pack as the CLI sees it: names, descriptions, levels, config schemas, and its launch."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

from policies.rules import POLICIES
from preview.pack import start_pack
from tests.pack_client import PackClient
from tests.policies.policy_cases import compliant_stack, mutated, set_field

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
NAME = re.compile(
    r"^docker-[a-z0-9]+(?:-[a-z0-9]+)*-(disallow|enforce|require|configure)-[a-z0-9-]+$"
)

DEFAULT_LEVELS = {
    "docker-container-disallow-static-ip-on-predefined-network": "mandatory",
    "docker-container-disallow-alias-on-predefined-network": "mandatory",
    "docker-container-enforce-valid-network-attachments": "mandatory",
    "docker-container-enforce-valid-name": "mandatory",
    "docker-container-disallow-duplicate-name": "mandatory",
    "docker-container-enforce-valid-alias": "advisory",
    "docker-container-enforce-valid-mounts": "mandatory",
    "docker-container-require-host-sources": "advisory",
    "docker-container-enforce-valid-resources": "mandatory",
    "docker-container-disallow-ignored-shm-size": "mandatory",
    "docker-container-enforce-valid-process": "mandatory",
    "docker-container-enforce-valid-healthcheck": "mandatory",
    "docker-container-enforce-valid-logging": "mandatory",
    "docker-container-disallow-host-sysctls": "mandatory",
    "docker-container-require-image-user": "advisory",
    "docker-network-disallow-overlapping-subnets": "mandatory",
    "docker-network-enforce-allowed-subnets": "advisory",
    "docker-network-enforce-valid-ipam-config": "mandatory",
    "docker-network-disallow-duplicate-name": "mandatory",
    "docker-network-disallow-ignored-ip-settings": "advisory",
    "docker-container-require-subnet-for-static-ip": "mandatory",
    "docker-container-enforce-static-ip-in-subnet": "mandatory",
    "docker-container-disallow-static-ip-taken-dynamically": "mandatory",
    "docker-container-disallow-static-ip-in-ip-range": "advisory",
    "docker-container-disallow-ports-on-internal-network": "advisory",
    "docker-container-enforce-valid-extra-host": "mandatory",
    "docker-container-enforce-valid-dns-server": "mandatory",
    "docker-container-enforce-valid-ipc-mode": "mandatory",
    "docker-network-enforce-valid-driver-options": "mandatory",
    "docker-network-disallow-duplicate-bridge-name": "mandatory",
    "docker-container-disallow-duplicate-host-port": "mandatory",
    "docker-container-disallow-options-with-joined-network": "mandatory",
    "docker-container-disallow-ignored-options-with-joined-network": "advisory",
    "docker-container-require-running-join-target": "mandatory",
    "docker-container-require-kept-running-join-target": "advisory",
    "docker-container-require-dependency-on-join-target": "advisory",
    "docker-dns-group-require-user-defined-network": "mandatory",
    "docker-container-require-shared-network-for-dns": "mandatory",
    "docker-container-require-shared-network-for-guessed-dns": "advisory",
    "docker-network-disallow-duplicate-dns-name": "advisory",
    "docker-container-disallow-host-network": "mandatory",
    "docker-container-disallow-host-namespaces": "mandatory",
    "docker-container-disallow-host-user-namespace": "advisory",
    "docker-container-disallow-privileged": "mandatory",
    "docker-container-enforce-allowed-capabilities": "mandatory",
    "docker-container-disallow-unknown-capability": "mandatory",
    "docker-container-enforce-valid-security-opt": "mandatory",
    "docker-container-disallow-unconfined-security-opt": "mandatory",
    "docker-container-enforce-port-bind-address": "advisory",
    "docker-container-disallow-docker-socket-mount": "mandatory",
    "docker-container-disallow-writable-host-system-mount": "mandatory",
    "docker-container-disallow-read-only-host-system-mount": "advisory",
    "docker-container-disallow-process-root-mount": "mandatory",
    "docker-container-disallow-host-disk-device": "mandatory",
    "docker-container-disallow-disabled-logging": "advisory",
    "docker-container-disallow-shared-mount-propagation": "advisory",
    "docker-container-disallow-root-user": "advisory",
    "docker-container-disallow-insecure-tmpfs-options": "advisory",
    "docker-container-disallow-secret-in-env": "advisory",
    "docker-container-disallow-dangerous-device": "advisory",
    "docker-container-require-pinned-image": "advisory",
    "docker-container-require-no-new-privileges": "advisory",
    "docker-container-require-capability-drop": "advisory",
    "docker-container-require-read-only-root": "advisory",
    "docker-container-require-memory-limit": "advisory",
    "docker-container-require-image-digest": "advisory",
    "docker-service-disallow-static-ip": "mandatory",
    "docker-service-disallow-joined-network-mode": "mandatory",
    "docker-container-require-attachable-overlay": "mandatory",
    "docker-service-require-overlay-network": "mandatory",
    "docker-network-disallow-overlapping-overlay-subnets": "mandatory",
    "docker-service-disallow-host-ports-beyond-nodes": "mandatory",
    "docker-service-disallow-secret-in-env": "mandatory",
    "docker-service-enforce-valid-name": "mandatory",
    "docker-service-enforce-valid-replicas": "mandatory",
    "docker-service-enforce-valid-memory-limit": "mandatory",
    "docker-service-disallow-ingress-port-with-dnsrr": "mandatory",
    "docker-service-disallow-duplicate-ingress-port": "mandatory",
}

CONFIG_KEYS = {
    "docker-network-disallow-overlapping-subnets": {"hostSubnets"},
    "docker-network-enforce-allowed-subnets": {"allowedSubnets"},
    "docker-container-require-running-join-target": {"externalContainers"},
    "docker-container-enforce-allowed-capabilities": {"allowedCapabilities", "monitorCapabilities"},
    "docker-container-disallow-unknown-capability": {"extraKnownCapabilities"},
    "docker-container-enforce-valid-logging": {"logPlugins"},
    "docker-container-enforce-port-bind-address": {"allowedBindAddresses"},
    "docker-container-disallow-docker-socket-mount": {"engineSockets", "allowedHostSockets"},
    "docker-container-disallow-writable-host-system-mount": {
        "hostSystemFolders",
        "harmlessHostPaths",
    },
    "docker-container-disallow-read-only-host-system-mount": {"hostSystemFolders"},
    "docker-container-disallow-secret-in-env": {"allowedEnv"},
    "docker-service-disallow-host-ports-beyond-nodes": {"swarmNodes"},
    "docker-service-disallow-secret-in-env": {"allowedEnv"},
}


def test_default_levels(pack: PackClient) -> None:
    assert pack.default_levels() == DEFAULT_LEVELS


def test_names_follow_the_convention_and_match_their_variables() -> None:
    assert len({p.name for p in POLICIES}) == len(POLICIES)
    modules = [
        importlib.import_module(f"policies.rules.{m}")
        for m in (
            *("container", "mounts", "resources", "process", "network", "network_values"),
            *("joined", "dns", "security", "host", "hygiene", "swarm"),
        )
    ]
    for policy in POLICIES:
        assert NAME.match(policy.name), policy.name
        variable = policy.name.replace("-", "_")
        owners = [m for m in modules if getattr(m, variable, None) is policy]
        assert len(owners) == 1, policy.name


def test_descriptions_are_one_sentence() -> None:
    for policy in POLICIES:
        description = policy.description
        assert description[0].isupper() and description.endswith("."), policy.name
        assert ". " not in description and "\n" not in description, policy.name


def test_settings_have_config_schemas(pack: PackClient) -> None:
    info = pack.info()
    schemas = {
        p.name: set(p.configSchema.properties.keys())
        for p in info.policies
        if p.configSchema.properties
    }
    assert schemas == CONFIG_KEYS


def test_the_pack_starts_like_the_cli_starts_it() -> None:
    """`python -u -m pulumi.policy <engine> .` in the pack's folder, as the CLI's shim runs it:
    the pack prints its port and answers GetAnalyzerInfo."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=PACK_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        assert info.name == "container-comms"
        assert [p.name for p in info.policies] == list(DEFAULT_LEVELS)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_pack_is_its_rules_and_its_entry_point() -> None:
    """The shipped pack carries no analyzer of its own: the CLI, the gate and the tests all
    reach it as its own process."""
    modules = sorted(
        str(p.relative_to(PACK_DIR))
        for p in PACK_DIR.rglob("*.py")
        if not {"venv", "__pycache__"} & set(p.relative_to(PACK_DIR).parts)
    )
    assert [m for m in modules if not m.startswith("rules/")] == ["__init__.py", "__main__.py"]
    tracked = subprocess.run(
        ["git", "grep", "-l", "_PolicyAnalyzerServicer", "--", "*.py"],
        cwd=PACK_DIR.parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert tracked == ["tests/policies/test_policy_pack.py"]


def test_the_tests_ask_the_pack_in_its_own_process(pack: PackClient) -> None:
    assert pack.pack.process.pid != os.getpid()
    assert pack.pack.process.poll() is None
    assert pack.info().name == "container-comms"


def test_the_pack_runs_alone_from_a_copy_of_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Published alone, the folder is the whole pack: its vocabulary travels inside `rules/`."""
    alone = tmp_path / "published" / "container-comms"
    shutil.copytree(PACK_DIR, alone, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    stack = mutated(compliant_stack(), "bbox3", set_field("name", "bbox3\n"))
    with start_pack(
        alone, project="container-comms", stack="test", config={}, start_timeout=60
    ) as p:
        verdict = PackClient(p).analyze_all(stack)
    assert [(f.policy, f.level) for f in verdict.findings] == [
        ("docker-container-enforce-valid-name", "mandatory")
    ]
    assert verdict.run is not None and verdict.run.pack_path == str(alone)
    assert [p.name for p in verdict.run.policies] == list(DEFAULT_LEVELS)
