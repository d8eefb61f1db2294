"""A unit's Environment= value is silently overridden by its EnvironmentFile=.

## What it does
For every contract unit, compares each `Environment=NAME=value` with the value the
unit's `EnvironmentFile=` gives the same name.  The deployed env file (the pack's
`env_file.deployed`) is read from the repository template (`env_file.template`) with
systemd's own env-file semantics.  A different value is reported at the
`Environment=` line, with the template line and its value in `related`.

## Why it matters
systemd applies `EnvironmentFile=` after `Environment=`, whatever their order in the
unit: the file wins.  The value written in the unit looks authoritative but never
reaches the process once the env file exists (it only applies when an optional
`-` file is missing), so two deployments of the same unit behave differently.

## Example
```ini
# deploy/mes-dashboard.service
Environment=WATCHDOG_RUNTIME_DIR=/run/mes-dashboard
EnvironmentFile=-/opt/mes-dashboard/.env
```
```ini
# .env.example
WATCHDOG_RUNTIME_DIR=./tmp
```
The process gets `./tmp`, not `/run/mes-dashboard`.

## How to fix
Set the value in one place: drop the unit's `Environment=` line, or remove the key from the env file
(or load the file before, with the value you mean winning).

`meslint check --fix` deletes the `Environment=` line when the env file is required
(`EnvironmentFile=` without `-`): the process always gets the file's value, so nothing it sees
changes (a safe fix).  With an optional file (`EnvironmentFile=-...`) the inline value still applies
while the file is missing, so deleting it is an unsafe fix, applied with `--unsafe-fixes`.  A line
assigning several variables is left to you.

## Options
Only env files whose content meslint knows are compared: the deployed env file
(through the template).  Values are compared as systemd passes them, as strings.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.edits import SAFE, UNSAFE, Fix, delete_line
from meslint.facts import UnitEnvAssignment, UnitFile
from meslint.findings import Finding, Related

RULE = Rule("MES608", "environment-shadowed", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.UNSAFE)


def _drop(unit: UnitFile, assignment: UnitEnvAssignment, optional: bool) -> Fix | None:
    """Delete the shadowed ``Environment=`` line (see ## How to fix); None when the line assigns more."""
    loc = assignment.location
    settings = [s for s in unit.settings if s.key == "Environment" and s.location.path == loc.path
                and s.location.line <= loc.line <= s.location.end_line]
    on_line = [a for a in unit.environment if a.location.path == loc.path and a.location.line == loc.line]
    if len(settings) != 1 or len(on_line) != 1 or settings[0].location.end_line != settings[0].location.line:
        return None
    return Fix(UNSAFE if optional else SAFE,
               f"delete Environment={assignment.name}=...: the env file's value is the one the process gets",
               (delete_line(loc.path, loc.line),))


def check(ctx: CheckContext) -> Iterator[Finding]:
    template = ctx.repo.env_file(ctx.pack.env_file.template)
    if template is None:
        return
    for unit in ctx.repo.units:
        if ctx.pack.unit_spec(unit.path) is None:
            continue
        files = [f for f in unit.environment_files if f.path == ctx.pack.env_file.deployed]
        if not files:
            continue
        env_file = files[-1]
        for assignment in unit.environment:
            line = _systemd_assignment(template, assignment.name)
            if line is None or line.systemd == assignment.value:
                continue
            optional = " (an optional file: the inline value applies only while it is missing)" \
                if env_file.optional else ""
            message = (f"{assignment.name}={assignment.value!r} in Environment= of {unit.path} is overridden by "
                       f"EnvironmentFile={'-' if env_file.optional else ''}{env_file.path}, which sets "
                       f"{assignment.name}={line.systemd!r} ({template.path}:{line.location.line}); systemd "
                       f"applies EnvironmentFile= after Environment={optional}")
            related = [
                Related(line.location, f"{assignment.name}={line.systemd!r}: the value the process gets, because "
                                       f"{env_file.path} is made from {template.path}"),
                Related(env_file.location, f"EnvironmentFile={env_file.path} is applied after Environment="),
            ]
            yield RULE.finding(message, assignment.location, related, subject=f"{unit.name} {assignment.name}",
                               fix=_drop(unit, assignment, env_file.optional))


def _systemd_assignment(template, name):
    """The last template line systemd reads for ``name`` (a line systemd ignores does not count)."""
    found = None
    for assignment in template.assignments:
        if assignment.name == name and assignment.systemd is not None:
            found = assignment
    return found
