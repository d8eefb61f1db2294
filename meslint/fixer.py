"""Applying fixes (:mod:`meslint.edits`) to the checked repository's files.

The fixer holds each file it edits as text (:class:`FileText`: the bytes first read, the BOM,
the decoded text with its own line endings) and applies fixes to that text in memory:

* every fix of a pass whose edits do not overlap an edit already taken in the pass is applied
  (all of its edits or none); the others wait for the next pass, which re-evaluates the edited
  texts (:mod:`meslint.fix_run` loops, bounded);
* positions are those of the facts (BOM dropped, CRLF read as LF); a ``\\n`` in a replacement
  is written with the line ending of the line it goes into, the BOM and a missing or present
  final newline are kept as they were;
* only files inside the repository are touched (:func:`meslint.safe_io.confine`), never
  under ``.git``, never a link; a fix naming anything else is refused.

:func:`write` writes the results atomically (:func:`meslint.safe_io.write_atomic`), and only
when the file's bytes are still those first read (compared by SHA-256 just before writing):
a file changed by someone else meanwhile is left alone and reported.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from meslint import safe_io
from meslint.edits import DISPLAY_ONLY, SAFE, UNSAFE, Edit, Fix
from meslint.findings import Finding

BOM = b"\xef\xbb\xbf"


class FixRefused(Exception):
    """A fix that cannot be applied as it stands (a stale position, a path outside the repository)."""


@dataclass
class FileText:
    """One file as the fixer edits it."""

    path: str
    original: bytes | None  # as first read; None: the file does not exist (a fix creates it)
    bom: bool
    text: str  # decoded, BOM dropped, line endings as in the file
    initial: str = field(default="")  # ``text`` as first read

    @property
    def changed(self) -> bool:
        return self.text != self.initial

    def data(self) -> bytes:
        return (BOM if self.bom else b"") + self.text.encode("utf-8", "surrogateescape")


def effective_applicability(finding: Finding, settings) -> str | None:
    """The fix's applicability after ``unfixable`` / ``extend-safe-fixes`` / ``extend-unsafe-fixes``
    (the longest matching code prefix decides between the last two, as ruff does); None: not fixable."""
    from meslint.config import _longest_match

    fix = finding.fix
    if fix is None or fix.applicability == DISPLAY_ONLY:
        return None
    if _longest_match(finding.code, settings.unfixable) is not None:
        return None
    safer = _longest_match(finding.code, settings.extend_safe_fixes)
    riskier = _longest_match(finding.code, settings.extend_unsafe_fixes)
    if riskier is not None and (safer is None or len(riskier) >= len(safer)):
        return UNSAFE
    if safer is not None:
        return SAFE
    return fix.applicability


def wanted(findings: Iterable[Finding], settings, unsafe: bool) -> list[Finding]:
    """The findings whose fix this run applies: safe ones, and unsafe ones with ``unsafe``."""
    chosen = []
    for finding in findings:
        applicability = effective_applicability(finding, settings)
        if applicability == SAFE or (applicability == UNSAFE and unsafe):
            chosen.append(finding)
    return chosen


def load(root: Path, path: str, files: dict[str, FileText], limit: int) -> FileText:
    """The file ``path`` as the fixer holds it (read once, then its edited text)."""
    if path in files:
        return files[path]
    target = _target(root, path)
    try:
        raw: bytes | None = safe_io.read_capped(target, limit)
    except FileNotFoundError:
        raw = None
    except OSError as exc:
        raise FixRefused(f"{path}: {getattr(exc, 'reason', None) or exc.strerror or exc}") from None
    bom = raw is not None and raw.startswith(BOM)
    try:
        text = raw[len(BOM) if bom else 0:].decode("utf-8") if raw is not None else ""
    except UnicodeDecodeError:
        raise FixRefused(f"{path}: not valid UTF-8") from None
    files[path] = FileText(path, raw, bom, text, text)
    return files[path]


def _target(root: Path, path: str) -> Path:
    """``path`` inside ``root``; refused when it leaves the repository or enters version control."""
    parts = path.split("/")
    if not path or any(part in ("", ".", "..") for part in parts) or parts[0] in (".git", ".hg"):
        raise FixRefused(f"{safe_io.shown(path)}: not a file of the repository")
    try:
        return safe_io.confine(root, path)
    except safe_io.UnsafeFile as exc:
        raise FixRefused(f"{safe_io.shown(path)}: {exc.reason}") from None


def apply_fixes(root: Path, files: dict[str, FileText], findings: list[Finding], limit: int,
                refusals: list[str] | None = None) -> list[Finding]:
    """Apply the fixes of ``findings`` that do not overlap each other (first come, first taken) to
    ``files``; the findings whose fix changed something.  A refused fix is skipped (its reason
    goes to ``refusals``)."""
    taken: dict[str, list[tuple[int, int]]] = {}
    planned: dict[str, list[tuple[int, int, str]]] = {}
    applied = []
    for finding in sorted(findings, key=lambda f: (min(f.fix.edits), f.sort_key()) if f.fix and f.fix.edits
                          else ((), f.sort_key())):
        fix = finding.fix
        assert fix is not None
        try:
            spans = [(edit, _span(load(root, edit.path, files, limit), edit)) for edit in fix.edits]
        except FixRefused as exc:
            if refusals is not None:
                refusals.append(f"{finding.code} fix not applied: {exc}")
            continue
        if not spans or any(_overlaps(span, taken.get(edit.path, ())) for edit, span in spans):
            continue
        if all(files[edit.path].text[span[0]:span[1]] == span[2] for edit, span in spans):
            continue  # changes nothing: already in the fixed form
        for edit, span in spans:
            taken.setdefault(edit.path, []).append((span[0], span[1]))
            planned.setdefault(edit.path, []).append(span)
        applied.append(finding)
    for path, pieces in planned.items():
        state = files[path]
        text = state.text
        for start, end, content in sorted(pieces, reverse=True):
            text = text[:start] + content + text[end:]
        text = _keep_final_newline(state.initial, text)
        if path.endswith(".py") and _python_ok(state.text) and not _python_ok(text):
            # A fix must never leave a module libcst (or Python) cannot read: drop this file's fixes.
            if refusals is not None:
                refusals.append(f"fixes of {safe_io.shown(path)} not applied: the result would not parse")
            applied = [f for f in applied if f.fix is None or all(e.path != path for e in f.fix.edits)]
            continue
        state.text = text
    return applied


def _python_ok(text: str) -> bool:
    import libcst

    try:
        libcst.parse_module(text)
    except Exception:  # libcst's ParserSyntaxError, or a recursion limit on a hostile module
        return False
    return True


def _overlaps(span: tuple[int, int, str], taken: Iterable[tuple[int, int]]) -> bool:
    start, end = span[0], span[1]
    for other_start, other_end in taken:
        if start < other_end and other_start < end:
            return True
        if start == end == other_start or other_start == other_end == start:
            return True  # two insertions at one point, or an insertion at an edited range's start: order unknown
    return False


def _span(state: FileText, edit: Edit) -> tuple[int, int, str]:
    """``edit`` as offsets into ``state.text`` and the content to put there (line endings adapted)."""
    if state.original is None:
        if edit.start != (1, 1) or edit.end != (1, 1) or state.text:
            # Creating is one whole-file insertion, once: a second fix writing the same new file waits
            # for the next pass, which sees the file (in the overlay) and no longer offers it.
            raise FixRefused(f"{safe_io.shown(edit.path)}: no such file, or already written by another fix")
        return 0, 0, edit.content
    text = state.text
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    start, end = _offset(text, starts, edit.line, edit.column), _offset(text, starts, edit.end_line, edit.end_column)
    if end < start:
        raise FixRefused(f"{edit.path}: an edit ends before it starts")
    line = bisect_right(starts, start) - 1
    newline = "\n"
    if line + 1 < len(starts):
        if text[starts[line + 1] - 2: starts[line + 1]] == "\r\n":
            newline = "\r\n"
    elif "\r\n" in text:
        newline = "\r\n"
    content = edit.content.replace("\n", newline) if newline != "\n" else edit.content
    return start, end, content


def _offset(text: str, starts: list[int], line: int, column: int) -> int:
    if line == len(starts) + 1 and column == 1 and not text.endswith("\n"):
        return len(text)  # just past a last line that has no newline
    if not 1 <= line <= len(starts) or column < 1:
        raise FixRefused("a position outside the file (the file changed since it was read)")
    stop = starts[line] - 1 if line < len(starts) else len(text)
    if stop > starts[line - 1] and text[stop - 1] == "\r" and line < len(starts):
        stop -= 1  # columns count the text as read (CRLF as LF)
    offset = starts[line - 1] + column - 1
    if offset > stop:
        if offset == stop + 1 and line < len(starts):
            return starts[line]  # one past the end of a line: its newline is included
        raise FixRefused("a position outside the file (the file changed since it was read)")
    return offset


def _keep_final_newline(initial: str, text: str) -> str:
    """``text`` ending with a newline exactly when ``initial`` did (a new file: as written)."""
    if not initial or not text:
        return text
    had = initial.endswith("\n")
    if had and not text.endswith("\n"):
        return text + ("\r\n" if initial.endswith("\r\n") else "\n")
    if not had and text.endswith("\n"):
        return text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def diff(files: dict[str, FileText]) -> str:
    """The unified diff of every changed file (``a/PATH`` to ``b/PATH``, as git shows it)."""
    from meslint.reporters.escape import visible

    chunks = []
    for path in sorted(files):
        state = files[path]
        if not state.changed:
            continue
        before = _lines(state.initial) if state.original is not None else []
        after = _lines(state.text)
        old_name = f"a/{path}" if state.original is not None else "/dev/null"
        lines = difflib.unified_diff(before, after, old_name, f"b/{path}")
        for line in lines:
            # One diff line per output line, shown safely (tabs stay tabs: diff readers expect them).
            body = line.removesuffix("\n").removesuffix("\r")  # CRLF is kept in the file, not shown
            chunks.append("\t".join(visible(part) for part in body.split("\t")) + "\n")
            if not line.endswith("\n"):
                chunks.append("\\ No newline at end of file\n")
    return "".join(chunks)


def _lines(text: str) -> list[str]:
    """Lines split at LF only (a U+2028 or a lone CR inside a line is not a line break in these files)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def write(root: Path, files: dict[str, FileText], limit: int) -> list[str]:
    """Write every changed file; the problems (files not written), one line each."""
    problems = []
    for path in sorted(files):
        state = files[path]
        if not state.changed:
            continue
        try:
            _write_one(root, state, limit)
        except (FixRefused, OSError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
            problems.append(f"{safe_io.shown(path)}: not written: {reason}")
    return problems


def _write_one(root: Path, state: FileText, limit: int) -> None:
    target = _target(root, state.path)
    if state.original is None:
        _create(root, target, state.data())
        return
    try:
        now = safe_io.read_capped(target, limit)
    except FileNotFoundError:
        raise FixRefused("the file was removed while meslint fixed it") from None
    if hashlib.sha256(now).digest() != hashlib.sha256(state.original).digest():
        raise FixRefused("the file changed while meslint fixed it; run again")
    safe_io.write_atomic(target, state.data())


def _create(root: Path, target: Path, data: bytes) -> None:
    """A new file, never replacing one that appeared meanwhile (:func:`safe_io.create_exclusive`).
    Its directory must exist, inside the repository (checked again just before writing)."""
    if not target.parent.is_dir() or not safe_io.inside(root, target.parent):
        raise FixRefused("its directory does not exist in the repository")
    try:
        safe_io.create_exclusive(target, data)
    except FileExistsError:
        raise FixRefused("a file appeared there while meslint fixed it; run again") from None


__all__ = ["FileText", "Fix", "FixRefused", "apply_fixes", "diff", "effective_applicability", "load", "wanted",
           "write"]
