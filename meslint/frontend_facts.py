"""The frontend's build facts a pack names: its Vite config and its package.json (gate 1)."""

from __future__ import annotations

from meslint.facts import DataDoc, FileKind, Repository
from meslint.pack_gates import FrontendSpec


def vite_config(repo: Repository, spec: FrontendSpec) -> DataDoc | None:
    """The first Vite config of the frontend directory, in the pack's order (``vite.config.ts`` first)."""
    for path in spec.vite_configs():
        doc = repo.data_doc(path)
        if doc is not None and doc.kind is FileKind.JAVASCRIPT:
            return doc
    return None


def package_json(repo: Repository, spec: FrontendSpec) -> DataDoc | None:
    doc = repo.data_doc(spec.package_json)
    return doc if doc is not None and doc.kind is FileKind.JSON else None
