"""Env files -> :class:`meslint.facts.EnvFile`, read the way each consumer reads them.

One file, three readers that disagree.  The module runs three independent
readers over the text and merges their results by the offset of the variable
name: an :class:`EnvAssignment` exists for every name at least one consumer
assigns, and a consumer that does not assign at that spot gets ``None``.

``location`` starts at the name and ends one past the furthest character any
consumer took as part of the value (systemd keeps inline comments, so for
``KEY=2  # note`` the span runs to the end of ``note``).  ``raw`` is the text
of the physical lines the span covers, continuation lines included.

systemd (``EnvironmentFile=``)
------------------------------
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

bash (``set -a; source FILE``)
------------------------------
A static reader for the subset of bash env files use: simple commands split
on newlines and ``;``; words with single quotes, double quotes (``\\`` before
``$ ` " \\`` and newline), ``$'...'`` (ANSI-C escapes; a NUL ends the string),
``$"..."``, backslash escapes and backslash-newline; ``#`` starts a comment
only at the start of a word; ``export`` (its assignment arguments are
recorded with ``exported=True``); ``unset``.  Expansions ``$VAR``, ``${VAR}``,
``${VAR-w}``, ``${VAR:-w}``, ``${VAR+w}``, ``${VAR:+w}``, ``${VAR=w}``,
``${VAR:=w}`` and ``${#VAR}`` are evaluated against assignments made earlier in
the same file.  A variable the file has not assigned expands to empty (or its
default) and sets ``bash_dynamic``: the caller's environment decides.
``$(...)``, backticks, ``$((...))``, special parameters (``$1 $? $$ $_``...),
tilde and any other ``${...}`` form give ``bash=None`` with ``bash_dynamic``.
``NAME=a b`` runs command ``b`` with NAME in its environment only, so NAME is
not set (``bash=None``, ``bash_dynamic=True``); the same holds for
``NAME=x export OTHER=y`` (OTHER is set) and ``NAME=x :`` (bash 5.2, not in
POSIX mode).  An unquoted word that expands to nothing (``A=1 $UNSET``) is no
command, so A is set.  Words are expanded in bash's order (a command's words
before its prefix assignments; all ``export`` arguments before any is
assigned; plain assignments left to right), which matters for ``${VAR:=x}``.
``export $X`` where X holds ``NAME=v`` assigns NAME (the fact is located at
``$X``).  A bad substitution (``${}``) fails its command -- assignments to its
left on an assignment-only line still happen -- and discards the rest of the
line, as bash does for a sourced file.  After ``source other`` or
``export $UNKNOWN`` any variable may have been set, so later references to
variables the file has not assigned become unknown.
Assignments inside ``if``/``case``/loops/``{ }`` or in commands joined by
``&& || | &`` or with redirections get ``bash=None`` with ``bash_dynamic``.
Nothing is ever executed.  Other commands (``echo``, ``source other``) record
nothing.  A syntax error (unterminated quote or ``${``, stray ``fi``/``}``)
becomes a ParseProblem and, like bash, ends reading of the file.  Names
and ``$NAME`` references may be split by backslash-newline (``A\\<nl>B=1``
assigns ``AB``).

python-dotenv (``dotenv_values(path)``, 1.x)
--------------------------------------------
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

Known limits (documented, not bugs)
-----------------------------------
* dotenv: a bare ``KEY`` line (no ``=``) makes ``dotenv_values`` report
  ``KEY: None`` and hides an earlier ``KEY=x``; meslint records no assignment
  for it (it still resolves to empty in later interpolation).
* bash: ``${VAR:=x}`` assigns VAR as a side effect; the reader tracks that
  for later expansions, but no :class:`EnvAssignment` is recorded for it.
* bash: functions, here-documents, subshells and arrays are not modelled;
  ``declare``/``readonly``/``local`` and ``source`` record nothing;
  ``export -n``/``-f`` style options make the line's assignments unknown.
  ``$'\\u....'`` is decoded as in a UTF-8 locale.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass, field

from meslint.facts import EnvAssignment, EnvFile, Location, ParseProblem

__all__ = ["parse", "consumer_values", "CONSUMERS"]

CONSUMERS = ("systemd", "bash", "dotenv")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class _Hit:
    """One consumer's reading of one assignment."""

    name: str
    start: int  # offset of the first character of the name
    end: int  # offset one past the value's source text
    value: str | None
    exported: bool = False
    dynamic: bool = False


