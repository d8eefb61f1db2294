"""systemd unit files -> :class:`meslint.facts.UnitFile` facts.

This follows systemd's own code, not configparser.  The references below are to
systemd's sources as read on upstream ``main``; the syntax-level diagnostics are
compared in the tests against ``systemd-analyze verify`` of v252 (Debian 12).

File syntax -- ``src/shared/conf-parser.c``, ``config_parse()``/``parse_line()``
-------------------------------------------------------------------------------
* Every physical line whose first non-blank character is ``#`` or ``;`` is a
  comment and is skipped *before* continuation handling, so a comment line in
  the middle of a continued value vanishes and the continuation goes on.
* A line whose trailing run of backslashes has odd length continues: the last
  backslash becomes a space and the next (non-comment) line is appended.  A
  backslash followed by a space is *not* a continuation.
* The logical line is stripped of ``" \\t\\n\\r"``; empty lines are skipped.
  ``[Name]`` opens a section; a header not ending in ``]`` is an error.  A
  section the unit type does not know ("Unknown section 'X'. Ignoring.") and
  ``X-`` sections are ignored together with their assignments.  A line outside any
  section: "Assignment outside of section. Ignoring."; no ``=``: "Missing '=',
  ignoring line."; ``=`` first: "Missing key name before '='".  systemd reports
  a continued line under its *last* physical line number.
* Keys repeat; each assignment is handed to the key's parser in order.

Values
------
* Words are split by ``extract_first_word()`` (``src/basic/extract-word.c``)
  with ``EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE``: ``'`` and ``"`` quote (anywhere in
  a word, and both kinds alike: C escapes are decoded inside single quotes too),
  ``\\n \\t \\xNN \\NNN \\uNNNN \\s \\\\`` etc. come from ``cunescape_one()``
  (``src/basic/escape.c``).
* ``Environment=`` -- ``config_parse_environ()`` (``src/core/load-fragment.c``):
  empty value resets; each word is specifier-expanded (``unit_env_printf``) and
  must be ``NAME=value`` with a valid name ("Invalid environment assignment,
  ignoring"); a syntax error (unbalanced quote, unknown escape) drops the rest
  of the line ("Invalid syntax, ignoring").  ``strv_env_replace_consume()``
  replaces an earlier assignment of the same name *in its original position*.
* ``EnvironmentFile=`` -- ``config_parse_unit_env_file()``: the whole value
  (not split into words) is specifier-expanded; ``-`` marks it optional; the
  path must be absolute (else ignored); empty value resets.
* ``Exec*=`` -- ``config_parse_exec()``: empty value resets that key's list.  The
  first word loses its prefixes ``-@:+!`` (each at most once; ``!!`` is two) and
  is the executable path.  A lone ``;`` separates several commands on one line,
  ``\\;`` is a literal ``;``.  Every word is specifier-expanded
  (``unit_full_printf``); an unknown escape keeps the backslash with a warning
  (``extract_first_word_and_warn()`` retries with ``EXTRACT_UNESCAPE_RELAX``);
  unbalanced quoting drops the command.  ``$VAR``/``${VAR}``/``$$`` are left
  untouched at parse time: systemd substitutes them when it spawns the process.

  systemd >= 258 also accepts ``|`` (run the words via ``/bin/sh -c``): it is
  kept in ``prefixes`` and ``argv`` holds the words as written.

  :attr:`ExecCommand.argv` is ``(path, *words)``.  Without ``@`` that is exactly
  the argv systemd passes; with ``@`` the process sees ``argv[1:]`` (its argv[0]
  is the second word).

Exec-time substitution -- :func:`substitute_argv`
-------------------------------------------------
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

Embedded scripts
----------------
The script of a ``bash -c SCRIPT`` Exec command (``sh``/``dash``/``zsh`` too, behind
``env``/``exec``/``nohup``...) is parsed here with the shell parser and kept on the command
(:attr:`ExecCommand.script`), so no check parses anything; see :mod:`meslint.parsers.unit_scripts` for how
systemd's substitution is carried over.

Drop-ins -- :func:`meslint.model.apply_dropins`
----------------------------------------------
``x.service.d/NAME.conf`` is parsed with the sections and specifiers of ``x.service``; the model
applies a unit's drop-ins after it in file-name order (``unit_load_dropin()``,
``src/core/load-dropin.c``).  Only the unit's own ``.d/`` directory next to it is read: the
type-wide (``service.d/``), prefix (``a-.service.d/``) and template (``a@.service.d/``) drop-in
directories systemd also searches are not.

Specifiers -- :func:`expand_specifiers`
---------------------------------------
``unit_full_printf_full()`` (``src/core/unit-printf.c``) + ``specifier_printf()``
(``src/shared/specifier.c``), system manager values.  ``%%`` -> ``%``; ``%`` followed
by a non-alphanumeric character, and a trailing ``%``, are kept verbatim; an
unknown *alphanumeric* specifier is an error in systemd (``-EBADSLT``):
:func:`expand_specifiers` keeps it verbatim and :func:`parse` reports it.  Like
systemd, parse() then drops the ``Environment=`` word or ``EnvironmentFile=``
value; an Exec command is kept (with the literal ``%X``) so that checks still see
it, although systemd refuses to load a unit with such a command (unless ``-``).  Specifiers whose value depends on
the host or on where the unit is installed (``%H %b %m %v %a %o %y %Y`` ...) are
kept verbatim without a problem.
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from meslint.facts import (
    ExecCommand,
    Location,
    ParseProblem,
    UnitEnvAssignment,
    UnitEnvironmentFile,
    UnitFile,
    UnitSetting,
)

__all__ = ["EXEC_KEYS", "EXEC_SECTIONS", "PATH_LIST_KEYS", "dropin_unit_name", "expand_specifiers", "parse",
           "replace_env", "split_words", "substitute_argv", "working_directory_value"]

WHITESPACE = " \t\n\r"  # systemd's WHITESPACE macro
COMMENTS = "#;"

# Sections each unit type accepts besides [Unit] and [Install]
# (load-fragment-gperf.gperf.in / unit_vtable[...]->sections).
_TYPE_SECTIONS = {
    "service": "Service",
    "socket": "Socket",
    "mount": "Mount",
    "automount": "Automount",
    "swap": "Swap",
    "timer": "Timer",
    "path": "Path",
    "slice": "Slice",
    "scope": "Scope",
    "target": None,
    "device": None,
}
# Sections whose units run processes: Environment=/EnvironmentFile=/Exec* live there.
EXEC_SECTIONS = frozenset({"Service", "Socket", "Mount", "Swap"})
# Command-line keys only: ExecSearchPath=, ExecPaths=, NoExecPaths= are not commands.
EXEC_KEYS = frozenset({
    "ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost",
    "ExecStopPre",  # sockets
    "ExecMount", "ExecUnmount", "ExecRemount",  # mounts
    "ExecActivate", "ExecDeactivate",  # swaps
})

# Space-separated, quotable path lists of the sandbox (systemd.exec(5)); UnitSetting.words holds their words.
PATH_LIST_KEYS = frozenset({
    "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths",
    "ReadWriteDirectories", "ReadOnlyDirectories", "InaccessibleDirectories",
    "RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory", "ConfigurationDirectory",
    "BindPaths", "BindReadOnlyPaths", "TemporaryFileSystem",
})

# System manager values of the fixed specifiers (systemd.unit(5) "Specifiers").
_FIXED_SPECIFIERS = {
    "C": "/var/cache",
    "D": "/usr/share",
    "E": "/etc",
    "L": "/var/log",
    "S": "/var/lib",
    "t": "/run",
    "T": "/tmp",
    "V": "/var/tmp",
    "h": "/root",
    "s": "/bin/sh",
    "u": "root",
    "U": "0",
    "g": "root",
    "G": "0",
}
# Valid specifiers whose value is only known on the running host or after install.
_HOST_SPECIFIERS = frozenset("aAbBHlqmMovwWcrRyY")


# --------------------------------------------------------------------------- word splitting


class _ExtractError(Exception):
    """``extract_first_word()`` returned -EINVAL."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(reason)
        self.reason = reason  # "quote" | "escape"
        self.position = position


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    start: int  # offset of the word's first source character
    end: int  # offset one past its last source character
    relaxed_escape: bool = False  # an unknown escape was kept verbatim


