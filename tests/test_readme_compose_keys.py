"""The README's compose key table is the key table itself: every row of
`components.topology.compose_keys.KEYS`, as `readme_table()` writes it, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from components.topology.compose_keys import KEYS, readme_table

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"<!-- compose-keys:begin -->\n(.*?)\n<!-- compose-keys:end -->", re.S)


def _block() -> str:
    found = _BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(found) == 1, "the README has one compose key table"
    return str(found[0])


def test_readme_compose_key_table_is_generated_from_the_key_table() -> None:
    assert _block() == readme_table(), (
        "README.md's compose key table is stale: replace it with the output of "
        "`python -m components.topology.compose_keys`"
    )


def test_readme_compose_key_table_names_every_key_once() -> None:
    named = re.findall(
        r"`([a-z_*\[\].0-9]+)`",
        "\n".join(line.split(" | ")[0] for line in _block().splitlines()[2:]),
    )
    assert sorted(named) == sorted(KEYS)
