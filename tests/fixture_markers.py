"""Expected findings marked inside fixture files.

``meslint-expect: MES602`` on a line expects that code on that line;
``meslint-expect-next: MES602`` (in a comment line of formats where an inline
comment would change the value, such as units and env files) expects it on the
next line that is not a comment.  Several codes may be comma-separated.
"""

from __future__ import annotations

import re
from pathlib import Path

_MARK = re.compile(r"meslint-expect(-next)?:\s*((?:MES\d{3}\s*,?\s*)+)")
_COMMENT = re.compile(r"^\s*(#|;|<!--|//)")


def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    expected: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or ".meslint_cache" in path.parts:
            continue
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        rel = path.relative_to(root).as_posix()
        for index, line in enumerate(lines):
            for match in _MARK.finditer(line):
                codes = re.findall(r"MES\d{3}", match.group(2))
                target = index + 1
                if match.group(1):
                    target = _next_non_comment(lines, index) + 1
                expected.update((rel, target, code) for code in codes)
    return expected


def _next_non_comment(lines: list[str], index: int) -> int:
    for j in range(index + 1, len(lines)):
        if lines[j].strip() and not _COMMENT.match(lines[j]):
            return j
    return index
