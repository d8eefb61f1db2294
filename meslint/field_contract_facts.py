"""The field contract file a pack names and its tables (gate 3), as the field contract checks read them."""

from __future__ import annotations

from collections.abc import Iterator

from meslint.facts import DataDoc, FileKind, Repository
from meslint.pack_gates import FieldContractsSpec


def contract_file(repo: Repository, spec: FieldContractsSpec) -> DataDoc | None:
    """The facts of ``field_contracts.file``, when it was read as JSON."""
    return next((d for d in repo.data if d.path == spec.file and d.kind is FileKind.JSON), None)


def contract_tables(data: dict) -> Iterator[tuple[str, str, list]]:
    """(page, table, entries) of each table that is a list, in the file's order (MES301 reports the rest)."""
    for page, tables in data.items():
        if not isinstance(tables, dict):
            continue
        for name, entries in tables.items():
            if isinstance(entries, list):
                yield page, name, entries
