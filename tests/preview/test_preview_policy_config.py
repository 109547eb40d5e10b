"""Policy config is read and reconciled the way `--policy-pack-config` is."""

from __future__ import annotations

import pytest

from preview.policy_config import (
    PolicyConfigError,
    PolicyMeta,
    PolicySettings,
    parse_policy_config,
    reconcile,
)

POLICIES = [
    PolicyMeta("rule-a", "A.", "mandatory", None),
    PolicyMeta(
        "rule-b",
        "B.",
        "advisory",
        {"properties": {"allowed": {"type": "array", "items": {"type": "string"}, "default": []}}},
    ),
]


def test_all_sets_every_level_then_each_policy_overrides() -> None:
    given = parse_policy_config(
        '{"all": "disabled", "rule-b": {"enforcementLevel": "mandatory", "allowed": ["x"]}}',
        "cfg.json",
    )
    result = reconcile(POLICIES, {}, given, "pack")
    assert result["rule-a"] == PolicySettings("disabled", {})
    assert result["rule-b"] == PolicySettings("mandatory", {"allowed": ["x"]})


def test_schema_defaults_fill_in_settings() -> None:
    assert reconcile(POLICIES, {}, {}, "pack")["rule-b"] == PolicySettings(
        "advisory", {"allowed": []}
    )


def test_settings_that_break_the_schema_are_refused() -> None:
    given = parse_policy_config('{"rule-b": {"allowed": [1]}}', "cfg.json")
    with pytest.raises(
        PolicyConfigError, match=r"rule-b: allowed\[0\]: invalid type, expected string"
    ):
        reconcile(POLICIES, {}, given, "pack")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"rule-a": "strict"}', "cfg.json: rule-a: 'strict' is not a valid enforcement level"),
        ('{"rule-a": 3}', "cfg.json: rule-a: 3 is not a valid value"),
        ('{"rule-a": \n', "cfg.json:2: malformed JSON"),
    ],
)
def test_malformed_config_is_refused(text: str, message: str) -> None:
    with pytest.raises(PolicyConfigError, match=message):
        parse_policy_config(text, "cfg.json")
