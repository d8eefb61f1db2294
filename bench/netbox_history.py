"""Opt-in: run the bundled ``netbox`` pack over NetBox's history (never part of the test suite).

    python bench/netbox_history.py /path/to/netbox.git [--count 20] [--contract netbox] [--json out.json]

Picks ``--count`` commits spread evenly over the commits that touched NetBox's reference
deployment (the systemd units, the gunicorn config, upgrade.sh, the installation docs),
from the one that gave the units their present shape (see :func:`spread`) to HEAD, exports each tree (nothing
of it is executed) and checks it with the pack.  One line per commit gives the count per
code and every finding follows, so each one can be triaged.

The export reads blobs with ``git cat-file`` rather than ``git archive``: a partial mirror
lacks a few large blobs (generated OpenAPI schemas), and those files are skipped instead
of failing the whole tree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from history import meslint_findings

DEPLOYMENT = ["contrib/netbox.service", "contrib/netbox-rq.service", "contrib/gunicorn.py", "upgrade.sh",
              "docs/installation"]


def git(git_dir: str, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir, *args], input=data, capture_output=True, check=True).stdout


def spread(git_dir: str, count: int) -> list[tuple[str, str]]:
    """``count`` commits evenly spaced from the deployment's present shape to HEAD, oldest first.

    The pack describes the venv deployment run as the user netbox, which the units took on in
    February 2020 (v2.7.9): the commit that made them run ``User=netbox`` starts the range.
    Earlier units ran the system's gunicorn as www-data, a deployment the pack does not describe.
    """
    first = git(git_dir, "log", "--reverse", "--format=%H", "-SUser=netbox", "--",
                "contrib/netbox.service").split()[0].decode()
    rows = git(git_dir, "log", "--reverse", "--format=%h %cs %s", f"{first}^..HEAD", "--", *DEPLOYMENT)
    commits = [line.split(" ", 1) for line in rows.decode().splitlines() if line.strip()]
    head = git(git_dir, "log", "-1", "--format=%h %cs %s", "HEAD").decode().strip().split(" ", 1)
    if commits[-1][0] != head[0]:
        commits.append(head)
    if len(commits) <= count:
        return [(c[0], c[1]) for c in commits]
    step = (len(commits) - 1) / (count - 1)
    return [(commits[round(i * step)][0], commits[round(i * step)][1]) for i in range(count)]


def export(git_dir: str, commit: str, target: Path) -> int:
    """Write the tree of ``commit`` under ``target``; returns how many blobs the mirror lacks."""
    entries = []
    for record in git(git_dir, "ls-tree", "-r", "-z", commit).split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, kind, obj = meta.split()
        if kind == b"blob":
            entries.append((mode, obj, path))
    out = git(git_dir, "cat-file", "--batch", data=b"".join(obj + b"\n" for _, obj, _ in entries))
    pos = missing = 0
    for mode, _obj, path in entries:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing":
            missing += 1
            continue
        size = int(header[2])
        data, pos = out[pos:pos + size], pos + size + 1
        name = os.fsdecode(path)
        if name.startswith("/") or ".." in name.split("/"):
            continue  # git never stores these; a hostile mirror could
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            os.symlink(os.fsdecode(data), dest)  # links are kept as links: meslint decides about them
        else:
            dest.write_bytes(data)
    return missing


def check(root: Path, contract: str) -> list[dict]:
    try:
        return meslint_findings(root, "--contract", contract)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("git_dir")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--contract", default="netbox")
    parser.add_argument("--json", help="write every commit's findings here")
    args = parser.parse_args()
    everything: dict[str, list[dict]] = {}
    for commit, date in spread(args.git_dir, args.count):
        with tempfile.TemporaryDirectory() as tmp:
            missing = export(args.git_dir, commit, Path(tmp))
            findings = check(Path(tmp), args.contract)
        everything[commit] = findings
        counts = Counter(f["code"] for f in findings)
        note = f"  ({missing} blobs missing from the mirror)" if missing else ""
        print(f"{commit} {date} {dict(sorted(counts.items()))}{note}")
        for f in findings:
            print(f"    {f['path']}:{f['line']} {f['code']} {f['message'][:160]}")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
