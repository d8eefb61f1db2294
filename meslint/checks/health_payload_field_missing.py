"""A health route's payload lacks a key path the runbook's observability gate requires.

## What it does
For each route the pack lists under `observability.payloads` (`/health`, `/health/deep`) finds
the function that serves it (a `@bp.route("/health")` decorator in a module matching
`observability.sources`) and the JSON payload it returns: the dicts of its `return`
statements, through local names (every assignment is an alternative; `name["key"] = value`
adds a key), `{**spread}`, `dict(...)`, conditional expressions, and calls into helper
functions of the same module or, through `from x import f`, of another source module.  A call
that leads to no dict at the response level (`jsonify(payload)`, a response helper) stands for
its arguments.  Each required dotted key path (`database_pool.state`) must be present in some
dict the route returns; one finding per missing path, on the route function, with the deepest
part of the path that exists as related site.

A path through a value meslint cannot see (a parameter, a call into a module that is not a
source, `obj.method()`) is not reported: unknown is not absent.

## Why it matters
Gate 4 of the cutover runbook asks `/health` for route-cache telemetry and degraded flags,
`database_pool.runtime`/`state`, `degraded_reason` and the derived-index telemetry; monitoring
and the operators' runbook read those keys.  A refactor that renames or drops one makes the
dashboards show "no data" exactly when the service degrades.

## Example
```python
@health_bp.route("/health")
def health_check():
    return jsonify({"status": status, "database_pool": {"runtime": runtime}})  # no database_pool.state
```

## How to fix
Return the key again (or update the pack's `observability.payloads` together with the runbook and
the monitoring that reads it).

## Options
`observability.sources` (the route and helper modules) and `observability.payloads`
(`route` and `requires`) in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.findings import Finding
from meslint.payload_checks import missing_field_findings

RULE = Rule("MES401", "health-payload-field-missing", Gate.OBSERVABILITY, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.observability
    if spec is not None:
        yield from missing_field_findings(ctx, RULE, spec.sources, spec.payloads, "observability")
