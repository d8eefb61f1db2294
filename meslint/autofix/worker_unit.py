"""MES609's fix (unsafe): write the worker unit a queue the start script serves is missing.

The new unit is a copy of the closest sibling worker unit (the one whose queue name is most
alike, :class:`difflib.SequenceMatcher`), with the sibling's identity swapped for the new
queue's: its queue variable (``EXPORT_WORKER_QUEUE`` -> ``TRACE_WORKER_QUEUE``, the variable the
start script reads, so one ``.env`` line moves both), its queue default, and its name where the
sibling's name appears (``mes-dashboard-export-worker`` -> ``mes-dashboard-trace-events-worker``,
the ``Description=`` words).  The sibling's comments and the ``Environment=`` lines of its own
settings are left out; a first comment says where the unit comes from.  The new file goes beside
the sibling.  Nothing is offered when the sibling's name does not contain its queue's stem, when
the new file exists, or when the copy would still mention the sibling's queue, variable or
settings.  The fix is unsafe: installing the unit starts a worker under systemd.
"""

from __future__ import annotations

import difflib
import posixpath
import re

from meslint.autofix import offered, text_of
from meslint.edits import UNSAFE, Edit, Fix
from meslint.facts import Repository


def stem(queue: str) -> str:
    """A queue's name in unit names: ``report-query`` -> ``report``."""
    return queue.removesuffix("-query")


def _own_lines(text: str, old_stem: str, sibling: str) -> str:
    """The copy without what belongs to the sibling: its comments (they describe the sibling) and its
    ``Environment=`` lines naming the sibling's own settings (``EAP_ALARM_SPOOL_DIR`` for
    ``eap-alarm``); a first comment says where the unit comes from and what to review."""
    prefix = old_stem.upper().replace("-", "_") + "_"
    kept = [line for line in text.split("\n") if not re.match(r"[ \t]*[#;]", line)
            and not (line.lstrip().startswith("Environment=") and re.search(rf"\b{re.escape(prefix)}\w", line))]
    note = (f"# Written by meslint check --unsafe-fixes from {sibling}: review its resource limits and "
            "settings for this queue.")
    return "\n".join([note, *kept])


def _describe(line: str, old_stem: str, new_stem: str, queue: str) -> str:
    """The copy's ``Description=``: the sibling's, with the sibling's name (as words, any case:
    ``Production History`` for ``production-history``) swapped for the new one in the same case;
    a description that does not name the sibling gets a plain one."""
    words = r"[\s_-]+".join(re.escape(part) for part in old_stem.split("-"))
    match = re.search(rf"\b{words}\b", line, flags=re.I)
    if match is None:
        return f"Description=RQ worker for queue {queue}"
    found, plain = match.group(0), new_stem.replace("-", " ")
    if found.isupper():
        plain = plain.upper()
    elif found[:1].isupper():
        plain = plain.title()
    if "-" in found:
        plain = plain.replace(" ", "-")
    return line[:match.start()] + plain + line[match.end():]


@offered
def missing_unit(repo: Repository, queue: str, var: str | None,
                 siblings: list[tuple[str, str, str | None]]) -> Fix | None:
    """``siblings``: (unit path, queue, queue variable) of each worker unit serving one queue."""
    if not siblings or not re.fullmatch(r"[A-Za-z0-9_.-]+", queue):
        return None
    path, old_queue, old_var = max(siblings, key=lambda s: (difflib.SequenceMatcher(None, s[1], queue).ratio(),
                                                              [-ord(c) for c in s[0]]))
    text = text_of(repo, path)
    old_stem, new_stem = stem(old_queue), stem(queue)
    name = posixpath.basename(path)
    if text is None or f"-{old_stem}-" not in f"-{name}" or (old_var is None) != (var is None):
        return None
    new_path = posixpath.join(posixpath.dirname(path), name.replace(f"-{old_stem}-", f"-{new_stem}-", 1))
    if new_path in repo.all_paths or new_path == path:
        return None
    new = text
    if old_var is not None and var is not None:
        new = re.sub(rf"\b{re.escape(old_var)}\b", var, new)
    queue_word = rf"(?<![\w.]){re.escape(old_queue)}(?![\w.-])"  # ':-export-query' counts, 'x.export-query' not
    new = re.sub(queue_word, queue, new)
    new = new.replace(f"-{old_stem}-", f"-{new_stem}-")
    new = re.sub(r"^Description=.*$", lambda m: _describe(m.group(0), old_stem, new_stem, queue), new, flags=re.M)
    new = _own_lines(new, old_stem, path)
    leftover = re.search(queue_word, new) or re.search(rf"\b{re.escape(old_stem.upper().replace('-', '_'))}_", new) or (
        old_var is not None and re.search(rf"\b{re.escape(old_var)}\b", new))
    if leftover or queue not in new:
        return None
    return Fix(UNSAFE, f"write {new_path} (a copy of {path} serving queue '{queue}')",
               (Edit(new_path, 1, 1, 1, 1, new),))