def _hex(ch: str) -> int:
    return int(ch, 16) if ch and ch in "0123456789abcdefABCDEF" else -1


def _cunescape_one(s: str, i: int) -> tuple[bytes, int] | None:
    """Decode the escape whose letter is at ``s[i]``: (bytes, chars consumed) or None."""
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", '"': '"', "'": "'", "s": " "}
    c = s[i]
    if c in simple:
        return simple[c].encode(), 1
    if c == "x":
        a, b = _hex(s[i + 1:i + 2]), _hex(s[i + 2:i + 3])
        if a < 0 or b < 0 or (a == 0 and b == 0):
            return None
        return bytes([(a << 4) | b]), 3  # a raw byte, as systemd's eight_bit path
    if c in "uU":
        width = 4 if c == "u" else 8
        digits = s[i + 1:i + 1 + width]
        if len(digits) != width or any(_hex(d) < 0 for d in digits):
            return None
        code = int(digits, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code).encode(), width + 1
    if c in "01234567":
        digits = s[i:i + 3]
        if len(digits) != 3 or any(d not in "01234567" for d in digits):
            return None
        value = int(digits, 8)
        if value == 0 or value > 255:
            return None
        return bytes([value]), 3
    return None


def _extract_word(s: str, i: int, *, cunescape: bool = True, relax: bool = False,
                  unescape_relax: bool = False) -> tuple[_Word | None, int]:
    """One word of ``s`` from ``i`` (``extract_first_word`` with EXTRACT_UNQUOTE).

    Returns the word (None at the end) and the offset of the next word.
    """
    n = len(s)
    while i < n and s[i] in WHITESPACE:
        i += 1
    if i >= n:
        return None, n
    start = i
    out = bytearray()
    quote = ""
    relaxed = False
    while i < n:
        c = s[i]
        if c == "\\":
            i += 1
            if i >= n:
                if unescape_relax and (not quote or relax):
                    out += b"\\"
                    relaxed = True
                    break
                if relax:
                    break
                raise _ExtractError("escape", i - 1)
            if cunescape:
                decoded = _cunescape_one(s, i)
                if decoded is not None:
                    out += decoded[0]
                    i += decoded[1]
                    continue
                if not unescape_relax:
                    raise _ExtractError("escape", i - 1)
                out += ("\\" + s[i]).encode("utf-8", "surrogateescape")
                relaxed = True
            else:
                out += s[i].encode("utf-8", "surrogateescape")
            i += 1
            continue
        if quote:
            if c == quote:
                quote = ""
            else:
                out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        if c in "'\"":
            quote = c
            i += 1
            continue
        if c in WHITESPACE:
            break
        out += c.encode("utf-8", "surrogateescape")
        i += 1
    if quote and i >= n and not relax:
        raise _ExtractError("quote", start)
    end = i
    while i < n and s[i] in WHITESPACE:
        i += 1
    return _Word(out.decode("utf-8", "surrogateescape"), start, end, relaxed), i


