"""PIDFile=, gunicorn's --pid, WATCHDOG_PID_FILE and the start script name different pid files.

## What it does
Collects every site that names gunicorn's pid file in one runtime: the app unit's
`PIDFile=` (relative values are taken under `/run`, as systemd does), the `--pid`
option of each gunicorn command line (after systemd's own `$VAR` substitution and
bash's `${VAR:-default}` expansion, relative to `WorkingDirectory=`), the start
script's pid variables, and `WATCHDOG_PID_FILE` as the app and watchdog resolve it.
A unit directive or command line that disagrees with the others is reported, with
every other site and its value in `related`.

## Why it matters
systemd watches the file named by `PIDFile=` to know the main process; the watchdog
signals the process whose pid it reads from `WATCHDOG_PID_FILE`.  When gunicorn
writes its pid elsewhere, systemd times out waiting for it, or the watchdog's
graceful reload goes to a stale pid.

## Example
```ini
PIDFile=/run/mes-dashboard/gunicorn.pid
ExecStart=/usr/bin/env bash -lc 'exec gunicorn --pid "${WATCHDOG_PID_FILE:-/run/mes-dashboard/gunicorn.pid}" app:app'
```
```ini
# .env.example (the deployed EnvironmentFile)
WATCHDOG_PID_FILE=./tmp/gunicorn.pid
```
gunicorn writes `/opt/mes-dashboard/tmp/gunicorn.pid`; systemd waits for
`/run/mes-dashboard/gunicorn.pid`.

## How to fix
Make `PIDFile=`, gunicorn's `--pid`/`pidfile` and `WATCHDOG_PID_FILE` name one file (derive them
from the runtime directory); the related sites list each value and where it came from.

`meslint check --unsafe-fixes` writes the reference value (the pack's canonical value, the value the
contract module decides, or one that sites taking it from two different places agree on) where the
outlier's value is written literally: a unit directive, the env template line that decides it, or a
Python default (`os.getenv("X", "...")`, `os.environ.get`, a module constant; the string literal is
found with libcst and replaced in place).  A value meslint derived (a relative path made absolute,
`${ROOT}` expanded) is left to you.  The fix is unsafe: the outlier's consumer then sees another value.

## Options
The pid-file setting is the pack setting with `pid_file: true`; MES603 owns it entirely
(MES602 does not report it again).
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.agreement import contract_authority, describe, disagreements
from meslint.autofix.align import align
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.findings import Finding

RULE = Rule("MES603", "pidfile-mismatch", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.UNSAFE)

_DIRECTIVE_KINDS = {"unit-directive", "unit-exec", "gunicorn-config", "script-exec"}


def check(ctx: CheckContext) -> Iterator[Finding]:
    pid_setting = next((s.name for s in ctx.pack.settings if s.pid_file), None)
    if pid_setting is None:
        return
    sites = ctx.resolution.for_setting(pid_setting)
    # Prefer a unit directive or command line as the outlier: that is where the fix goes
    # when the environment consumers agree among themselves.
    found = disagreements(sites, may_be_outlier=lambda site: site.kind in _DIRECTIVE_KINDS,
                          authority=contract_authority(ctx)) or disagreements(sites, authority=contract_authority(ctx))
    for d in found:
        yield RULE.finding(describe(d), d.outlier.location, d.related(), subject=d.setting,
                           fix=align(ctx.repo, d, ctx.pack.contract_module))
