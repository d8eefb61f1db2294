"""Consumers agree on a contract setting only because a configured source hands them the value.

## What it does
Resolves every contract setting a second time with each consumer on its own: no env
file, the contract variables dropped from the units' `Environment=` and from what the
start script exports to the processes it starts.  A variable that every unit consuming
it sets in its own `Environment=` is the systemd runtime's deliberate value and stays
(no process systemd starts can miss it); one that only some units set is dropped.  Each
consumer then computes the value from its own code — the Python default, the unit's
inline `${X:-default}`, the start script's `${X:-default}`, the gunicorn config's
default.  Consumers of one way of running (systemd, or the start script) that end up
with different values are reported on the outlier, with every other consumer's value in
`related`; the message names the configured sources that mask the split today (the env
template's line, a unit's `Environment=`, the start script's export).  A setting that a
configured runtime already splits where MES601, MES602, MES603 or MES604 compare it is
left to them.

## Why it matters
Gate 6 is a property of the consumers' code, not of today's `.env`.  When the app and
the watchdog agree on the restart flag only because a configured source names it, one
line deleted from `.env` or from a unit (or the watchdog started by hand) splits the
flag between them: the watchdog writes it where the app never looks, and restarts
silently stop.  It is a warning rather than an error because no configured runtime is
broken yet (when the whole env file is absent and a live rule already sees the split,
that rule reports it).

## Example
```ini
# deploy/mes-dashboard-watchdog.service: only this unit names the flag
Environment=WATCHDOG_RESTART_FLAG=/run/mes-dashboard/restart.flag
```
```python
# src/mes_dashboard/core/runtime_contract.py (the app, run by the other unit)
RESTART_FLAG = os.getenv("WATCHDOG_RESTART_FLAG", "/run/mes-dashboard/restart.flag")
# scripts/worker_watchdog.py: its own default names another file
RESTART_FLAG = os.getenv("WATCHDOG_RESTART_FLAG", "/var/tmp/restart.flag")
```

## How to fix
Give every consumer the same default, best by reading it from one place (the contract
module) instead of a second literal; a value that is meant to differ per runtime
belongs in the unit or the start script of that runtime, where every consumer it starts
reads it.

## Options
The settings are the contract pack's `settings:`; `meslint show-contract --runtime
defaults` shows every consumer's value in this runtime.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint import counterfactual
from meslint.agreement import contract_authority, describe, disagreements
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.findings import Finding, Related

RULE = Rule("MES611", "default-divergence", Gate.RUNTIME_CONTRACT, Severity.WARNING)


def check(ctx: CheckContext) -> Iterator[Finding]:
    view = counterfactual.code_defaults(ctx.repo, ctx.pack, ctx.resolution)
    defaults = counterfactual.resolve_what_if(ctx.repo, ctx.pack, view, ctx.shared)
    authority = contract_authority(ctx)
    for d in disagreements(defaults.values, authority=authority):
        if counterfactual.live_breach(ctx.pack, ctx.resolution, d.setting, authority):
            continue  # a live breach: its own rule reports it, with this runtime among the others
        bases = dict.fromkeys(counterfactual.base_of(runtime) for runtime in (d.runtime, *d.also_in))
        masks = list(dict.fromkeys(mask for base in bases for mask in counterfactual.masking_sources(
            ctx.repo, ctx.pack, ctx.resolution, d.setting, base, view)))
        live = disagreements(ctx.resolution.for_setting(d.setting), authority=authority)
        shown = [live[0].runtime, *live[0].also_in] if live else []
        # Runtime names hold commas ("systemd, no env file"): each is quoted so the list reads as one.
        masked = f"; it already splits in: {', '.join(repr(r) for r in shown)}" if shown else ""
        if masks:
            masked += ("; the other configured runtimes agree only because " if shown
                       else "; configured runtimes agree only because ") + ", ".join(m.text for m in masks)
        related = d.related() + [Related(m.location, f"masks the split: {m.text}") for m in masks]
        yield RULE.finding(f"code defaults disagree: {describe(d)}{masked}",
                           d.outlier.location, related, subject=d.setting)
