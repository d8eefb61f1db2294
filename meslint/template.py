"""Evaluate value templates (bash parameter-expansion syntax) against an environment.

Parsers keep unresolved values as templates such as
``${WATCHDOG_PID_FILE:-${WATCHDOG_RUNTIME_DIR:-@ROOT/tmp}/gunicorn.pid}``.
Resolution evaluates them for one consumer: an environment of bindings (each with
where it came from) and the root ``@ROOT`` stands for.  Only expansion forms with a
static meaning are evaluated; command substitution makes the result unknown —
meslint never runs anything.

This module owns the template grammar and the bash word decoding every reader
shares, so the copies cannot disagree:

* :func:`literal` quotes static text for a template (``\\`` escapes ``\\ $ ` }``);
* :func:`matching_brace` finds the ``}`` that closes a ``${`` in a template;
* :func:`unescape` / :func:`backslash` decode bash's backslash escapes in each
  quoting context (unquoted, double quotes, the word of a ``${...}`` inside
  double quotes);
* :func:`decode_ansi_c` decodes bash's ``$'...'`` strings.

Brace matching follows bash: only ``${`` opens a level (``${A:-{x}y}`` is
``{x`` followed by ``y}``) and a backslash-escaped ``}`` closes nothing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from meslint.facts import ROOT_TOKEN, Location
from meslint.records import record

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = re.compile(r"[$`\\]|" + re.escape(ROOT_TOKEN))
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


# A template piece with no static value (what a command substitution also is).
UNKNOWN = "$(...)"


@record
class Binding:
    """A variable's value in one environment, with its provenance."""

    value: str
    origin: str  # e.g. ".env.example (systemd EnvironmentFile)"
    location: Location | None = None


@dataclass
class Evaluated:
    value: str | None  # None when some part is unknown (command substitution, ...)
    used: list[tuple[str, Binding | None]] = field(default_factory=list)  # variables consulted


def evaluate(template: str, env: Mapping[str, Binding], root: str) -> Evaluated:
    if _SPECIAL.search(template) is None:
        return Evaluated(template)  # plain text, the common case for command words
    result = Evaluated(None)
    value = _expand(template, env, root, result, depth=0)
    result.value = value
    return result


class Remembered:
    """Results of evaluations, each remembered with the value every lookup it made found.

    An evaluation is a function of its key (the templates and the root) and of what its lookups
    found: which variable it looks up next depends only on what the earlier lookups found.  So a
    remembered result whose every lookup finds the same value (or again nothing) in another
    environment is that environment's result, its ``used`` that environment's bindings.  The
    configured and the what-if runtimes (:mod:`meslint.counterfactual`) evaluate the same
    templates in environments that mostly agree; they share their evaluations this way.
    """

    MAX_VARIANTS = 8  # results kept per key (environments that disagree on what it reads)
    MAX_KEYS = 1 << 16  # then everything is forgotten: a long-lived process stays bounded

    def __init__(self) -> None:
        self._known: dict[Hashable, list[tuple[tuple[str, ...], tuple[str | None, ...], Any]]] = {}
        self._constant: dict[Hashable, Any] = {}  # results that made no lookup: the same in every environment

    def find(self, key: Hashable, env: Mapping[str, Binding]) -> tuple[Any, list[tuple[str, Binding | None]]] | None:
        """``(result, used)`` remembered for ``key`` whose lookups ``env`` answers alike, else None."""
        constant = self._constant.get(key, self)
        if constant is not self:
            return constant, []
        for names, values, result in self._known.get(key, ()):
            used: list[tuple[str, Binding | None]] = []
            for name, value in zip(names, values, strict=True):
                binding = env.get(name)
                if (None if binding is None else binding.value) != value:
                    break
                used.append((name, binding))
            else:
                return result, used
        return None

    def keep(self, key: Hashable, used: list[tuple[str, Binding | None]], result: Any) -> None:
        """Remember ``result`` of ``key``, computed with the lookups ``used`` (in order)."""
        if len(self._known) + len(self._constant) >= self.MAX_KEYS:
            self._known.clear()
            self._constant.clear()
        if not used:
            self._constant[key] = result
            return
        variants = self._known.setdefault(key, [])
        if len(variants) < self.MAX_VARIANTS:
            variants.append((tuple(name for name, _ in used),
                             tuple(None if binding is None else binding.value for _, binding in used), result))