@dataclass
class _Reading:
    hits: list[_Hit] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


# =========================================================================== systemd

_WS = " \t\n\r"
_NL = "\n\r"
_NEED_ESCAPE = '"\\`$'
_VALUE_STATES = (
    "PRE_VALUE", "VALUE", "VALUE_ESCAPE", "SINGLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE_ESCAPE",
)  # fmt: skip


def _read_systemd(text: str) -> _Reading:
    """Port of systemd's parse_env_file_internal + env_assignment_is_valid."""
    out = _Reading()
    state = "PRE_KEY"
    key: list[str] = []
    value: list[str] | None = None
    key_ws: int | None = None  # last_key_whitespace
    val_ws: int | None = None  # last_value_whitespace
    key_start = 0
    val_end = 0  # one past the last significant source char of the value
    quote_start = 0

    def push(end: int) -> None:
        nonlocal key, value
        name = "".join(key[:key_ws] if key_ws is not None else key)
        val = "".join(value) if value is not None else ""
        if _VALID_NAME.match(name):
            out.hits.append(_Hit(name, key_start, max(end, key_start + len(name)), val))
        key, value = [], None

    for pos, c in enumerate(text):
        if state == "PRE_KEY":
            if c in "#;":
                state = "COMMENT"
            elif c not in _WS:
                state, key, key_ws, key_start = "KEY", [c], None, pos
        elif state == "KEY":
            if c in _NL:
                state, key = "PRE_KEY", []
            elif c == "=":
                state, val_ws, value, val_end = "PRE_VALUE", None, None, pos + 1
            else:
                if c not in _WS:
                    key_ws = None
                elif key_ws is None:
                    key_ws = len(key)
                key.append(c)
        elif state == "PRE_VALUE":
            if c in _NL:
                state = "PRE_KEY"
                push(val_end)
            elif c == "'":
                state, quote_start = "SINGLE_QUOTE_VALUE", pos
                value = value if value is not None else []
            elif c == '"':
                state, quote_start = "DOUBLE_QUOTE_VALUE", pos
                value = value if value is not None else []
            elif c == "\\":
                state = "VALUE_ESCAPE"
                value = value if value is not None else []
            elif c not in _WS:
                state = "VALUE"
                value = value if value is not None else []
                value.append(c)
                val_end = pos + 1
        elif state == "VALUE":
            assert value is not None
            if c in _NL:
                state = "PRE_KEY"
                if val_ws is not None:
                    del value[val_ws:]
                push(val_end)
            elif c == "\\":
                state, val_ws = "VALUE_ESCAPE", None
            else:
                if c not in _WS:
                    val_ws = None
                    val_end = pos + 1
                elif val_ws is None:
                    val_ws = len(value)
                value.append(c)
        elif state == "VALUE_ESCAPE":
            assert value is not None
            state = "VALUE"
            if c not in _NL:  # escaped newlines are eaten entirely
                value.append(c)
            val_end = pos + 1
        elif state == "SINGLE_QUOTE_VALUE":
            assert value is not None
            if c == "'":
                state, val_end = "PRE_VALUE", pos + 1
            else:
                value.append(c)
        elif state == "DOUBLE_QUOTE_VALUE":
            assert value is not None
            if c == '"':
                state, val_end = "PRE_VALUE", pos + 1
            elif c == "\\":
                state = "DOUBLE_QUOTE_VALUE_ESCAPE"
            else:
                value.append(c)
        elif state == "DOUBLE_QUOTE_VALUE_ESCAPE":
            assert value is not None
            state = "DOUBLE_QUOTE_VALUE"
            if c in _NEED_ESCAPE:
                value.append(c)
            elif c != "\n":
                value.extend(("\\", c))
        elif state == "COMMENT":
            if c == "\\":
                state = "COMMENT_ESCAPE"
            elif c in _NL:
                state = "PRE_KEY"
        elif state == "COMMENT_ESCAPE":
            state = "PRE_KEY" if c in _NL else "COMMENT"

    # End of file: systemd pushes whatever value is pending, even inside quotes.
    if state in ("SINGLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE", "DOUBLE_QUOTE_VALUE_ESCAPE"):
        out.problems.append((quote_start, "systemd: unterminated quote; the value runs to the end of the file"))
        val_end = len(text.rstrip(_WS))
    if state in _VALUE_STATES:
        if state == "VALUE" and val_ws is not None and value is not None:
            del value[val_ws:]
        push(val_end)
    return out


