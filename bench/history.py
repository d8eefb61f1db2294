"""Shared by the opt-in history scripts: export a commit's tree, run meslint on it.

Nothing of the exported tree is executed: ``git archive`` writes files, ``tarfile``'s ``data`` filter
refuses links out and special files, and meslint runs with ``-P`` (the checked tree never lands on
``sys.path``) from a working directory outside it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

PROJECT = str(Path(__file__).resolve().parent.parent)


def export(git_dir: str, commit: str, target: Path) -> None:
    data = subprocess.run(["git", "--git-dir", git_dir, "archive", commit], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(target, filter="data")


def meslint_findings(root: Path, *options: str, source: str = PROJECT) -> list[dict]:
    """The JSON findings of ``meslint check root --no-cache OPTIONS`` run from ``source`` (a checkout)."""
    env = {**os.environ, "PYTHONPATH": source, "MESLINT_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-P", "-m", "meslint", "check", str(root), "--no-cache",
                           "--output-format", "json", *options], capture_output=True, text=True, env=env, cwd="/")
    if done.returncode not in (0, 1):
        raise RuntimeError(f"meslint failed on {root}: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)["findings"]
