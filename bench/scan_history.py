"""Opt-in: run meslint over the history of a real repository (never part of the test suite).

    python bench/scan_history.py /path/to/repo.git --paths deploy scripts .env.example gunicorn.conf.py \
        src/mes_dashboard/core --select MES6 [--limit 200]

For every commit that touched the given paths (oldest first), the tree is exported
with ``git archive`` into a temporary directory (nothing of it is executed) and
checked; one line per commit gives the count per code, and findings that appear
or disappear between consecutive commits are listed, which is how a breach and
the commit that fixed it show up.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from history import export, meslint_findings


def commits(git_dir: str, paths: list[str], limit: int) -> list[tuple[str, str]]:
    out = subprocess.run(["git", "--git-dir", git_dir, "log", "--reverse", "--format=%h %s", "--", *paths],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split(" ", 1) for line in out.splitlines() if line.strip()]
    return [(r[0], r[1] if len(r) > 1 else "") for r in rows][-limit:]


def check(root: Path, select: str) -> list[dict]:
    # The pack is named: the first commits predate the layout the default pack detects.
    try:
        return meslint_findings(root, "--select", select, "--contract", "mes-dashboard")
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--paths", nargs="*", default=["deploy", "scripts", ".env.example", "gunicorn.conf.py"])
    parser.add_argument("--select", default="MES")
    parser.add_argument("--limit", type=int, default=100000)
    args = parser.parse_args()
    previous: dict[str, dict] = {}
    for commit, subject in commits(args.git_dir, args.paths, args.limit):
        with tempfile.TemporaryDirectory() as tmp:
            export(args.git_dir, commit, Path(tmp))
            findings = check(Path(tmp), args.select)
        current = {f"{f['code']} {f['subject']} {f['path']}": f for f in findings}
        counts = Counter(f["code"] for f in findings)
        print(f"{commit} {dict(sorted(counts.items()))}  {subject[:60]}")
        for key in sorted(current.keys() - previous.keys()):
            f = current[key]
            print(f"    + {f['path']}:{f['line']} {f['code']} {f['message'][:140]}")
        for key in sorted(previous.keys() - current.keys()):
            f = previous[key]
            print(f"    - {f['path']}:{f['line']} {f['code']} {f['message'][:140]}")
        previous = current


if __name__ == "__main__":
    main()
