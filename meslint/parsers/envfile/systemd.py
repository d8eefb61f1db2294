"""systemd ``EnvironmentFile=`` reader.

A port of ``parse_env_file_internal`` in systemd ``src/basic/env-file.c``
(states PRE_KEY, KEY, PRE_VALUE, VALUE, VALUE_ESCAPE, SINGLE_QUOTE_VALUE,
DOUBLE_QUOTE_VALUE(_ESCAPE), COMMENT, COMMENT_ESCAPE) as driven by
``load_env_file`` from ``exec_context_load_environment`` (src/core/execute.c),
which then drops entries ``strv_env_clean_with_callback`` finds invalid.
Verified there, not guessed:

* ``#`` and ``;`` (``COMMENTS``) start a comment only in PRE_KEY, i.e. as the
  first non-blank character of a line.  There are no inline comments:
  ``KEY=2   # note`` gives ``2   # note`` (VALUE keeps everything; only trailing
  whitespace of an unquoted value is chomped, via ``last_value_whitespace``).
* A backslash escapes the next character in an unquoted value
  (VALUE_ESCAPE); an escaped blank is not chomped (``g=g\\ `` gives ``g ``);
  backslash-newline is removed entirely (continuation; the next line's leading
  blanks are kept).  A comment line ending in a backslash does not continue
  (COMMENT_ESCAPE, since v254).
* Quotes are only special where a value *starts* (PRE_VALUE): after a closing
  quote the machine is back in PRE_VALUE, so blanks between pieces are dropped
  (``A="a" 'b'`` gives ``ab``) and ``A=a'b'`` keeps the quotes literally.
  Single quotes are literal; in double quotes a backslash unescapes only
  ``"\\`$`` (``SHELL_NEED_ESCAPE``), keeps itself before anything else, and
  disappears with a following newline.  Quoted values may span lines.
* Blanks around ``=`` are dropped (``last_key_whitespace``; PRE_VALUE skips
  blanks).  ``KEY=`` gives an empty value.  A line without ``=`` is dropped.
* ``export KEY=1`` is *not* understood: the key is ``export KEY``, which
  ``env_assignment_is_valid`` rejects (names are ``[A-Za-z_][A-Za-z0-9_]*``),
  so the line is ignored (``systemd=None``).
* An unterminated quote silently swallows the rest of the file (the EOF
  branch pushes the value); meslint adds a ParseProblem.
* No ``$VAR`` expansion (``load_env_file``, unlike ``merge_env_file``).
  Later duplicates win (``strv_env_replace_consume``).
"""

from __future__ import annotations

import re

from meslint.parsers.envfile.lines import VALID_NAME, Hit, Reading, TextBuilder

_WS = " \t\n\r"
_NL = "\n\r"
_NEED_ESCAPE = '"\\`$'
_VALUE_STATES = (
    "PRE_VALUE", "VALUE", "VALUE_ESCAPE", "SINGLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE_ESCAPE",
)  # fmt: skip
# Runs of characters a state treats alike, consumed in one step (the machine is
# systemd's, one character at a time; taking runs keeps time and memory linear
# with a small constant: a value is a few slices, not a list of characters).
_RUNS = {
    "KEY": re.compile(r"[^=\n\r]+"),
    "VALUE": re.compile(r"[^\\\n\r]+"),
    "SINGLE_QUOTE_VALUE": re.compile(r"[^']+"),
    "DOUBLE_QUOTE_VALUE": re.compile(r'[^"\\]+'),
    "COMMENT": re.compile(r"[^\\\n\r]+"),
}
_BLANKS = " \t"