# =========================================================================== dotenv
# The regular expressions are python-dotenv's own (dotenv/parser.py, 1.2.x).

_D_MULTILINE_WS = re.compile(r"\s*", re.MULTILINE)
_D_WS = re.compile(r"[^\S\r\n]*")
_D_EXPORT = re.compile(r"(?:export[^\S\r\n]+)?")
_D_SQ_KEY = re.compile(r"'([^']+)'")
_D_KEY = re.compile(r"([^=\#\s]+)")
_D_EQUAL = re.compile(r"(=[^\S\r\n]*)")
_D_SQ_VALUE = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_D_DQ_VALUE = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
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


def _d_value(text: str, pos: int) -> tuple[str, int, int]:
    """(value, value end offset, reader position) -- dotenv's parse_value."""
    char = text[pos : pos + 1]
    if char == "'":
        m = _d_match(_D_SQ_VALUE, text, pos)
        return _d_unescape(_D_SQ_ESC, m.group(1)), m.end(), m.end()
    if char == '"':
        m = _d_match(_D_DQ_VALUE, text, pos)
        return _d_unescape(_D_DQ_ESC, m.group(1)), m.end(), m.end()
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


def _read_dotenv(text: str) -> _Reading:
    out = _Reading()
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
                out.hits.append(_Hit(key, key_start, end, resolved, exported=exported))
        if new_pos <= pos:  # defensive: never loop forever
            break
        pos = new_pos
    return out


# =========================================================================== bash


