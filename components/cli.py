"""The `container-comms` command, installed with the package.

    container-comms preview <stack> [options]   gate the Pulumi project in the current folder
    container-comms pack-dir [DIR]             write a runnable PulumiPolicy folder; print it

`preview` is the offline gate (`python -m preview` in this repository) with the policy pack
that ships in the package as its default pack. `pack-dir` writes a folder that the Pulumi CLI
runs as the same pack (`pulumi preview --policy-pack "$(container-comms pack-dir)"`): its
`PulumiPolicy.yaml` names the virtualenv this command runs in, and its `__main__.py` runs the
installed pack.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path

from preview.cli import main as preview_main

PROG = "container-comms"
DISTRIBUTION = "container-comms"
USAGE = f"""usage: {PROG} preview <stack> [options]   gate the Pulumi project in this folder
       {PROG} pack-dir [DIR]             write the policy pack as a folder the Pulumi CLI runs
                                          (default: a folder in the user cache); print its path
       {PROG} --version

`{PROG} preview --help` lists the gate's options. Exit status of `preview`: 0 passed,
1 blocked by policy, 2 could not be checked.
"""


def shipped_pack() -> Path:
    """The policy pack's folder: inside the installed package, or the repository's `policies/`."""
    here = Path(__file__).resolve().parent
    installed = here / "policies"
    return installed if (installed / "PulumiPolicy.yaml").is_file() else here.parent / "policies"


def pack_module() -> str:
    """The module name under which the pack's package imports (`container_comms.policies`)."""
    installed = (Path(__file__).parent / "policies").is_dir()
    return f"{__package__}.policies" if installed else "policies"


def version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "0+source"


def default_pack_dir() -> Path:
    """A folder per virtualenv and version, in the user's cache."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    prefix = hashlib.sha256(sys.prefix.encode("utf-8")).hexdigest()[:12]
    return cache / PROG / f"policy-pack-{version()}-{prefix}"


def _requirement(name: str) -> str:
    try:
        return f"{name}=={importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return name


def write_pack_dir(target: Path) -> Path:
    """Write (or refresh) a PulumiPolicy folder that runs the installed pack; return its path."""
    target = target.absolute()
    target.mkdir(parents=True, exist_ok=True)
    in_virtualenv = sys.prefix != sys.base_prefix
    options = (
        "  options:\n    toolchain: pip\n" + f"    virtualenv: {_yaml_string(sys.prefix)}\n"
        if in_virtualenv
        else ""
    )
    (target / "PulumiPolicy.yaml").write_text(
        "# Written by `container-comms pack-dir`: runs the container-comms policy pack installed\n"
        f"# in {sys.prefix!r}. Use: pulumi preview --policy-pack {target}\n"
        "name: container-comms\n"
        "description: Catches, before deployment, Docker networking that the engine would "
        "reject or silently get wrong.\n"
        f"version: {_yaml_string(version())}\n"
        "runtime:\n"
        "  name: python\n" + options,
        encoding="utf-8",
    )
    (target / "__main__.py").write_text(
        '"""The container-comms policy pack, as installed with the package."""\n\n'
        "import runpy\n\n"
        f'runpy.run_module("{pack_module()}", run_name="__main__", alter_sys=True)\n',
        encoding="utf-8",
    )
    (target / "requirements.txt").write_text(
        "# The pack runs from the virtualenv that has container-comms installed"
        f" ({sys.prefix});\n# these are the versions it has.\n"
        + "".join(f"{_requirement(name)}\n" for name in ("pulumi", "pulumi-policy")),
        encoding="utf-8",
    )
    return target


def _yaml_string(text: str) -> str:
    """`text` as a double-quoted YAML scalar (JSON's escapes are YAML's)."""
    return json.dumps(text)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="", file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "--version":
        print(f"{PROG} {version()}")
        return 0
    if command == "preview":
        status = preview_main(rest, prog=f"{PROG} preview", default_pack=shipped_pack())
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): the status says it all
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return status
    if command == "pack-dir":
        if len(rest) > 1 or (rest and rest[0].startswith("-")):
            print(f"{PROG} pack-dir: takes one folder at most, got {rest!r}", file=sys.stderr)
            return 2
        try:
            folder = write_pack_dir(Path(rest[0]) if rest else default_pack_dir())
        except OSError as error:
            where = error.filename or (rest[0] if rest else default_pack_dir())
            reason = error.strerror or type(error).__name__
            print(f"{PROG} pack-dir: cannot write {str(where)!r} ({reason})", file=sys.stderr)
            return 2
        print(folder)
        return 0
    print(f"{PROG}: unknown command {command!r} (preview or pack-dir)\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
