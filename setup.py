"""The build step that installs the gate, its recorder and the pack inside `container_comms`.

In the repository the library (`components/`), the recorder (`plan/`) and the gate (`preview/`)
are top-level packages that import one another by those names. pyproject.toml maps them to
`container_comms`, `container_comms.plan` and `container_comms.preview`; this step rewrites, in
the built copies only, each `from components|plan|preview ...` import to the installed name, so
the wheel claims no generic top-level name. The policy pack (`policies/`) imports only itself,
relatively, and is copied as it is. A form this step cannot rewrite fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

INSTALLED = {
    "components": "container_comms",
    "plan": "container_comms.plan",
    "preview": "container_comms.preview",
}
FROM_IMPORT = re.compile(r"^(?P<indent>[ \t]*)from[ \t]+(?P<name>components|plan|preview)\b", re.M)
BARE_IMPORT = re.compile(r"^[ \t]*import[ \t]+(components|plan|preview)\b", re.M)
REWRITTEN = ("container_comms/plan/", "container_comms/preview/", "container_comms/")
UNTOUCHED = "container_comms/policies/"


def installed_source(text: str, where: str) -> str:
    """`text` with its imports of the repository's top-level names pointed at the installed ones."""
    bare = BARE_IMPORT.search(text)
    if bare:
        line = text.count("\n", 0, bare.start()) + 1
        raise SystemExit(
            f"{where}:{line}: `import {bare.group(1)}` cannot be installed under container_comms; "
            f"write `from {bare.group(1)} import ...`"
        )
    return FROM_IMPORT.sub(lambda m: f"{m['indent']}from {INSTALLED[m['name']]}", text)


class BuildPy(build_py):  # type: ignore[misc]
    def build_module(self, module: str, module_file: str, package: str) -> tuple[str, bool]:
        outfile, copied = super().build_module(module, module_file, package)
        relative = Path(outfile).relative_to(self.build_lib).as_posix()
        if relative.startswith(REWRITTEN) and not relative.startswith(UNTOUCHED):
            path = Path(outfile)
            text = path.read_text(encoding="utf-8")
            rewritten = installed_source(text, module_file)
            if rewritten != text:
                path.unlink()  # never write through a link to the source
                path.write_text(rewritten, encoding="utf-8")
        return outfile, copied


setup(cmdclass={"build_py": BuildPy})
