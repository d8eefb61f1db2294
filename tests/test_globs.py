"""The one glob dialect: gitignore-style, anchored at the repository root."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meslint.globs import GlobError, check_glob, glob_match

CASES = [
    ("docs/**/*-plan.md", "docs/rollout-plan.md", True),
    ("docs/**/*-plan.md", "docs/a/b/x-plan.md", True),
    ("docs/*.md", "docs/a/x.md", False),
    ("docs/*.md", "docs/x.md", True),
    ("**/CHANGELOG.md", "CHANGELOG.md", True),
    ("**/CHANGELOG.md", "a/b/CHANGELOG.md", True),
    ("docs/archive/**", "docs/archive/2025/x.md", True),
    ("docs/archive/**", "docs/archived.md", False),
    ("docs/", "docs/x.md", True),
    ("docs/", "docs", True),
    ("docs/", "docsx/a.md", False),
    ("deploy/mes-*-worker.service", "deploy/mes-a-worker.service", True),
    ("deploy/mes-*-worker.service", "deploy/sub/mes-a-worker.service", False),
    ("src/[ab]*.py", "src/alpha.py", True),
    ("src/[!ab]*.py", "src/alpha.py", False),
    ("src/[!ab]*.py", "src/gamma.py", True),
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    (r"a\*b", "a*b", True),
    (r"a\*b", "axb", False),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_dialect(pattern: str, path: str, expected: bool) -> None:
    check_glob(pattern)
    assert glob_match(path, pattern) is expected


@pytest.mark.parametrize("pattern", ["", "/etc/*", "../x", "a/../b", "a**b/c", "src/[ab.py", "trailing\\"])
def test_invalid_globs_are_rejected(pattern: str) -> None:
    with pytest.raises(GlobError):
        check_glob(pattern)


SEGMENT = st.text(alphabet="ab.-_", min_size=1, max_size=4)


@given(st.lists(SEGMENT, min_size=1, max_size=4), st.lists(st.sampled_from(["*", "?", "a", "b", "."]),
                                                           min_size=1, max_size=5))
def test_single_segment_patterns_agree_with_fnmatch_inside_a_segment(dirs: list[str], pattern: list[str]) -> None:
    """Within one path segment the dialect is fnmatch's; it differs only in not crossing '/'."""
    name = dirs[-1]
    glob = "".join(pattern)
    if "**" in glob:  # a whole-segment '**' spans directories by design
        return
    assert glob_match(name, glob) == fnmatch.fnmatchcase(name, glob)
    if len(dirs) > 1:
        assert not glob_match("/".join(dirs), glob)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["docs/**/*.md", "*.py", "a/*", "a/**", "b/", "[ab]*/x", "**/y.txt", "c?.md",
                                 "bad[", "x\\\\*", "docs/[!a]*.md"]), max_size=5),
       st.sampled_from(["docs/a/b.md", "x.py", "a/b", "a/b/c", "b", "b/c", "a/x", "q/y.txt", "c1.md", "x*",
                        "docs/b.md", "docs/a.md", "bad["]))
def test_matches_any_over_a_list_is_any_single_match(patterns, path):
    from meslint.globs import glob_match, matches_any

    expected = any(glob_match(path, pattern) for pattern in patterns)
    assert matches_any(path, tuple(patterns)) == expected == matches_any(path, frozenset(patterns))
    assert matches_any(path, list(patterns)) == expected
