"""python-dotenv reader (``dotenv_values(path)``, 1.x).

A port of ``dotenv/parser.py`` (``parse_binding``) and of
``resolve_variables``/``parse_variables`` (``main.py``/``variables.py``) with
an empty ``os.environ``.  Verified against 1.2.4: optional ``export``
prefix; blanks around ``=``; single quotes literal except ``\\\\`` and ``\\'``;
double quotes decode ``\\\\ \\' \\" \\a \\b \\f \\n \\r \\t \\v``; both may span
lines; an unquoted value runs to end of line, loses everything from the first
blank+``#`` and trailing blanks (``KEY=a#b`` keeps ``#b``; ``KEY= #c`` is
empty); anything after a closing quote other than blanks and a ``#`` comment
makes the statement unparsable (ParseProblem, like dotenv's warning).
Interpolation applies ``${VAR}`` and ``${VAR:-default}`` (default only when
VAR is *absent*; an empty value stays empty) to **every** value, single-quoted
ones included -- this is what 1.2.4 does, whatever older docs say.
"""

from __future__ import annotations

import codecs
import re

from meslint.parsers.envfile.lines import Hit, Reading

# The regular expressions are python-dotenv's own (dotenv/parser.py, 1.2.x).

_D_MULTILINE_WS = re.compile(r"\s*", re.MULTILINE)
_D_WS = re.compile(r"[^\S\r\n]*")
_D_EXPORT = re.compile(r"(?:export[^\S\r\n]+)?")
_D_SQ_KEY = re.compile(r"'([^']+)'")
_D_KEY = re.compile(r"([^=\#\s]+)")
_D_EQUAL = re.compile(r"(=[^\S\r\n]*)")
# dotenv matches a quoted value with '((?:\\.|[^'\\])*)' (and the same for "): the
# first quote not taken by a backslash pair closes it.  ``re`` keeps backtracking
# state per repetition of that group (about 100 bytes a character), so the same
# match is made by stepping over backslash pairs and quotes instead.
_D_SQ_STEP = re.compile(r"\\.|'", re.DOTALL)
_D_DQ_STEP = re.compile(r'\\.|"', re.DOTALL)
_D_UNQUOTED = re.compile(r"([^\r\n]*)")
_D_COMMENT = re.compile(r"(?:[^\S\r\n]*#[^\r\n]*)?")
_D_EOL = re.compile(r"[^\S\r\n]*(?:\r\n|\n|\r|$)")
_D_REST = re.compile(r"[^\r\n]*(?:\r|\n|\r\n)?")
_D_DQ_ESC = re.compile(r"\\[\\'\"abfnrtv]")
_D_SQ_ESC = re.compile(r"\\[\\']")
_D_VARIABLE = re.compile(r"\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}")


class _DotenvError(Exception):
    pass


def _d_match(regex: re.Pattern[str], text: str, pos: int) -> re.Match[str]:
    m = regex.match(text, pos)
    if m is None:
        raise _DotenvError
    return m


def _d_unescape(regex: re.Pattern[str], value: str) -> str:
    return regex.sub(lambda m: codecs.decode(m.group(0), "unicode-escape"), value)


def _d_closing_quote(text: str, pos: int) -> int:
    """Offset of the quote closing the one at ``pos`` (dotenv's quoted-value regex)."""
    for m in (_D_SQ_STEP if text[pos] == "'" else _D_DQ_STEP).finditer(text, pos + 1):
        if len(m.group(0)) == 1:
            return m.start()
    raise _DotenvError


def _d_value(text: str, pos: int) -> tuple[str, int, int]:
    """(value, value end offset, reader position) -- dotenv's parse_value."""
    char = text[pos : pos + 1]
    if char in ("'", '"'):
        end = _d_closing_quote(text, pos)
        escapes = _D_SQ_ESC if char == "'" else _D_DQ_ESC
        return _d_unescape(escapes, text[pos + 1 : end]), end + 1, end + 1
    if char in ("", "\n", "\r"):
        return "", pos, pos
    m = _d_match(_D_UNQUOTED, text, pos)
    # Inline comment: the first blank+"#" ends the value; the result is a prefix.
    value = re.sub(r"\s+#.*", "", m.group(1)).rstrip()
    return value, pos + len(value), m.end()


def _d_binding(text: str, pos: int) -> tuple[int, tuple[str, int, int, str | None, bool] | None, int | None]:
    """One dotenv statement: (next pos, (key, key_start, end, value, exported) | None, error pos)."""
    pos = _D_MULTILINE_WS.match(text, pos).end()  # type: ignore[union-attr]
    if pos >= len(text):
        return pos, None, None
    start = pos
    try:
        m = _d_match(_D_EXPORT, text, pos)
        exported, pos = m.end() > pos, m.end()
        if text[pos : pos + 1] == "#":
            key = None
        elif text[pos : pos + 1] == "'":
            m = _d_match(_D_SQ_KEY, text, pos)
            key, key_start, pos = m.group(1), pos + 1, m.end()
        else:
            m = _d_match(_D_KEY, text, pos)
            key, key_start, pos = m.group(1), pos, m.end()
        end = pos
        pos = _d_match(_D_WS, text, pos).end()
        value: str | None = None
        if text[pos : pos + 1] == "=":
            m = _d_match(_D_EQUAL, text, pos)
            pos = end = m.end()
            if len(m.group(1)) > 1 and text[pos : pos + 1] == "#":
                value = ""
            else:
                value, end, pos = _d_value(text, pos)
        pos = _d_match(_D_COMMENT, text, pos).end()
        pos = _d_match(_D_EOL, text, pos).end()
    except _DotenvError:
        return _D_REST.match(text, pos).end(), None, start  # type: ignore[union-attr]
    if key is None:
        return pos, None, None
    return pos, (key, key_start, end, value, exported), None


def _d_interpolate(value: str, env: dict[str, str | None]) -> str:
    """dotenv's parse_variables + Variable.resolve, file-only environment."""
    out, cursor = [], 0
    for m in _D_VARIABLE.finditer(value):
        out.append(value[cursor : m.start()])
        default = m["default"] if m["default"] is not None else ""
        result = env.get(m["name"], default)
        out.append(result if result is not None else "")
        cursor = m.end()
    out.append(value[cursor:])
    return "".join(out)


def read(text: str) -> Reading:
    out = Reading()
    env: dict[str, str | None] = {}
    pos = 0
    while pos < len(text):
        new_pos, binding, error_at = _d_binding(text, pos)
        if error_at is not None:
            out.problems.append((error_at, "python-dotenv: could not parse statement"))
        if binding is not None:
            key, key_start, end, value, exported = binding
            resolved = None if value is None else _d_interpolate(value, env)
            env[key] = resolved
            if resolved is not None:
                out.hits.append(Hit(key, key_start, end, resolved, exported=exported))
        if new_pos <= pos:  # defensive: never loop forever
            break
        pos = new_pos
    return out

