"""Exec-time substitution -- :func:`substitute_argv`.

``replace_env_argv()`` in ``src/basic/env-util.c`` (called from
``src/core/exec-invoke.c``, formerly ``execute.c``, unless the command has the
``:`` prefix, ``EXEC_COMMAND_NO_ENV_EXPAND``):

* a word that is exactly ``$NAME`` (second char neither ``{`` nor ``$``) is
  replaced by the variable's value split on whitespace with
  ``EXTRACT_RELAX|EXTRACT_UNQUOTE`` (quotes in the *value* group words, no C
  escapes) -> 0..n words; unset, or not a valid name (``$FOO/bar``, a lone ``$``)
  -> the word disappears;
* every other word goes through ``replace_env_full(word, ..., flags=0)``:
  ``${NAME}`` -> value (unset or invalid name -> empty), ``$$`` -> ``$``, and a
  braceless ``$NAME`` inside a word stays literal (no ``REPLACE_ENV_ALLOW_BRACELESS``).
  Because ``REPLACE_ENV_ALLOW_EXTENDED`` is not set, reaching ``:`` inside
  ``${...}`` means "Treat this as unsupported syntax, i.e. do no replacement":
  ``${VAR:-default}`` and ``${VAR:+alt}`` stay **literally** in the argument,
  for a shell to expand later.  A ``${B}`` nested inside it *is* still
  replaced: ``${A:-${B}}`` -> ``${A:-<value of B>}``.
* Quotes were removed at parse time, so ``${VAR}`` inside a single-quoted
  ``bash -c '...'`` argument is substituted by systemd too; only ``$${VAR}``
  reaches the shell as ``${VAR}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from meslint.parsers.systemd_words import split_relaxed


def env_name_is_valid(name: str) -> bool:
    """``env_name_is_valid()``: ASCII letters, digits, ``_``; not starting with a digit."""
    return (bool(name) and name.isascii() and not name[0].isdigit()
            and all(c.isalnum() or c == "_" for c in name))


def replace_env(word: str, env: Mapping[str, str]) -> str:
    """``replace_env_full(word, ..., flags=0)`` from src/basic/env-util.c, state for state."""
    out: list[str] = []
    state = "word"
    mark = 0  # systemd's `word` pointer: start of the not yet copied text
    for i, c in enumerate(word):
        if state == "word":
            if c == "$":
                state = "curly"
        elif state == "curly":
            if c == "{":
                out.append(word[mark:i - 1])
                mark = i - 1
                state = "variable"
            elif c == "$":
                out.append(word[mark:i])  # keeps the first $, drops the second
                mark = i + 1
                state = "word"
            else:
                state = "word"  # no REPLACE_ENV_ALLOW_BRACELESS: $NAME stays literal
        elif state == "variable":
            if c == "}":
                name = word[mark + 2:i]
                out.append(env.get(name, "") if env_name_is_valid(name) else "")
                mark = i + 1
                state = "word"
            elif c == ":":
                # No REPLACE_ENV_ALLOW_EXTENDED: "unsupported syntax, do no replacement".
                state = "word"
    out.append(word[mark:])
    return "".join(out)


def substitute_argv(argv: Iterable[str], env: Mapping[str, str]) -> tuple[str, ...]:
    """systemd's own ``$VAR``/``${VAR}`` substitution of an Exec command line.

    Apply it only to commands without the ``:`` prefix.  See the module
    docstring for the exact rules (``${VAR:-x}`` is kept literally).
    """
    result: list[str] = []
    for word in argv:
        if word.startswith("$") and word[1:2] not in ("{", "$"):
            name = word[1:]
            if env_name_is_valid(name) and name in env:
                result.extend(split_relaxed(env[name]))
            continue  # unset or invalid name: the word disappears
        result.append(replace_env(word, env))
    return tuple(result)
