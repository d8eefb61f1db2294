"""Opt-in: collect the distinct documentation findings meslint gives over a repository's main line (never in CI).

    python bench/triage_history.py /path/to/repo.git --since 2026-01-15 --out /tmp/triage-before \
        [--select MES201,MES8] [--jobs 2] [--limit N] [--commits HASH ...]

Every first-parent commit since ``--since`` that touched documents, deploy files, scripts, env templates
or sources is exported with ``git archive`` into a temporary directory (nothing of it is executed) and
checked with ``--no-cache`` by the meslint next to this script (``--meslint-src`` to use another tree).
Findings are deduplicated by code + path + message across commits; each distinct finding keeps the
first and last commit it was seen in, how many commits showed it, and the text of its line in the last
one, which is what a triage reads.  ``OUT.json`` holds everything, ``OUT.csv`` one row per finding.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from history import export, meslint_findings

PATHS = ("docs", "README*", "deploy", "scripts", ".env*", "src")


def commits(git_dir: str, since: str, limit: int) -> list[tuple[str, str, str]]:
    """(hash, date, subject) of the main line's commits that touched PATHS, oldest first."""
    out = subprocess.run(["git", "--git-dir", git_dir, "log", "--first-parent", "--reverse", f"--since={since}",
                          "--format=%h%x09%ad%x09%s", "--date=short", "--", *PATHS],
                         capture_output=True, text=True, check=True).stdout
    rows = [tuple(line.split("\t", 2)) for line in out.splitlines() if line.strip()]
    return [(r[0], r[1], r[2] if len(r) > 2 else "") for r in rows][-limit:]


def line_text(root: Path, rel: str, line: int) -> str:
    try:
        lines = (root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[line - 1].strip()[:300] if 0 < line <= len(lines) else ""


def scan(git_dir: str, commit: str, select: str, src: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        export(git_dir, commit, root)
        try:
            findings = meslint_findings(root, "--select", select, source=src)
        except RuntimeError as exc:
            raise SystemExit(f"{commit}: {exc}") from None
        for f in findings:
            f["text"] = line_text(root, f["path"], int(f.get("line") or 0))
        return findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--since", default="2026-01-15")
    parser.add_argument("--select", default="MES201,MES8")
    parser.add_argument("--out", required=True, help="output prefix: OUT.json and OUT.csv")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=100000)
    parser.add_argument("--commits", nargs="*", help="only these commits (of the main line since --since)")
    parser.add_argument("--meslint-src", default=str(Path(__file__).resolve().parent.parent))
    args = parser.parse_args()
    todo = commits(args.git_dir, args.since, args.limit)
    if args.commits:
        wanted = tuple(args.commits)
        todo = [c for c in todo if c[0].startswith(wanted) or any(w.startswith(c[0]) for w in wanted)]
    with ThreadPoolExecutor(max_workers=max(1, min(args.jobs, 2))) as pool:
        results = list(pool.map(lambda c: scan(args.git_dir, c[0], args.select, args.meslint_src), todo))
    distinct: dict[tuple[str, str, str], dict] = {}
    per_commit = []
    for (commit, date, subject), findings in zip(todo, results, strict=True):
        per_commit.append({"commit": commit, "date": date, "subject": subject,
                           "counts": dict(sorted(Counter(f["code"] for f in findings).items()))})
        here: dict[tuple[str, str, str], list[dict]] = {}
        for f in findings:
            here.setdefault((f["code"], f["path"], f["message"]), []).append(f)
        for key, same in here.items():
            row = distinct.setdefault(key, {"code": key[0], "path": key[1], "message": key[2],
                                            "first_commit": commit, "first_date": date, "seen": 0})
            row.update(last_commit=commit, last_date=date, line=same[0].get("line"), text=same[0]["text"],
                       lines=[f.get("line") for f in same])
            row["seen"] += 1
    rows = sorted(distinct.values(), key=lambda r: (r["code"], r["path"], r["line"] or 0, r["message"]))
    summary = dict(sorted(Counter(r["code"] for r in rows).items()))
    Path(args.out + ".json").write_text(json.dumps({"commits": per_commit, "distinct_per_code": summary,
                                                    "findings": rows}, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    with open(args.out + ".csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "path", "line", "message", "text", "first_commit",
                                                    "first_date", "last_commit", "last_date", "seen"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(todo)} commits, {len(rows)} distinct findings: {summary}")


if __name__ == "__main__":
    main()
