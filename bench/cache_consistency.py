"""Opt-in: over a real repository's history, cached runs must print what uncached runs print.

    python bench/cache_consistency.py /path/to/repo.git --limit 20 [--every 5]

Commits that touched the contract files (as in ``scan_history.py``) are exported one after the
other into the *same* directory with ``git archive`` (nothing of them is executed), and each is
checked four ways with one ``--cache-dir`` kept across commits:

1. ``--no-cache``;
2. with the fact cache warm from the earlier commits (recorded in the run cache only if the
   tree is already older than the racy window);
3. after the tree has aged past that window: with every file's facts cached (and recorded, if
   run 2 was not);
4. again: replayed from the run cache.

All four JSON outputs must be byte-identical; each line shows the four wall times.  Exit 1 on any
difference.  Never part of the test suite (it needs a copy of the real repository).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from scan_history import commits, export

from bench import meslint_command

RACY_WAIT_S = 2.1  # the run cache's racy window is 2 s


def run(root: Path, *extra: str) -> tuple[str, float]:
    start = time.perf_counter()
    # Run from this process's directory, never from inside the checked tree (see meslint_command).
    done = subprocess.run([*meslint_command(), "check", str(root), "--output-format", "json", *extra],
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"meslint failed on {root}: {done.stderr.strip()}")
    return done.stdout, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--paths", nargs="*", default=["deploy", "scripts", ".env.example", "gunicorn.conf.py"])
    parser.add_argument("--limit", type=int, default=20, help="the last N commits that touched --paths")
    parser.add_argument("--every", type=int, default=1, help="check every k-th of them")
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tree, cache_dir = Path(tmp) / "tree", Path(tmp) / "cache"
        for commit, subject in commits(args.git_dir, args.paths, args.limit)[::args.every]:
            shutil.rmtree(tree, ignore_errors=True)
            export(args.git_dir, commit, tree)
            fresh, t_fresh = run(tree, "--no-cache")
            warm, t_warm = run(tree, "--cache-dir", str(cache_dir))
            time.sleep(RACY_WAIT_S)
            recorded, t_recorded = run(tree, "--cache-dir", str(cache_dir))
            replayed, t_replayed = run(tree, "--cache-dir", str(cache_dir))
            same = fresh == warm == recorded == replayed
            failures += not same
            print(f"{commit} {'same' if same else 'DIFFERENT'}  no-cache {t_fresh:.2f}s  fact cache {t_warm:.2f}s  "
                  f"recorded {t_recorded:.2f}s  replayed {t_replayed:.2f}s  {subject[:50]}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
