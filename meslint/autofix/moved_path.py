"""MES805's suggestion (display-only): the existing path a document probably means.

A file that was moved keeps its name or most of its path: the candidates are the repository's
files with the same base name (the most alike full path wins, if at least half alike), else the closest full path
(:func:`difflib.get_close_matches`, cutoff 0.75).  The suggestion replaces the path where the
line names it as written; it is shown (JSON, SARIF, ``--show-fixes``) and never applied: only
the author knows whether the document meant that file.
"""

from __future__ import annotations

import difflib
import posixpath

from meslint.autofix import offered, text_of
from meslint.edits import DISPLAY_ONLY, Edit, Fix
from meslint.facts import Location, Repository

SAME_NAME_CUTOFF = 0.5


def closest(paths: frozenset[str] | set[str], missing: str) -> str | None:
    name = posixpath.basename(missing)
    same_name = [p for p in paths if posixpath.basename(p) == name]
    if same_name:
        scored = [(difflib.SequenceMatcher(None, p, missing).ratio(), p) for p in sorted(same_name)]
        best = max(scored, key=lambda item: item[0])
        # A common name (spec.md, README.md) alone says little: the rest of the path must be alike too.
        return best[1] if best[0] >= SAME_NAME_CUTOFF else None
    found = difflib.get_close_matches(missing, sorted(paths), n=1, cutoff=0.75)
    return found[0] if found else None


@offered
def suggest(repo: Repository, missing: str, location: Location) -> Fix | None:
    # A view of the paths alone (its difflib scan is the costly part): after a README edit the
    # dependency replay restores it for every path the document still names (meslint.incremental).
    candidate = repo.memo(("moved_path.closest", missing), lambda: closest(repo.all_paths, missing))
    text = text_of(repo, location.path)
    if candidate is None or text is None:
        return None
    lines = text.split("\n")
    if not 0 < location.line <= len(lines):
        return None
    line = lines[location.line - 1]
    start = line.find(missing, max(location.column - 1, 0))
    if start < 0:
        start = line.find(missing)
    if start < 0:
        return None
    return Fix(DISPLAY_ONLY, f"did you mean {candidate}?",
               (Edit(location.path, location.line, start + 1, location.line, start + 1 + len(missing), candidate),))