class _BashSyntaxError(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


@dataclass
class _Lit:
    text: str
    quoted: bool


@dataclass
class _Param:
    name: str
    op: str  # "", "-", ":-", "+", ":+", "=", ":=", "#len"
    arg: list | None = None


@dataclass
class _Dyn:
    """Something only known at run time ($(...), $1, unsupported ${...})."""

    reason: str


@dataclass
class _Bad:
    """A bad substitution: bash fails the command at run time."""

    reason: str


@dataclass
class _Word:
    start: int
    end: int
    parts: list
    assign: tuple[str, int, bool] | None = None  # (name, name start, is +=)
    value_parts: list | None = None


_RESERVED_OPEN = {"if", "case", "while", "until", "for", "select", "{"}
_RESERVED_CLOSE = {"fi", "esac", "done", "}"}
_RESERVED_MID = {"then", "else", "elif", "do"}
_OPERATOR_CHARS = ";&|<>()"
_SPECIAL_PARAMS = "@*#?-$!0123456789"
_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


def _decode_ansi_c(body: str) -> str:
    """bash's $'...' escapes; a NUL ends the string (bash truncates there)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        i += 2
        if n in _ANSI_SIMPLE:
            ch = _ANSI_SIMPLE[n]
        elif n in "01234567":
            m = re.match(r"[0-7]{0,2}", body[i:])
            digits = n + m.group(0)  # type: ignore[union-attr]
            i += len(digits) - 1
            ch = chr(int(digits, 8) & 0xFF)
        elif n in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[n]
            m = re.match(f"[0-9a-fA-F]{{1,{width}}}", body[i:])
            if m is None:
                out.append("\\" + n)
                continue
            i += len(m.group(0))
            code = int(m.group(0), 16)
            ch = chr(code) if code <= 0x10FFFF else ""
        elif n == "c" and i < len(body):
            ctl = body[i]
            i += 1
            if ctl == "\\" and body[i : i + 1] == "\\":
                i += 1
            ch = chr(ord(ctl.upper()) & 0x1F) if ctl != "?" else "\x7f"
        else:
            out.append("\\" + n)
            continue
        if ch == "\0":
            break
        out.append(ch)
    return "".join(out)


class _BashLexer:
    """Turns the file into simple commands of words (no evaluation yet)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)

    # ---------------------------------------------------------------- helpers
    def peek(self, i: int, k: int = 1) -> str:
        return self.text[i : i + k]

    def skip_blanks(self, i: int) -> int:
        while i < self.n:
            if self.text[i] in " \t":
                i += 1
            elif self.text.startswith("\\\n", i):
                i += 2
            else:
                break
        return i

    # ---------------------------------------------------------------- words
    def word(self, i: int, ctx: str) -> tuple[list, int]:
        """Parse word parts from i; ctx is "top", "brace" or "brace_dq"."""
        parts: list = []
        t = self.text
        while i < self.n:
            c = t[i]
            if ctx == "top" and (c in " \t\n" or c in _OPERATOR_CHARS):
                break
            if ctx != "top" and c == "}":
                break
            if c == "\\":
                if self.peek(i + 1) == "\n":
                    i += 2
                elif i + 1 >= self.n:
                    parts.append(_Lit("\\", ctx == "brace_dq"))
                    i += 1
                elif ctx == "brace_dq":
                    n = t[i + 1]
                    parts.append(_Lit(n if n in '$`"\\}' else "\\" + n, True))
                    i += 2
                else:
                    parts.append(_Lit(t[i + 1], True))
                    i += 2
            elif c == "'" and ctx != "brace_dq":
                j = t.find("'", i + 1)
                if j < 0:
                    raise _BashSyntaxError(i, "bash: unterminated single quote")
                parts.append(_Lit(t[i + 1 : j], True))
                i = j + 1
            elif c == '"':
                sub, i = self.double_quoted(i + 1, i)
                parts.append(_Lit("", True))  # marks the word as quoted even if empty
                parts.extend(sub)
            elif c == "`":
                i = self.backticks(i)
                parts.append(_Dyn("backticks"))
            elif c == "$":
                part, i = self.dollar(i, in_dq=ctx == "brace_dq")
                parts.append(part)
            else:
                parts.append(_Lit(c, ctx == "brace_dq"))
                i += 1
        return parts, i

    def double_quoted(self, i: int, open_at: int) -> tuple[list, int]:
        parts: list = []
        t = self.text
        while i < self.n:
            c = t[i]
            if c == '"':
                return parts, i + 1
            if c == "\\" and i + 1 < self.n:
                n = t[i + 1]
                if n == "\n":
                    pass
                elif n in '$`"\\':
                    parts.append(_Lit(n, True))
                else:
                    parts.append(_Lit("\\" + n, True))
                i += 2
            elif c == "`":
                i = self.backticks(i)
                parts.append(_Dyn("backticks"))
            elif c == "$":
                part, i = self.dollar(i, in_dq=True)
                parts.append(part)
            else:
                parts.append(_Lit(c, True))
                i += 1
        raise _BashSyntaxError(open_at, "bash: unterminated double quote")

    def backticks(self, i: int) -> int:
        j = i + 1
        while j < self.n:
            if self.text[j] == "\\":
                j += 2
                continue
            if self.text[j] == "`":
                return j + 1
            j += 1
        raise _BashSyntaxError(i, "bash: unterminated backtick")

    def parens(self, i: int) -> int:
        """Skip a $( ... ) / $(( ... )) body naively (quotes respected)."""
        depth, j, t = 0, i, self.text
        while j < self.n:
            c = t[j]
            if c == "\\":
                j += 2
                continue
            if c == "'":
                k = t.find("'", j + 1)
                j = (k + 1) if k >= 0 else self.n
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        raise _BashSyntaxError(i, "bash: unterminated $(")

    def dollar(self, i: int, in_dq: bool) -> tuple[object, int]:
        t = self.text
        while t.startswith("\\\n", i + 1):  # `$\<newline>name`: the continuation vanishes first
            i += 2
        n = self.peek(i + 1)
        if n == "'" and not in_dq:
            j = i + 2
            while j < self.n and t[j] != "'":
                j += 2 if t[j] == "\\" else 1
            if j >= self.n:
                raise _BashSyntaxError(i, "bash: unterminated $'...' string")
            return _Lit(_decode_ansi_c(t[i + 2 : j]), True), j + 1
        if n == '"' and not in_dq:
            sub, j = self.double_quoted(i + 2, i)
            return _Param("", "concat", [_Lit("", True), *sub]), j
        if n == "{":
            return self.brace(i, in_dq)
        if n == "(":
            return _Dyn("command substitution"), self.parens(i + 1)
        if n == "[":
            j = t.find("]", i)
            if j < 0:
                raise _BashSyntaxError(i, "bash: unterminated $[")
            return _Dyn("arithmetic"), j + 1
        m = _NAME.match(t, i + 1)
        if m:
            name, end = m.group(0), m.end()
            while t.startswith("\\\n", end):  # a continuation inside the name joins it
                more = re.compile(r"[A-Za-z0-9_]+").match(t, end + 2)
                if more is None:
                    break
                name, end = name + more.group(0), more.end()
            if name == "_":
                return _Dyn("special parameter $_"), end
            return _Param(name, ""), end
        if n and n in _SPECIAL_PARAMS:
            return _Dyn("special parameter"), i + 2
        return _Lit("$", in_dq), i + 1

    def brace(self, i: int, in_dq: bool) -> tuple[object, int]:
        t = self.text
        ctx = "brace_dq" if in_dq else "brace"
        j = i + 2
        result: object
        m = _NAME.match(t, j)
        if t.startswith("#", j):
            length_of = _NAME.match(t, j + 1)
            if length_of and t.startswith("}", length_of.end()):
                return _Param(length_of.group(0), "#len"), length_of.end() + 1
        if m and m.group(0) != "_":
            j = m.end()
            op_m = re.compile(r":?[-=+?]").match(t, j)
            if t.startswith("}", j):
                return _Param(m.group(0), ""), j + 1
            if op_m:
                arg, k = self.word(op_m.end(), ctx)
                if k >= self.n:
                    raise _BashSyntaxError(i, "bash: unterminated ${")
                op = op_m.group(0)
                if "?" in op:
                    return _Dyn("${VAR:?}"), k + 1
                return _Param(m.group(0), op, arg), k + 1
            valid_next = t[j : j + 1] in ("#", "%", "/", "^", ",", "@", "[", ":")
            result = _Dyn("unsupported ${...} form") if valid_next else _Bad("bad substitution")
        elif m or (t[j : j + 1] and t[j] in _SPECIAL_PARAMS):
            result = _Dyn("special parameter")
        else:
            result = _Bad("bad substitution")
        _, k = self.word(j, ctx)
        if k >= self.n:
            raise _BashSyntaxError(i, "bash: unterminated ${")
        return result, k + 1

    # ---------------------------------------------------------------- commands
    def assignment_prefix(self, i: int) -> tuple[str, bool, int] | None:
        """``NAME=`` / ``NAME+=`` at i (backslash-newlines inside vanish): (name, append, value start)."""
        t, j, name = self.text, i, []
        while j < self.n:
            if t.startswith("\\\n", j):
                j += 2
            elif t[j] == "_" or t[j].isascii() and t[j].isalnum():
                name.append(t[j])
                j += 1
            else:
                break
        if not name or name[0].isdigit():
            return None
        if t.startswith("=", j):
            return "".join(name), False, j + 1
        if t.startswith("+=", j):
            return "".join(name), True, j + 2
        return None

    def top_word(self, i: int) -> _Word:
        prefix = self.assignment_prefix(i)
        if prefix:
            name, append, value_start = prefix
            parts, end = self.word(value_start, "top")
            return _Word(i, end, parts, (name, i, append), parts)
        parts, end = self.word(i, "top")
        return _Word(i, end, parts)

    def command(self, i: int) -> tuple[list[_Word], str, int]:
        """Words of one simple command and what ended it ("\\n", ";", "op", "eof")."""
        words: list[_Word] = []
        while True:
            i = self.skip_blanks(i)
            if i >= self.n:
                return words, "eof", i
            c = self.text[i]
            if c == "#":
                j = self.text.find("\n", i)
                return words, "\n", (self.n if j < 0 else j + 1)
            if c == ";" and not words:
                raise _BashSyntaxError(i, "bash: syntax error near unexpected token `;'")
            if c in "\n;":
                return words, c, i + 1
            if c in _OPERATOR_CHARS:
                return words, "op", i
            words.append(self.top_word(i))
            if words[-1].end == i:  # nothing consumed: avoid looping
                return words, "op", i
            i = words[-1].end


