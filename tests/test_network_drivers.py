"""A network driver is one row of `NETWORK_DRIVERS` (policies/rules/vocabulary.py), and every
reader covers every row: the config schema, the loader's checks, the builder (component and wire
inputs), the compose translator and its key table, the pack's network rules and the docs table.

The last tests add a row for a driver the table does not have (`macvlan`, a local driver built
by `UserDefinedNetwork`) and show each reader that reads the table at run time taking it with
no other change; the config schema takes a driver's name from `NetworkDriverName`, beside the
table in the same module, which `test_the_schema_names_every_row` keeps equal to it.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, get_args

import pytest

import components.vocabulary as component_vocabulary
from components import OverlayNetwork, UserDefinedNetwork, UserDefinedNetworkArgs
from components.topology.build import NETWORK_COMPONENTS, build_topology
from components.topology.compose import compose_topology
from components.topology.compose_keys import KEYS
from components.topology.errors import TopologyError
from components.topology.loader import load_topology
from components.topology.schema import NetworkConfig, TopologyConfig
from plan import ProgramError
from plan.model import Plan
from policies.rules import vocabulary as pack_vocabulary
from policies.rules.network_ipam import docker_network_enforce_valid_ipam_config
from policies.rules.network_values import docker_network_disallow_duplicate_bridge_name
from policies.rules.swarm import docker_service_require_overlay_network
from policies.rules.vocabulary import (
    NETWORK_DRIVERS,
    NETWORK_TYPE,
    NetworkDriver,
    NetworkDriverName,
    network_drivers_table,
    target_drivers,
)
from tests.conftest import PROJECT_DIR, Recorder
from tests.policies.policy_cases import compliant_stack, mutated, run_direct, set_field
from tests.policies.test_policy_swarm import compliant_swarm_stack

DOCS = PROJECT_DIR / "docs" / "network-drivers.md"
_BLOCK = re.compile(r"<!-- network-drivers:begin -->\n(.*?)\n<!-- network-drivers:end -->", re.S)
ROWS = list(NETWORK_DRIVERS.values())
IDS = [row.name for row in ROWS]
TWO_IPV4_SUBNETS = [
    {"subnet": "172.22.16.0/24"},
    {"subnet": "172.22.18.0/24"},
    {"subnet": "fd00:16::/64"},
]


def _target(row: NetworkDriver) -> str:
    """A stack target on which a network of `row` may be created."""
    return "swarm" if row.swarm_scoped else "engine"


def _topology(row: NetworkDriver, **settings: Any) -> dict[str, Any]:
    network = {"driver": row.name, "subnet": "10.77.0.0/24", **settings}
    return {"target": _target(row), "networks": {"n": network}}


def _network_inputs(plan: Plan) -> dict[str, Any]:
    (network,) = plan.of_type(NETWORK_TYPE)
    return network.inputs


# -- the table itself ------------------------------------------------------------------------


def test_the_schema_names_every_row() -> None:
    assert set(get_args(NetworkDriverName)) == set(NETWORK_DRIVERS)
    assert all(key == row.name for key, row in NETWORK_DRIVERS.items())


def test_each_target_has_one_default_driver() -> None:
    for target in ("engine", "swarm"):
        defaults = [row.name for row in ROWS if row.default_for == target]
        assert len(defaults) == 1, target
        assert target_drivers(target)[0] == defaults[0]
    assert target_drivers("engine") == [row.name for row in ROWS if not row.swarm_scoped]


def test_every_row_has_a_component_its_keys_and_a_docs_line() -> None:
    config_keys = {f.name for f in dataclasses.fields(NetworkConfig)}
    for row in ROWS:
        assert row.component in NETWORK_COMPONENTS, row.name
        component_keys = {f.name for f in dataclasses.fields(NETWORK_COMPONENTS[row.component][1])}
        assert set(row.options) <= config_keys & component_keys, row.name
        assert row.doc.endswith("."), row.name
    assert {row.component for row in ROWS} == set(NETWORK_COMPONENTS)


def test_the_docs_table_is_generated_from_the_table() -> None:
    found = _BLOCK.findall(DOCS.read_text(encoding="utf-8"))
    assert len(found) == 1, "docs/network-drivers.md has one driver table"
    assert found[0] == network_drivers_table(), (
        "docs/network-drivers.md's driver table is stale: replace it with the output of "
        "`python -c 'from components.vocabulary import network_drivers_table as t; print(t())'`"
    )
    for row in ROWS:
        assert f"| `{row.name}` |" in found[0]


# -- the config schema and the loader ---------------------------------------------------------


def test_an_unknown_driver_is_refused_naming_every_row() -> None:
    with pytest.raises(TopologyError) as caught:
        load_topology({"networks": {"n": {"driver": "nope"}}})
    *others, last = (repr(name) for name in NETWORK_DRIVERS)
    names = f"{', '.join(others)} or {last}" if others else last
    assert str(caught.value) == (f'topology.networks.n.driver: expected one of {names}, got "nope"')


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_the_loader_takes_each_driver_on_its_target(row: NetworkDriver) -> None:
    config = load_topology(_topology(row))
    assert config.networks["n"].driver == row.name


@pytest.mark.parametrize("row", [r for r in ROWS if r.swarm_scoped], ids=lambda r: r.name)
def test_a_swarm_scoped_driver_needs_a_swarm(row: NetworkDriver) -> None:
    with pytest.raises(TopologyError) as caught:
        load_topology({**_topology(row), "target": "engine"})
    article = "an" if row.name[0] in "aeiou" else "a"
    assert str(caught.value) == (
        f"topology.networks.n.driver: {article} {row.name} network needs a swarm; set target "
        '"swarm", or use driver "bridge" on one engine'
    )


@pytest.mark.parametrize(
    ("row", "key"),
    [(r, key) for r in ROWS for o in ROWS for key in o.options if key not in r.options],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_a_drivers_own_key_is_refused_on_another_driver(row: NetworkDriver, key: str) -> None:
    takers = " and ".join(r.name for r in ROWS if key in r.options)
    with pytest.raises(TopologyError) as caught:
        load_topology(_topology(row, **{key: True}))
    assert str(caught.value) == (
        f"topology.networks.n.{key}: applies to {takers} networks only; remove it"
    )


# -- the builder: component and wire ----------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_each_driver_is_built_by_its_component_with_its_name_on_the_wire(
    recorder: Recorder, row: NetworkDriver
) -> None:
    plan = recorder.topology(_topology(row))
    assert plan.named("n").type == row.component
    assert _network_inputs(plan)["driver"] == row.name


@pytest.mark.parametrize(("row", "key"), [(r, key) for r in ROWS for key in r.options], ids=str)
def test_each_own_key_of_a_driver_reaches_the_wire(
    recorder: Recorder, row: NetworkDriver, key: str
) -> None:
    plain = _network_inputs(recorder.topology(_topology(row)))
    keyed = _network_inputs(recorder.topology(_topology(row, **{key: True})))
    assert keyed != plain


@pytest.mark.parametrize("component", [UserDefinedNetwork, OverlayNetwork])
def test_a_component_refuses_a_driver_it_does_not_build(component: type[Any]) -> None:
    others = [r.name for r in ROWS if NETWORK_COMPONENTS[r.component][0] is not component]
    own = [r.name for r in ROWS if NETWORK_COMPONENTS[r.component][0] is component]
    args_type = NETWORK_COMPONENTS[next(r.component for r in ROWS if r.name == own[0])][1]
    with pytest.raises(ProgramError) as caught:
        Recorder().run(lambda: component("n", args_type(), driver=others[0]))
    name = component.__name__
    assert str(caught.value) == (
        f'network "n": driver: "{others[0]}" is not a driver {name} builds; use {" or ".join(own)}'
    )


# -- compose ---------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["engine", "swarm"])
def test_compose_takes_the_drivers_of_its_target_and_its_key_table_names_them(
    target: str,
) -> None:
    for name in target_drivers(target):
        model = {"networks": {"n": {"driver": name}}}
        network = compose_topology(model, "compose.yaml", target)["networks"]["n"]
        assert network.get("driver", target_drivers(target)[0]) == name
    assert " or ".join(target_drivers(target)) in KEYS["networks.*.driver"].on(target).to


# -- the pack --------------------------------------------------------------------------------


def _with_driver(name: str, **changes: Any) -> list[Any]:
    stack = mutated(compliant_stack(), "my_net2-network", set_field("driver", name))
    for path, value in changes.items():
        stack = mutated(stack, "my_net2-network", set_field(path, value))
    return stack


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_the_pack_reads_each_drivers_address_space_and_subnet_count(row: NetworkDriver) -> None:
    bad_range = run_direct(
        docker_network_enforce_valid_ipam_config,
        _with_driver(row.name, **{"ipamConfigs.0.ipRange": "10.80.0.128"}),
    )
    assert [m for m, _ in bad_range.violations if f'"{row.address_space}"' in m], row.name
    two = _with_driver(row.name, ipamConfigs=TWO_IPV4_SUBNETS)
    found = run_direct(docker_network_enforce_valid_ipam_config, two).violations
    refusal = row.single_ipv4_subnet
    assert bool(found) == (refusal is not None), row.name
    if refusal is not None:
        assert f'"{refusal}"' in found[0][0]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_the_pack_reads_each_drivers_scope_for_services(row: NetworkDriver) -> None:
    stack = mutated(compliant_swarm_stack(), "front-network", set_field("driver", row.name))
    found = run_direct(docker_service_require_overlay_network, stack).violations
    assert bool(found) == (not row.swarm_scoped), row.name


# -- one row more ----------------------------------------------------------------------------

MACVLAN = NetworkDriver(
    name="macvlan",
    scope="local",
    default_for=None,
    component=pack_vocabulary.USER_DEFINED_NETWORK_TYPE,
    doc="A network of one engine whose containers have addresses on the host's own LAN.",
)


@pytest.fixture
def macvlan(monkeypatch: pytest.MonkeyPatch) -> NetworkDriver:
    """A `macvlan` row added to the table (both import names of the one vocabulary file)."""
    for module in (pack_vocabulary, component_vocabulary):
        monkeypatch.setitem(module.NETWORK_DRIVERS, "macvlan", MACVLAN)  # type: ignore[arg-type]
    return MACVLAN


def test_a_new_row_is_built_on_the_wire(recorder: Recorder, macvlan: NetworkDriver) -> None:
    config = TopologyConfig(networks={"m": NetworkConfig(driver="macvlan")})  # type: ignore[arg-type]
    plan = recorder.run(lambda: build_topology(config, Path.cwd()))
    assert plan.named("m").type == macvlan.component
    assert _network_inputs(plan)["driver"] == "macvlan"


def test_a_new_row_is_taken_from_compose_and_listed_in_the_docs(macvlan: NetworkDriver) -> None:
    model = {"networks": {"m": {"driver": "macvlan"}}}
    assert compose_topology(model, "compose.yaml")["networks"]["m"]["driver"] == "macvlan"
    assert "| `macvlan` | local | none | `UserDefinedNetwork` | none | no |" in (
        network_drivers_table()
    )


def test_a_new_row_is_read_by_the_pack(macvlan: NetworkDriver) -> None:
    two = _with_driver("macvlan", ipamConfigs=TWO_IPV4_SUBNETS)
    assert run_direct(docker_network_enforce_valid_ipam_config, two).violations == []
    one_bridge = {"com.docker.network.bridge.name": "br-x"}
    for driver, reported in (("bridge", 1), ("macvlan", 0)):
        stack = compliant_stack()
        for network in ("my_net2-network", "backend-network"):
            stack = mutated(stack, network, set_field("driver", driver))
            stack = mutated(stack, network, set_field("options", one_bridge))
        found = run_direct(docker_network_disallow_duplicate_bridge_name, stack).violations
        assert len(found) == reported, driver


def test_a_new_row_is_taken_by_its_component(recorder: Recorder, macvlan: NetworkDriver) -> None:
    plan = recorder.run(lambda: UserDefinedNetwork("m", UserDefinedNetworkArgs(), driver="macvlan"))
    assert _network_inputs(plan)["driver"] == "macvlan"
