"""A health or admin payload does not expose the worker policy state or the alert booleans.

## What it does
The same reading as MES401 (the dicts a route returns, through local names, helpers, imports and
the parameters of the helpers it calls, e.g. `success_response(data)` putting `data` under
`"data"`), for the routes and key paths the pack lists under `resilience.payloads`: the worker
recovery policy state (`allowed` / `cooldown` / `blocked`) and the alert booleans that `/health`
and the admin status route must carry.  One finding per missing path, on the route function.

Whether operators' docs describe these fields is MES804's concern; this rule asks only that the
payloads carry them.

## Why it matters
Gate 5 of the cutover runbook: during degradation operators and the admin page decide whether a
worker restart is allowed, cooling down or blocked, and alerting keys on the booleans.  A payload
that dropped them leaves the restart workflow blind exactly when it is needed.

## Example
```python
@admin_bp.route("/api/system-status")
def system_status():
    return success_response({"runtime_resilience": {"alerts": alerts}})   # no policy_state
```

## How to fix
Put the key back in the payload (or update `resilience.payloads` with the runbook and the admin UI).

## Options
`resilience.sources` and `resilience.payloads` (`route`, `requires`) in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.findings import Finding
from meslint.payload_checks import missing_field_findings

RULE = Rule("MES502", "resilience-payload-field-missing", Gate.RESILIENCE, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.resilience
    if spec is not None:
        yield from missing_field_findings(ctx, RULE, spec.sources, spec.payloads, "resilience")