def _words_of(value: str) -> Iterator[_Word]:
    """``extract_first_word()`` to the end of ``value``; raises _ExtractError where it fails."""
    pos = 0
    while True:
        word, pos = _extract_word(value, pos)
        if word is None:
            return
        yield word


def split_words(value: str) -> tuple[str, ...]:
    """Split like systemd's Exec/Environment parsers; raises ValueError on bad quoting/escapes."""
    try:
        return tuple(word.text for word in _words_of(value))
    except _ExtractError as exc:
        raise ValueError(f"invalid {exc.reason} at offset {exc.position}") from None


def _path_words(value: str, unit: _UnitName) -> tuple[str, ...]:
    """A path list's words, specifiers expanded (``config_parse_namespace_path_strv()`` and kin).

    Bad quoting or an unknown escape ends the list there ("Invalid syntax, ignoring"): the words
    before it stay, as systemd has already taken them.
    """
    words: list[str] = []
    try:
        for word in _words_of(value):
            words.append(_expand(word.text, unit)[0])
    except _ExtractError:
        pass
    return tuple(words)


def _split_relaxed(value: str) -> list[str]:
    """``strv_split_full(WHITESPACE, EXTRACT_RELAX|EXTRACT_UNQUOTE)``: never fails."""
    words: list[str] = []
    pos = 0
    while True:
        word, pos = _extract_word(value, pos, cunescape=False, relax=True)
        if word is None:
            return words
        words.append(word.text)


