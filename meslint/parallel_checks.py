"""Run the checks on two cores: the contract resolution's readers here, the others in a forked
helper (:mod:`meslint.forked`).

The split follows what the checks share.  The checks that read the contract resolution or its
what-if runs (gate 6's, MES202's root anchors, MES801/MES802's README against the contract, MES111's
build output), views too costly to compute twice, stay together in this process; the write-set
checks share the call graph and go to the helper with the rest.  A check whose recorded inputs are
unchanged is replayed either way (it costs nothing).  The helper's checks are decided before the
fork, cheaply (a check whose decision needs a view computed goes to the helper).  A view both
shares read by the record (the resolution, which the write sets read for the start script's code)
is computed once before the fork, and compared with the recorded one after it, when this process
decides its own checks.  Whichever process runs a check, its findings are the same objects and are
returned in the checks' order, so the output does not depend on the split.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meslint import forked

# The readers of the resolution (tests/test_parallel_checks.py keeps the list true to the sources).
RESOLUTION_READERS = frozenset({"MES111", "MES202", "MES601", "MES602", "MES603", "MES604", "MES606", "MES609",
                                "MES611", "MES612", "MES613", "MES801", "MES802"})
_THERE = frozenset({"MES617", "MES618"})
# Fewer checks to run than this, or a smaller repository (the bytes of the files read), and the fork
# (some milliseconds) is not worth it: a fixture-sized tree checks in less.
MIN_TO_SPLIT = 4
MIN_BYTES = 200_000


# Without a record of the checks' times (a first run), these two stay here too to even the shares: after
# a unit, .env or .py edit the write sets (MES617) made the helper's share the longer by some 40 ms; these
# two take about 35 (and MES204 walks the start script's flows, as MES202 here does: computed once).
_BALANCE = frozenset({"MES201", "MES204"})


def stays_here(code: str) -> bool:
    """Whether ``code`` runs in this process whatever the times say (it reads the resolution)."""
    return code in RESOLUTION_READERS and code not in _THERE


def run(checks: list[tuple[str, Callable]], run_one: Callable[[str, Callable], list],
        tracker: Any = None, size: int = MIN_BYTES) -> dict[str, list]:
    """Each check's findings by code, from ``run_one(code, check)``; ``size``: the repository's bytes."""
    may_split = size >= MIN_BYTES and forked.available()
    if tracker is not None and may_split:
        # A view (the resolution) both shares may read: computed once, before the fork, so the helper
        # inherits it; and deciding the shares then knows whether it changed.
        fixed = [code for code, _ in checks if stays_here(code)]
        others = [code for code, _ in checks if not stays_here(code)]
        tracker.compute_views(tracker.views_read(others) & tracker.views_read(fixed))
    here, there = shares(checks, tracker)
    found: dict[str, list] = {}
    if here and there and len(here) + len(there) >= MIN_TO_SPLIT and may_split:
        inherited = frozenset(tracker.memos) if tracker is not None else frozenset()
        try:
            (theirs, state), _ = forked.split(lambda: _remote(there, run_one, tracker, inherited),
                                              lambda: _local(here, run_one, found))
        except (OSError, ChildProcessError):  # no fork, or the helper failed: its checks run here
            pass
        else:
            found.update(theirs)
            if tracker is not None:
                tracker.adopt(state)
    for code, check in checks:
        if code not in found:
            found[code] = run_one(code, check)
    return found


Pairs = list[tuple[str, Callable]]


def shares(checks: Pairs, tracker: Any = None) -> tuple[Pairs, Pairs]:
    """(this process's checks, the helper's), each in the checks' order.

    Which checks will run is decided without computing a view (a check whose decision needs one
    counts as running; the helper decides again).  The resolution's readers stay here, the write sets
    go there; the others even the shares by the time each took when the record was made (after a
    unit edit this process has more to run, after a .py edit the helper).  A check sure to replay is in
    neither: it is replayed here after the split, at no cost."""
    def runs(code: str) -> bool:
        return tracker is None or not tracker.replays(code, recompute=False)

    fixed_here = {code for code, _ in checks if stays_here(code)}
    fixed_there = {code for code, _ in checks if code in _THERE and runs(code)}
    movable = [code for code, _ in checks if code not in fixed_here and code not in _THERE and runs(code)]
    costs = tracker.costs() if tracker is not None else {}
    if all(code in costs for code in (*fixed_here, *fixed_there, *movable)):
        load_here = sum(costs[code] for code in fixed_here if runs(code))
        load_there = sum(costs[code] for code in fixed_there)
        chosen: set[str] = set()
        for code in sorted(movable, key=lambda code: (-costs[code], code)):  # the longest first
            if load_here < load_there:
                chosen.add(code)
                load_here += costs[code]
            else:
                load_there += costs[code]
    else:  # no times recorded (a first run): the fixed split
        chosen = {code for code in movable if code in _BALANCE}
    here = [pair for pair in checks if pair[0] in fixed_here or pair[0] in chosen]
    there = [pair for pair in checks if pair[0] in fixed_there or (pair[0] in movable and pair[0] not in chosen)]
    return here, there


def _local(pairs: list[tuple[str, Callable]], run_one: Callable[[str, Callable], list],
           found: dict[str, list]) -> None:
    for code, check in pairs:
        found[code] = run_one(code, check)


def _remote(pairs: list[tuple[str, Callable]], run_one: Callable[[str, Callable], list], tracker: Any,
            inherited: frozenset[str]):
    found = {code: run_one(code, check) for code, check in pairs}
    return found, (tracker.state_of(found, inherited) if tracker is not None else None)
