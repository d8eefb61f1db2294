"""The values of the exec-context settings of a unit (``src/core/load-fragment.c``).

* ``Environment=`` -- ``config_parse_environ()`` (``src/core/load-fragment.c``):
  empty value resets; each word is specifier-expanded (``unit_env_printf``) and
  must be ``NAME=value`` with a valid name ("Invalid environment assignment,
  ignoring"); a syntax error (unbalanced quote, unknown escape) drops the rest
  of the line ("Invalid syntax, ignoring").  ``strv_env_replace_consume()``
  replaces an earlier assignment of the same name *in its original position*.
* ``EnvironmentFile=`` -- ``config_parse_unit_env_file()``: the whole value
  (not split into words) is specifier-expanded; ``-`` marks it optional; the
  path must be absolute (else ignored); empty value resets.
* ``WorkingDirectory=`` -- ``config_parse_working_directory()``: :func:`working_directory_value`.
* The sandbox's path lists (``ReadWritePaths=``...): quotable words, specifiers expanded.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from meslint.facts import UnitEnvAssignment, UnitEnvironmentFile, UnitSetting
from meslint.parsers.systemd_specifiers import UnitName, expand
from meslint.parsers.systemd_substitution import env_name_is_valid
from meslint.parsers.systemd_words import ExtractError, extract_word, words_of

if TYPE_CHECKING:
    from meslint.parsers.systemd import State
    from meslint.parsers.systemd_lines import Logical


def path_words(value: str, unit: UnitName) -> tuple[str, ...]:
    """A path list's words, specifiers expanded (``config_parse_namespace_path_strv()`` and kin).

    Bad quoting or an unknown escape ends the list there ("Invalid syntax, ignoring"): the words
    before it stay, as systemd has already taken them.
    """
    words: list[str] = []
    try:
        for word in words_of(value):
            words.append(expand(word.text, unit)[0])
    except ExtractError:
        pass
    return tuple(words)



def working_directory_value(value: str, unit_name: str) -> tuple[str | None, str | None]:
    """``config_parse_working_directory()``: (the directory, the problem with it).

    The directory is ``""`` for an empty value (back to the default), ``"~"`` for the home
    directory, else the absolute path, specifiers expanded and simplified; ``None`` when systemd
    rejects the value: fatal for the unit without the ``-`` prefix, ignored with it.
    """
    if not value:
        return "", None
    optional = value.startswith("-")
    rest = value[1:] if optional else value
    if rest == "~":
        return "~", None
    path, unknown = expand(rest, UnitName.of(unit_name))
    how = ", ignoring" if optional else " (the unit will not start)"
    if unknown:
        return None, f"Unknown specifier '{unknown[0]}' in WorkingDirectory={how}: {rest}"
    if not path.startswith("/"):
        return None, f"WorkingDirectory= path is not absolute{how}: {path}"
    if ".." in path.split("/"):
        return None, f"WorkingDirectory= path is not normalized{how}: {path}"
    return simplify_path(path), None

def environment(state: State, setting: UnitSetting, logical: Logical, value_start: int) -> None:
    if setting.value == "":
        state.environment.clear()
        return
    pos = 0
    while True:
        try:
            word, pos = extract_word(setting.value, pos)
        except ExtractError as exc:
            where = state.span(logical, value_start + exc.position, value_start + len(setting.value))
            what = "unbalanced quoting" if exc.reason == "quote" else "invalid escape sequence"
            state.problem(where, f"Invalid syntax ({what}), ignoring the rest of Environment=")
            return
        if word is None:
            return
        location = state.span(logical, value_start + word.start, value_start + word.end)
        text, unknown = expand(word.text, state.unit)
        if unknown:
            # systemd: "Failed to resolve specifiers in ..., ignoring" -- the word is dropped.
            state.problem(location, f"Unknown specifier '{unknown[0]}', ignoring: {word.text}")
            continue
        name, eq, assigned = text.partition("=")
        if not eq or not env_name_is_valid(name):
            state.problem(location, f"Invalid environment assignment, ignoring: {text}")
            continue
        # Same name again: the value changes, the position in the list does not.
        state.environment[name] = UnitEnvAssignment(name, assigned, location)


def simplify_path(path: str) -> str:
    """``path_simplify()``: drop ``//``, ``/./`` and a trailing ``/`` (``..`` stays)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ("/" if path.startswith("/") else "") + "/".join(parts) or "."


def environment_file(state: State, setting: UnitSetting) -> None:
    if setting.value == "":
        state.environment_files.clear()
        return
    expanded, unknown = expand(setting.value, state.unit)
    if unknown:
        state.problem(setting.location, f"Unknown specifier '{unknown[0]}', ignoring: {setting.value}")
        return
    optional = expanded.startswith("-")
    path = expanded[1:] if optional else expanded
    if not posixpath.isabs(path):
        state.problem(setting.location, f"EnvironmentFile= path is not absolute, ignoring: {path}")
        return
    if ".." in path.split("/"):
        # path_simplify_and_warn(): path_is_normalized() refuses "..".
        state.problem(setting.location, f"EnvironmentFile= path is not normalized, ignoring: {path}")
        return
    state.environment_files.append(UnitEnvironmentFile(simplify_path(path), optional, setting.location))