@dataclass
class _BashState:
    vars: dict[str, str | None] = field(default_factory=dict)  # None: unknown value
    unset: set[str] = field(default_factory=set)  # unset by the file: known to be empty
    # Set after something that may assign any variable (``source x``, ``export $1``):
    # from then on a variable the file has not assigned is unknown, not empty.
    opaque: bool = False
    depth: int = 0  # compound-command nesting


def _eval(parts: list, state: _BashState) -> tuple[str | None, bool, bool]:
    """(value or None if unknown, dynamic, bad substitution)."""
    out: list[str] = []
    dynamic = unknown = bad = False
    for part in parts:
        if isinstance(part, _Lit):
            out.append(part.text)
        elif isinstance(part, _Dyn):
            unknown = dynamic = True
        elif isinstance(part, _Bad):
            bad = True
            break  # bash stops expanding here; earlier ${VAR:=x} effects stay
        elif isinstance(part, _Param):
            val, dyn, b = _eval_param(part, state)
            dynamic |= dyn
            if b:
                bad = True
                break
            if val is None:
                unknown = True
            else:
                out.append(val)
    return (None if unknown else "".join(out)), dynamic, bad


def _eval_param(p: _Param, state: _BashState) -> tuple[str | None, bool, bool]:
    if p.op == "concat":
        return _eval(p.arg or [], state)
    is_set = p.name in state.vars
    dynamic = not is_set and p.name not in state.unset  # the caller's environment could set it
    if not is_set and state.opaque and p.name not in state.unset:
        return None, True, False
    cur = state.vars.get(p.name, "") if is_set else ""
    if is_set and cur is None:
        return None, True, False
    assert cur is not None
    if p.op == "":
        return cur, dynamic, False
    if p.op == "#len":
        return str(len(cur)), dynamic, False
    colon = p.op.startswith(":")
    use_alt = (is_set and cur != "") if colon else is_set
    if p.op.endswith("+"):
        if not use_alt:
            return "", dynamic, False
        val, dyn, bad = _eval(p.arg or [], state)
        return val, dyn or dynamic, bad
    if use_alt:
        return cur, dynamic, False
    val, dyn, bad = _eval(p.arg or [], state)
    if p.op.endswith("=") and not bad:
        state.vars[p.name] = val
        state.unset.discard(p.name)
    return val, dyn or dynamic, bad


