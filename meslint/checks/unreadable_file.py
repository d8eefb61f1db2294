"""A contract-bearing file was skipped: not text, too large, a link out of the repository, unreadable.

## What it does
Reports files whose name says they carry contract facts (units, env files,
scripts, Python, Markdown, TOML/YAML) but that meslint did not read: binary
content, invalid UTF-8, over `max-file-size`, a symbolic link that leaves the
repository or loops, a FIFO or device, or a permission error.

## Why it matters
A skipped file is a blind spot: its contract values are not compared with the
others.  A link out of the repository is never followed, so meslint cannot leak
what lies behind it, and an operator should know the file was not checked.

## Example
```text
deploy/.env -> /etc/secrets/prod.env    # symbolic link out of the repository: skipped
```

## How to fix
Make the file a regular UTF-8 text file inside the repository, or exclude it (`exclude`), or raise
`max-file-size` on the command line when the file is legitimately large.

## Options
`max-file-size` (bytes, default 5 MiB) in `[tool.meslint]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.findings import Finding

RULE = Rule("MES102", "unreadable-file", Gate.MESLINT, Severity.WARNING)


def check(ctx: CheckContext) -> Iterator[Finding]:
    for skipped in ctx.repo.skipped:
        yield RULE.finding(f"skipped: {skipped.reason}", skipped.location, subject=skipped.location.path)
