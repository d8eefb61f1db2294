"""MES805's suggestion (display-only): the existing path a document probably means.

A file that was moved keeps its name or most of its path: the candidates are the repository's
files with the same base name (the most alike full path wins, if at least half alike), else the closest full path
(:func:`difflib.get_close_matches`, cutoff 0.75).  The suggestion replaces the path where the
line names it as written; it is shown (JSON, SARIF, ``--show-fixes``) and never applied: only
the author knows whether the document meant that file.

The answers are difflib's, computed with fewer of its ratios: a repository has thousands of paths
and :meth:`difflib.SequenceMatcher.ratio` is costly, so each candidate is first bounded above by
the characters the two paths can share at most (difflib's own ``quick_ratio``, worked out a
character at a time over all candidates, dropping each as soon as it cannot reach the cutoff or
the best ratio found so far).  A ratio never exceeds that bound, so the dropped paths are exactly
those that could not have been chosen.
"""

from __future__ import annotations

import difflib
import posixpath
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from meslint.autofix import offered, text_of
from meslint.edits import DISPLAY_ONLY, Edit, Fix
from meslint.facts import Location, Repository

SAME_NAME_CUTOFF = 0.5
CLOSE_CUTOFF = 0.75  # difflib.get_close_matches's default


def closest(paths: frozenset[str] | set[str], missing: str) -> str | None:
    index = _index(paths) if isinstance(paths, frozenset) else _Index(paths)
    same_name = index.by_name.get(posixpath.basename(missing))
    if same_name:
        # A common name (spec.md, README.md) alone says little: the rest of the path must be alike too.
        # Of equally alike paths the first in sorted order (``max`` over the sorted paths).
        return _most_alike(_within_reach(same_name, missing, SAME_NAME_CUTOFF), missing, SAME_NAME_CUTOFF,
                           ties_to_larger=False)
    # get_close_matches(missing, paths, n=1): the largest (ratio, path) of a ratio at least the cutoff.
    size = len(missing)
    allowed: list[tuple[str, int]] = []
    for length, group in index.by_length.items():  # one length each: one reach for the group
        need = _matches_needed(length + size, CLOSE_CUTOFF)
        if need <= min(length, size):  # get_close_matches's real_quick_ratio
            allowed.extend((path, size - need) for path in group)
    return _most_alike(allowed, missing, CLOSE_CUTOFF, ties_to_larger=True)


def _within_reach(paths: list[str], missing: str, cutoff: float) -> list[tuple[str, int]]:
    """The paths long enough and short enough to reach ``cutoff`` (get_close_matches's real_quick_ratio),
    each with the shortfall it may have."""
    size = len(missing)
    reach = []
    for path in paths:
        need = _matches_needed(len(path) + size, cutoff)
        if need <= min(len(path), size):
            reach.append((path, size - need))
    return reach


class _Index:
    """The paths by base name and by length."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.by_name: dict[str, list[str]] = {}
        self.by_length: dict[int, list[str]] = {}
        for path in paths:
            self.by_name.setdefault(path.rpartition("/")[2], []).append(path)  # posixpath.basename
            self.by_length.setdefault(len(path), []).append(path)


@lru_cache(maxsize=2)
def _index(paths: frozenset[str]) -> _Index:
    # Once per repository (a run asks for each missing path of each document): a frozenset keeps its
    # hash, and the repository's own is the same object every time, so the lookup is cheap.
    return _Index(paths)


def _most_alike(alive: list[tuple[str, int]], missing: str, cutoff: float, *, ties_to_larger: bool) -> str | None:
    """The candidate of the highest ``SequenceMatcher(None, candidate, missing).ratio()``, if at least
    ``cutoff``; of equal ratios the larger or the smaller path.  Each candidate comes with the
    shortfall (below) it may have and still reach the cutoff (:func:`_within_reach`).

    A ratio is ``2 * M / T`` (``T`` both lengths, ``M`` the matched characters), and ``M`` is at most
    the characters the two paths have in common counted with repetition, which is ``len(missing)``
    less the *shortfall*: for each character of ``missing``, how many more times it occurs there
    than in the candidate.  The shortfall is summed a character at a time over all candidates at
    once, rarest characters first, and a candidate leaves as soon as it cannot reach the cutoff.
    """
    size = len(missing)
    if not alive:
        return None
    # Rarest first (fewest occurrences among the candidates for each one in ``missing``): the
    # characters most candidates fall short of drop them soonest.
    joined = "\n".join(path for path, _ in alive)
    wanted = Counter(missing)
    order = sorted(wanted.items(), key=lambda item: (joined.count(item[0]) / len(alive) - item[1], item[0]))
    for char, count in order:
        kept = []
        for path, room in alive:
            if count == 1:
                if char not in path:
                    if not room:
                        continue
                    room -= 1
            else:
                lacking = count - path.count(char)
                if lacking > 0:
                    room -= lacking
                    if room < 0:
                        continue
            kept.append((path, room))
        alive = kept
        if not alive:
            return None
    # Every character counted: ``room`` is what remains of the shortfall the cutoff allows, and the
    # matches difflib's quick_ratio counts are the fewest the cutoff needs plus that.
    bounded = sorted(((_rate(_matches_needed(len(path) + size, cutoff) + room, len(path) + size), path)
                      for path, room in alive),
                     key=lambda item: item[0], reverse=True)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(missing)  # as get_close_matches: the word is the second sequence
    best: str | None = None
    best_ratio = -1.0
    for bound, path in bounded:
        if bound < best_ratio:
            break  # neither this path nor any after it can reach the best ratio
        if best is not None and bound == best_ratio and not _wins_tie(path, best, ties_to_larger):
            continue  # at best a tie, which this path loses
        matcher.set_seq1(path)
        ratio = matcher.ratio()
        if ratio >= cutoff and (best is None or ratio > best_ratio
                                or (ratio == best_ratio and _wins_tie(path, best, ties_to_larger))):
            best, best_ratio = path, ratio
    return best


def _wins_tie(path: str, best: str, ties_to_larger: bool) -> bool:
    return path > best if ties_to_larger else path < best


def _rate(matches: int, total: int) -> float:
    """difflib's ratio of ``matches`` in sequences of ``total`` length together."""
    return 2.0 * matches / total if total else 1.0


def _matches_needed(total: int, cutoff: float) -> int:
    """The fewest matched characters ``m`` whose ratio ``2.0 * m / total`` (difflib's arithmetic) is at
    least ``cutoff``."""
    if total == 0:
        return 0  # difflib rates two empty sequences 1.0
    need = max(int(cutoff * total / 2), 0)
    while need > 0 and _rate(need - 1, total) >= cutoff:
        need -= 1
    while _rate(need, total) < cutoff:
        need += 1
    return need


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