def _vanishes(word: _Word, state: _BashState) -> tuple[bool | None, bool]:
    """(True if an unquoted word expands to nothing -- no command word; None: unknown, dynamic)."""
    if any(isinstance(p, _Lit) and p.quoted for p in word.parts):
        return False, False
    val, dyn, _bad = _eval(word.parts, state)
    if val is None:
        return None, True
    return val.strip(" \t\n") == "", dyn


def _tilde(word: _Word) -> bool:
    """Unquoted ~ at the start of a value or after ':' is tilde expansion (HOME-dependent)."""
    parts = word.value_parts or []
    text = "".join(p.text if isinstance(p, _Lit) and not p.quoted else "\0" for p in parts)
    return text.startswith("~") or ":~" in text


class _BashReader:
    def __init__(self, text: str) -> None:
        self.lex = _BashLexer(text)
        self.state = _BashState()
        self.out = _Reading()

    def run(self) -> _Reading:
        i, complex_line, aborted = 0, False, False
        try:
            while i < self.lex.n:
                words, ended, i = self.lex.command(i)
                if ended == "op":
                    complex_line = True
                    i = self._skip_operator(i)
                if not aborted:
                    # An expansion error discards the rest of the line (bash reads a
                    # sourced file one line -- one command list -- at a time).
                    aborted = self._command(words, uncertain=complex_line) is False
                if ended == "\n":
                    complex_line = aborted = False
        except _BashSyntaxError as err:
            self.out.problems.append((err.pos, err.message))
            return self.out
        if self.state.depth > 0:
            self.out.problems.append((len(self.lex.text), "bash: unexpected end of file (unclosed compound command)"))
        return self.out

    def _skip_operator(self, i: int) -> int:
        t = self.lex.text
        if t[i] == "(":
            # A subshell or function body: skip it, its assignments do not reach us.
            return self.lex.parens(i)
        return i + 1

    def _record(self, word: _Word, value: str | None, dynamic: bool, exported: bool = False) -> None:
        assert word.assign is not None
        name, start, _ = word.assign
        self.out.hits.append(_Hit(name, start, word.end, value, exported=exported, dynamic=dynamic))

    def _assign(
        self, word: _Word, exported: bool = False, evaluated: tuple[str | None, bool, bool] | None = None
    ) -> bool:
        """Perform one assignment word; False when bash would fail the command."""
        assert word.assign is not None
        name, _, append = word.assign
        val, dyn, bad = evaluated or _eval(word.value_parts or [], self.state)
        if bad:
            return False
        if _tilde(word):
            val, dyn = None, True
        if append and val is not None:
            prev = self.state.vars.get(name, "")
            val = None if prev is None else prev + val
            dyn = dyn or name not in self.state.vars
        self.state.vars[name] = val
        self.state.unset.discard(name)
        self._record(word, val, dyn, exported)
        return True

    def _temporary(self, words: list[_Word]) -> None:
        """Assignments that do not persist in the shell (prefix of a command)."""
        for w in words:
            _eval(w.value_parts or [], self.state)  # ${VAR:=x} side effects do persist
            self._record(w, None, True)

    def _command(self, words: list[_Word], uncertain: bool) -> bool | None:
        if not words:
            return
        first = words[0]
        if first.assign is None and self._reserved(first):
            self._command(words[1:], uncertain)
            return
        if any(_has_bad(w.parts) for w in words):
            self._failed(words)
            return False
        if uncertain or self.state.depth > 0:
            for w in words:
                if w.assign is not None:
                    self.state.vars[w.assign[0]] = None
                    self._record(w, None, True)
            return
        prefix = [w for w in _takewhile_assign(words)]
        rest = words[len(prefix) :]
        cmd_index, unknown, dynamic = self._command_word(rest)
        if unknown:
            # Whether a command runs is unknown, so whether the assignments persist is too.
            for w in prefix:
                assert w.assign is not None
                self.state.vars[w.assign[0]] = None
            self._temporary(prefix)
            return
        if cmd_index is None:
            self._plain_assignments(prefix, dynamic)
            return
        self._temporary(prefix)
        cmd_word = rest[cmd_index]
        name, _, _ = _eval(cmd_word.parts, self.state)
        args = rest[cmd_index + 1 :]
        if name == "export":
            self._export(args)
        elif name == "unset":
            self._unset(args)
        elif name in (".", "source"):
            self._make_opaque()  # the other file may assign anything
        else:
            for w in args:  # for side effects such as ${VAR:=default}
                _eval(w.parts, self.state)

    def _failed(self, words: list[_Word]) -> None:
        """A bad substitution fails the command; assignments before it still happen
        when the command is assignments only (bash assigns left to right)."""
        prefix = _takewhile_assign(words)
        only_assignments = len(prefix) == len(words)
        # bash expands the command's words before its prefix assignments.
        order = words if only_assignments else words[len(prefix) :] + prefix
        failed = False
        for w in order:
            if not failed and only_assignments and not _has_bad(w.parts):
                self._assign(w)
                continue
            if not failed:
                failed = _eval(w.value_parts if w.assign is not None else w.parts, self.state)[2]
            if w.assign is not None:
                self._record(w, None, False, exported=words[0].assign is None)

    def _reserved(self, word: _Word) -> bool:
        if not all(isinstance(p, _Lit) and not p.quoted for p in word.parts):
            return False
        text = "".join(p.text for p in word.parts)
        if text in _RESERVED_OPEN:
            self.state.depth += 1
        elif text in _RESERVED_CLOSE:
            if self.state.depth == 0:
                raise _BashSyntaxError(word.start, f"bash: syntax error near unexpected token `{text}'")
            self.state.depth -= 1
        elif text not in _RESERVED_MID:
            return False
        return True

    def _command_word(self, rest: list[_Word]) -> tuple[int | None, bool, bool]:
        """(index of the first word that survives expansion or None, unknown, dynamic)."""
        dynamic = False
        for idx, w in enumerate(rest):
            gone, dyn = _vanishes(w, self.state)
            dynamic |= dyn
            if gone is None:
                return None, True, True
            if not gone:
                return idx, False, dynamic
        return None, False, dynamic

    def _plain_assignments(self, prefix: list[_Word], dyn_vanish: bool) -> None:
        # Bash expands all assignments of the command before failing on a bad
        # substitution; a failure means none of them is performed.
        snapshot = dict(self.state.vars)
        hits_before = len(self.out.hits)
        for w in prefix:
            if not self._assign(w):
                self.state.vars = snapshot
                del self.out.hits[hits_before:]
                for w2 in prefix:
                    self._record(w2, None, False)
                return
        if dyn_vanish:
            for hit in self.out.hits[hits_before:]:
                hit.dynamic = True

    def _export(self, args: list[_Word]) -> None:
        # bash expands every argument before export assigns any of them.
        evaluated = [_eval(w.value_parts if w.assign is not None else w.parts, self.state) for w in args]
        first = evaluated[0][0] if args and args[0].assign is None else None
        if first is not None and first.startswith("-") and first != "--":
            # export -n / -f / -p: not modelled; what follows is unknown.
            for w in args[1:]:
                if w.assign is not None:
                    self.state.vars[w.assign[0]] = None
                    self._record(w, None, True, exported=True)
            return
        for w, result in zip(args, evaluated, strict=True):
            if w.assign is not None:
                self._assign(w, exported=True, evaluated=result)
            elif result[0] is None:
                self._make_opaque()  # `export $1`: could assign anything
            elif "=" in result[0]:
                self._export_expanded(w, result[0], result[1])

    def _export_expanded(self, word: _Word, value: str, dynamic: bool) -> None:
        """``export $X`` where X holds ``NAME=v``: the expansion is an assignment.
        Its fact is located at the word, the only source text there is."""
        quoted = any(isinstance(p, _Lit) and p.quoted for p in word.parts)
        for item in [value] if quoted else value.split():
            name, sep, rest = item.partition("=")
            if sep and _VALID_NAME.match(name):
                self.state.vars[name] = rest
                self.state.unset.discard(name)
                self.out.hits.append(_Hit(name, word.start, word.end, rest, exported=True, dynamic=dynamic))

    def _make_opaque(self) -> None:
        self.state.opaque = True
        for name in self.state.vars:
            self.state.vars[name] = None

    def _unset(self, args: list[_Word]) -> None:
        for w in args:
            val, _, _ = _eval(w.parts, self.state)
            if val is not None and _VALID_NAME.match(val):
                self.state.vars.pop(val, None)
                self.state.unset.add(val)


