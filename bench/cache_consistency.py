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

    python bench/cache_consistency.py /path/to/repo.git --edits 50

replays the last 50 consecutive first-parent commits as *edits* of one working tree: the first is
exported whole, then each next commit's changes are written over it file by file (``git diff
--name-status``; deleted files removed), and meslint runs at once, as a pre-commit hook would: with
the run cache of the previous commit (so the unaffected checks are replayed, :mod:`meslint.incremental`)
and, for comparison, with ``--no-cache``.  The two outputs must be byte-identical.  With ``--server``
the runs after each edit go through a ``meslint server`` of the script's own (the ``--no-cache`` runs
stay in their own processes).

    python bench/cache_consistency.py /path/to/repo.git --edits 50 --staged

stages the last 50 first-parent commits one after the other in a clone (``HEAD`` at the parent, the
index at the commit) and compares ``check --staged`` with the caches of the earlier commits against
``--no-cache``, as a pre-commit hook would meet them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from scan_history import commits, export

import bench
from bench import meslint_command, resident_server

RACY_WAIT_S = 2.1  # the run cache's racy window is 2 s


def run(root: Path, *extra: str, served: bool = False) -> tuple[str, float]:
    """``served``: through the `meslint server` of :func:`bench.resident_server` (else in its own process)."""
    start = time.perf_counter()
    # Run from this process's directory, never from inside the checked tree (see meslint_command).
    env = dict(bench._CHILD_ENV) if served else {**os.environ, "MESLINT_NO_SERVER": "1"}
    done = subprocess.run([*meslint_command(), "check", str(root), "--output-format", "json", *extra],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"meslint failed on {root}: {done.stderr.strip()}")
    return done.stdout, wall


def _git(git_dir: str, *argv: str) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir, *argv], capture_output=True, check=True).stdout


def apply_commit(git_dir: str, parent: str, commit: str, tree: Path) -> list[str]:
    """Write ``commit``'s changes since ``parent`` over ``tree`` (an export of ``parent``): the edited paths."""
    changed = []
    rows = _git(git_dir, "diff", "--name-status", "--no-renames", "-z", parent, commit).split(b"\0")
    for status, name in zip(rows[0::2], rows[1::2], strict=False):
        path = name.decode("utf-8", "surrogateescape")
        target = tree / path
        if not target.resolve().is_relative_to(tree.resolve()):
            continue  # never write outside the tree
        if status == b"D":
            target.unlink(missing_ok=True)
        else:
            mode = _git(git_dir, "ls-tree", commit, "--", path).split(b" ", 2)
            if mode and mode[0] in (b"120000", b"160000"):
                continue  # links and submodules: git archive's data filter would not write them either
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            target.write_bytes(_git(git_dir, "show", f"{commit}:{path}"))
        changed.append(path)
    return changed


@contextlib.contextmanager
def _workspace(server: bool):
    """A temporary directory, and a `meslint server` of the script's own while it lasts (``server``)."""
    with tempfile.TemporaryDirectory() as tmp, (resident_server(meslint_command(), Path(tmp)) if server
                                                 else contextlib.nullcontext()):
        yield Path(tmp)


def _first_parent(git_dir: str, count: int) -> list[list[str]]:
    """[commit, subject] of the last ``count`` first-parent commits, oldest first."""
    return [line.split(" ", 1) for line in _git(git_dir, "log", "--first-parent", f"-{count}",
                                                "--format=%H %s").decode().splitlines()][::-1]


class _Tally:
    """Commits compared (cached against ``--no-cache``) and the cached runs' times."""

    def __init__(self) -> None:
        self.failures = 0
        self.times: list[float] = []

    def add(self, same: bool, seconds: float) -> str:
        self.failures += not same
        self.times.append(seconds)
        return "same" if same else "DIFFERENT"

    def summary(self, how: str, timed: str) -> int:
        """Print the closing line; the exit status (1 on any difference)."""
        times = sorted(self.times)
        print(f"{len(times)} commits {how}, {self.failures} different; {timed} median {times[len(times) // 2]:.2f}s")
        return 1 if self.failures else 0


def replay_edits(git_dir: str, count: int, server: bool = False) -> int:
    """``server``: the runs after each edit go through a `meslint server` (the --no-cache ones do not)."""
    history = _first_parent(git_dir, count + 1)
    tally = _Tally()
    with _workspace(server) as tmp:
        tree, cache_dir = tmp / "tree", tmp / "cache"
        export(git_dir, history[0][0], tree)
        run(tree, "--cache-dir", str(cache_dir), served=server)  # the recorded run the first edit starts from
        for (parent, _), (commit, subject) in zip(history, history[1:], strict=False):
            changed = apply_commit(git_dir, parent, commit, tree)
            incremental, t_incremental = run(tree, "--cache-dir", str(cache_dir), served=server)
            fresh, t_fresh = run(tree, "--no-cache")
            verdict = tally.add(incremental == fresh, t_incremental)
            print(f"{commit[:10]} {verdict}  {len(changed):3d} files  after the edit "
                  f"{t_incremental:.2f}s  no-cache {t_fresh:.2f}s  {subject[:50]}", flush=True)
    return tally.summary("replayed as edits", "after-edit run")


def replay_commits(git_dir: str, count: int, server: bool = False) -> int:
    """``check --staged`` as a pre-commit hook runs it: the last ``count`` first-parent commits are
    staged one after the other in a clone of the repository (``HEAD`` at the parent, the index set to
    the commit's tree with ``read-tree``: plumbing, no filter runs), each judged with the caches of
    the earlier ones (fact cache, run cache, ``HEAD`` counts, blob record) and with ``--no-cache``."""
    history = _first_parent(git_dir, count)
    tally = _Tally()
    with _workspace(server) as tmp:
        work, cache_dir = tmp / "work", tmp / "cache"
        subprocess.run(["git", "clone", "-q", "--no-checkout", "--", git_dir, str(work)], check=True)

        def git(*argv: str) -> None:
            subprocess.run(["git", "-C", str(work), "-c", "core.hooksPath=/dev/null", *argv], check=True,
                           capture_output=True)

        # The working tree stays at the first parent: --staged reads the index and HEAD only.
        git("checkout", "-q", "--detach", f"{history[0][0]}^1")
        for commit, subject in history:
            git("reset", "-q", "--soft", f"{commit}^1")
            git("read-tree", commit)
            cached, t_cached = run(work, "--staged", "--cache-dir", str(cache_dir), served=server)
            fresh, t_fresh = run(work, "--staged", "--no-cache")
            verdict = tally.add(cached == fresh, t_cached)
            print(f"{commit[:10]} {verdict}  staged, cached {t_cached:.2f}s  "
                  f"no-cache {t_fresh:.2f}s  {subject[:50]}", flush=True)
    return tally.summary("staged", "cached --staged run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--paths", nargs="*", default=["deploy", "scripts", ".env.example", "gunicorn.conf.py"])
    parser.add_argument("--limit", type=int, default=20, help="the last N commits that touched --paths")
    parser.add_argument("--every", type=int, default=1, help="check every k-th of them")
    parser.add_argument("--edits", type=int, metavar="N",
                        help="instead: replay the last N first-parent commits as edits of one tree")
    parser.add_argument("--server", action="store_true",
                        help="with --edits: the runs after each edit go through a `meslint server`")
    parser.add_argument("--staged", action="store_true",
                        help="with --edits: stage each commit over its parent and compare `check --staged` runs")
    args = parser.parse_args()
    if args.edits and args.staged:
        return replay_commits(args.git_dir, args.edits, args.server)
    if args.edits:
        return replay_edits(args.git_dir, args.edits, args.server)
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
