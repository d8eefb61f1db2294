"""Setting one base variable alone moves a derived path for some consumers but not for others.

## What it does
Finds the variables other settings are derived from by resolving the consumers as
configured but without the env file: a variable some consumer consulted, unset, while
computing another setting (`${WATCHDOG_RUNTIME_DIR:-...}/gunicorn.pid`, a
deploy root such as `MES_DASHBOARD_ROOT` the runtime directory hangs off).  For each
such base it sets that variable alone to a fresh value, as if it were the env file's only
line (the units that load the env file get it; the processes the start script starts
get what the script exports), and resolves again.  When, within one way of running (systemd, or the start script),
some consumers' derived value moves with the base and another consumer's stays where it
was, the consumer that stays is reported with the override, the consumers that moved
(and where to) in `related`.  Consumers that already disagree without the override are
left to MES611 and the live rules; unit directives such as `PIDFile=` read no environment and are not
compared.

## Why it matters
Operators move one base setting to relocate everything derived from it: the runtime
directory from `./tmp` to `/run/mes-dashboard`, or the deploy root.  A consumer with a
default hard-wired to `${ROOT}/tmp/gunicorn.pid` while the others derive the pid file
from the runtime directory keeps the old path; the watchdog then signals a stale pid or
waits for a flag nobody writes.  No configured runtime shows it, so it is a warning.

## Example
```python
# the app derives the flag from the runtime directory
RUNTIME_DIR = os.getenv("WATCHDOG_RUNTIME_DIR", "/run/mes-dashboard")
RESTART_FLAG = os.getenv("WATCHDOG_RESTART_FLAG", f"{RUNTIME_DIR}/restart.flag")
# the watchdog hard-wires the same default
RESTART_FLAG = os.getenv("WATCHDOG_RESTART_FLAG", "/run/mes-dashboard/restart.flag")
```
With `WATCHDOG_RUNTIME_DIR=/srv/run` the app uses `/srv/run/restart.flag`, the
watchdog `/run/mes-dashboard/restart.flag`.

## How to fix
Derive the value from the base in every consumer (best: read it from the contract
module), or stop deriving it and set it explicitly everywhere.

## Options
Which variables are bases comes from the resolution, not from a list: `meslint
show-contract --override NAME=VALUE` shows every consumer's value with one variable set.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint import counterfactual
from meslint.agreement import related_for
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.findings import Finding
from meslint.resolve import Resolution, SiteValue

RULE = Rule("MES612", "override-split", Gate.RUNTIME_CONTRACT, Severity.WARNING)


def check(ctx: CheckContext) -> Iterator[Finding]:
    bare_view = counterfactual.no_env_file()
    bare = counterfactual.resolve_what_if(ctx.repo, ctx.pack, bare_view, ctx.shared)
    for derivation in counterfactual.derivations(bare):
        fresh = counterfactual.fresh_value(ctx.pack, derivation)
        view = counterfactual.no_env_file(((derivation.base, fresh),))
        moved = counterfactual.resolve_what_if(ctx.repo, ctx.pack, view, ctx.shared)
        for setting in derivation.derived:
            for base in counterfactual.BASES:
                before = _sites(bare, setting, bare_view.runtime(base))
                after = _sites(moved, setting, view.runtime(base))
                finding = _split(derivation.base, fresh, setting, base, before, after)
                if finding is not None:
                    yield finding
                    break  # one finding per base and setting: the other way of running says the same


def _sites(resolution: Resolution, setting: str, runtime: str) -> dict[tuple, SiteValue]:
    return {(site.consumer, site.location): site for site in resolution.for_setting(setting, runtime)
            if counterfactual.comparable(site)}


def _split(name: str, fresh: str, setting: str, base: str, before: dict[tuple, SiteValue],
           after: dict[tuple, SiteValue]) -> Finding | None:
    keys = sorted(before.keys() & after.keys(), key=lambda key: (key[1], key[0]))
    if len({before[key].value for key in keys}) > 1:
        return None  # they disagree with nothing set: MES611 (or a live rule) reports that
    followed = [after[key] for key in keys if after[key].value != before[key].value]
    stayed = [after[key] for key in keys if after[key].value == before[key].value]
    if not followed or not stayed:
        return None
    outlier = stayed[0]
    movers = _listed(list(dict.fromkeys(site.consumer for site in followed)))
    new_values = ", ".join(dict.fromkeys(str(site.value) for site in followed))
    message = (f"setting {name} alone (to {fresh}) moves {setting} to {new_values} for {movers}, but "
               f"{outlier.consumer} keeps {outlier.value} ({base}): that consumer does not derive "
               f"{setting} from {name}")
    related = [related_for(site) for site in followed + stayed[1:]]
    return RULE.finding(message, outlier.location, related, subject=f"{name}->{setting}")


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
