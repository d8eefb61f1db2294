"""CPU time of parsing every Python module meslint parses in a tree (not CI).

usage: PYTHONPATH=<worktree> python bench/python_parse.py TREE [--runs N] [--profile]

The modules and their ``dict_keys`` flag are the ones a ``meslint check TREE --no-cache`` run
selects (build_repository is run once with the parse step intercepted); then ``python_src.parse``
is timed over all of them in this process with ``time.process_time`` (CPU time, so the load of a
shared machine does not count), with the collector's thresholds as ``meslint check`` sets them,
``--runs`` times; the minimum and median are printed.  Run it with two worktrees' PYTHONPATH
alternately to compare them.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

from meslint import build, cachefiles
from meslint.config import load_settings
from meslint.engine import load_contract
from meslint.facts import FileKind


def python_jobs(root: Path) -> list[tuple[str, str, bool]]:
    """(path, text, dict_keys) of every Python module a cold check of ``root`` parses."""
    cachefiles.configure(enabled=False)
    settings = load_settings(root)
    pack = load_contract(settings, root)
    jobs: list[tuple[str, str, bool]] = []
    real = build.parse_files

    def intercept(at, items, **kwargs):  # type: ignore[no-untyped-def]
        keys = kwargs.get("dict_keys_of")
        jobs.extend((item.path, item.text, keys is None or item.path in keys)
                    for item in items if item.kind is FileKind.PYTHON)
        return real(at, items, **kwargs)

    build.parse_files = intercept  # type: ignore[assignment]
    try:
        build.build_repository(root, pack, max_file_size=settings.max_file_size, exclude=settings.exclude)
    finally:
        build.parse_files = real  # type: ignore[assignment]
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one pass instead")
    args = parser.parse_args()
    from meslint.parsers.python_src import parse

    jobs = python_jobs(args.tree.resolve())
    gc.set_threshold(100_000, 50, 100)  # as meslint check sets it (meslint.cli_check)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for path, text, keys in jobs:
            parse(path, text, dict_keys=keys)
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(30)
        return 0
    for path, text, keys in jobs:  # warm-up: imports, the dispatch tables
        parse(path, text, dict_keys=keys)
    times = []
    for _ in range(args.runs):
        start = time.process_time()
        for path, text, keys in jobs:
            parse(path, text, dict_keys=keys)
        times.append(time.process_time() - start)
    size = sum(len(text) for _, text, _ in jobs)
    print(f"{len(jobs)} modules, {size} chars: min {min(times) * 1000:.1f} ms, "
          f"median {statistics.median(times) * 1000:.1f} ms CPU over {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
