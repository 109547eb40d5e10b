"""The readers of engine-parsed values take a value whole, as the engine's Go code does.

Go durations, go-units sizes, signals and CPU shares: every value a reader accepts is refused
with a line break (or a space) after it, each reader agrees with the engine's grammar on the
examples seen on engine 20.10, and none takes more than linear time on a long input.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.rules.vocabulary import (
    SIGNAL_NAMES,
    go_duration_ns,
    is_signal,
    parse_cpus,
    ram_bytes,
    sysctl_problem,
)

_UNITS = ["ns", "us", "\u00b5s", "ms", "s", "m", "h"]
_DURATION_PART = st.tuples(
    st.integers(min_value=0, max_value=10**6),
    st.one_of(st.none(), st.integers(min_value=0, max_value=999)),
    st.sampled_from(_UNITS),
).map(lambda p: f"{p[0]}{'' if p[1] is None else f'.{p[1]}'}{p[2]}")
DURATIONS = st.lists(_DURATION_PART, min_size=1, max_size=4).map("".join)
SIZES = st.tuples(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(["", " "]),
    st.sampled_from(["", "k", "M", "g", "T", "p"]),
    st.sampled_from(["", "i", "b", "iB", "ib"]),
).map("".join)
SIGNALS = st.one_of(
    st.sampled_from(sorted(SIGNAL_NAMES)),
    st.sampled_from(sorted(SIGNAL_NAMES)).map(lambda n: "sig" + n.lower()),
    st.integers(min_value=1, max_value=64).map(str),
)
CPUS = st.one_of(
    st.decimals(min_value=0, max_value=64, places=3, allow_nan=False).map(str),
    st.tuples(st.integers(1, 64), st.integers(1, 64)).map(lambda p: f"{p[0]}/{p[1]}"),
)
_ENDINGS = st.sampled_from(["\n", " ", "\t", "\r\n", "\x00"])


@given(DURATIONS, _ENDINGS)
def test_a_duration_is_read_whole(value: str, ending: str) -> None:
    assert go_duration_ns(value) is not None
    assert go_duration_ns(value + ending) is None
    assert go_duration_ns(ending + value) is None


@given(SIZES, _ENDINGS)
def test_a_size_is_read_whole(value: str, ending: str) -> None:
    """(go-units allows one space between the number and the unit, so `10 ` is a size.)"""
    assert ram_bytes(value) is not None
    if ending == " " and value[-1:].isdigit():
        ending = "  "
    assert ram_bytes(value + ending) is None


@given(SIGNALS, _ENDINGS)
def test_a_signal_is_read_whole(value: str, ending: str) -> None:
    assert is_signal(value)
    assert not is_signal(value + ending)


@given(CPUS, _ENDINGS)
def test_a_cpu_share_is_read_whole(value: str, ending: str) -> None:
    assert parse_cpus(value) is not None
    assert parse_cpus(value + ending) is None


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("10s", 10 * 10**9),
        ("1m30s", 90 * 10**9),
        ("500ms", 500 * 10**6),
        ("1.5h", 5400 * 10**9),
        (".5s", 500 * 10**6),
        ("5.s", 5 * 10**9),
        ("-1s", -(10**9)),
        ("+1ms", 10**6),
        ("0", 0),
        ("1us", 1000),
        ("1\u00b5s", 1000),
    ],
)
def test_durations_as_go_reads_them(text: str, ns: int) -> None:
    assert go_duration_ns(text) == ns


@pytest.mark.parametrize(
    "text", ["", "s", "10", "1.2.3s", "10 s", "10S", "1d", "-", ".", "9" * 400 + "s", "3000000h"]
)
def test_what_go_refuses_as_a_duration(text: str) -> None:
    assert go_duration_ns(text) is None


@pytest.mark.parametrize(
    ("text", "size"),
    [("10m", 10 * 2**20), ("1.5MiB", 1.5 * 2**20), ("10 m", 10 * 2**20), ("10mb", 10 * 2**20)],
)
def test_sizes_as_the_engine_reads_them(text: str, size: float) -> None:
    """Each of these ran as a json-file max-size on engine 20.10."""
    assert ram_bytes(text) == size


@pytest.mark.parametrize(
    "text", ["abc", "-1", " 10m", "10m ", "10m\n", "1.5.5m", "10x", "1.", "9" * 400]
)
def test_what_the_engine_refuses_as_a_size(text: str) -> None:
    assert ram_bytes(text) is None


def test_signals_as_the_engine_reads_them() -> None:
    """Engine 20.10 took these as stop signals and refused the others (`Invalid signal`)."""
    assert all(is_signal(s) for s in ("SIGTERM", "term", "sigterm", "9", "99", "SIGRTMIN+3"))
    assert not any(is_signal(s) for s in ("SIGFOO", "0", "SIGTERM\n", "TERM ", "SIGRTMIN+16"))


def test_namespaced_sysctls() -> None:
    assert sysctl_problem("net.core.somaxconn") is None
    assert sysctl_problem("kernel.shm_rmid_forced") is None
    assert sysctl_problem("fs.mqueue.msg_max") is None
    assert sysctl_problem("kernel.domainname") is None
    assert sysctl_problem("vm.swappiness") == (
        'sysctl "vm.swappiness" is not in a separate kernel namespace'
    )
    assert sysctl_problem("net.core.somaxconn", host_network=True) == (
        'sysctl "net.core.somaxconn" not allowed in host network namespace'
    )
    assert sysctl_problem("kernel.sem", host_ipc=True) == (
        'sysctl "kernel.sem" is not allowed in the hosts ipc namespace'
    )


@pytest.mark.parametrize(
    "read", [go_duration_ns, ram_bytes, is_signal, parse_cpus], ids=lambda f: f.__name__
)
def test_a_long_value_is_read_in_linear_time(read: object) -> None:
    assert callable(read)
    for value in (
        "1" * 100_000 + "!",
        "1." * 50_000 + "!",
        "1s" * 50_000 + "\n",
        "1" * 99_999 + "s",
    ):
        started = time.perf_counter()
        read(value)
        assert time.perf_counter() - started < 0.5, value[:20]
