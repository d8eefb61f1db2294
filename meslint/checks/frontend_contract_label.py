"""A frontend module labels a contracted field differently from the shared field contract.

## What it does
Reads the frontend modules the pack names (`field_contracts.frontend`, globs of `.js`/`.ts`/`.vue`
files; a Vue component's `<script>` blocks), parsed with tree-sitter, for object literals that pair
an API key with a label: `{ field: 'ou_pct', label: 'OU%' }` (a key member `field`, `key`,
`value`, `prop`, `dataKey`, `dataIndex`, `apiKey` or `api_key`, and a label member `label`,
`title`, `header`, `headerName`, `text` or `name`, both string literals).  A module belongs to the
contract pages whose key its path names (`resource-history/` for `resource_history`).  When the
key is an `api_key` of one of those pages' tables and the label is neither a `ui_label` nor an
`export_header` the contract gives that key on the page, the object is reported.

## Why it matters
The contract file is the single source of labels (gate 3 of the cutover runbook).  A column
relabelled in one component shows one name on the page and another in the export and the
contract, and the next contract edit no longer reaches it.

## Example
```ts
const columns = [{ field: 'JOBID', label: 'Job number' }];   // the contract's ui_label: 'Job ID'
```

## How to fix
Take the label from the contract (`getPageContract(page, table)`), or correct it.

## Options
`field_contracts.frontend` and `field_contracts.file` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import FileKind, Location
from meslint.field_contract_facts import contract_file, contract_tables
from meslint.findings import Finding, Related
from meslint.globs import matches_any

RULE = Rule("MES303", "frontend-contract-label", Gate.FIELD_CONTRACTS, Severity.WARNING)


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.field_contracts
    if spec is None or not spec.frontend:
        return
    contract = contract_file(ctx.repo, spec)
    if contract is None or not isinstance(contract.data, dict):
        return
    allowed = _labels_by_page(contract.data)
    for doc in ctx.repo.data:
        if doc.kind is not FileKind.JAVASCRIPT or not matches_any(doc.path, spec.frontend) \
                or not isinstance(doc.data, dict):
            continue
        segments = {part.replace("-", "_") for part in doc.path.split("/")}
        pages = [page for page in allowed if page in segments]
        for item in doc.data.get("labels") or ():
            if not isinstance(item, dict):
                continue
            key, label = str(item.get("key")), str(item.get("label"))
            for page in pages:
                known = allowed[page].get(key)
                if known and label not in known:
                    shown = " / ".join(repr(k) for k in sorted(known))
                    yield RULE.finding(
                        f"the label {label!r} of {key} differs from the contract's {page} label {shown}",
                        Location(doc.path, int(item.get("line") or 1), 1),
                        [Related(Location(contract.path, contract.line_of(page), 1), f"the {page} contract")],
                        subject=f"{page}:{key}:{label}")
                    break


def _labels_by_page(data: dict) -> dict[str, dict[str, set[str]]]:
    """page -> api_key -> every ui_label and export_header its tables give it."""
    found: dict[str, dict[str, set[str]]] = {}
    for page, _table, entries in contract_tables(data):
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("api_key"), str):
                names = found.setdefault(page, {}).setdefault(entry["api_key"], set())
                names.update(str(entry[f]) for f in ("ui_label", "export_header") if entry.get(f))
    return found
