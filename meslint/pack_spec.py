"""The declaration of a pack field, shared by meslint.pack and meslint.pack_gates (neither imports the other
to get it, so either can be imported first)."""

from __future__ import annotations

import dataclasses
from dataclasses import field


def spec(doc: str, default=dataclasses.MISSING, *, factory=dataclasses.MISSING, repo_path: bool = False,
         key: str | None = None):
    """A pack field: ``doc`` is its description in ``meslint pack-schema`` and rules/README.md;
    ``repo_path`` marks a repository path that must exist (or be install-created); ``key`` is its
    spelling in a pack file when that differs from the attribute."""
    metadata: dict[str, object] = {"doc": doc, "repo_path": repo_path}
    if key is not None:
        metadata["key"] = key
    return field(default=default, default_factory=factory, metadata=metadata)
