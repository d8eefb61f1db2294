"""The shared field contract file is not the shape its loader reads, or repeats a key within a table.

## What it does
Reads the field contract file the pack names (`field_contracts.file`, e.g.
`shared/field_contracts.json`): a JSON object of pages, each an object of tables, each a list of
field entries (objects).  Reports, each at its line in the file:

- a page that is not an object, a table that is not a list, an entry that is not an object;
- an entry without a field the loader reads: the pack's `field_contracts.entry_fields` (default
  `api_key`) and every `entry.get("x")` / `entry["x"]` on a loop or comprehension variable in
  the loader module (`field_contracts.loader`), whose read is the related site;
- an entry whose `key_field` (default `api_key`) is not a non-empty string;
- a `key_field` value given twice in one table (the first entry is the related site).

A file that is not valid JSON is MES101.  A contract file that does not exist while its loader
does is reported on the loader.

## Why it matters
The file is the single source of export headers and API keys (gate 3 of the cutover runbook).
A loader that skips entries without `export_header` silently drops a column from an export;
two entries with one `api_key` make a header lookup by key return the wrong label, on the page
and in the spreadsheet alike.

## Example
```json
{"job_query": {"export": [
  {"api_key": "JOBID", "export_header": "Job ID"},
  {"api_key": "JOBID", "ui_label": "Status"}
]}}
```
The second entry repeats `JOBID` and has no `export_header`, which the loader reads.

## How to fix
Give each entry the fields the loader reads and a key unique within its table.

## Options
`field_contracts.file`, `field_contracts.loader`, `field_contracts.entry_fields` and
`field_contracts.key_field` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import DataDoc, Location
from meslint.field_contract_facts import contract_file
from meslint.findings import Finding, Related

RULE = Rule("MES301", "field-contract-invalid", Gate.FIELD_CONTRACTS, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.field_contracts
    if spec is None:
        return
    doc = contract_file(ctx.repo, spec)
    loader = ctx.repo.module(spec.loader) if spec.loader else None
    if doc is None:
        if loader is not None and not ctx.repo.path_exists(spec.file):
            yield RULE.finding(f"the field contract file {spec.file} does not exist, but {loader.path} loads it",
                               Location(loader.path, 1, 1), subject=f"{spec.file}:missing")
        return
    if doc.problems or doc.data is None:
        return  # MES101
    reads: dict[str, Location] = {}
    for read in loader.item_reads if loader is not None else ():
        reads.setdefault(read.key, read.location)
    required = list(dict.fromkeys([*spec.entry_fields, *reads]))
    yield from _shape(doc, spec.key_field, required, reads)


def _at(doc: DataDoc, path: str) -> Location:
    return Location(doc.path, doc.line_of(path), 1)


def _shape(doc: DataDoc, key_field: str, required: list[str], reads: dict[str, Location]) -> Iterator[Finding]:
    if not isinstance(doc.data, dict):
        yield RULE.finding("the field contract file must be a JSON object of pages", _at(doc, ""),
                           subject="shape")
        return
    for page, tables in doc.data.items():
        if not isinstance(tables, dict):
            yield RULE.finding(f"page {page!r} must be an object of tables", _at(doc, page), subject=f"{page}:shape")
            continue
        for table, entries in tables.items():
            where = f"{page}.{table}"
            if not isinstance(entries, list):
                yield RULE.finding(f"table {where} must be a list of field entries", _at(doc, where),
                                   subject=f"{where}:shape")
                continue
            yield from _entries(doc, where, entries, key_field, required, reads)


def _entries(doc: DataDoc, where: str, entries: list, key_field: str, required: list[str],
             reads: dict[str, Location]) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for index, entry in enumerate(entries):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict):
            yield RULE.finding(f"entry {index} of table {where} must be an object", _at(doc, at),
                               subject=f"{where}:shape")
            continue
        name = entry.get(key_field)
        label = f"{key_field} {name!r}" if isinstance(name, str) else f"entry {index}"
        for field in required:
            if field not in entry:
                related = [Related(reads[field], f"the loader reads `{field}` of each entry")] if field in reads else []
                yield RULE.finding(f"{label} of table {where} has no `{field}`, which every entry must have",
                                   _at(doc, at), related, subject=f"{where}:{name}:{field}")
        field_ok = isinstance(name, str) and name.strip() != ""
        if key_field in entry and not field_ok:
            yield RULE.finding(f"entry {index} of table {where}: `{key_field}` must be a non-empty string",
                               _at(doc, f"{at}.{key_field}"), subject=f"{where}:{index}:{key_field}")
            continue
        if not isinstance(name, str) or not field_ok:
            continue
        if name in first:
            yield RULE.finding(
                f"{key_field} {name!r} is given twice in table {where} (entries {first[name]} and {index})",
                _at(doc, f"{at}.{key_field}"),
                [Related(_at(doc, f"{where}[{first[name]}].{key_field}"), f"first entry with {name!r}")],
                subject=f"{where}:{name}:duplicate")
        else:
            first[name] = index
