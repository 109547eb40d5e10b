"""Address arithmetic and name checks, without mocks."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from components.addressing import AddressPool, network_problems
from components.naming import container_name_problem, dns_name_problem


def test_pool_hands_out_from_the_top_without_ip_range():
    pool = AddressPool.for_network("172.22.16.0/24", aux_addresses={"router": "172.22.16.254"})
    assert pool.reserve("172.22.16.253", 'container "pinned"') is None
    assert [pool.allocate(h) for h in ("a", "b")] == ["172.22.16.252", "172.22.16.251"]


def test_pool_hands_out_outside_ip_range_lowest_first():
    pool = AddressPool.for_network("10.0.0.0/24", ip_range="10.0.0.0/25")
    assert [pool.allocate(h) for h in ("a", "b")] == ["10.0.0.128", "10.0.0.129"]


def test_pool_gives_a_holder_the_same_address_again():
    pool = AddressPool.for_network("10.0.0.0/24")
    assert pool.allocate("a") == pool.allocate("a") == "10.0.0.254"


def test_pool_says_when_full():
    pool = AddressPool.for_network("10.0.0.0/30")
    assert pool.allocate("a") == "10.0.0.2"
    assert pool.allocate("b") is None


@given(
    prefix=st.integers(min_value=24, max_value=29),
    use_range=st.booleans(),
    count=st.integers(min_value=1, max_value=300),
)
def test_handed_out_addresses_are_distinct_usable_hosts(prefix, use_range, count):
    subnet = ipaddress.IPv4Network(f"10.20.0.0/{prefix}")
    ip_range = str(next(subnet.subnets(1))) if use_range else None
    pool = AddressPool.for_network(str(subnet), ip_range=ip_range)
    handed = [pool.allocate(str(i)) for i in range(count)]
    given_out = [ipaddress.IPv4Address(a) for a in handed if a is not None]
    assert len(given_out) == len(set(given_out))
    for address in given_out:
        assert address in subnet
        assert address not in {subnet.network_address, subnet.broadcast_address, pool.gateway}
        if ip_range:
            assert address not in ipaddress.IPv4Network(ip_range)
    excluded = ipaddress.IPv4Network(ip_range) if ip_range else None
    usable = [
        h for h in subnet.hosts() if h != pool.gateway and (excluded is None or h not in excluded)
    ]
    assert len(given_out) == min(count, len(usable))


def test_network_problems_name_each_field():
    problems = network_problems(
        "172.22.16.0/24", "172.22.16.255", "10.0.0.0/24", {"x": "172.22.16.0"}, None
    )
    assert [(p.field, p.reason) for p in problems] == [
        ("gateway", '"172.22.16.255" is the broadcast address of 172.22.16.0/24'),
        ("ip_range", '"10.0.0.0/24" is not inside the subnet 172.22.16.0/24'),
        ("aux_addresses.x", '"172.22.16.0" is the network address of 172.22.16.0/24'),
    ]


def test_container_names_follow_the_engine_rule():
    assert container_name_problem("bbox1") is None
    assert container_name_problem("web1-shell.v2_x") is None
    assert container_name_problem("a") is not None
    assert container_name_problem("-web") is not None
    assert container_name_problem("web 1") is not None


def test_dns_names_are_labels():
    assert dns_name_problem("api.internal") is None
    assert dns_name_problem("under_score") is not None
    assert dns_name_problem("-lead") is not None
    assert dns_name_problem("x" * 64) is not None