def _has_bad(parts: list) -> bool:
    for part in parts:
        if isinstance(part, _Bad):
            return True
        if isinstance(part, _Param) and part.arg and _has_bad(part.arg):
            return True
    return False


def _takewhile_assign(words: list[_Word]) -> list[_Word]:
    out = []
    for w in words:
        if w.assign is None:
            break
        out.append(w)
    return out


def _read_bash(text: str) -> _Reading:
    return _BashReader(text).run()


# =========================================================================== merge


class _Positions:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]  # no per-character loop

    def line_col(self, offset: int) -> tuple[int, int]:
        idx = bisect.bisect_right(self.starts, offset) - 1
        return idx + 1, offset - self.starts[idx] + 1

    def location(self, path: str, start: int, end: int) -> Location:
        line, col = self.line_col(start)
        end_line, end_col = self.line_col(max(end, start))
        return Location(path, line, col, end_line, end_col)

    def raw(self, start: int, end: int) -> str:
        first = self.starts[self.line_col(start)[0] - 1]
        last_line = self.line_col(max(end - 1, start))[0]
        stop = self.starts[last_line] - 1 if last_line < len(self.starts) else len(self.text)
        return self.text[first:stop]


def parse(path: str, text: str) -> EnvFile:
    """Read an env file the way systemd, bash and python-dotenv each read it."""
    readings = {}
    problems: list[ParseProblem] = []
    pos = _Positions(text)
    for consumer, reader in (("systemd", _read_systemd), ("bash", _read_bash), ("dotenv", _read_dotenv)):
        try:
            readings[consumer] = reader(text)
        except Exception as exc:  # never raise: an internal slip becomes a problem
            readings[consumer] = _Reading()
            problems.append(ParseProblem(Location(path), f"{consumer}: internal error: {exc!r}"))
    for reading in readings.values():
        for offset, message in reading.problems:
            problems.append(ParseProblem(pos.location(path, offset, offset), message))

    by_start: dict[int, dict[str, _Hit]] = {}
    for consumer, reading in readings.items():
        for hit in reading.hits:
            by_start.setdefault(hit.start, {})[consumer] = hit
    assignments = [_merge(path, pos, start, hits) for start, hits in sorted(by_start.items())]
    problems.sort(key=lambda p: (p.location.line, p.location.column, p.message))
    return EnvFile(path=path, assignments=tuple(assignments), problems=tuple(problems))


def _merge(path: str, pos: _Positions, start: int, hits: dict[str, _Hit]) -> EnvAssignment:
    name = next(h.name for h in hits.values())
    end = max(h.end for h in hits.values())
    bash = hits.get("bash")
    return EnvAssignment(
        name=name,
        raw=pos.raw(start, end),
        location=pos.location(path, start, end),
        systemd=hits["systemd"].value if "systemd" in hits else None,
        bash=bash.value if bash else None,
        dotenv=hits["dotenv"].value if "dotenv" in hits else None,
        exported=any(h.exported for h in hits.values()),
        bash_dynamic=bash.dynamic if bash else False,
    )


def consumer_values(assignment: EnvAssignment) -> dict[str, str | None]:
    """The value each consumer reads for this line, keyed by consumer name."""
    return {consumer: getattr(assignment, consumer) for consumer in CONSUMERS}
