"""The frontend API client retries degraded (503) responses without honouring Retry-After.

## What it does
Reads the pack's frontend API client files (`resilience.api_clients`, JavaScript or TypeScript,
parsed with tree-sitter) for retries: a loop that awaits a request and goes round again after a
failure (`continue`, or a `try` inside), a function that calls itself, or a
`retry`/`retries`/`retryOn`/`retryCondition`/`shouldRetry` option.  A retry whose function (or
option object) tests for `503`, a `>= 500` status, or the degraded codes (`DB_POOL_EXHAUSTED`,
`CIRCUIT_BREAKER_OPEN`) and never reads `Retry-After` (the header, or a `retryAfter` /
`retry_after` value derived from it) is reported on the retry.

## Why it matters
Gate 5 of the cutover runbook: the frontend must not retry aggressively on degraded pool
exhaustion.  A client that re-sends at once on 503 turns one exhausted pool into a retry storm
from every open page, exactly when the server asked it to wait.

## Example
```ts
for (let attempt = 0; attempt < 3; attempt++) {
  try { return await request(url); }
  catch (err) { if (err.status === 503) continue; throw err; }   // no wait, no Retry-After
}
```

## How to fix
Do not retry 503 automatically, or wait as long as `Retry-After` says (the server also puts it in
`meta.retry_after_seconds`) before the next attempt.

## Options
`resilience.api_clients` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import FileKind, Location
from meslint.findings import Finding

RULE = Rule("MES503", "client-retries-degraded", Gate.RESILIENCE, Severity.ERROR)

_KINDS = {"loop": "a retry loop", "recursion": "a recursive retry", "option": "a retry option"}


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.resilience
    if spec is None:
        return
    for path in spec.api_clients:
        doc = ctx.repo.data_doc(path)
        if doc is None or doc.kind is not FileKind.JAVASCRIPT or not isinstance(doc.data, dict):
            continue
        for site in doc.data.get("retries") or ():
            if not isinstance(site, dict) or site.get("retry_after"):
                continue
            where = f" in {site['function']}()" if site.get("function") else ""
            yield RULE.finding(
                f"{_KINDS.get(str(site.get('kind')), 'a retry')}{where} retries on {site.get('on')!s} without "
                f"honouring Retry-After", Location(path, int(site.get("line") or 1), 1),
                subject=f"{path}:{site.get('function') or site.get('line')}")
