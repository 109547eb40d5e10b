"""Files a user hands in, read the way the Pulumi CLI reads them, and never without bounds.

Every file is opened without blocking and refused unless it is a regular file (a fifo or a
device would hang the reader or never end), and refused past a size limit before it is parsed.
YAML is read with YAML 1.2 core semantics, as the CLI's Go YAML library reads it: only
`true`/`false` are booleans (`restart: no`, `on:` and `yes:` stay strings), timestamps stay
strings, and a key given twice in one map is an error with its file and line, not a silent
last-wins; a plain value with a colon inside a flow map (`{image: busybox:1.36}`) is one value,
as YAML 1.2 says (libyaml parses first, for speed; what it refuses by YAML 1.1's rule is parsed
again by ruamel.yaml's own YAML 1.2 parser). Nesting deeper than `MAX_DEPTH` and aliases that
multiply the document are refused before anything is built from them. Messages name the file
(and line) and never repeat the file's contents.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # libyaml (ruamel.yaml.clib)
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import Reader
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import Scanner

from ..problems import ContainerCommsError

SIZE_LIMIT = 8 * 1024 * 1024
"""The most bytes a stack, project, topology, pack or policy config file may hold (8 MiB: ten
times a 5,000-container topology)."""

MAX_DEPTH = 64
"""The deepest nesting of maps and lists a YAML file may have (the stacks use about ten)."""

ALIAS_BUDGET = 1_000_000
"""How many more values aliases may add to a YAML document than it spells out."""

_KINDS = {
    stat.S_IFIFO: "a named pipe (fifo)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


class InputFileError(ContainerCommsError):
    """A file cannot be used; the message names it (and the line) and what would be right."""

    def __init__(
        self,
        where: str,
        problem: str,
        line: int | None = None,
        unreadable: bool = False,
        file: str | None = None,
    ) -> None:
        super().__init__(f"{where}: {problem}")
        self.file = where if file is None else file
        """The file as named (without the line)."""
        self.where = where
        """The file (`path`, or `path:line` when `line` is known)."""
        self.problem = problem
        """What is wrong, to follow the file's name."""
        self.line = line
        """The 1-based line the problem is on, when it is inside the file."""
        self.unreadable = unreadable
        """True when the file itself is refused (missing, outside, not a regular file, too
        large), before any of its text is looked at."""


def _at(source: str, line: int, problem: str) -> InputFileError:
    return InputFileError(f"{source}:{line}", problem, line, file=source)


