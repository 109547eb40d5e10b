"""Reading a container's command line: which words are programs, options, option values and
arguments, including the commands of a `sh -c` script.

The DNS rule reads the arguments for host names (`ping bbox1`, `nc db 5432`, `-h db`) and skips
what cannot be one: program names (`sh -c ...` beside a container named `sh`) and the values of
options that take no host (`pg_isready -U postgres`). The joined-group rule reads the programs to
tell a command that ends at once (`true`, `echo ready`).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator, Sequence
from typing import Final

SHELLS: Final = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})
"""Programs whose `-c` argument is a script."""

KEYWORDS: Final = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"}
)
"""Shell words in front of a command's program."""

WRAPPERS: Final = frozenset({"exec", "nohup", "command", "builtin"})
"""Programs that run the next word as a program."""

NON_HOST_OPTIONS: Final = frozenset(
    {
        # users and databases: pg_isready -U postgres, psql -d app, mysql -u root -D app
        "-U", "--username", "-u", "--user", "-d", "--dbname", "--database", "-D",
        # ports, passwords, counts, intervals, timeouts: ping -c 3 -W 2, nc -w 1
        "-p", "--port", "-P", "--password", "-c", "--count", "-i", "--interval", "-W", "-w",
        "-t", "--timeout",
        # interfaces and files: tcpdump -i any -w /dev/null, wget -O -, curl -o out
        "-I", "--interface", "-o", "-O", "--output", "-f", "--file",
    }
)  # fmt: skip
"""Options whose value is never a host name."""

_OPERATORS: Final = frozenset({";", "&", "&&", "|", "||", "(", ")", ";;", "!"})
_REDIRECTS: Final = frozenset({">", ">>", "<", "<<", ">&", "<&", ">|", "&>", "&>>", "<>"})

Word = tuple[int, str]
"""A word of a command line and the index of the argv element it came from."""


def program_name(word: str) -> str:
    """`sh` for `/bin/sh`."""
    return posixpath.basename(word)


def script_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, as word lists without redirections."""
    lexer = shlex.shlex(script.replace("\n", ";"), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: read it as plain words
        return [script.replace(";", " ").replace("|", " ").replace("&", " ").split()]
    commands: list[list[str]] = [[]]
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token in _REDIRECTS:
            skip = True  # the next word is a file or a descriptor
        elif token in _OPERATORS or (token and set(token) <= set("();<>|&")):
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _script_at(args: Sequence[Word]) -> int | None:
    """Where the script of `sh -c script` is among the shell's arguments."""
    for position, (_, word) in enumerate(args):
        if word == "--" or not word.startswith("-"):
            return None
        if "c" in word[1:] and not word.startswith("--"):
            return position + 1 if position + 1 < len(args) else None
    return None


def commands(words: Sequence[Word]) -> Iterator[tuple[Word | None, list[Word]]]:
    """(program, arguments) of each command a command line runs, scripts of `sh -c` opened.

    The positional parameters after a script come as arguments of no program.
    """
    position = 0
    while position < len(words) and (
        words[position][1] in KEYWORDS or program_name(words[position][1]) in WRAPPERS
    ):
        position += 1
    if position >= len(words):
        return
    program = words[position]
    args = list(words[position + 1 :])
    if program_name(program[1]) in SHELLS:
        script = _script_at(args)
        if script is not None:
            index, text = args[script]
            for command in script_commands(text):
                yield from commands([(index, word) for word in command])
            parameters = args[script + 2 :]  # after $0, the script's own name
            if parameters:
                yield None, parameters
            return
    yield program, args


def argument_words(args: Sequence[Word]) -> Iterator[Word]:
    """The arguments that may name a host: positional ones, and values of options that may
    take one (`-h db`, `--host=db`); never options themselves or values of `NON_HOST_OPTIONS`
    (unless the value is a URL)."""
    skip_value = False
    positional = False
    for index, word in args:
        if skip_value:
            skip_value = False
            if "://" in word:
                yield index, word
            continue
        if not positional and word == "--":
            positional = True
            continue
        if not positional and word.startswith("-") and len(word) > 1:
            option, sep, value = word.partition("=")
            if sep and (option not in NON_HOST_OPTIONS or "://" in value):
                yield index, value
            elif not sep and word in NON_HOST_OPTIONS:
                skip_value = True
            continue
        yield index, word


def host_words(argv: Sequence[str]) -> list[Word]:
    """The words of a command line that may name a host, with their argv index."""
    found: list[Word] = []
    for _, args in commands(list(enumerate(argv))):
        found.extend(argument_words(args))
    return found


ENDS_AT_ONCE: Final = frozenset({"true", "false", "echo", "printf", "exit", ":"})
"""Programs that end as soon as they have started."""


def ends_at_once(argv: Sequence[str]) -> bool:
    """Whether every program of a command line is one that ends at once (`true`, `echo ready`,
    `sh -c "exit 0"`)."""
    programs = [program for program, _ in commands(list(enumerate(argv)))]
    return bool(programs) and all(
        p is not None and program_name(p[1]) in ENDS_AT_ONCE for p in programs
    )
