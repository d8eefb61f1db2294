"""The one glob dialect of meslint (configuration, contract packs, waivers, docs lists).

gitignore-style, anchored at the repository root, matched against POSIX paths relative to it:

* ``*`` matches any run of characters except ``/``; ``?`` one character except ``/``;
* ``[abc]``, ``[a-z]``, ``[!abc]`` a character class (never ``/``);
* ``**`` as a whole segment spans directories: ``**/x`` is ``x`` at any depth, ``a/**`` everything
  below ``a``, ``a/**/b`` zero or more directories between;
* a trailing ``/`` names a directory: ``docs/`` matches ``docs`` and everything below it;
* ``\\`` escapes the next character.

So ``docs/**/*-plan.md`` matches ``docs/rollout-plan.md`` and ``docs/a/b/x-plan.md``, and ``docs/*.md``
does not match ``docs/a/x.md``.  :func:`check_glob` rejects what is not a valid pattern (exit 2 where
configuration or a pack names one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


class GlobError(ValueError):
    """A pattern that is not a valid glob; ``reason`` says why without quoting the pattern."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_glob(pattern: str) -> None:
    """Raise :class:`GlobError` unless ``pattern`` is a valid repository glob."""
    if not pattern or not pattern.strip():
        raise GlobError("is empty")
    if pattern.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", pattern):
        raise GlobError("must be relative to the project root")
    if ".." in pattern.split("/"):
        raise GlobError("must be relative to the project root (no '..')")
    for segment in pattern.rstrip("/").split("/"):
        if "**" in segment and segment != "**":
            raise GlobError("uses '**' inside a path component ('**' must be a whole component)")
    _glob_regex(pattern)  # raises for what only the translation sees (an unclosed '[', a lone '\\')


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    directory = pattern.endswith("/")
    segments = pattern.rstrip("/").split("/")
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        out.append(_segment_regex(segment, pattern))
        if not last:
            out.append("/")
    tail = "(?:/.*)?" if directory else ""
    return re.compile("".join(out) + tail + r"\Z", re.DOTALL)


def _segment_regex(segment: str, pattern: str) -> str:
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "\\":
            if i + 1 >= len(segment):
                raise GlobError("ends with a lone backslash")
            out.append(re.escape(segment[i + 1]))
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = i + 1
            if end < len(segment) and segment[end] in "!^":
                end += 1
            if end < len(segment) and segment[end] == "]":
                end += 1
            while end < len(segment) and segment[end] != "]":
                end += 1
            if end >= len(segment):
                raise GlobError("has an unclosed character class '['")
            body = segment[i + 1:end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
            out.append(f"[{'^' if negate else ''}{body}]" if not negate else f"(?!/)[^{body}]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def glob_match(path: str, pattern: str) -> bool:
    """Whether the repository path matches the glob (invalid globs never match; validate on load)."""
    try:
        return _glob_regex(pattern).match(path) is not None
    except (GlobError, re.error):
        return False


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    if isinstance(patterns, (tuple, frozenset)):  # a pack's or configuration's lists: one regex for all
        return _any_regex(patterns).match(path) is not None
    return any(glob_match(path, pattern) for pattern in patterns)


@lru_cache(maxsize=64)
def _any_regex(patterns: tuple[str, ...] | frozenset[str]) -> re.Pattern[str]:
    """One alternation of the patterns' regexes (an invalid glob matches nothing, as in glob_match)."""
    branches = []
    for pattern in sorted(patterns):
        try:
            branches.append(f"(?:{_glob_regex(pattern).pattern})")
        except (GlobError, re.error):
            continue
    return re.compile("|".join(branches) if branches else r"(?!)", re.DOTALL)
