"""The wire layer: one duration grammar read by the container, the swarm service and the compose
translator alike."""

from __future__ import annotations

import pytest

from components.services import wire
from components.topology.compose import _seconds


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("10s", 10 * 10**9),
        ("1m30s", 90 * 10**9),
        ("500ms", 500 * 10**6),
        ("1.5h", 5400 * 10**9),
        ("2us", 2000),
        ("2\u00b5s", 2000),
        ("2\u03bcs", 2000),
        ("1h2m3s4ms5us6ns", 3723004005006),
    ],
)
def test_a_duration_is_read_in_nanoseconds(text, ns):
    assert wire.duration_ns(text) == ns


@pytest.mark.parametrize(
    "text", ["", "0", "10", "-1s", "+1s", ".5s", "5.s", "5 seconds", "1x", "1s ", "\uff11s", "s"]
)
def test_what_is_not_a_duration_is_refused(text):
    assert wire.duration_ns(text) is None
    assert [(p.field, p.reason) for p in wire.duration_problems("at", text)] == [
        ("at", f"{wire.quoted(text)} is not a duration; write it like 10s, 1m30s or 500ms")
    ]


def test_the_compose_translator_reads_the_same_grammar():
    problems: list = []
    assert _seconds("1m30s", "x", problems) == 90
    assert _seconds("2\u00b5s", "x", problems) == 0
    assert problems == []
    assert _seconds("5.s", "y", problems) == 0
    assert [(p.field, p.reason) for p in problems] == [("y", '"5.s" is not a duration')]
