"""Which repository files are *runtime* files, and how to spot legacy subtree paths.

A runtime file is one a deployed process reads or runs: shell scripts, systemd
units, Python sources, env templates, TOML/YAML settings.  Tests, Markdown and
anything under ``docs/`` are not runtime (gate 8 judges documentation), nor are
the documents the contract pack marks historical (``docs.historical``).

Legacy subtree matching works on path *components*: ``DashBoard/`` matches
``${ROOT}/DashBoard/src`` and ``/home/x/DashBoard`` but not ``DashBoard_vite``,
``DashBoard_vite_backup`` or ``mes-dashboard`` (names are case-sensitive, as on
Linux).
"""

from __future__ import annotations

import posixpath
import re

from meslint.facts import ROOT_TOKEN
from meslint.globs import matches_any
from meslint.pack import ContractPack
from meslint.records import record

_TEST_DIRS = frozenset({"tests", "test", "testing"})
_DOC_DIRS = frozenset({"docs", "doc"})
_DOC_SUFFIXES = (".md", ".markdown", ".mdj", ".rst", ".txt")


def is_test_path(path: str) -> bool:
    """``tests/``/``test/`` anywhere in the path, ``test_*.py``, ``*_test.py``, ``conftest.py``."""
    parts = path.split("/")
    if any(part in _TEST_DIRS for part in parts[:-1]):
        return True
    name = parts[-1]
    return name == "conftest.py" or (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")))


def is_doc_path(path: str) -> bool:
    parts = path.split("/")
    return parts[-1].lower().endswith(_DOC_SUFFIXES) or any(part in _DOC_DIRS for part in parts[:-1])


def is_historical(path: str, pack: ContractPack) -> bool:
    """Whether the pack lists the document as history (``docs.historical``, in the one glob dialect)."""
    return matches_any(path, pack.docs.historical)


def is_runtime_path(path: str, pack: ContractPack) -> bool:
    """True for files a deployed process reads or runs (not tests, docs or history)."""
    return not (is_test_path(path) or is_doc_path(path) or is_historical(path, pack))


# --------------------------------------------------------------------------- legacy subtrees


@record
class LegacyHit:
    name: str  # the legacy subtree name without the trailing slash, e.g. "DashBoard"
    token: str  # the path-like word it was found in


def legacy_names(pack: ContractPack) -> tuple[str, ...]:
    return tuple(name.strip("/") for name in pack.legacy_subtrees if name.strip("/"))


_WORD_SPLIT = re.compile(r"\s+")
_COMPONENT_SPLIT = re.compile(r"[/:=\"'`{}()\[\],;|&<>]+")


def legacy_hits(value: str, names: tuple[str, ...]) -> list[LegacyHit]:
    """Legacy subtree names used as a path component of ``value``.

    A whitespace-separated word counts when one of its components (split on
    ``/``, ``:`` and template punctuation) equals a legacy name *and* the word is
    path-like: it contains ``/``, or it is the whole value (``cd DashBoard``,
    ``Path(root) / "DashBoard"``).  A name in prose (``"MES DashBoard"``) or in
    a URL is not a path.
    """
    if not value or not any(name in value for name in names):
        return []  # a component equal to a name contains it: most values contain none
    stripped = value.strip()
    words = [w for w in _WORD_SPLIT.split(stripped) if w]
    single = len(words) == 1
    hits: list[LegacyHit] = []
    for word in words:
        if "://" in word:
            continue
        if "/" not in word and not single:
            continue
        for component in _COMPONENT_SPLIT.split(word):
            component = component.lstrip("-+?$.~").rstrip(".")
            if component in names:
                hit = LegacyHit(component, word.strip("\"'"))
                if hit not in hits:
                    hits.append(hit)
    return hits


# --------------------------------------------------------------------------- repository paths


def repo_relative(path: str) -> str:
    """``@ROOT/a/../b`` -> ``b``; ``@ROOT`` -> ``""``."""
    rest = path[len(ROOT_TOKEN):] if path.startswith(ROOT_TOKEN) else path
    rest = posixpath.normpath("/" + rest.lstrip("/")).lstrip("/")
    return "" if rest == "." else rest


def under(path: str, root: str) -> bool:
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root + "/") or root == "/"