# --------------------------------------------------------------------------- specifiers


@dataclass(frozen=True, slots=True)
class _UnitName:
    full: str
    prefix: str
    instance: str | None
    prefix_and_instance: str

    @classmethod
    def of(cls, name: str) -> _UnitName:
        dot = name.rfind(".")
        stem = name[:dot] if dot > 0 else name
        prefix, at, instance = stem.partition("@")
        return cls(name, prefix, instance if at else None, stem)


def _unit_unescape(text: str) -> str:
    """``unit_name_unescape()``: ``-`` -> ``/``, ``\\xNN`` -> the byte."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "-":
            out += b"/"
        elif c == "\\" and text[i + 1:i + 2] == "x" and _hex(text[i + 2:i + 3]) >= 0 and _hex(text[i + 3:i + 4]) >= 0:
            out.append(int(text[i + 2:i + 4], 16))
            i += 3
        else:
            out += c.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


def _path_unescape(text: str) -> str:
    """``unit_name_path_unescape()``: the unescaped name as an absolute path."""
    unescaped = _unit_unescape(text)
    return unescaped if unescaped.startswith("/") else "/" + unescaped


def _name_specifier(spec: str, unit: _UnitName) -> str | None:
    last = unit.prefix.rsplit("-", 1)[-1]
    table: dict[str, Callable[[], str]] = {
        "n": lambda: unit.full,
        "N": lambda: unit.prefix_and_instance,
        "p": lambda: unit.prefix,
        "P": lambda: _unit_unescape(unit.prefix),
        "i": lambda: unit.instance or "",
        "I": lambda: _unit_unescape(unit.instance or ""),
        "j": lambda: last,
        "J": lambda: _unit_unescape(last),
        "f": lambda: _path_unescape(unit.instance if unit.instance else unit.prefix),
        "d": lambda: f"/run/credentials/{unit.full}",
    }
    getter = table.get(spec)
    return getter() if getter else None


def _expand(value: str, unit: _UnitName) -> tuple[str, list[str]]:
    """Expand specifiers; returns the text and the unknown specifiers met."""
    if "%" not in value:
        return value, []
    out: list[str] = []
    unknown: list[str] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            out.append("%")  # a stray trailing % stays
            break
        spec = value[i + 1]
        i += 2
        if spec == "%":
            out.append("%")
        elif spec in _FIXED_SPECIFIERS:
            out.append(_FIXED_SPECIFIERS[spec])
        elif (named := _name_specifier(spec, unit)) is not None:
            out.append(named)
        elif spec in _HOST_SPECIFIERS or not (spec.isascii() and spec.isalnum()):
            out.append("%" + spec)
        else:
            out.append("%" + spec)
            unknown.append("%" + spec)
    return "".join(out), unknown


def expand_specifiers(value: str, unit_name: str) -> str:
    """Expand systemd specifiers (``%n``, ``%t``, ``%h``...) as the system manager would."""
    return _expand(value, _UnitName.of(unit_name))[0]


# --------------------------------------------------------------------------- $VAR substitution


def _env_name_is_valid(name: str) -> bool:
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
                out.append(env.get(name, "") if _env_name_is_valid(name) else "")
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
            if _env_name_is_valid(name) and name in env:
                result.extend(_split_relaxed(env[name]))
            continue  # unset or invalid name: the word disappears
        result.append(replace_env(word, env))
    return tuple(result)


# --------------------------------------------------------------------------- lines


@dataclass(slots=True)
class _Logical:
    """A logical line: physical pieces joined, with a map back to (line, column)."""

    text: str
    offsets: list[int]  # start offset of each piece in ``text``
    lines: list[int]  # 1-based physical line of each piece
    first_line: int

    def point(self, offset: int) -> tuple[int, int]:
        k = max(bisect.bisect_right(self.offsets, offset) - 1, 0)
        return self.lines[k], offset - self.offsets[k] + 1

    def end_point(self, offset: int) -> tuple[int, int]:
        """Position one past the character before ``offset`` (end of a span)."""
        if offset <= 0:
            return self.point(0)
        line, column = self.point(offset - 1)
        return line, column + 1


def _logical_lines(text: str) -> Iterable[_Logical]:
    """Physical lines -> logical lines, as conf-parser.c's config_parse() does."""
    pieces: list[str] = []
    offsets: list[int] = []
    lines: list[int] = []
    length = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.lstrip(WHITESPACE)
        if stripped and stripped[0] in COMMENTS:
            continue  # comments vanish even inside a continuation
        trailing = len(raw) - len(raw.rstrip("\\"))
        continued = trailing % 2 == 1
        piece = raw[:-1] + " " if continued else raw
        offsets.append(length)
        lines.append(number)
        pieces.append(piece)
        length += len(piece)
        if continued:
            continue
        yield _Logical("".join(pieces), offsets, lines, lines[0])
        pieces, offsets, lines, length = [], [], [], 0
    if pieces:
        yield _Logical("".join(pieces), offsets, lines, lines[0])


