"""The shell scripts inside units' ``Exec*=`` lines, parsed with the unit (not by the checks).

A ``bash -c SCRIPT`` command (``sh``/``dash``/``zsh``, also behind ``env``/``exec``/``nohup``) runs
a script whose facts every check needs.  The unit parser calls :func:`embedded_script` for each
Exec command and keeps the result on :class:`meslint.facts.ExecCommand`, so the facts are cached
with the unit's and nothing is parsed during resolution or the checks.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from meslint.argv import analyze
from meslint.facts import Location, ShellScript
from meslint.parsers.systemd_substitution import replace_env


class _Marked(Mapping[str, str]):
    """Every variable "set" to a mark ``\\0NAME\\0``: :func:`replace_env` then shows what systemd substitutes."""

    def __getitem__(self, name: str) -> str:
        return "\0" + name + "\0"

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


_MARK = re.compile("\0([A-Za-z_][A-Za-z0-9_]*)\0")


def embedded_script(path: str, prefixes: str, argv: tuple[str, ...],
                    location: Location) -> tuple[ShellScript | None, tuple[str, ...]]:
    """The facts of the script a ``bash -c SCRIPT`` or ``|`` command runs, parsed now rather than by each check.

    systemd substitutes ``${NAME}`` in the script text before the shell parses it; the value is
    not known here (it may come from an env file).  The script is parsed with ``${NAME}`` kept:
    the shell expands it from the same environment systemd took the value from.  Where systemd's
    text substitution differs from that, the difference is recorded: a variable whose every
    reference stands outside quotes is returned in the second item (the shell splits the
    substituted value into words, none when it is empty:
    :func:`meslint.systemd_semantics.invocations` does it).  Still different: a variable
    referenced both inside and outside quotes (not split), a value holding shell syntax (quotes,
    ``$``, ``;``) and a reference inside single quotes of the script.  ``$$`` becomes ``$`` as
    systemd makes it; with the ``:`` prefix nothing is substituted.  A script that is one
    ``$NAME`` word (its text comes from the environment) is unknown: ``None``.  Every fact of
    the script is located at the Exec line.
    """
    if "|" in prefixes:  # systemd >= 258: the words are the command line of the user's shell
        from meslint.parsers.systemd_exec import via_shell_argv

        argv = via_shell_argv(argv)
    body = analyze(argv).shell_script
    if body is None or (":" not in prefixes and body.startswith("$") and body[1:2] not in ("{", "$")):
        return None, ()
    split: tuple[str, ...] = ()
    if ":" not in prefixes:
        marked = replace_env(body, _Marked())
        split = _unquoted_words(marked)
        body = _MARK.sub(lambda m: "${" + m.group(1) + "}", marked)
    try:
        from meslint.parsers.shell import parse as parse_shell

        return _relocated(parse_shell(path, body), location), split
    except Exception:  # a shell parser bug must not cost the unit its facts
        return None, ()


def _unquoted_words(marked: str) -> tuple[str, ...]:
    """Names of the marks that stand outside any quotes everywhere they occur, in order."""
    unquoted: list[str] = []
    quoted: set[str] = set()
    quote = ""
    i, n = 0, len(marked)
    while i < n:
        c = marked[i]
        if c == "\0":
            match = _MARK.match(marked, i)
            if match is not None:
                if quote:
                    quoted.add(match.group(1))
                elif match.group(1) not in unquoted:
                    unquoted.append(match.group(1))
                i = match.end()
                continue
        if quote == "'":
            quote = "" if c == "'" else quote
        elif c == "\\":
            i += 1
        elif quote == '"':
            quote = "" if c == '"' else quote
        elif c in "'\"":
            quote = c
        i += 1
    return tuple(name for name in unquoted if name not in quoted)


def _relocated(value, where: Location):
    """``value`` with every Location inside it replaced by ``where`` (facts are frozen: rebuilt)."""
    if isinstance(value, Location):
        return where
    if isinstance(value, tuple):
        return tuple(_relocated(item, where) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value)(**{f.name: _relocated(getattr(value, f.name), where) for f in dataclasses.fields(value)})
    return value