def read_text(path: Path, what: str, limit: int = SIZE_LIMIT, name: str | None = None) -> str:
    """The UTF-8 text of the regular file `path` (a `what`, such as "stack file"), named
    `name` (default: `path`) in errors."""
    source = str(path) if name is None else name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise InputFileError(
            source, f"cannot be read ({_reason(error)})", unreadable=True
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise InputFileError(
                source, f"is {kind}; a {what} must be a regular file", unreadable=True
            )
        if info.st_size > limit:
            raise InputFileError(
                source,
                f"is {info.st_size:,} bytes, over the {limit:,}-byte limit for a {what}",
                unreadable=True,
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise InputFileError(
                source, f"is over the {limit:,}-byte limit for a {what}", unreadable=True
            )
    except OSError as error:
        raise InputFileError(
            source, f"cannot be read ({_reason(error)})", unreadable=True
        ) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _at(source, line, f"is not UTF-8 text; a {what} must be") from None


def inside(root: Path, name: str) -> Path:
    """`name` (relative to `root`, or absolute) resolved, refused unless it lies in `root`.

    Symbolic links are followed before the check, so a link out of `root` is refused too.
    """
    base = root.resolve()
    try:
        target = (base / name).resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise InputFileError(name, f"cannot be resolved ({error})", unreadable=True) from None
    if not target.is_relative_to(base):
        raise InputFileError(
            name, f"resolves to {target}, outside the project folder", unreadable=True
        )
    return target


@dataclass
class YamlDocument:
    """A parsed YAML file: its value and where each key and list item is written."""

    value: Any
    """The document as plain Python values (None for an empty file)."""
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    """1-based line of every map key and list item, by path from the root (list positions as
    decimal strings). Paths through an alias are not listed."""


def load_yaml(
    path: Path, what: str, limit: int = SIZE_LIMIT, name: str | None = None
) -> YamlDocument:
    """The YAML file `path` read as the Pulumi CLI reads it (see the module's docstring),
    named `name` (default: `path`) in errors."""
    source = str(path) if name is None else name
    return parse_yaml(read_text(path, what, limit, source), source)


def load_yaml_documents(
    path: Path, what: str, limit: int = SIZE_LIMIT, name: str | None = None
) -> list[YamlDocument]:
    """Every document of the YAML file `path` (`---` between them), each read as `load_yaml`
    reads one: Docker Compose merges the documents of a compose file."""
    source = str(path) if name is None else name
    return _parse(read_text(path, what, limit, source), source, many=True)


def parse_yaml(text: str, source: str) -> YamlDocument:
    """Parse `text` (named `source` in errors) with YAML 1.2 core semantics."""
    documents = _parse(text, source, many=False)
    return documents[0] if documents else YamlDocument(None)


def _parse(text: str, source: str, *, many: bool) -> list[YamlDocument]:
    """The document (or, with `many`, every document) of `text`."""
    try:
        try:
            return _parse_with(_FastLoader, text, source, many)
        except MarkedYAMLError as refusal:
            # libyaml keeps YAML 1.1's plain-scalar rule in flow context and refuses
            # `{image: busybox:1.36}`, which YAML 1.2 (and the Pulumi CLI's Go parser) reads as
            # one map: the pure-Python parser decides. When it refuses too, libyaml's wording
            # is reported (the CLI's Go parser is a port of libyaml and words it the same).
            try:
                return _parse_with(_PureLoader, text, source, many)
            except MarkedYAMLError:
                raise refusal from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = f"malformed YAML: {error.problem or error.context or 'not valid YAML'}"
        if mark is None:
            raise InputFileError(source, problem) from None
        raise _at(source, mark.line + 1, problem) from None
    except YAMLError as error:
        raise InputFileError(source, f"malformed YAML: {type(error).__name__}") from None
    except (ValueError, TypeError) as error:  # a scalar its tag cannot hold (`!!int x`)
        raise InputFileError(source, f"malformed YAML: {error}") from None


class _Constructor(SafeConstructor):
    """The safe constructor with timestamps kept as the strings they are written as."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _parse_with(
    loader_type: type[_FastLoader | _PureLoader], text: str, source: str, many: bool
) -> list[YamlDocument]:
    aliased = _check_events(loader_type, text, source)
    loader = loader_type(text)
    try:
        if many:
            nodes = []
            while loader.check_node():
                nodes.append(loader.get_node())
        else:
            node = loader.get_single_node()
            nodes = [] if node is None else [node]
        documents = []
        for node in nodes:
            lines = _check_nodes(node, source, aliased)  # duplicate keys refused first
            documents.append(YamlDocument(loader.construct_document(node), lines))
        return documents
    finally:
        loader.dispose()


class _FastLoader(CParser, _Constructor, VersionedResolver):  # type: ignore[misc]
    """libyaml's parser, the YAML 1.2 core resolver and the safe constructor."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        self._parser = self._composer = self
        _Constructor.__init__(self, loader=self)
        VersionedResolver.__init__(self, version=(1, 2), loadumper=self)


class _PureLoader(Reader, Scanner, Parser, Composer, _Constructor, VersionedResolver):
    """ruamel.yaml's own YAML 1.2 parser, with the same resolver and constructor."""

    def __init__(self, text: str) -> None:
        self.comment_handling = None
        self.max_depth = None  # nesting is bounded by `_check_events` first
        Reader.__init__(self, text, loader=self)
        Scanner.__init__(self, loader=self)
        Parser.__init__(self, loader=self)
        Composer.__init__(self, loader=self)
        _Constructor.__init__(self, loader=self)
        VersionedResolver.__init__(self, version=(1, 2), loader=self)


def _check_events(loader_type: type[_FastLoader | _PureLoader], text: str, source: str) -> bool:
    """Refuse nesting deeper than `MAX_DEPTH` from the event stream, before composing; True
    when the document uses aliases.

    libyaml's composer recurses once per level (a file of "[[[[..." crashes the interpreter)
    and its scanner slows down with the square of the depth; events come one at a time.
    """
    parser = CParser(text) if loader_type is _FastLoader else _PureLoader(text)
    depth = 0
    aliased = False
    try:
        while (event := parser.get_event()) is not None:
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _at(
                        source,
                        event.start_mark.line + 1,
                        f"nested deeper than {MAX_DEPTH} levels of maps and lists",
                    )
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
            elif kind is AliasEvent:
                aliased = True
    finally:
        parser.dispose()
    return aliased


def _check_nodes(root: Node, source: str, aliased: bool) -> dict[tuple[str, ...], int]:
    """Duplicate keys refused and the line index built, walking each node once (a node reached
    again through an alias is not walked again); with aliases, what they expand to is counted
    and recursive or excessive aliasing refused."""
    lines: dict[tuple[str, ...], int] = {}
    visited: set[int] = set()
    stack: list[tuple[Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if aliased:
            if id(node) in visited:
                continue
            visited.add(id(node))
        if isinstance(node, MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode):
                    raise _at(
                        source,
                        line,
                        "malformed YAML: a map key must be a plain value, not a map or a list",
                    )
                key = (str(key_node.tag), key_node.value)
                if key in seen and key[0] != _MERGE:
                    raise _at(
                        source,
                        line,
                        f'malformed YAML: mapping key "{key_node.value}" already defined at '
                        f"line {seen[key]}",
                    )
                seen[key] = line
                child = (*path, str(key_node.value))
                lines[child] = line
                if not isinstance(value_node, ScalarNode):
                    stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for position, item in enumerate(node.value):
                child = (*path, str(position))
                lines[child] = item.start_mark.line + 1
                if not isinstance(item, ScalarNode):
                    stack.append((item, child))
    if aliased:
        _check_aliases(root, source)
    return lines


_MERGE = "tag:yaml.org,2002:merge"


def _check_aliases(root: Node, source: str) -> None:
    """Refuse an alias of a map or list that contains it, and aliases that make the document
    more than `ALIAS_BUDGET` values larger than it is written."""
    sizes: dict[int, int] = {}
    spelled = 0
    stack: list[tuple[Node, bool]] = [(root, True)]
    while stack:
        node, entering = stack.pop()
        if entering:
            if id(node) in sizes:
                continue
            sizes[id(node)] = 0  # being walked
            spelled += 1
            stack.append((node, False))
            stack.extend((child, True) for child in _children(node))
            continue
        total = 1
        for child in _children(node):
            size = sizes[id(child)]
            if size == 0:  # still being walked: an alias of one of its own parents
                raise _at(
                    source,
                    child.start_mark.line + 1,
                    "malformed YAML: an alias refers to a map or list that contains it",
                )
            total += size
        sizes[id(node)] = total
    if sizes[id(root)] - spelled > ALIAS_BUDGET:
        raise InputFileError(
            source,
            "malformed YAML: document contains excessive aliasing "
            f"({sizes[id(root)]:,} values from {spelled:,} written)",
        )


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            yield key_node
            yield value_node
    elif isinstance(node, SequenceNode):
        yield from node.value


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
