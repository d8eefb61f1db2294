"""A WATCHDOG_* path resolves to different files for two consumers of the same runtime.

## What it does
Resolves `WATCHDOG_RUNTIME_DIR`, `WATCHDOG_RESTART_FLAG`, `WATCHDOG_PID_FILE` and
`WATCHDOG_STATE_FILE` (the pack's path settings) for every consumer — the app and
watchdog processes each unit or the start script runs, and the start script's own
variables — in each runtime: systemd with the env file, systemd without it, the
start script with `.env`, and without it.  Relative values are resolved against the
base each consumer really uses.  When consumers of one runtime end up with different
files, the setting is reported once, on the outlier, with every other site and the
chain that produced its value in `related`.

## Why it matters
The watchdog restarts gunicorn by writing the restart flag and reading the pid file
the app wrote.  If the two sides compute different paths the restart workflow silently
does nothing: the flag is written where nobody looks.

## Example
```ini
# .env.example, copied to /opt/mes-dashboard/.env
WATCHDOG_RUNTIME_DIR=/run/mes-dashboard
```
```python
# the watchdog ignores the env and uses its own default
RUNTIME_DIR = Path(__file__).resolve().parents[1] / "tmp"
```

## How to fix
Make every consumer derive the path from the same setting: one default in the contract module, the
same `${VAR:-default}` in the start script and the units, and no second hard-wired copy.

`meslint check --unsafe-fixes` writes the reference value (the pack's canonical value, the value the
contract module decides, or one that sites taking it from two different places agree on) where the
outlier's value is written literally: a unit directive, the env template line that decides it, or a
Python default (`os.getenv("X", "...")`, `os.environ.get`, a module constant; the string literal is
found with libcst and replaced in place).  A value meslint derived (a relative path made absolute,
`${ROOT}` expanded) is left to you.  The fix is unsafe: the outlier's consumer then sees another value.

## Options
The settings compared are the `kind: path` settings of the contract pack (`settings:`
in `rules/*.yaml`) except the pid file, which MES603 compares with unit directives.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.agreement import contract_authority, describe, disagreements
from meslint.autofix.align import align
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.findings import Finding

RULE = Rule("MES602", "watchdog-path-mismatch", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.UNSAFE)

# Sites whose value comes from the environment contract itself.
_ENV_CONSUMER_KINDS = {"python", "script"}


def check(ctx: CheckContext) -> Iterator[Finding]:
    path_settings = {s.name for s in ctx.pack.settings
                     if s.kind == "path" and not s.pid_file and s.name != ctx.pack.conda_bin_variable}
    sites = [v for v in ctx.resolution.values if v.setting in path_settings and v.kind in _ENV_CONSUMER_KINDS]
    for d in disagreements(sites, authority=contract_authority(ctx)):
        yield RULE.finding(describe(d), d.outlier.location, d.related(), subject=d.setting,
                           fix=align(ctx.repo, d, ctx.pack.contract_module))