_REMEMBERED = Remembered()


def evaluate_remembered(template: str, env: Mapping[str, Binding], root: str) -> Evaluated:
    """:func:`evaluate`, remembered across environments (:class:`Remembered`): the same result."""
    if _SPECIAL.search(template) is None:
        return Evaluated(template)
    key = (template, root)
    found = _REMEMBERED.find(key, env)
    if found is not None:
        return Evaluated(found[0], found[1])
    result = evaluate(template, env, root)
    _REMEMBERED.keep(key, result.used, result.value)
    return result


def _expand(text: str, env: Mapping[str, Binding], root: str, out: Evaluated, depth: int) -> str | None:
    if depth > 20:
        return None
    pieces: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        # Copy plain text up to the next character (or root token) that means something.
        special = _SPECIAL.search(text, i)
        if special is None:
            pieces.append(text[i:])
            break
        if special.start() > i:
            pieces.append(text[i : special.start()])
            i = special.start()
        ch = text[i]
        if text.startswith(ROOT_TOKEN, i):
            pieces.append(root)
            i += len(ROOT_TOKEN)
            continue
        if ch == "`":
            return None  # command substitution: never run, value unknown
        if ch == "\\" and i + 1 < n:
            pieces.append(text[i + 1])
            i += 2
            continue
        if ch != "$" or i + 1 >= n:
            pieces.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "{":
            end = matching_brace(text, i + 1)
            if end < 0:
                return None
            inner = text[i + 2 : end]
            expanded = _expand_braced(inner, env, root, out, depth)
            if expanded is None:
                return None
            pieces.append(expanded)
            i = end + 1
            continue
        if nxt == "(" or nxt == "`":
            return None  # command substitution: never run, value unknown
        match = _NAME.match(text, i + 1)
        if match:
            pieces.append(_lookup(match.group(0), env, out) or "")
            i = match.end()
            continue
        pieces.append(ch)
        i += 1
    return "".join(pieces)


_BRACE_TOKEN = re.compile(r"\\.|\$\{|\}", re.S)


def matching_brace(template: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` of the ``${`` at ``open_index - 1`` (-1 if none).

    Escaped characters are skipped and only ``${`` nests, as in bash.
    """
    depth = 1
    for token in _BRACE_TOKEN.finditer(template, open_index + 1):
        text = token.group(0)
        if text == "}":
            depth -= 1
            if depth == 0:
                return token.start()
        elif text == "${":
            depth += 1
    return -1


def _lookup(name: str, env: Mapping[str, Binding], out: Evaluated) -> str | None:
    binding = env.get(name)
    out.used.append((name, binding))
    return None if binding is None else binding.value


def _expand_braced(inner: str, env: Mapping[str, Binding], root: str, out: Evaluated, depth: int) -> str | None:
    match = _NAME.match(inner)
    if not match:
        return None  # ${#x}, ${!x}, ${arr[0]}: not static
    name = match.group(0)
    rest = inner[match.end():]
    if rest == "":
        return _lookup(name, env, out) or ""
    for op in (":-", ":=", ":+", "-", "=", "+"):
        if rest.startswith(op):
            word = rest[len(op):]
            current = _lookup(name, env, out)
            is_set = current is not None
            is_nonempty = bool(current)
            present = is_nonempty if op.startswith(":") else is_set
            if op.endswith(("-", "=")):
                return current if present else _expand(word, env, root, out, depth + 1)
            return _expand(word, env, root, out, depth + 1) if present else ""
    return None  # substring/pattern operators: not modelled


_LITERAL_SPECIAL = re.compile(r"[\\$`}]")


