"""Bash source text -> simple commands of words, for the ``set -a; source`` reader.

Nothing is evaluated here: a word is a list of parts -- static text
(:class:`Lit`), parameter expansions (:class:`Param`), run-time-only pieces
(:class:`Dyn`) and bad substitutions (:class:`Bad`).  Backslash escapes and
``$'...'`` strings are decoded by :mod:`meslint.template`, the routines the
script parser (:mod:`meslint.parsers.shell`) uses too.  Static text is kept in
runs (one part per run, not per character) so a word costs about its own size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from meslint.parsers.envfile.lines import NAME, TextBuilder
from meslint.template import DOUBLE_QUOTED, DOUBLE_QUOTED_BRACE, UNQUOTED, ansi_c_end, backslash, decode_ansi_c


class BashSyntaxError(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


class TooDeep(BashSyntaxError):
    """``${`` nested deeper than :data:`MAX_NESTING`: this line is not read (the rest is)."""


# Real env files nest ``${...}`` two or three deep; the bound keeps the recursive
# descent far from Python's recursion limit on hostile input.
MAX_NESTING = 100


@dataclass(slots=True)
class Lit:
    text: str
    quoted: bool


@dataclass(slots=True)
class Param:
    name: str
    op: str  # "", "-", ":-", "+", ":+", "=", ":=", "#len"
    arg: list | None = None


@dataclass(slots=True)
class Dyn:
    """Something only known at run time ($(...), $1, unsupported ${...})."""

    reason: str


@dataclass(slots=True)
class Bad:
    """A bad substitution: bash fails the command at run time."""

    reason: str


@dataclass(slots=True)
class Word:
    start: int
    end: int
    parts: list
    assign: tuple[str, int, bool] | None = None  # (name, name start, is +=)
    value_parts: list | None = None


RESERVED_OPEN = {"if", "case", "while", "until", "for", "select", "{"}
RESERVED_CLOSE = {"fi", "esac", "done", "}"}
RESERVED_MID = {"then", "else", "elif", "do"}
_OPERATOR_CHARS = ";&|<>()"
# Runs of plain characters per word context, taken as one part.
_RUNS = {
    "top": re.compile(r"[^ \t\n;&|<>()\\'\"`$]+"),
    "brace": re.compile(r"[^}\\'\"`$]+"),
    "brace_dq": re.compile(r"[^}\\\"`$]+"),
}
_DQ_RUN = re.compile(r'[^"\\`$]+')
_OPERATOR = re.compile(r":?[-=+?]")
_SPECIAL_PARAMS = "@*#?-$!0123456789"


class _Parts:
    """A word's parts under construction: adjacent static text with the same
    quoting becomes one :class:`Lit` (a part per character would cost ~100 bytes each)."""

    __slots__ = ("_parts", "_text", "_quoted")

    def __init__(self) -> None:
        self._parts: list = []
        self._text: TextBuilder | None = None
        self._quoted = False

    def lit(self, text: str, quoted: bool) -> None:
        if self._text is not None and quoted != self._quoted:
            self._flush()
        if self._text is None:
            self._text, self._quoted = TextBuilder(), quoted
        self._text.append(text)

    def add(self, part: object) -> None:
        if isinstance(part, Lit):
            self.lit(part.text, part.quoted)
        else:
            self._flush()
            self._parts.append(part)

    def extend(self, parts: list) -> None:
        for part in parts:
            self.add(part)

    def _flush(self) -> None:
        if self._text is not None:
            self._parts.append(Lit(self._text.build(), self._quoted))
            self._text = None

    def done(self) -> list:
        self._flush()
        return self._parts


class BashLexer:
    """Turns the file into simple commands of words (no evaluation yet)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.nesting = 0  # ${ levels open in the current word

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
        parts = _Parts()
        t = self.text
        run = _RUNS[ctx]
        quoted = ctx == "brace_dq"
        while i < self.n:
            m = run.match(t, i)
            if m is not None:
                parts.lit(m.group(0), quoted)
                i = m.end()
                continue
            c = t[i]
            if ctx == "top" and (c in " \t\n" or c in _OPERATOR_CHARS):
                break
            if ctx != "top" and c == "}":
                break
            if c == "\\":
                if self.peek(i + 1) == "\n":
                    i += 2
                elif i + 1 >= self.n:
                    parts.lit("\\", quoted)
                    i += 1
                else:
                    escapable = DOUBLE_QUOTED_BRACE if quoted else UNQUOTED
                    parts.lit(backslash(t[i + 1], escapable), True)
                    i += 2
            elif c == "'" and not quoted:
                j = t.find("'", i + 1)
                if j < 0:
                    raise BashSyntaxError(i, "bash: unterminated single quote")
                parts.lit(t[i + 1 : j], True)
                i = j + 1
            elif c == '"':
                sub, i = self.double_quoted(i + 1, i)
                parts.lit("", True)  # marks the word as quoted even if empty
                parts.extend(sub)
            else:
                i = self._expansion_or_char(parts, i, quoted, ansi_c=True)
        return parts.done(), i

    def double_quoted(self, i: int, open_at: int) -> tuple[list, int]:
        parts = _Parts()
        t = self.text
        while i < self.n:
            m = _DQ_RUN.match(t, i)
            if m is not None:
                parts.lit(m.group(0), True)
                i = m.end()
                continue
            c = t[i]
            if c == '"':
                return parts.done(), i + 1
            if c == "\\" and i + 1 < self.n:
                if t[i + 1] != "\n":  # backslash-newline vanishes
                    parts.lit(backslash(t[i + 1], DOUBLE_QUOTED), True)
                i += 2
            else:
                i = self._expansion_or_char(parts, i, True, ansi_c=False)
        raise BashSyntaxError(open_at, "bash: unterminated double quote")

    def _expansion_or_char(self, parts: _Parts, i: int, in_dq: bool, *, ansi_c: bool) -> int:
        """A backtick substitution, a ``$`` form or one plain character at ``i``; the next offset.

        ``$'...'`` is ANSI-C quoting where ``ansi_c`` (not in plain double quotes,
        but in the word of a ``${...}`` inside them, as bash 5.2 reads it)."""
        c = self.text[i]
        if c == "`":
            parts.add(Dyn("backticks"))
            return self.backticks(i)
        if c == "$":
            part, i = self.dollar(i, in_dq=in_dq, ansi_c=ansi_c)
            parts.add(part)
            return i
        parts.lit(c, in_dq)
        return i + 1

    def backticks(self, i: int) -> int:
        j = i + 1
        while j < self.n:
            if self.text[j] == "\\":
                j += 2
                continue
            if self.text[j] == "`":
                return j + 1
            j += 1
        raise BashSyntaxError(i, "bash: unterminated backtick")

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
        raise BashSyntaxError(i, "bash: unterminated $(")

    def dollar(self, i: int, in_dq: bool, ansi_c: bool) -> tuple[object, int]:
        t = self.text
        while t.startswith("\\\n", i + 1):  # `$\<newline>name`: the continuation vanishes first
            i += 2
        n = self.peek(i + 1)
        if n == "'" and ansi_c:
            j = ansi_c_end(t, i + 2)
            if j < 0:
                raise BashSyntaxError(i, "bash: unterminated $'...' string")
            return Lit(decode_ansi_c(t[i + 2 : j]), True), j + 1
        if n == '"' and not in_dq:
            sub, j = self.double_quoted(i + 2, i)
            return Param("", "concat", [Lit("", True), *sub]), j
        if n == "{":
            return self.brace(i, in_dq)
        if n == "(":
            return Dyn("command substitution"), self.parens(i + 1)
        if n == "[":
            j = t.find("]", i)
            if j < 0:
                raise BashSyntaxError(i, "bash: unterminated $[")
            return Dyn("arithmetic"), j + 1
        m = NAME.match(t, i + 1)
        if m:
            name, end = m.group(0), m.end()
            while t.startswith("\\\n", end):  # a continuation inside the name joins it
                more = re.compile(r"[A-Za-z0-9_]+").match(t, end + 2)
                if more is None:
                    break
                name, end = name + more.group(0), more.end()
            if name == "_":
                return Dyn("special parameter $_"), end
            return Param(name, ""), end
        if n and n in _SPECIAL_PARAMS:
            return Dyn("special parameter"), i + 2
        return Lit("$", in_dq), i + 1

    def brace(self, i: int, in_dq: bool) -> tuple[object, int]:
        if self.nesting >= MAX_NESTING:
            raise TooDeep(i, f"bash: ${{...}} nested more than {MAX_NESTING} deep; this line is not read")
        self.nesting += 1
        try:
            return self._brace(i, in_dq)
        finally:
            self.nesting -= 1

    def _brace(self, i: int, in_dq: bool) -> tuple[object, int]:
        t = self.text
        ctx = "brace_dq" if in_dq else "brace"
        j = i + 2
        result: object
        m = NAME.match(t, j)
        if t.startswith("#", j):
            length_of = NAME.match(t, j + 1)
            if length_of and t.startswith("}", length_of.end()):
                return Param(length_of.group(0), "#len"), length_of.end() + 1
        if m and m.group(0) != "_":
            j = m.end()
            op_m = _OPERATOR.match(t, j)
            if t.startswith("}", j):
                return Param(m.group(0), ""), j + 1
            if op_m:
                arg, k = self.word(op_m.end(), ctx)
                if k >= self.n:
                    raise BashSyntaxError(i, "bash: unterminated ${")
                op = op_m.group(0)
                if "?" in op:
                    return Dyn("${VAR:?}"), k + 1
                return Param(m.group(0), op, arg), k + 1
            valid_next = t[j : j + 1] in ("#", "%", "/", "^", ",", "@", "[", ":")
            result = Dyn("unsupported ${...} form") if valid_next else Bad("bad substitution")
        elif m or (t[j : j + 1] and t[j] in _SPECIAL_PARAMS):
            result = Dyn("special parameter")
        else:
            result = Bad("bad substitution")
        _, k = self.word(j, ctx)
        if k >= self.n:
            raise BashSyntaxError(i, "bash: unterminated ${")
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

    def top_word(self, i: int) -> Word:
        prefix = self.assignment_prefix(i)
        if prefix:
            name, append, value_start = prefix
            parts, end = self.word(value_start, "top")
            return Word(i, end, parts, (name, i, append), parts)
        parts, end = self.word(i, "top")
        return Word(i, end, parts)

    def command(self, i: int) -> tuple[list[Word], str, int]:
        """Words of one simple command and what ended it ("\\n", ";", "op", "eof")."""
        words: list[Word] = []
        while True:
            i = self.skip_blanks(i)
            if i >= self.n:
                return words, "eof", i
            c = self.text[i]
            if c == "#":
                j = self.text.find("\n", i)
                return words, "\n", (self.n if j < 0 else j + 1)
            if c == ";" and not words:
                raise BashSyntaxError(i, "bash: syntax error near unexpected token `;'")
            if c in "\n;":
                return words, c, i + 1
            if c in _OPERATOR_CHARS:
                return words, "op", i
            words.append(self.top_word(i))
            if words[-1].end == i:  # nothing consumed: avoid looping
                return words, "op", i
            i = words[-1].end

