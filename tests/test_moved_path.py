"""MES805's suggestion: the pruned search gives difflib's answer exactly (meslint.autofix.moved_path)."""

from __future__ import annotations

import difflib
import posixpath
import random

import pytest

from meslint.autofix.moved_path import closest


def _difflib_closest(paths: set[str] | frozenset[str], missing: str) -> str | None:
    """The specification: every same-name path rated, else difflib.get_close_matches over all paths."""
    name = posixpath.basename(missing)
    same_name = [p for p in paths if posixpath.basename(p) == name]
    if same_name:
        scored = [(difflib.SequenceMatcher(None, p, missing).ratio(), p) for p in sorted(same_name)]
        best = max(scored, key=lambda item: item[0])
        return best[1] if best[0] >= 0.5 else None
    found = difflib.get_close_matches(missing, sorted(paths), n=1, cutoff=0.75)
    return found[0] if found else None


def _tree(rnd: random.Random) -> list[str]:
    dirs = ["src/app", "src/app/services", "docs", "docs/ops", "scripts", "deploy", "specs/archive/2026", "tests"]
    words = ["engine", "query", "batch", "runbook", "start_server", "worker", "cache", "spool", "archive", "spec"]
    exts = [".py", ".md", ".sh", ".service"]
    paths = set()
    for _ in range(400):
        name = "_".join(rnd.sample(words, rnd.randint(1, 3))) + rnd.choice(exts)
        paths.add(f"{rnd.choice(dirs)}/{name}")
    return sorted(paths)


def _mutate(rnd: random.Random, path: str) -> str:
    chars = list(path)
    for _ in range(rnd.randint(0, 8)):
        at = rnd.randrange(len(chars) + 1)
        roll = rnd.random()
        if roll < 0.3 and chars:
            del chars[min(at, len(chars) - 1)]
        elif roll < 0.6:
            chars.insert(at, rnd.choice("abcegqs_/.-XZ09"))
        elif chars:
            chars[min(at, len(chars) - 1)] = rnd.choice("aegs_/.-")
    return "".join(chars)


@pytest.mark.parametrize("seed", range(4))
def test_the_suggestion_is_difflibs_on_a_tree(seed: int) -> None:
    rnd = random.Random(seed)
    paths = _tree(rnd)
    suggested = 0
    for _ in range(60):
        missing = _mutate(rnd, rnd.choice(paths))
        if rnd.random() < 0.3:  # a directory of one path, the name of another
            missing = posixpath.dirname(rnd.choice(paths)) + "/" + posixpath.basename(_mutate(rnd, rnd.choice(paths)))
        expected = _difflib_closest(set(paths), missing)
        assert closest(frozenset(paths), missing) == expected, missing
        suggested += expected is not None
    assert suggested > 10  # the cases exercise suggestions, not only "nothing alike"


def test_ties_and_tiny_alphabets_choose_as_difflib() -> None:
    # Few characters: many paths rate the same, so the choice among equals is what is tested.
    rnd = random.Random(7)
    for _ in range(400):
        paths = {"".join(rnd.choice("ab/.") for _ in range(rnd.randint(1, 7))) for _ in range(rnd.randint(1, 12))}
        missing = "".join(rnd.choice("ab/.") for _ in range(rnd.randint(0, 7)))
        expected = _difflib_closest(paths, missing)
        assert closest(paths, missing) == expected, (sorted(paths), missing)
        assert closest(frozenset(paths), missing) == expected, (sorted(paths), missing)
