"""Every file a compose import reads, found and checked before Docker Compose runs.

Docker Compose reads more than the compose file: files it `include`s or `extends` from, the
`.env` beside each project, `env_file:` and `label_file:` of each service, and the program
later reads file secrets and configs and builds the build contexts. Each of them must resolve
(symbolic links followed) inside the project folder, be a regular file (a folder for a build
context) and be at most `MAX_FILE_BYTES`; anything else is refused with the compose file and
key that name it, and Compose never runs. So no byte of a file outside the project (a CI
runner's `/proc/<pid>/environ`, a credential file) can reach the model or Compose's error
messages, and nothing can hang (a fifo) or read until memory runs out (`/dev/zero`).

The compose files are read here with the bounded YAML reader (`inputfiles`), following
`include` and `extends` files `MAX_DEPTH` deep. Every service of every file is looked at, used
or not (a safe over-approximation: profiles and extends choose later). A path written with a
variable (`env_file: ${ENV:-dev}.env`) is interpolated by Compose itself first, in a model of
its own that names no file; one in an `include`d file, or naming a compose file, is refused,
as its interpolation depends on the including chain. The normalised model is checked again
after Compose (`model_problems`): secrets, configs and build contexts as Compose resolved them.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .inputfiles import InputFileError, load_yaml_documents
from .problems import ContainerCommsError, Location, Problem, problem_lines, render_path

MAX_FILE_BYTES: Final = 8 * 1024 * 1024
"""The largest file a compose import reads (a 5,000-service compose file is about 2 MB)."""
MAX_DEPTH: Final = 8
"""How many `include` / `extends` files deep a compose file may reach."""
MAX_FILES: Final = 64
"""How many compose files one import may read in all."""
MAX_TOTAL_BYTES: Final = 2 * MAX_FILE_BYTES
"""How many bytes of compose files one import may read in all."""

_KINDS: Final = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (fifo)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
_REMOTE_PREFIXES: Final = ("http://", "https://", "git://", "git@", "ssh://", "github.com/")
_NOT_A_PATH_PREFIXES: Final = ("docker-image://", "service:", "oci-layout://")

FILE: Final = "file"
FOLDER: Final = "folder"


Where = tuple[str, Location]
"""A place in a compose file: the file as messages name it (with the line when known), and the
keys and indexes to the value."""


def _problem(where: Where, reason: str) -> Problem:
    return Problem(where[1], reason, file=where[0])


@dataclass(frozen=True)
class Reference:
    """One path a compose file names, with where it is written and how it resolves."""

    where: Where
    """The compose file (and line) and the key: `("compose.yaml:7", ("services", "web",
    "env_file", 0))`."""
    value: str
    """The path as written (or as Compose interpolated it)."""
    base: Path
    """The folder a relative path is resolved against."""
    what: str
    """What the file is (`env file`, `secret file`, `build context`), for messages."""
    shape: str = FILE
    """`FILE` (a regular file of bounded size) or `FOLDER`."""
    required: bool = True
    """False for an `env_file` with `required: false`, which may be missing."""
    interpolable: bool = True
    """False where a `${VAR}` cannot be resolved safely (an `include`d file's own variables)."""


@dataclass(frozen=True)
class Inputs:
    """What the walk found: the compose files read, and the env-like files Compose parses."""

    compose_files: frozenset[Path]
    """Every compose file read (the main one, `include`d and `extends` files), resolved."""
    env_files: frozenset[Path]
    """Every env, label and `.env` file (their text is never repeated in a message)."""


Interpolate = Callable[[Sequence[str]], Sequence[str] | None]
"""Interpolates strings as Compose would for the main file, or None when it cannot."""


def check_inputs(
    root: Path,
    compose_path: Path,
    file: str,
    *,
    env_path: Path | None,
    interpolate: Interpolate,
) -> Inputs:
    """Walk `compose_path` (named `file`), its `include`s and `extends`, and check every file
    they read; raise `ComposeInputError` with one problem per refused file."""
    walk = _Walk(root, interpolate)
    if env_path is None:
        walk.dotenv(compose_path.parent, (f"{file}: .env", ()))  # the .env of `file`
    walk.run(compose_path, file)
    for reference in walk.references:
        if "$" not in reference.value:
            walk.check(reference)
    # Compose interpolates only once all it reads to do so (the .env) has passed.
    for reference in walk.interpolated() if not walk.problems else ():
        walk.check(reference)
    if walk.problems:
        raise ComposeInputError(walk.problems)
    env_files = set(walk.env_files)
    if env_path is not None:
        env_files.add(env_path)
    return Inputs(frozenset(walk.compose_files), frozenset(env_files))


def model_problems(root: Path, file: str, model: Mapping[str, Any]) -> list[Problem]:
    """The files of Compose's normalised `model` that the program reads or builds, checked as
    Compose resolved them (absolute paths, extends and includes applied)."""
    walk = _Walk(root, lambda values: None)
    base = root
    for kind in ("secrets", "configs"):
        for name, item in _items(model.get(kind)):
            if isinstance(item, Mapping) and isinstance(item.get("file"), str):
                walk.check(Reference((file, (kind, name, "file")), item["file"], base, _WHAT[kind]))
    for name, service in _items(model.get("services")):
        if isinstance(service, Mapping):

            def where(keys: tuple[str, ...], name: str = name) -> Where:
                return file, ("services", name, "build", *keys)

            for reference in _build_references(service.get("build"), where, base, {}):
                walk.check(reference)
    return walk.problems


class ComposeInputError(ContainerCommsError):
    """Files a compose import would read that are refused; one problem each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problem_lines("", self.problems)))


_WHAT: Final = {"secrets": "secret file", "configs": "config file"}


@dataclass
class _Source:
    """One compose file being read, and how its relative paths resolve."""

    shown: str
    """The file as messages name it (relative to the project folder)."""
    base: Path
    """The folder its relative paths resolve against."""
    depth: int
    """How many `include` / `extends` steps from the main file."""
    own_env: bool
    """True when it is interpolated with the main file's variables (not `include`d)."""
    path: Path
    """The file, resolved."""
    lines: Mapping[tuple[str, ...], int] = field(default_factory=dict)
    """Where each key is written."""

    def at(self, path: Sequence[str | int]) -> Where:
        """`("file:line", path)` for a key of this file."""
        line = self.lines.get(tuple(str(part) for part in path))
        return (f"{self.shown}:{line}" if line else self.shown), tuple(path)


class _Walk:
    def __init__(self, root: Path, interpolate: Interpolate) -> None:
        self.root = root.resolve()
        self.interpolate = interpolate
        self.references: list[Reference] = []
        self.problems: list[Problem] = []
        self.compose_files: list[Path] = []
        self.env_files: list[Path] = []
        self.total = 0
        """Bytes of compose files read so far."""

    # --- the compose files -------------------------------------------------------------------

    def run(self, main: Path, name: str) -> None:
        queue = [_Source(name, main.parent, 0, True, path=main)]
        read: set[tuple[Path, Path, bool]] = set()  # a file read again from another folder
        while queue:
            source = queue.pop(0)
            if (source.path, source.base, source.own_env) in read:
                continue
            read.add((source.path, source.base, source.own_env))
            if len(read) > MAX_FILES:
                self.problems.append(
                    Problem(
                        (),
                        f"is past the {MAX_FILES} compose files one import reads",
                        file=source.shown,
                    )
                )
                return
            if source.path not in self.compose_files:
                self.compose_files.append(source.path)
            try:
                self.total += source.path.stat().st_size
            except OSError as error:
                self.problems.append(
                    Problem((), f"cannot be read ({error.strerror})", file=source.shown)
                )
                continue
            if self.total > MAX_TOTAL_BYTES:
                self.problems.append(
                    Problem(
                        (),
                        f"takes the compose files read past {MAX_TOTAL_BYTES:,} bytes in all",
                        file=source.shown,
                    )
                )
                return
            try:
                documents = load_yaml_documents(
                    source.path, "compose file", MAX_FILE_BYTES, source.shown
                )
            except InputFileError as error:
                self.problems.append(Problem((), error.problem, file=error.where))
                continue
            for document in documents:  # Compose merges them
                if isinstance(document.value, Mapping):  # otherwise Compose refuses it
                    self._document(source, document.value, document.lines, queue)

    def _document(
        self,
        source: _Source,
        top: Mapping[str, Any],
        lines: Mapping[tuple[str, ...], int],
        queue: list[_Source],
    ) -> None:
        source.lines = lines
        self._includes(source, top.get("include"), queue)
        self._services(source, top.get("services"), queue)
        for kind, what in _WHAT.items():
            for key, item in _items(top.get(kind)):
                if isinstance(item, Mapping):
                    self._add(source, (kind, key, "file"), item.get("file"), what)

    def _add(
        self, source: _Source, path: tuple[str | int, ...], value: Any, what: str, **more: Any
    ) -> None:
        if isinstance(value, str):
            self.references.append(
                Reference(
                    source.at(path), value, source.base, what, interpolable=source.own_env, **more
                )
            )

    def _reach(
        self,
        source: _Source,
        path: tuple[str | int, ...],
        value: Any,
        queue: list[_Source],
        *,
        base: Path | None = None,
        own_env: bool,
    ) -> Path | None:
        """The compose file `value` names, checked and queued to be read."""
        if not isinstance(value, str):
            return None
        where = source.at(path)
        if value.startswith(("oci://", *_REMOTE_PREFIXES)):
            return None  # Compose refuses it itself: its remote loaders are switched off
        if "$" in value:
            self.problems.append(
                _problem(
                    where,
                    f"{_quoted(value)} names a compose file with a variable, which is resolved "
                    "only as Compose reads it; write the path without variables",
                )
            )
            return None
        found = self.check(Reference(where, value, source.base, "compose file"))
        if found is None:
            return None
        if source.depth + 1 > MAX_DEPTH:
            self.problems.append(
                _problem(where, f"reaches compose files more than {MAX_DEPTH} deep")
            )
            return None
        shown = str(found.relative_to(self.root))
        queue.append(_Source(shown, base or found.parent, source.depth + 1, own_env, path=found))
        return found

    def _includes(self, source: _Source, includes: Any, queue: list[_Source]) -> None:
        for index, entry in enumerate(_list(includes)):
            item = {"path": entry} if isinstance(entry, str) else entry
            if not isinstance(item, Mapping):
                continue
            at: tuple[str | int, ...] = ("include", index)
            whole = isinstance(entry, str)
            env_files = item.get("env_file")
            for position, value in enumerate(_list(env_files)):
                here = (
                    (*at, "env_file") if isinstance(env_files, str) else (*at, "env_file", position)
                )
                self._add(source, here, value, "env file")
            project = None
            if isinstance(item.get("project_directory"), str):
                project = self.check(
                    Reference(
                        source.at((*at, "project_directory")),
                        item["project_directory"],
                        source.base,
                        "project folder",
                        FOLDER,
                    )
                )
            paths = item.get("path")
            first = None
            for position, value in enumerate(_list(paths)):
                here = (
                    at
                    if whole
                    else (*at, "path")
                    if isinstance(paths, str)
                    else (*at, "path", position)
                )
                found = self._reach(source, here, value, queue, base=project, own_env=False)
                first = first or found
            folder = project or (first.parent if first is not None else None)
            if folder is not None:
                shown, path = source.at(at)  # the .env of the project an include names
                self.dotenv(folder, (f"{shown}: {render_path(path)} (.env)", ()))

    def _services(self, source: _Source, services: Any, queue: list[_Source]) -> None:
        for name, service in _items(services):
            if not isinstance(service, Mapping):
                continue
            at: tuple[str | int, ...] = ("services", name)
            extends = service.get("extends")
            if isinstance(extends, Mapping) and "file" in extends:
                self._reach(
                    source, (*at, "extends", "file"), extends["file"], queue, own_env=source.own_env
                )
            for key, what in (("env_file", "env file"), ("label_file", "label file")):
                value = service.get(key)
                for position, entry in enumerate(_list(value)):
                    here = (*at, key) if isinstance(value, str) else (*at, key, position)
                    if isinstance(entry, Mapping):
                        required = entry.get("required", True) is not False
                        self._add(
                            source, (*here, "path"), entry.get("path"), what, required=required
                        )
                    else:
                        self._add(source, here, entry, what)
            build = service.get("build")

            def where(
                keys: tuple[str, ...], at: tuple[str | int, ...] = at, whole: bool = False
            ) -> Where:
                return source.at((*at, "build") if whole else (*at, "build", *keys))

            self.references.extend(
                _build_references(
                    build,
                    functools.partial(where, whole=isinstance(build, str)),
                    source.base,
                    {"interpolable": source.own_env},
                )
            )

    def dotenv(self, folder: Path, where: Where) -> None:
        """The `.env` Compose reads from a project folder, when there is one."""
        path = folder / ".env"
        if os.path.lexists(path):
            self.check(Reference(where, str(path), folder, "env file"))

    # --- interpolation --------------------------------------------------------------------

    def interpolated(self) -> list[Reference]:
        """The references written with a variable, as Compose interpolates them; those it
        cannot are refused."""
        waiting = [r for r in self.references if "$" in r.value]
        if not waiting:
            return []
        usable = [r for r in waiting if r.interpolable]
        for reference in waiting:
            if not reference.interpolable:
                self.problems.append(
                    _problem(
                        reference.where,
                        f"{_quoted(reference.value)} is written with a variable in an included "
                        "file, which cannot be checked before Compose reads it; write the path "
                        "without variables",
                    )
                )
        values = self.interpolate([r.value for r in usable]) if usable else []
        if values is None:
            self.problems.extend(
                _problem(
                    r.where,
                    f"{_quoted(r.value)} cannot be interpolated before Compose reads it; "
                    "check the variables it names",
                )
                for r in usable
            )
            values = []
        return [
            Reference(r.where, value, r.base, r.what, r.shape, r.required, r.interpolable)
            for r, value in zip(usable, values, strict=False)
        ]

    # --- one path ------------------------------------------------------------------------

    def check(self, reference: Reference) -> Path | None:
        """`reference` resolved, or None after refusing it unless it resolves inside the project
        to a bounded regular file (or a folder); env-like files are remembered, so that their
        text is never shown."""
        value = reference.value
        shown = _quoted(reference.value)
        if value.startswith("~"):
            value = os.path.expanduser(value)
        written = Path(os.path.normpath(reference.base / value))
        try:
            target = written.resolve()
        except (OSError, RuntimeError):
            self._refuse(reference, f"{shown} cannot be resolved (a symbolic link loop)")
            return None
        if not target.is_relative_to(self.root):
            self._refuse(
                reference,
                f"{shown} resolves to {target}, outside the project folder {self.root}; "
                f"name {_article(reference.what)} in it",
            )
            return None
        try:
            status = target.stat()
        except FileNotFoundError:
            if reference.required:
                self._refuse(reference, f"{shown} does not exist in the project folder")
            return None
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self._refuse(reference, f"{shown} cannot be read ({reason})")
            return None
        if reference.shape == FOLDER:
            if not stat.S_ISDIR(status.st_mode):
                self._refuse(
                    reference, f"{shown} is not a folder; {_article(reference.what)} is a folder"
                )
                return None
            return target
        if not stat.S_ISREG(status.st_mode):
            kind = _KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
            self._refuse(
                reference, f"{shown} is {kind}; {_article(reference.what)} must be a regular file"
            )
            return None
        if status.st_size > MAX_FILE_BYTES:
            self._refuse(
                reference,
                f"{shown} is {status.st_size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit "
                f"for {_article(reference.what)}",
            )
            return None
        if reference.what in ("env file", "label file"):
            self.env_files.extend((written, target))
        return target

    def _refuse(self, reference: Reference, reason: str) -> None:
        problem = _problem(reference.where, reason)
        if problem not in self.problems:
            self.problems.append(problem)


def _build_references(
    build: Any, where: Callable[[tuple[str, ...]], Where], base: Path, more: Mapping[str, Any]
) -> list[Reference]:
    """The build context (a folder), its Dockerfile and additional contexts; remote ones
    (a git URL) are not files and are left to the key table. A missing Dockerfile is the
    builder's to report (Compose writes `Dockerfile` whether or not there is one)."""
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, Mapping):
        return []
    context = build.get("context", ".")
    if not isinstance(context, str) or context.startswith(_REMOTE_PREFIXES):
        return []
    found = [Reference(where(("context",)), context, base, "build context", FOLDER, **more)]
    dockerfile = build.get("dockerfile")
    if isinstance(dockerfile, str) and "$" not in context:
        found.append(
            Reference(
                where(("dockerfile",)),
                dockerfile,
                base / context,
                "Dockerfile",
                required=False,
                **more,
            )
        )
    extra = build.get("additional_contexts")
    pairs = (
        list(extra.items())
        if isinstance(extra, Mapping)
        else [tuple(str(e).split("=", 1)) for e in _list(extra) if "=" in str(e)]
    )
    for name, value in pairs:
        if isinstance(value, str) and not value.startswith(_REMOTE_PREFIXES + _NOT_A_PATH_PREFIXES):
            found.append(
                Reference(
                    where(("additional_contexts", name)),
                    value,
                    base,
                    "build context",
                    FOLDER,
                    **more,
                )
            )
    return found


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _items(value: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in value.items()] if isinstance(value, Mapping) else []


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _article(what: str) -> str:
    return f"an {what}" if what[0] in "aeiou" else f"a {what}"
