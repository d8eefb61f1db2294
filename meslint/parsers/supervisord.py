"""supervisord's INI file -> :class:`meslint.facts.SupervisorConf`, with supervisord's semantics.

supervisord reads its file with a ``RawConfigParser(inline_comment_prefixes=(';', '#'),
strict=False)`` (supervisor/options.py ``UnhosedConfigParser``): no interpolation, keys
folded to lower case, indented lines continue a value, ``;``/``#`` comment lines, an inline
comment only after whitespace, a repeated section or key keeps the last value.  This parser
reads the file the same way (configparser itself); a line scan beside it finds the line of
each section and key, which configparser does not keep.

Values are kept unexpanded: supervisord expands ``%(ENV_X)s`` (its own environment at start),
``%(here)s`` (the config file's directory), ``%(program_name)s``, ``%(group_name)s``,
``%(process_num)d``, ``%(numprocs)d``, ``%(host_node_name)s`` with Python's ``%`` operator when
it builds each process (:func:`expand`), so they depend on the container's environment.
``environment=`` is ``KEY="val",KEY2=val2`` split by supervisord's own shlex reading
(:func:`environment_pairs`).  ``[include] files=`` globs are resolved by
:mod:`meslint.container_runtime`, inside the repository only.
"""

from __future__ import annotations

import configparser
import re
import shlex

from meslint.facts import Location, ParseProblem, SupervisorConf, SupervisorSection, SupervisorSetting

_SECTION = re.compile(r"\[(?P<header>.+)\]")  # configparser's SECTCRE
_KEY = re.compile(r"(?P<key>[^=:\s][^=:]*?)\s*[=:]")


def parse(path: str, text: str) -> SupervisorConf:
    """Parse a supervisord configuration file; never raises."""
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False, interpolation=None,
                                          default_section="\x00no default section")
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as exc:
        return SupervisorConf(path, problems=(ParseProblem(Location(path, exc.lineno), "supervisord config not "
                                                           "parsable: a setting before the first [section]"),))
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else 1
        return SupervisorConf(path, problems=(ParseProblem(Location(path, line), "supervisord config not parsable: "
                                                           "a line that is neither a section, a setting nor a "
                                                           "comment"),))
    except configparser.Error as exc:
        return SupervisorConf(path, problems=(ParseProblem(Location(path), f"supervisord config not parsable: "
                                                           f"{type(exc).__name__}"),))
    lines = _lines_of(text)
    sections = []
    for header in parser.sections():
        section_line, key_lines = lines.get(header, (1, {}))
        kind, _, name = header.partition(":")
        kind = kind.strip()
        if kind not in {"program", "group", "supervisord", "include", "fcgi-program", "eventlistener",
                        "supervisorctl", "unix_http_server", "inet_http_server", "rpcinterface"}:
            kind = "other"
        settings = tuple(SupervisorSetting(key, value or "", Location(path, key_lines.get(key, section_line)))
                         for key, value in parser.items(header))
        sections.append(SupervisorSection(kind, name.strip(), Location(path, section_line), settings))
    return SupervisorConf(path, tuple(sections))


def _lines_of(text: str) -> dict[str, tuple[int, dict[str, int]]]:
    """Section header -> (its last header line, key -> the line of its last assignment)."""
    found: dict[str, tuple[int, dict[str, int]]] = {}
    current: dict[str, int] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or line[0] in ";#" or line[0].isspace():
            continue
        match = _SECTION.match(line)
        if match:
            header = match.group("header")
            previous = found.get(header)
            current = previous[1] if previous else {}
            found[header] = (number, current)
            continue
        key = _KEY.match(line)
        if key and current is not None:
            current[key.group("key").strip().lower()] = number
    return found


def expand(value: str, expansions: dict[str, str]) -> str | None:
    """supervisord's ``expand()``: ``value % expansions``; None where it would fail (an unknown name).

    ``%(process_num)d``-style conversions need numbers: expansions whose value is all digits
    are passed as integers, as supervisord passes them.
    """
    if "%" not in value:
        return value
    typed: dict[str, object] = {k: int(v) if v.isdigit() else v for k, v in expansions.items()}
    try:
        return value % typed
    except (KeyError, ValueError, TypeError):
        return None


class _Recording(dict):
    """Expansions that remember the names a format asked for and did not find."""

    def __init__(self, values: dict[str, object]) -> None:
        super().__init__(values)
        self.missing: list[str] = []

    def __missing__(self, key: str) -> object:
        self.missing.append(key)
        raise KeyError(key)


def expand_checked(value: str, expansions: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """supervisord's ``expand()`` with its failure told: (result, unknown name, format error).

    Where supervisord raises "Format string ... contains names (...) which cannot be expanded",
    the second item is the name; where it raises "... is badly formatted" (a lone ``%``, a
    conversion the value does not fit), the third is Python's complaint.
    """
    if "%" not in value:
        return value, None, None
    recording = _Recording({k: int(v) if v.isdigit() else v for k, v in expansions.items()})
    try:
        return value % recording, None, None
    except KeyError:
        return None, recording.missing[-1] if recording.missing else "?", None
    except (ValueError, TypeError) as exc:
        return None, None, str(exc)


def environment_pairs(value: str) -> list[tuple[str, str]] | None:
    """``environment=`` split as supervisord's ``dict_of_key_value_pairs`` does; None where it fails.

    supervisord runs a non-POSIX ``shlex`` over the value with ``/.+-():`` added to the word
    characters, takes ``KEY = VALUE`` triples separated by commas and strips quotes from each
    value's ends.  A value with other characters outside quotes breaks into several tokens and
    supervisord refuses the whole line.
    """
    lexer = shlex.shlex(value)
    lexer.wordchars += "/.+-():"
    try:
        tokens = list(lexer)
    except ValueError:  # no closing quotation
        return None
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        triple = tokens[i:i + 3]
        if len(triple) != 3 or triple[1] != "=":
            return None
        pairs.append((triple[0], triple[2].strip("'\"")))
        i += 4
    return pairs
