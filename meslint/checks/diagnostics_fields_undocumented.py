"""A diagnostics field the health/admin code emits is described in no operator doc.

## What it does
Takes the fields the pack requires operators to know (`docs.diagnostics_fields`:
`thresholds`, `churn`, `recommendation`, the policy states `allowed`/`cooldown`/
`blocked`, the alert booleans `alerts.*`, `degraded_reason`, `database_pool`,
`DB_POOL_EXHAUSTED`, `Retry-After`, ...) and keeps those the code emits: a dict
key, a string constant or a string literal in a Python module matching
`docs.diagnostics_sources` (default: the health and admin route modules,
`**/routes/health*.py`, `**/routes/admin*.py`).  A dotted field
(`database_pool.runtime`) is emitted when each part is; `alerts.*` stands for
every key of the dicts the alert builders return (functions whose name contains
`alerts`), each one a field (`alerts.pool_warning`) documented by its full or
its own name (`pool_warning`).  Each emitted
field must appear as a token in README.md or an operator doc
(`docs.operator_docs`; historical docs do not count): in prose, code, tables or
headings.  A plural field also counts as documented by its singular
(`threshold` for `thresholds`), a header name in any case; a dotted field by
its parts on one line.

One finding per undocumented field, on the first place the code emits it, the
other emitting places as related; the message names the doc expected to carry it
(the operator doc that documents most of the other fields, else README.md).
Chinese prose that names the English field counts (`策略狀態：allowed、cooldown`).
A required field the code does **not** emit is not a finding: the code may have
dropped or renamed it, and the docs cannot be wrong about a field that does not
exist.

## Why it matters
During degradation operators read `/health/deep` and the admin worker status; a
`degraded_reason` value or a `Retry-After` header nobody documented turns a
self-explaining payload into guesswork (gate 8).

## Example
```python
payload = {"degraded_reason": reason, "churn": churn}   # "churn" in no operator doc
```

## How to fix
Describe the field in an operator doc: name it in a code span, a table row or a sentence, with what
an operator should do about it.

## Options
`docs.diagnostics_fields`, `docs.diagnostics_sources`, `docs.operator_docs` and
`docs.historical` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.doclines import Corpus, all_texts
from meslint.doctext import contains_token, operator_docs
from meslint.facts import Location
from meslint.findings import Finding, Related
from meslint.globs import matches_any

RULE = Rule("MES804", "diagnostics-fields-undocumented", Gate.DOCUMENTATION, Severity.WARNING)

_MAX_RELATED = 8


def check(ctx: CheckContext) -> Iterator[Finding]:
    repo, pack = ctx.repo, ctx.pack
    if not pack.docs.diagnostics_fields:
        return
    emitted, by_function = _emitted(ctx)
    docs = operator_docs(repo, pack)
    doc_texts = {doc.path: all_texts(doc) for doc in docs}
    texts = Corpus([text for lines in doc_texts.values() for text in lines])
    fields = _expand(pack.docs.diagnostics_fields, by_function)
    undocumented = []
    for field, key in fields:
        sites = emitted.get(key, []) if key else _sites(field, emitted)
        if sites and not _documented(field, texts):
            undocumented.append((field, sites))
    if not undocumented:
        return
    home = _expected_doc(fields, doc_texts, pack.docs.readme)
    for field, sites in undocumented:
        where = f"; expected in {home}"
        message = (f"diagnostics field {field} is emitted by {sites[0].path} but no operator doc "
                   f"({', '.join(pack.docs.operator_docs)}) describes it{where}")
        related = [Related(loc, f"{field} also emitted here") for loc in sites[1:_MAX_RELATED + 1]]
        yield RULE.finding(message, sites[0], related, subject=field)


def _expand(fields: tuple[str, ...], by_function: dict[str, list[str]]) -> list[tuple[str, str | None]]:
    """``(field, emitted key)`` pairs.  ``alerts.*`` gives one field per key of the dicts built by the
    functions that make the alerts (a function whose name contains ``alerts``), e.g.
    ``("alerts.pool_warning", "pool_warning")``; other fields are looked up as written (``None``)."""
    expanded: dict[str, str | None] = {}
    for field in fields:
        if not field.endswith(".*"):
            expanded.setdefault(field, None)
            continue
        prefix = field[:-2]
        keys = sorted({key for function, names in by_function.items()
                       if prefix.lower() in function.rsplit(".", 1)[-1].lower() for key in names})
        for key in keys:
            expanded.setdefault(f"{prefix}.{key}", key)
    return list(expanded.items())


def _expected_doc(fields: list[tuple[str, str | None]], doc_texts: dict[str, list[str]],
                  readme: str) -> str:
    """Where a missing field belongs: the operator doc that documents most of the others, else the README."""
    best, best_count = readme, 0
    for path, lines in doc_texts.items():
        corpus = Corpus(lines)
        count = sum(1 for field, _ in fields if _documented(field, corpus))
        if count > best_count:
            best, best_count = path, count
    return best


def _emitted(ctx: CheckContext) -> tuple[dict[str, list[Location]], dict[str, list[str]]]:
    """Where each key or string is emitted, and the dict keys each function builds."""
    found: dict[str, list[Location]] = {}
    by_function: dict[str, list[str]] = {}
    for module in ctx.repo.python:
        if not matches_any(module.path, ctx.pack.docs.diagnostics_sources):
            continue
        for key in module.dict_keys:
            found.setdefault(key.key, []).append(key.location)
            if key.function:
                by_function.setdefault(key.function, []).append(key.key)
        for literal in module.strings:
            found.setdefault(literal.value, []).append(literal.location)
        for constant in module.constants:
            if isinstance(constant.value, str):
                found.setdefault(constant.value, []).append(constant.location)
    return {key: sorted(set(locs)) for key, locs in found.items()}, by_function


def _sites(field: str, emitted: dict[str, list[Location]]) -> list[Location]:
    if field in emitted:
        return emitted[field]
    parts = field.split(".")
    if len(parts) > 1 and all(part in emitted for part in parts):
        return sorted({loc for part in parts for loc in emitted[part]})
    return []


def _documented(field: str, texts: Corpus) -> bool:
    variants = [field]
    if field.endswith("s") and len(field) > 3 and field.islower():
        variants.append(field[:-1])
    case = "-" not in field  # header names (Retry-After) are case-insensitive
    for variant in variants:
        if texts.contains_token(variant, case=case):
            return True
    parts = field.split(".")
    if len(parts) == 2 and texts.contains_token(parts[1]) and "_" in parts[1]:
        return True  # alerts.pool_warning documented as `pool_warning`: the key names itself
    if len(parts) > 1 and all(texts.contains_token(part) for part in parts):
        # Each part is somewhere; now look for a text that has them all.
        return any(all(contains_token(text, part) for part in parts) for text in texts.texts)
    return False
