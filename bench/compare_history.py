"""Opt-in: compare two meslint versions over a real repository's history (never part of the tests).

    python bench/compare_history.py /path/to/repo.git --old /path/to/old/checkout \
        [--new /path/to/new/checkout] [--paths deploy scripts ...] [--jobs 2] [--out compare.json] \
        [--results-dir DIR] [--only-old]

For every first-parent commit of the repository's HEAD that touched the given paths (all commits
when none are given), the tree is exported with ``git archive`` (nothing of it is executed) and
checked by both meslint versions (``--no-cache``, JSON, the MES Dashboard pack named explicitly so
that early commits without the pack's layout are still checked).  Findings are compared by
(code, path, line, message); the output lists, per code, how many findings each version gives over
the history, and each distinct finding (code, path, message) that only one version gives, with the
first and last commit it appears in.  That is the list a maintainer triages: every difference is a
fix or a regression.

``--results-dir`` keeps each version's findings per commit (keyed by the checkout's commit, only when its
work tree is clean), so a later comparison against the same old version re-runs only the new one;
``--only-old`` fills that store for the old version and compares nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from history import export, meslint_findings


def commits(git_dir: str, paths: list[str]) -> list[str]:
    out = subprocess.run(["git", "--git-dir", git_dir, "log", "--first-parent", "--reverse", "--format=%h",
                          "--", *paths], capture_output=True, text=True, check=True).stdout
    return out.split()


def version_of(checkout: str) -> str | None:
    """The checkout's commit when its tracked files are unmodified (otherwise results are not stored)."""
    head = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", checkout, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    if head.returncode or dirty.returncode or dirty.stdout.strip():
        return None
    return head.stdout.strip()


def stored(results: Path | None, version: str | None, commit: str, compute) -> list[tuple]:
    if results is None or version is None:
        return compute()
    path = results / version / f"{commit}.json"
    if path.exists():
        return [tuple(f) for f in json.loads(path.read_text(encoding="utf-8"))]
    found = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
    return found


def findings(checkout: str, root: Path) -> list[tuple]:
    # The pack is named so that early commits without the pack's layout are still checked.
    try:
        found = meslint_findings(root, "--contract", "mes-dashboard", "--exit-zero", source=checkout)
    except RuntimeError as exc:
        return [("ERROR", "", 0, str(exc))]
    return sorted((f["code"], f["path"], f["line"], f["message"]) for f in found)


def one(git_dir: str, commit: str, sides: list[tuple[str, str | None]],
        results: Path | None) -> tuple[str, list[list[tuple]]]:
    with tempfile.TemporaryDirectory(prefix="meslint-cmp-") as tmp:
        exported = False

        def run(checkout: str) -> list[tuple]:
            nonlocal exported
            if not exported:
                export(git_dir, commit, Path(tmp))
                exported = True
            return findings(checkout, Path(tmp))

        return commit, [stored(results, version, commit, lambda c=checkout: run(c)) for checkout, version in sides]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--old", required=True, help="a checkout of the older meslint")
    parser.add_argument("--new", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--paths", nargs="*", default=[])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="compare-history.json")
    parser.add_argument("--results-dir", type=Path, help="store/reuse each version's findings per commit")
    parser.add_argument("--only-old", action="store_true", help="fill the store for --old and stop")
    parser.add_argument("--every", type=int, default=1,
                        help="only every k-th of the commits, counted back from the newest (a sample)")
    args = parser.parse_args()
    todo = commits(args.git_dir, args.paths)
    todo = todo[::-1][::args.every][::-1]
    sides = [(args.old, version_of(args.old))]
    if not args.only_old:
        sides.append((args.new, version_of(args.new)))
    if args.only_old:
        with ThreadPoolExecutor(args.jobs) as pool:
            for index, (commit, _) in enumerate(pool.map(lambda c: one(args.git_dir, c, sides, args.results_dir),
                                                         todo)):
                print(f"{index + 1}/{len(todo)} {commit}", file=sys.stderr)
        return
    totals = {"old": Counter(), "new": Counter()}
    only: dict[str, dict[tuple, list[str]]] = {"old": {}, "new": {}}
    with ThreadPoolExecutor(args.jobs) as pool:
        for index, (commit, (old, new)) in enumerate(pool.map(lambda c: one(args.git_dir, c, sides,
                                                                             args.results_dir), todo)):
            totals["old"].update(f[0] for f in old)
            totals["new"].update(f[0] for f in new)
            for side, mine, theirs in (("old", old, new), ("new", new, old)):
                for f in sorted(set(mine) - set(theirs)):
                    seen = only[side].setdefault((f[0], f[1], f[3]), [commit, commit])
                    seen[1] = commit
            print(f"{index + 1}/{len(todo)} {commit} old={len(old)} new={len(new)}", file=sys.stderr)
    report = {
        "commits": len(todo),
        "totals": {side: dict(sorted(counter.items())) for side, counter in totals.items()},
        "only": {side: [{"code": k[0], "path": k[1], "message": k[2], "first": v[0], "last": v[1]}
                        for k, v in sorted(entries.items())] for side, entries in only.items()},
    }
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({"commits": report["commits"], "totals": report["totals"],
                      "only_old": len(report["only"]["old"]), "only_new": len(report["only"]["new"])}))


if __name__ == "__main__":
    main()
