"""A contract-bearing file cannot be parsed (in part); the other checks go on.

## What it does
Reports every place where a parser met input it cannot understand: a unit line
without `=`, an assignment outside a section, an unterminated quote in an env
file, a bash syntax error, a Python syntax error, invalid TOML or YAML, a supervisord
setting that supervisord cannot expand in the container that runs it (`%(ENV_X)s` for an
application variable the container's environment does not set, an unknown `%(name)s`, a
lone `%`: supervisord refuses to start).  The rest of the file is still parsed and checked.

## Why it matters
A line meslint cannot read is a line systemd, bash or Python may read
differently from what its author meant; contract checks over that file are
incomplete until it is fixed.

## Example
```ini
[Service]
ExecStart=/usr/bin/env bash -lc 'exec gunicorn   # meslint-expect: MES101
Environment
```

## How to fix
Correct the syntax at the reported line (the message quotes the parser's complaint); until then the
file's other facts are still used, the broken part is not.

## Options
None.  Deselect with `--ignore MES101` if a file is deliberately not parseable.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.checks.parse_error_container import container_parse_findings
from meslint.findings import Finding

RULE = Rule("MES101", "parse-error", Gate.MESLINT, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    for problem in ctx.repo.problems:
        yield RULE.finding(problem.message, problem.location, subject=problem.location.path)
    yield from container_parse_findings(ctx, RULE)