# --------------------------------------------------------------------------- the parser


@dataclass
class _State:
    path: str
    unit: _UnitName
    known_sections: frozenset[str] | None  # None: unknown unit type, accept any
    section: str | None = None
    section_ignored: bool = False
    settings: list[UnitSetting] = field(default_factory=list)
    environment: dict[str, UnitEnvAssignment] = field(default_factory=dict)
    environment_files: list[UnitEnvironmentFile] = field(default_factory=list)
    exec_commands: list[ExecCommand] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def span(self, logical: _Logical, start: int, end: int) -> Location:
        line, column = logical.point(start)
        end_line, end_column = logical.end_point(end) if end > start else (line, column)
        return Location(self.path, line, column, end_line, end_column)

    def problem(self, location: Location, message: str) -> None:
        self.problems.append(ParseProblem(location, message))


def _known_sections(name: str) -> frozenset[str] | None:
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in _TYPE_SECTIONS:
        return None  # drop-in (.conf), template source, ...: cannot tell
    extra = _TYPE_SECTIONS[suffix]
    return frozenset({"Unit", "Install"} | ({extra} if extra else set()))


def _string_is_safe(text: str) -> bool:
    """``string_is_safe()``: no control characters, quotes or backslashes."""
    return not any(ord(c) < 32 or ord(c) == 127 or c in "\\\"'" for c in text)


