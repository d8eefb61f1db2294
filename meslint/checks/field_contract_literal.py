"""An export writes a contracted table's header row from literals that disagree with, or copy, the contract.

## What it does
In the export modules (`field_contracts.exporters`) finds the header rows written to CSV/Excel
exports: `writer.writerow(x)`, `csv.DictWriter(f, fieldnames=x)`, `df.to_csv(header=x)`,
`df.to_excel(header=x)`, where `x` is a list of string literals (directly, or a local name
assigned one).  A row belongs to a contracted table when the module names the table's page (the
page key is part of the module's path or a string in it) and at least half of the row, and two
or more of its names, are the table's `export_header`s or `api_key`s.  Reports:

- a row that differs from both the table's export headers and its API keys (the names that
  differ, with what the contract has at that position);
- a row equal to one of them in a module that does not import the contract loader
  (`field_contracts.loader`): a copy that will drift.  In a module that reads the contract, an
  equal literal is its fallback and is left alone.

## Why it matters
The field contract file is the single source of export headers and API keys (gate 3 of the
cutover runbook: export headers match the shared field contracts).  A hard-coded header row
diverges the first time someone renames a column in the contract, and the spreadsheet's columns
no longer match the page.

## Example
```python
writer.writerow(["Lot", "Qty", "Step"])   # the contract's lots.export says "Lot ID", "Quantity", "Step"
```

## How to fix
Read the headers from the contract (the loader's `get_export_headers(page)`), or correct the literal.

## Options
`field_contracts.exporters`, `field_contracts.file` and `field_contracts.loader` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import ExportRow, PayloadValue, PythonModule
from meslint.field_contract_facts import contract_file, contract_tables
from meslint.findings import Finding
from meslint.globs import matches_any

RULE = Rule("MES302", "field-contract-literal", Gate.FIELD_CONTRACTS, Severity.WARNING)

_MAX_SHOWN = 4


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.field_contracts
    if spec is None or not spec.exporters:
        return
    doc = contract_file(ctx.repo, spec)
    if doc is None or not isinstance(doc.data, dict):
        return
    tables = _tables(doc.data)
    loader = spec.loader.removesuffix(".py").replace("/", ".") if spec.loader else None
    for module in ctx.repo.python:
        if not matches_any(module.path, spec.exporters):
            continue
        reads = loader is not None and any(loader.endswith("." + i.module) or loader == i.module
                                           for i in module.payload_imports)
        pages = {page for page in tables if page in module.path or any(s.value == page for s in module.strings)}
        for function in module.payload_functions:
            for row in function.export_rows:
                yield from _row(module, row, {k: v for k, v in tables.items() if k in pages}, reads, doc.path)


def _tables(data: dict) -> dict[str, dict[str, tuple[list[str], list[str]]]]:
    """page -> table -> (export headers, api keys), for well-formed tables (MES301 reports the rest)."""
    found: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    for page, name, entries in contract_tables(data):
        if all(isinstance(e, dict) for e in entries):
            headers = [str(e.get("export_header", "")) for e in entries]
            keys = [str(e.get("api_key", "")) for e in entries]
            found.setdefault(page, {})[name] = (headers, keys)
    return found


def _literal_rows(values: tuple[PayloadValue, ...]) -> list[list[str]]:
    rows = []
    for value in values:
        if value.kind == "list" and value.args and all(
                len(element) == 1 and element[0].kind == "literal" for element in value.args):
            rows.append([element[0].literal for element in value.args])
    return rows


def _row(module: PythonModule, row: ExportRow, tables: dict, reads: bool, contract: str) -> Iterator[Finding]:
    for names in _literal_rows(row.values):
        best = None
        for page, by_name in tables.items():
            for table, (headers, keys) in by_name.items():
                for column, known in (("export_header", headers), ("api_key", keys)):
                    shared = len(set(names) & set(known))
                    if shared >= 2 and 2 * shared >= len(names) and (best is None or shared > best[0]):
                        best = (shared, f"{page}.{table}", column, known, headers, keys)
        if best is None:
            continue
        _, where, column, known, headers, keys = best
        if names in (headers, keys):
            if not reads:
                yield RULE.finding(f"the header row copies the {where} {column}s of {contract} instead of "
                                   f"reading them", row.location, subject=f"{where}:copy")
            continue
        differing = [f"{name!r} (contract: {known[i]!r})" if i < len(known) else f"{name!r} (not in the contract)"
                     for i, name in enumerate(names) if i >= len(known) or known[i] != name]
        if len(names) < len(known):
            differing.append(f"{len(known) - len(names)} column(s) of the contract missing")
        shown = ", ".join(differing[:_MAX_SHOWN]) + (f", and {len(differing) - _MAX_SHOWN} more"
                                                      if len(differing) > _MAX_SHOWN else "")
        yield RULE.finding(f"the header row disagrees with the {where} {column}s of {contract}: {shown}",
                           row.location, subject=f"{where}:disagree")
