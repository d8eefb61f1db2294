"""A key is defined twice in an env file: every reader takes the last, the first is dead.

## What it does
Reports each key that an env file of the repository (the pack's template and any
other env file) assigns more than once.  The finding sits on the first definition,
which no consumer reads, and names every later one as a related location with its
value.  A later line that builds on the earlier value (`PATH=${PATH}:/x`) is not a
duplicate: bash and python-dotenv read the earlier value there.

## Why it matters
systemd's `EnvironmentFile=`, bash's `source` and python-dotenv all keep the last
assignment of a key.  The first one is dead, and it is often the one an operator finds
and edits (it sits in the section the key belongs to), so the edit does nothing.

## Example
```ini
# .env.example
WATCHDOG_RUNTIME_DIR=/run/mes-dashboard
GUNICORN_BIND=0.0.0.0:8080
# Overrides appended during an incident
WATCHDOG_RUNTIME_DIR=./tmp
```
`meslint check fixtures/MES614/bad` reports (one line, wrapped here):
```text
.env.example:2:1: MES614 warning: WATCHDOG_RUNTIME_DIR is defined 2 times in .env.example;
every reader takes the last ('./tmp', line 12), so this definition ('/run/mes-dashboard') is dead
```

## How to fix
Delete the dead definition, or the later one if the first holds the value you mean; keep one
line per key.

## Options
Every env file the repository holds is checked.  Values are compared as bash reads them;
a key repeated with the same value is still reported (one of the lines is dead weight).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import EnvAssignment
from meslint.findings import Finding, Related

RULE = Rule("MES614", "env-duplicate-key", Gate.RUNTIME_CONTRACT, Severity.WARNING)


def _value(assignment: EnvAssignment) -> str:
    for value in (assignment.bash, assignment.dotenv, assignment.systemd):
        if value is not None:
            return value
    return assignment.raw.partition("=")[2]


def _builds_on(assignment: EnvAssignment) -> bool:
    """Whether the value expands the key itself (``X=${X}:more``): the earlier line is then read."""
    value = assignment.raw.partition("=")[2]
    if assignment.name not in value:
        return False  # most values: no pattern to build (a compiled pattern per key cost 15 ms a run)
    return re.search(r"\$\{?" + re.escape(assignment.name) + r"(?![A-Za-z0-9_])", value) is not None


def check(ctx: CheckContext) -> Iterator[Finding]:
    for env_file in ctx.repo.env_files:
        by_name: dict[str, list[EnvAssignment]] = {}
        for assignment in env_file.assignments:
            if _builds_on(assignment):
                by_name.pop(assignment.name, None)  # the chain so far is read, not dead
                continue
            by_name.setdefault(assignment.name, []).append(assignment)
        for name, lines in by_name.items():
            if len(lines) < 2:
                continue
            first, last = lines[0], lines[-1]
            message = (f"{name} is defined {len(lines)} times in {env_file.path}; every reader takes the last "
                       f"({_value(last)!r}, line {last.location.line}), so this definition "
                       f"({_value(first)!r}) is dead")
            related = [Related(a.location, f"{name}={_value(a)}" + (" (read)" if a is last else " (dead)"))
                       for a in lines[1:]]
            yield RULE.finding(message, first.location, related, subject=f"{env_file.path}:{name}")
