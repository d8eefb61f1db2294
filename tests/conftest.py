from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(autouse=True)
def _no_fact_cache(monkeypatch):
    """CLI runs in tests must not leave .meslint_cache/ in fixtures (tests/test_cache.py opts back in)."""
    monkeypatch.setenv("MESLINT_NO_CACHE", "1")
    # Nor hand their runs to a `meslint server` the developer may have running (tests/test_server.py starts its own).
    monkeypatch.setenv("MESLINT_NO_SERVER", "1")


@pytest.fixture
def caching_on(tmp_path, monkeypatch):
    """The run cache on, in a cache home of the test's own (the suite runs with it off).

    Files written by the test are seconds old at most: their stat is trusted anyway (the racy-file
    guard has tests of its own)."""
    from meslint import run_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MESLINT_NO_CACHE", raising=False)
    monkeypatch.delenv("MESLINT_CACHE_DIR", raising=False)
    monkeypatch.setattr(run_cache, "RACY_NS", 0)


@pytest.fixture
def write_tree(tmp_path):
    """Write a mini repository from a {path: text} mapping and return its root."""

    def write(files: dict[str, str], root: Path | None = None) -> Path:
        base = root or tmp_path / "repo"
        for rel, text in files.items():
            target = base / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        base.mkdir(parents=True, exist_ok=True)
        return base

    return write
