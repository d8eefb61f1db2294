"""Fix builders: pure functions from facts to :class:`meslint.edits.Fix`, one module per kind of edit.

A check calls them to attach a fix to its finding; they never open a file.  Each proves what it
can before offering a fix (an env line is re-read by the three env readers, a Python default is
re-parsed), and offers none when it cannot.
"""

from __future__ import annotations

from meslint.facts import Repository


def text_of(repo: Repository, path: str) -> str | None:
    """The text of a file of this run as meslint read it (positions of the facts refer to it)."""
    from meslint.build import TEXTS

    texts = repo._index.get(TEXTS)
    return texts.get(path) if isinstance(texts, dict) else None
