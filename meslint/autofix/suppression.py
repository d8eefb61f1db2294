"""MES100's fixes (safe): delete an unused suppression comment, or drop its unused codes.

Deleting a suppression that covers nothing, or a code of it that matched nothing, changes no
value any consumer reads: only comments change.  A suppression alone on its line goes with its
line; an inline one goes with the whitespace before it, leaving the code before it as it was.
"""

from __future__ import annotations

from meslint.autofix import offered
from meslint.edits import SAFE, Edit, Fix, delete_line
from meslint.suppressions import Suppression


@offered
def remove(suppression: Suppression) -> Fix:
    loc = suppression.location
    if suppression.alone:
        edit = delete_line(loc.path, loc.line)
    else:
        edit = Edit(loc.path, loc.line, suppression.lead, loc.line, loc.end_column, "")
    return Fix(SAFE, f"remove the unused suppression '{suppression.text}'", (edit,))


@offered
def drop_codes(suppression: Suppression, unused: list[str]) -> Fix | None:
    """Keep the codes some finding matched; None when the codes' position is unknown."""
    start, end = suppression.codes_at
    if not start:
        return None
    kept = [code for code in suppression.codes if code not in unused]
    loc = suppression.location
    return Fix(SAFE, f"remove {', '.join(unused)} from the suppression '{suppression.text}'",
               (Edit(loc.path, loc.line, start, loc.line, end, ", ".join(kept)),))
