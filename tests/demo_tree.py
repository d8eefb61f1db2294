"""Copies of the demo fixture for tests that change it (issue 17's tests share these)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FIXTURES


def copy_demo(target: Path) -> Path:
    """A fresh copy of fixtures/demo at ``target`` (without any cache a local run left there)."""
    shutil.copytree(FIXTURES / "demo", target, ignore=shutil.ignore_patterns(".meslint_cache"))
    return target


def link_docs(root: Path, docs: dict[str, str]) -> Path:
    """Write ``docs/<name>`` for each entry and link every one from README.md: a link a deletion breaks."""
    (root / "docs").mkdir(exist_ok=True)
    links = []
    for name, text in docs.items():
        (root / "docs" / name).write_text(text)
        links.append(f"[{name}](docs/{name})")
    readme = root / "README.md"
    readme.write_text(readme.read_text() + f"\nOperations: see {' and '.join(links)}.\n")
    return root
