"""Fix builders: pure functions from facts to :class:`meslint.edits.Fix`, one module per kind of edit.

A check calls them to attach a fix to its finding; they never open a file.  Each proves what it
can before offering a fix (an env line is re-read by the three env readers, a Python default is
re-parsed), and offers none when it cannot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from meslint.facts import Repository

P = ParamSpec("P")
R = TypeVar("R")


def offered(builder: Callable[P, R | None]) -> Callable[P, R | None]:
    """A fix builder whose slip costs only the fix: the finding is reported without one.

    A fix is an offer; the finding is the rule's verdict.  The fixture tests exercise every builder
    (a regression shows there as a missing fixed tree), so a real repository's odd line never turns
    a check into an internal error (exit 2) because of its fix."""

    @functools.wraps(builder)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return builder(*args, **kwargs)
        except (ValueError, IndexError, KeyError, AttributeError, TypeError, RecursionError):
            return None

    return guarded


def text_of(repo: Repository, path: str) -> str | None:
    """The text of a file of this run as meslint read it (positions of the facts refer to it)."""
    from meslint.build import TEXTS

    tracked = getattr(type(repo), "source_text", None)  # a check's tracked view: the read is of one file
    if tracked is not None:
        return tracked(repo, path)
    texts = repo._index.get(TEXTS)
    return texts.get(path) if isinstance(texts, dict) else None
