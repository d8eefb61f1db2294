"""``Exec*=`` lines -> :class:`meslint.facts.ExecCommand` facts.

``Exec*=`` -- ``config_parse_exec()``: empty value resets that key's list.  The
first word loses its prefixes ``-@:+!`` (each at most once; ``!!`` is two) and
is the executable path.  A lone ``;`` separates several commands on one line,
``\\;`` is a literal ``;``.  Every word is specifier-expanded
(``unit_full_printf``); an unknown escape keeps the backslash with a warning
(``extract_first_word_and_warn()`` retries with ``EXTRACT_UNESCAPE_RELAX``);
unbalanced quoting drops the command.  ``$VAR``/``${VAR}``/``$$`` are left
untouched at parse time: systemd substitutes them when it spawns the process.

Prefixes (the loop of ``config_parse_exec()``; systemd.service(5) "Command lines"): ``-``,
``@``, ``:`` and ``|`` each at most once, in any order; ``+`` and ``!`` exclude each other;
``!!`` is two ``!`` (the ambient-capabilities hack; since v258 it is accepted and ignored) and
takes no ``+`` or third ``!`` after it.  A character that cannot be taken ends the prefixes and
stays in the path, which the path checks then reject ("Neither a valid executable name nor an
absolute path"): that is how systemd rejects ``--x``, ``+!x``, ``!+x`` or ``!!!x``.

``|`` (systemd >= 258): the command line runs via the user's login shell, ``SHELL -c``; with
``@`` as a login shell (argv[0] ``-sh``).  No word is an executable path (no path check), the
first word may be empty (``|`` alone before the first word), ``@`` takes no argv[0] word.  The
words are kept in ``argv`` as written; :func:`via_shell_argv` is the argv the shell gets, the one
place that reads them as a shell command line.  systemd does not reject a prefix character
left at the start of the shell's text (``||x``, ``|+!x``); the shell then fails on it, so the
parser reports it.

:attr:`ExecCommand.argv` is ``(path, *words)``.  Without ``@`` that is exactly
the argv systemd passes; with ``@`` the process sees ``argv[1:]`` (its argv[0]
is the second word).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meslint.facts import ExecCommand, Location, UnitSetting
from meslint.parsers.systemd_specifiers import expand
from meslint.parsers.systemd_words import WHITESPACE, ExtractError, extract_word, string_is_safe

if TYPE_CHECKING:
    from meslint.parsers.systemd import State


def _expand_reporting(state: State, value: str, location: Location) -> str:
    expanded, unknown = expand(value, state.unit)
    for spec in unknown:
        state.problem(location, f"Unknown specifier '{spec}' (systemd fails to resolve specifiers here)")
    return expanded

def exec_line(state: State, setting: UnitSetting) -> None:
    if setting.value == "":
        state.exec_commands[:] = [c for c in state.exec_commands if c.key != setting.key]
        return
    value = setting.value
    pos = 0
    while pos < len(value):
        command, pos = _exec_one(state, setting, value, pos)
        if command is not None:
            state.exec_commands.append(command)


_PREFIX_CHARACTERS = "-@:+!|"


def _take_prefixes(word: str) -> tuple[str, str]:
    """Strip the ``-@:+!`` prefixes the way config_parse_exec() accepts them."""
    taken = ""
    for index, c in enumerate(word):
        if c in "-@:|" and c not in taken:  # "|" (via shell): systemd >= 258
            taken += c
        elif c == "+" and "+" not in taken and "!" not in taken:
            taken += c
        elif c == "!" and "+" not in taken and taken.count("!") < 2:
            taken += c  # "!" then "!!" (EXEC_COMMAND_AMBIENT_MAGIC)
        else:
            return taken, word[index:]
    return taken, ""


def via_shell_argv(words: tuple[str, ...]) -> tuple[str, ...]:
    """What the shell of a ``|`` command runs: ``("sh", "-c", TEXT)``, ``("sh",)`` without words.

    The shell is the user's login shell (known only at runtime; ``sh`` stands for it, as the
    ``/bin/sh`` placeholder systemd records).  TEXT is the words joined by spaces, the command
    line the shell parses (systemd has already substituted ``$VAR`` in each word unless ``:``).
    """
    return ("sh", "-c", " ".join(words)) if words else ("sh",)


def _exec_one(state: State, setting: UnitSetting, value: str, pos: int) -> tuple[ExecCommand | None, int]:
    """One command of an Exec line starting at ``pos``; returns it and where the next starts."""
    loc = setting.location
    words: list[str] = []
    try:
        first, pos = extract_word(value, pos, unescape_relax=True)
        if first is None:
            return None, len(value)
        if first.text == ";":
            return None, pos
        prefixes, path = _take_prefixes(first.text)
        if first.relaxed_escape:
            state.problem(loc, f"Ignoring unknown escape sequences: \"{first.text}\"")
        if path or "|" not in prefixes:  # "|" before a space: the shell's text starts at the next word
            words.append(_expand_reporting(state, path, loc))
        while pos < len(value):
            if value[pos] == ";" and (pos + 1 == len(value) or value[pos + 1] in WHITESPACE):
                pos = _skip_ws(value, pos + 1)
                break
            if value.startswith("\\;", pos) and (pos + 2 == len(value) or value[pos + 2] in WHITESPACE):
                words.append(";")
                pos = _skip_ws(value, pos + 2)
                continue
            word, pos = extract_word(value, pos, unescape_relax=True)
            if word is None:
                break
            if word.relaxed_escape:
                state.problem(loc, f"Ignoring unknown escape sequences: \"{word.text}\"")
            words.append(_expand_reporting(state, word.text, loc))
    except ExtractError:
        state.problem(loc, f"Unbalanced quoting, ignoring: \"{value}\"")
        return None, len(value)
    if "|" in prefixes:  # a shell command line, not a path: systemd checks nothing
        if path and path[0] in _PREFIX_CHARACTERS:
            state.problem(loc, f"Exec prefix '{path[0]}' cannot follow '{prefixes}': the shell runs it as part of "
                               f"the command: {setting.value}")
    else:
        error = _exec_path_error(words[0], "@" in prefixes, len(words))
        if error:
            state.problem(loc, f"{error}: {setting.value}")
            return None, pos
    argv = tuple(words)
    from meslint.parsers.unit_scripts import embedded_script  # imports the shell parser only when needed

    script, split = embedded_script(state.path, prefixes, argv, loc)
    return ExecCommand(setting.key, prefixes, argv, loc, script, split), pos


def _skip_ws(value: str, pos: int) -> int:
    while pos < len(value) and value[pos] in WHITESPACE:
        pos += 1
    return pos


def _exec_path_error(path: str, separate_argv0: bool, count: int) -> str | None:
    """The checks config_parse_exec() makes on the executable (each fails the command)."""
    if not path:
        return "Empty path in command line"
    if not string_is_safe(path):
        return "Executable name contains special characters"
    if path.endswith("/"):
        return "Executable path specifies a directory"
    if path.startswith("/"):
        if any(len(part.encode()) > 255 for part in path.split("/")):
            return "Neither a valid executable name nor an absolute path"
    elif path in (".", "..") or "/" in path or len(path.encode()) > 255:
        return "Neither a valid executable name nor an absolute path"
    if separate_argv0 and count < 2:
        return "Empty executable name or zeroeth argument"
    return None