def _parse_line(state: _State, logical: _Logical) -> None:
    text = logical.text
    body = text.strip(WHITESPACE)
    if not body:
        return
    lead = len(text) - len(text.lstrip(WHITESPACE))
    whole = state.span(logical, lead, lead + len(body))
    if "\x00" in body:
        state.problem(whole, "NUL byte in line, ignoring line.")
        return
    if any("\udc80" <= c <= "\udcff" for c in body):
        state.problem(whole, "Invalid UTF-8 in line, ignoring line.")
        return
    if body[0] == "[":
        _parse_section(state, body, whole)
        return
    if state.section is None:
        if not state.section_ignored:
            state.problem(whole, "Assignment outside of section. Ignoring.")
        return
    eq = body.find("=")
    if eq < 0:
        state.problem(whole, "Missing '=', ignoring line.")
        return
    if eq == 0:
        state.problem(whole, "Missing key name before '=', ignoring line.")
        return
    raw_key = body[:eq]
    key = raw_key.strip(WHITESPACE)
    key_start = lead + len(raw_key) - len(raw_key.lstrip(WHITESPACE))
    raw_value = body[eq + 1:]
    value = raw_value.strip(WHITESPACE)
    value_start = lead + eq + 1 + len(raw_value) - len(raw_value.lstrip(WHITESPACE))
    end = value_start + len(value) if value else lead + eq + 1
    words = _path_words(value, state.unit) if key in PATH_LIST_KEYS and state.section in EXEC_SECTIONS else None
    setting = UnitSetting(state.section, key, value, state.span(logical, key_start, end), words)
    state.settings.append(setting)
    _interpret(state, setting, logical, value_start)


def _parse_section(state: _State, body: str, whole: Location) -> None:
    if body[-1] != "]":
        # systemd aborts loading the whole file here; keep going to report more.
        state.problem(whole, f"Invalid section header '{body}'")
        state.section, state.section_ignored = None, True
        return
    name = body[1:-1]
    if not _string_is_safe(name):
        state.problem(whole, f"Bad characters in section header '{body}'")
        state.section, state.section_ignored = None, True
        return
    if state.known_sections is not None and name not in state.known_sections:
        if not name.startswith("X-"):
            state.problem(whole, f"Unknown section '{name}'. Ignoring.")
        state.section, state.section_ignored = None, True
        return
    state.section, state.section_ignored = name, False


def _interpret(state: _State, setting: UnitSetting, logical: _Logical, value_start: int) -> None:
    if setting.section not in EXEC_SECTIONS:
        return
    if setting.key == "Environment":
        _environment(state, setting, logical, value_start)
    elif setting.key == "EnvironmentFile":
        _environment_file(state, setting)
    elif setting.key in EXEC_KEYS:
        _exec(state, setting)
    elif setting.key == "WorkingDirectory":
        problem = working_directory_value(setting.value, state.unit.full)[1]
        if problem:
            state.problem(setting.location, problem)


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
    path, unknown = _expand(rest, _UnitName.of(unit_name))
    how = ", ignoring" if optional else " (the unit will not start)"
    if unknown:
        return None, f"Unknown specifier '{unknown[0]}' in WorkingDirectory={how}: {rest}"
    if not path.startswith("/"):
        return None, f"WorkingDirectory= path is not absolute{how}: {path}"
    if ".." in path.split("/"):
        return None, f"WorkingDirectory= path is not normalized{how}: {path}"
    return _simplify_path(path), None


def _expand_reporting(state: _State, value: str, location: Location) -> str:
    expanded, unknown = _expand(value, state.unit)
    for spec in unknown:
        state.problem(location, f"Unknown specifier '{spec}' (systemd fails to resolve specifiers here)")
    return expanded


def _environment(state: _State, setting: UnitSetting, logical: _Logical, value_start: int) -> None:
    if setting.value == "":
        state.environment.clear()
        return
    pos = 0
    while True:
        try:
            word, pos = _extract_word(setting.value, pos)
        except _ExtractError as exc:
            where = state.span(logical, value_start + exc.position, value_start + len(setting.value))
            what = "unbalanced quoting" if exc.reason == "quote" else "invalid escape sequence"
            state.problem(where, f"Invalid syntax ({what}), ignoring the rest of Environment=")
            return
        if word is None:
            return
        location = state.span(logical, value_start + word.start, value_start + word.end)
        text, unknown = _expand(word.text, state.unit)
        if unknown:
            # systemd: "Failed to resolve specifiers in ..., ignoring" -- the word is dropped.
            state.problem(location, f"Unknown specifier '{unknown[0]}', ignoring: {word.text}")
            continue
        name, eq, assigned = text.partition("=")
        if not eq or not _env_name_is_valid(name):
            state.problem(location, f"Invalid environment assignment, ignoring: {text}")
            continue
        # Same name again: the value changes, the position in the list does not.
        state.environment[name] = UnitEnvAssignment(name, assigned, location)