def read(text: str) -> Reading:
    """Port of systemd's parse_env_file_internal + env_assignment_is_valid."""
    out = Reading()
    state = "PRE_KEY"
    key = ""
    value: TextBuilder | None = None
    length = 0  # characters in ``value``
    keep = 0  # characters of ``value`` an unquoted value keeps (last_value_whitespace)
    key_start = 0
    val_end = 0  # one past the last significant source char of the value
    quote_start = 0

    def push(end: int) -> None:
        nonlocal key, value
        name = key.rstrip(_WS)  # last_key_whitespace
        val = value.build() if value is not None else ""
        if VALID_NAME.match(name):
            out.hits.append(Hit(name, key_start, max(end, key_start + len(name)), val))
        key, value = "", None

    def append(piece: str) -> None:
        nonlocal length
        assert value is not None
        value.append(piece)
        length += len(piece)

    def chomp() -> None:
        # Drop the unquoted value's trailing blanks (not escaped ones).
        nonlocal value, length
        if value is not None and keep < length:
            kept = value.build()[:keep]
            value, length = TextBuilder(), keep
            value.append(kept)

    n = len(text)
    pos = 0
    while pos < n:
        run = _RUNS.get(state)
        if run is not None:
            m = run.match(text, pos)
            if m is not None:
                piece = m.group(0)
                if state == "KEY":
                    key += piece
                elif state == "VALUE":
                    append(piece)
                    significant = piece.rstrip(_BLANKS)
                    if significant:
                        keep = length - len(piece) + len(significant)
                        val_end = pos + len(significant)
                elif state != "COMMENT":
                    append(piece)
                pos = m.end()
                continue
        c = text[pos]
        if state == "PRE_KEY":
            if c in "#;":
                state = "COMMENT"
            elif c not in _WS:
                state, key, key_start = "KEY", c, pos
        elif state == "KEY":
            if c in _NL:
                state, key = "PRE_KEY", ""
            elif c == "=":
                state, value, length, val_end = "PRE_VALUE", None, 0, pos + 1
        elif state == "PRE_VALUE":
            if c in _NL:
                state = "PRE_KEY"
                push(val_end)
            elif c == "'":
                state, quote_start = "SINGLE_QUOTE_VALUE", pos
                value = value if value is not None else TextBuilder()
            elif c == '"':
                state, quote_start = "DOUBLE_QUOTE_VALUE", pos
                value = value if value is not None else TextBuilder()
            elif c == "\\":
                state = "VALUE_ESCAPE"
                value = value if value is not None else TextBuilder()
            elif c not in _WS:
                state = "VALUE"
                value = value if value is not None else TextBuilder()
                append(c)
                keep, val_end = length, pos + 1
        elif state == "VALUE":
            if c in _NL:
                state = "PRE_KEY"
                chomp()
                push(val_end)
            else:  # a backslash: the run stopped here
                state = "VALUE_ESCAPE"
        elif state == "VALUE_ESCAPE":
            state = "VALUE"
            if c not in _NL:  # escaped newlines are eaten entirely
                append(c)
            keep, val_end = length, pos + 1
        elif state == "SINGLE_QUOTE_VALUE":  # the closing quote
            state, val_end = "PRE_VALUE", pos + 1
        elif state == "DOUBLE_QUOTE_VALUE":
            if c == '"':
                state, val_end = "PRE_VALUE", pos + 1
            else:
                state = "DOUBLE_QUOTE_VALUE_ESCAPE"
        elif state == "DOUBLE_QUOTE_VALUE_ESCAPE":
            state = "DOUBLE_QUOTE_VALUE"
            if c in _NEED_ESCAPE:
                append(c)
            elif c != "\n":
                append("\\" + c)
        elif state == "COMMENT":
            state = "COMMENT_ESCAPE" if c == "\\" else "PRE_KEY"
        elif state == "COMMENT_ESCAPE":
            state = "PRE_KEY" if c in _NL else "COMMENT"
        pos += 1

    # End of file: systemd pushes whatever value is pending, even inside quotes.
    if state in ("SINGLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE_ESCAPE"):
        out.problems.append((quote_start, "systemd: unterminated quote; the value runs to the end of the file"))
        val_end = len(text.rstrip(_WS))
    if state in _VALUE_STATES:
        if state == "VALUE":
            chomp()
        push(val_end)
    return out
