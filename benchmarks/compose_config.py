"""Docker Compose v2 `config` on the benchmark's synthetic topology, written as a compose file.

The same topology `synthetic.topology(n)` gives the gate benchmark, as Compose would have it:
each DNS-group member and static-address container a service on its cell's network (aliases,
fixed addresses), each joined-group owner a service with an alias, its sidecars services with
`network_mode: service:<owner>`, and one network per fifty containers with its subnet.

For each size it times, in fresh processes, `config -q` (parse and validate) and the whole
`normalise_compose_file` (`config --format json` and reading the model back), best of `--runs`:
wall seconds, and Compose's own CPU seconds (user + system), which a busy machine does not
inflate.

    .venv/bin/python benchmarks/compose_config.py [--sizes 1000,5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from synthetic import compose_model  # noqa: E402

from components.compose_file import compose_binary, normalise_compose_file  # noqa: E402
from components.topology.compose_keys import key_problems  # noqa: E402

_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _best(runs: int, action: Any) -> tuple[float, float]:
    """The best wall time and the best CPU time (user + system) of Compose, in seconds.

    CPU time is what Compose itself costs; wall time also counts waiting for a busy machine.
    """
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        action()
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = str(compose_binary())
    print("| services | file | `config -q` wall / CPU | normalise (JSON model) wall / CPU |")
    print("| ---: | ---: | ---: | ---: |")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            project = Path(folder)
            text = yaml.dump(compose_model(size), Dumper=_DUMPER, sort_keys=False)
            (project / "compose.yaml").write_text(text, encoding="utf-8")
            result = normalise_compose_file(project, "compose.yaml", project_name="bench")
            assert len(result.model["services"]) == size
            assert key_problems(result.file, result.model).refusals == []
            quiet = [binary, "-f", str(project / "compose.yaml"), "-p", "bench", "config", "-q"]
            q_wall, q_cpu = _best(
                args.runs,
                lambda quiet=quiet: subprocess.run(quiet, check=True, stdin=subprocess.DEVNULL),
            )
            n_wall, n_cpu = _best(
                args.runs,
                lambda project=project: normalise_compose_file(
                    project, "compose.yaml", project_name="bench"
                ),
            )
            print(
                f"| {size:,} | {len(text.encode()) / 1024:,.0f} KiB | {q_wall:.2f} s / "
                f"{q_cpu:.2f} s | {n_wall:.2f} s / {n_cpu:.2f} s |"
            )


if __name__ == "__main__":
    main()