def literal(text: str) -> str:
    """Static text as a template: escape what the evaluator would interpret."""
    if _LITERAL_SPECIAL.search(text) is None:
        return text
    return _LITERAL_SPECIAL.sub(r"\\\g<0>", text)


def references(template: str) -> list[str]:
    """Variable names a template mentions, in order (for provenance and docs)."""
    if "$" not in template:
        return []  # every reference starts with one: skip the regex for the plain words of a command line
    return _REFERENCE.findall(template)


# Where the checkout lives is unknown for a start-script run: this symbolic root
# stands for it and counts as absolute.
CHECKOUT_ROOT = "<checkout>"


def normalize_path(value: str, base: str) -> str:
    """An absolute, normalised path: relative values are joined to ``base``."""
    value = value.strip()
    if not value:
        return value
    if value.startswith(CHECKOUT_ROOT):
        return CHECKOUT_ROOT + normalize_path(value[len(CHECKOUT_ROOT):] or "/", "/").rstrip("/")
    if not value.startswith("/"):
        if base.startswith(CHECKOUT_ROOT):
            return normalize_path(posixpath.join(base, value), "/")
        value = posixpath.join(base, value)
    normalized = posixpath.normpath(value)
    # normpath keeps a leading "//"; systemd and Python treat it as "/".
    return "/" + normalized.lstrip("/")


# --------------------------------------------------------------------------- bash words

# What a backslash escapes in each quoting context (None: any character).
UNQUOTED: str | None = None
DOUBLE_QUOTED = '$`"\\\n'
# The word of ``${VAR:-word}`` inside double quotes: ``\}`` is an escape there too.
DOUBLE_QUOTED_BRACE = DOUBLE_QUOTED + "}"


def backslash(char: str, escapable: str | None) -> str:
    """What bash makes of a backslash followed by ``char`` in a quoting context."""
    if char == "\n":
        return ""  # backslash-newline is a line continuation
    if escapable is None or char in escapable:
        return char
    return "\\" + char


_ESCAPE = re.compile(r"\\(.)", re.S)


def unescape(text: str, escapable: str | None) -> str:
    """Decode the backslash escapes of bash source text in one quoting context."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: backslash(m.group(1), escapable), text)


_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip
_ANSI_ESCAPE = re.compile(
    r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|c(\\\\|.)|(.))", re.S
)


_ANSI_C_STEP = re.compile(r"\\.|'", re.S)


def ansi_c_end(text: str, body_start: int) -> int:
    """Offset of the ``'`` closing a ``$'...'`` whose body starts at ``body_start`` (-1 if none).

    Inside, a backslash takes the next character (``$'\\\\'`` ends at its second quote).
    """
    for m in _ANSI_C_STEP.finditer(text, body_start):
        if m.group(0) == "'":
            return m.start()
    return -1


def decode_ansi_c(body: str) -> str:
    """The value of bash's ``$'body'``: ANSI-C escapes decoded; a NUL ends the string.

    ``\\u``/``\\U`` decode as in a UTF-8 locale; an unknown escape keeps its backslash.
    """
    if "\\" not in body:
        return body
    out: list[str] = []
    pos = 0
    for m in _ANSI_ESCAPE.finditer(body):
        out.append(body[pos : m.start()])
        pos = m.end()
        octal, hex2, hex4, hex8, control, other = m.groups()
        if octal is not None:
            ch = chr(int(octal, 8) & 0xFF)
        elif hex2 is not None or hex4 is not None or hex8 is not None:
            code = int(hex2 or hex4 or hex8, 16)
            ch = chr(code) if code <= 0x10FFFF else ""
        elif control is not None:
            letter = control[0].upper() if control[0].isascii() else control[0]
            ch = "\x7f" if control == "?" else chr(ord(letter) & 0x1F)
        else:
            ch = _ANSI_SIMPLE.get(other, "\\" + other)
        if ch == "\0":
            return "".join(out)
        out.append(ch)
    out.append(body[pos:])
    return "".join(out)
