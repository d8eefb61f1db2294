"""MES607's fixes: an env template line that its consumers read differently, made to read alike.

* **safe** -- an inline comment (``KEY=2   # PRD: 4``) moves onto its own line above the
  assignment.  bash and python-dotenv drop an inline comment, systemd's ``EnvironmentFile=`` keeps
  it in the value; on its own line every reader skips it.  The edit is offered only when the three
  readers (:mod:`meslint.parsers.envfile`) prove it on the line itself: bash and python-dotenv
  read the same value before and after, systemd now reads that value too, and the comment line
  assigns nothing.  A comment holding ``meslint:`` is left inline (on its own line it would
  become a suppression).
* **unsafe** -- a value with spaces that bash runs as a command (``KEY=900 1 300 10``) is
  quoted, so bash assigns what systemd and python-dotenv already read.  bash's value changes
  (it had none), so the fix is unsafe.
"""

from __future__ import annotations

import re

from meslint.autofix import offered
from meslint.edits import SAFE, UNSAFE, Edit, Fix, replace_lines
from meslint.facts import EnvAssignment
from meslint.parsers.envfile import parse

_INLINE = re.compile(r"[ \t]+#")


def _reading(text: str, name: str) -> list[EnvAssignment]:
    return [a for a in parse("-", text).assignments if a.name == name] if text else []


@offered
def fix_for(assignment: EnvAssignment) -> Fix | None:
    """The fix of one divergent line, or None when none is proven."""
    raw = assignment.raw
    if "\n" in raw or assignment.location.line != assignment.location.end_line:
        return None  # continuation lines: left to the author
    before = _reading(raw, assignment.name)
    if len(before) != 1:
        return None
    return _move_comment(assignment, before[0]) or _quote(assignment, before[0])


def _move_comment(assignment: EnvAssignment, old: EnvAssignment) -> Fix | None:
    raw, line = assignment.raw, assignment.location.line
    indent = raw[: len(raw) - len(raw.lstrip(" \t"))]
    for match in _INLINE.finditer(raw, assignment.location.column - 1):
        kept, comment = raw[: match.start()], raw[match.end() - 1:]
        if "meslint:" in comment:
            return None
        new_text = f"{indent}{comment}\n{kept}"
        after = parse("-", new_text).assignments
        if len(after) != 1 or after[0].name != assignment.name:
            continue  # the comment line assigns something, or the line no longer does
        new = after[0]
        if (new.bash, new.dotenv) != (old.bash, old.dotenv) or new.systemd == old.systemd:
            continue
        if new.systemd not in {v for v in (new.bash, new.dotenv) if v is not None}:
            continue
        return Fix(SAFE, f"move the comment after {assignment.name}'s value onto its own line above it",
                   (replace_lines(assignment.location.path, line, line, raw, new_text),))
    return None


def _quote(assignment: EnvAssignment, old: EnvAssignment) -> Fix | None:
    raw, name = assignment.raw, assignment.name
    if old.systemd is None or old.bash == old.systemd or not any(ch in old.systemd for ch in " \t"):
        return None
    head = raw[: raw.index("=", assignment.location.column - 1) + 1]
    value = old.systemd
    if not re.search(r'["\\$`]', value):
        quoted = f'"{value}"'
    elif "'" not in value and "\\" not in value:
        quoted = f"'{value}'"
    else:
        return None
    new_text = head + quoted
    after = _reading(new_text, name)
    if len(after) != 1 or not after[0].systemd == after[0].bash == old.systemd:
        return None
    if old.dotenv is not None and after[0].dotenv != old.dotenv:
        return None
    line = assignment.location.line
    return Fix(UNSAFE, f"quote {name}'s value so that bash assigns it as systemd and python-dotenv read it",
               (replace_lines(assignment.location.path, line, line, raw, new_text),))


@offered
def env_line(assignment: EnvAssignment, value: str) -> Edit | None:
    """The assignment's line with ``value`` instead of its value (quoted when it needs it), or
    None when the three readers would not all read ``value`` from the new line."""
    raw, name = assignment.raw, assignment.name
    if "\n" in raw:
        return None
    head = raw[: raw.index("=", assignment.location.column - 1) + 1]
    for spelled in (value, f'"{value}"', f"'{value}'"):
        new_text = head + spelled
        after = _reading(new_text, name)
        if len(after) == 1 and after[0].systemd == after[0].bash == after[0].dotenv == value:
            line = assignment.location.line
            return replace_lines(assignment.location.path, line, line, raw, new_text)
    return None
