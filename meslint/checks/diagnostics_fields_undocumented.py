"""A diagnostics field the health/admin code emits is described in no operator doc.

## What it does
Takes the fields the pack requires operators to know (`docs.diagnostics_fields`:
`degraded_reason`, `thresholds`, `DB_POOL_EXHAUSTED`, `Retry-After`, ...) and
keeps those the code emits: a dict key, a string constant or a string literal in
a Python module matching `docs.diagnostics_sources` (default: the health and
admin route modules, `**/routes/health*.py`, `**/routes/admin*.py`).  A dotted
field (`database_pool.runtime`) is emitted when each part is.  Each emitted
field must appear as a token in README.md or an operator doc
(`docs.operator_docs`; historical docs do not count): in prose, code, tables or
headings.  A plural field also counts as documented by its singular
(`threshold` for `thresholds`), a header name in any case; a dotted field by
its parts on one line.

One finding per undocumented field, on the first place the code emits it, the
other emitting places as related.  A required field the code does **not** emit
is not a finding: the code may have dropped or renamed it, and the docs cannot
be wrong about a field that does not exist.

## Why it matters
During degradation operators read `/health/deep` and the admin worker status; a
`degraded_reason` value or a `Retry-After` header nobody documented turns a
self-explaining payload into guesswork (gate 8).

## Example
```python
payload = {"degraded_reason": reason, "churn": churn}   # "churn" in no operator doc
```

## Options
`docs.diagnostics_fields`, `docs.diagnostics_sources`, `docs.operator_docs` and
`docs.historical` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.doctext import all_lines, any_contains_token, contains_token, matches_any, operator_docs
from meslint.facts import Location
from meslint.findings import Finding, Related

RULE = Rule("MES804", "diagnostics-fields-undocumented", Gate.DOCUMENTATION, Severity.WARNING)

_MAX_RELATED = 8


def check(ctx: CheckContext) -> Iterator[Finding]:
    repo, pack = ctx.repo, ctx.pack
    if not pack.docs.diagnostics_fields:
        return
    emitted = _emitted(ctx)
    texts = [line.text for doc in operator_docs(repo, pack) for line in all_lines(doc)]
    for field in pack.docs.diagnostics_fields:
        sites = _sites(field, emitted)
        if not sites or _documented(field, texts):
            continue
        message = (f"diagnostics field {field} is emitted by {sites[0].path} but no operator doc "
                   f"({', '.join(pack.docs.operator_docs)}) describes it")
        related = [Related(loc, f"{field} also emitted here") for loc in sites[1:_MAX_RELATED + 1]]
        yield RULE.finding(message, sites[0], related, subject=field)


def _emitted(ctx: CheckContext) -> dict[str, list[Location]]:
    found: dict[str, list[Location]] = {}
    for module in ctx.repo.python:
        if not matches_any(module.path, ctx.pack.docs.diagnostics_sources):
            continue
        for key in module.dict_keys:
            found.setdefault(key.key, []).append(key.location)
        for literal in module.strings:
            found.setdefault(literal.value, []).append(literal.location)
        for constant in module.constants:
            if isinstance(constant.value, str):
                found.setdefault(constant.value, []).append(constant.location)
    return {key: sorted(set(locs)) for key, locs in found.items()}


def _sites(field: str, emitted: dict[str, list[Location]]) -> list[Location]:
    if field in emitted:
        return emitted[field]
    parts = field.split(".")
    if len(parts) > 1 and all(part in emitted for part in parts):
        return sorted({loc for part in parts for loc in emitted[part]})
    return []


def _documented(field: str, texts: list[str]) -> bool:
    variants = [field]
    if field.endswith("s") and len(field) > 3 and field.islower():
        variants.append(field[:-1])
    case = "-" not in field  # header names (Retry-After) are case-insensitive
    for variant in variants:
        if any_contains_token(texts, variant, case=case):
            return True
    parts = field.split(".")
    if len(parts) > 1 and all(any_contains_token(texts, part) for part in parts):
        # Each part is somewhere; now look for a text that has them all.
        return any(all(contains_token(text, part) for part in parts) for text in texts)
    return False