def _simplify_path(path: str) -> str:
    """``path_simplify()``: drop ``//``, ``/./`` and a trailing ``/`` (``..`` stays)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ("/" if path.startswith("/") else "") + "/".join(parts) or "."


def _environment_file(state: _State, setting: UnitSetting) -> None:
    if setting.value == "":
        state.environment_files.clear()
        return
    expanded, unknown = _expand(setting.value, state.unit)
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
    state.environment_files.append(UnitEnvironmentFile(_simplify_path(path), optional, setting.location))


def _exec(state: _State, setting: UnitSetting) -> None:
    if setting.value == "":
        state.exec_commands[:] = [c for c in state.exec_commands if c.key != setting.key]
        return
    value = setting.value
    pos = 0
    while pos < len(value):
        command, pos = _exec_one(state, setting, value, pos)
        if command is not None:
            state.exec_commands.append(command)


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


def _exec_one(state: _State, setting: UnitSetting, value: str, pos: int) -> tuple[ExecCommand | None, int]:
    """One command of an Exec line starting at ``pos``; returns it and where the next starts."""
    loc = setting.location
    words: list[str] = []
    try:
        first, pos = _extract_word(value, pos, unescape_relax=True)
        if first is None:
            return None, len(value)
        if first.text == ";":
            return None, pos
        prefixes, path = _take_prefixes(first.text)
        if first.relaxed_escape:
            state.problem(loc, f"Ignoring unknown escape sequences: \"{first.text}\"")
        words.append(_expand_reporting(state, path, loc))
        while pos < len(value):
            if value[pos] == ";" and (pos + 1 == len(value) or value[pos + 1] in WHITESPACE):
                pos = _skip_ws(value, pos + 1)
                break
            if value.startswith("\\;", pos) and (pos + 2 == len(value) or value[pos + 2] in WHITESPACE):
                words.append(";")
                pos = _skip_ws(value, pos + 2)
                continue
            word, pos = _extract_word(value, pos, unescape_relax=True)
            if word is None:
                break
            if word.relaxed_escape:
                state.problem(loc, f"Ignoring unknown escape sequences: \"{word.text}\"")
            words.append(_expand_reporting(state, word.text, loc))
    except _ExtractError:
        state.problem(loc, f"Unbalanced quoting, ignoring: \"{value}\"")
        return None, len(value)
    # With "|" the words are a shell command line for /bin/sh -c, not a path.
    error = None if "|" in prefixes else _exec_path_error(words[0], "@" in prefixes, len(words))
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
    if not _string_is_safe(path):
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


def dropin_unit_name(path: str) -> str | None:
    """The unit a drop-in extends: ``deploy/x.service.d/10-y.conf`` -> ``x.service``; None for other paths."""
    from meslint.listing import is_dropin

    return path.rpartition("/")[0].rpartition("/")[2][:-2] if is_dropin(path) else None


def parse(path: str, text: str) -> UnitFile:
    """Parse one unit file or drop-in; never raises (problems are reported as facts).

    A drop-in (``x.service.d/NAME.conf``) is parsed as part of the unit it extends (its
    sections, its specifiers); :func:`meslint.model.apply_dropins` layers it over the main file.
    """
    name = dropin_unit_name(path) or posixpath.basename(path)
    state = _State(path, _UnitName.of(name), _known_sections(name))
    for logical in _logical_lines(text):
        try:
            _parse_line(state, logical)
        except Exception as exc:  # a parser bug must not stop the run
            where = Location(path, logical.first_line, 1)
            state.problem(where, f"internal error while parsing this line: {type(exc).__name__}: {exc}")
    return UnitFile(
        path=path,
        name=name,
        settings=tuple(state.settings),
        environment=tuple(state.environment.values()),
        environment_files=tuple(state.environment_files),
        exec_commands=tuple(state.exec_commands),
        problems=tuple(state.problems),
    )

