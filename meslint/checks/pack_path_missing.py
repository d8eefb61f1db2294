"""The repository's own contract pack names a repository path that does not exist.

## What it does
Reads the repository paths the pack names — the env template, the contract module,
consumers, the start and deploy scripts, the gunicorn config, unit files, the
environment file, the keys of `install.files` — and reports each one the repository
does not hold, unless `install.created` declares it made at install time.  The
finding sits on the pack's own line.  Only a pack file inside the checked repository
is checked: a built-in pack describes a family of layouts (its `detect:` list decides
where it applies) and a pack outside the repository has no line to point at.

## Why it matters
A misspelt or moved path silently turns its checks off: the unit or module the pack
names is never read, so nothing about it can disagree.  A pack that describes the
deployment must name what the repository ships.

## Example
```yaml
consumers:
  - name: web
    path: contrib/gunicorn_conf.py   # the file is contrib/gunicorn.py
```

## How to fix
Fix the path in the pack, or declare it under `install.created` (made at install time) or
`install.files` (installed from another repository file).

## Options
`install.created` in the pack lists repository-relative paths that installing creates
(a venv, a configuration copied from a template).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location
from meslint.findings import Finding
from meslint.pack_files import repository_pack_path

RULE = Rule("MES103", "pack-path-missing", Gate.MESLINT, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    pack_path = repository_pack_path(ctx.pack.file, ctx.repo.root)
    if pack_path is None:
        return
    for path, line, where in ctx.pack.path_references:
        relative = PurePosixPath(path).as_posix().strip("/")
        if not relative or any(char in relative for char in "*?[") or ctx.pack.install.creates(relative):
            continue
        if not ctx.repo.path_exists(relative):
            yield RULE.finding(
                f"the contract pack names {relative} ({where}), which does not exist in the repository "
                f"(declare it in install.created if installing creates it)",
                Location(pack_path, line, 1), subject=f"{where}={relative}")

