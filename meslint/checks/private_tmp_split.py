"""Two processes exchange a file through /tmp, but PrivateTmp= gives one of them its own /tmp.

## What it does
Collects, for every contract unit and for the Python processes the start script starts, the
paths under `/tmp` and `/var/tmp` their code writes or reads (flag, state, pid and socket
files: `open`, `Path.write_text/read_text/exists/touch`, `os.path.exists`, `os.replace`,
`sqlite3.connect`, a Unix socket's `bind`/`connect`, ...; see MES617 for how the code a unit
runs is found and how paths are resolved), and the start script's own bash commands
(`> file`, `>> file`, `touch`, `mkdir -p`, `< file`, `cat`).  When two of them use the same path, at least one
writes it, and `PrivateTmp=yes` (or `DynamicUser=`, `TemporaryFileSystem=/tmp`) gives one of them a private `/tmp` that
`JoinsNamespaceOf=` does not share, it reports the pair with both sites.  The contract's
runtime files (`WATCHDOG_*`) are left to MES606.

## Why it matters
A private `/tmp` is a different directory: the flag one process writes there never appears
for the other, which waits forever (or acts on a stale file from before the restart).  Nothing
fails loudly: the exchange silently stops working once the unit runs under systemd.

## Example
```ini
# deploy/app.service
PrivateTmp=yes
ExecStart=/usr/bin/env gunicorn app:create_app()
```
```python
# app/admin.py (in the app)
Path("/tmp/app_reload.flag").touch()
# scripts/reloader.py (deploy/reloader.service, no PrivateTmp=)
if os.path.exists("/tmp/app_reload.flag"): ...
```

## How to fix
Exchange the file through a shared directory (`RuntimeDirectory=` in both units, `/run/<name>`)
or let the units share one namespace (`JoinsNamespaceOf=`).

## Options
Only statically known paths are compared.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location, UnitFile
from meslint.findings import Finding, Related
from meslint.records import record
from meslint.resolve import contract_units
from meslint.sandbox import Sandbox, joined_namespaces, sandbox_of
from meslint.script_writes import script_writes
from meslint.unit_code import script_code
from meslint.unit_writes import ResolvedWrite, resolve_writes, runtime_file_paths, unit_writes

RULE = Rule("MES618", "private-tmp-split", Gate.RUNTIME_CONTRACT, Severity.ERROR)


@record
class _Use:
    owner: str  # unit path, or the start script path
    unit: UnitFile | None
    sandbox: Sandbox | None
    write: ResolvedWrite


def _in_tmp(path: str) -> bool:
    return path.startswith(("/tmp/", "/var/tmp/"))


def check(ctx: CheckContext) -> Iterator[Finding]:
    units = sorted(contract_units(ctx.repo, ctx.pack), key=lambda u: u.path)
    by_path: dict[str, list[_Use]] = {}
    skip: set[str] = set()
    for unit in units:
        sandbox = sandbox_of(unit)
        skip |= runtime_file_paths(ctx.resolution, ctx.pack, unit)
        for write in unit_writes(ctx.repo, ctx.pack, unit):
            if write.path is not None and _in_tmp(write.path):
                by_path.setdefault(write.path, []).append(_Use(unit.path, unit, sandbox, write))
    code = script_code(ctx.repo, ctx.pack, ctx.resolution)
    script = resolve_writes(ctx.repo, ctx.pack, code, ctx.pack.deploy_root) if code is not None else []
    for write in script + script_writes(ctx.repo, ctx.pack, ctx.resolution, ctx.shared):
        if write.path is not None and _in_tmp(write.path):
            by_path.setdefault(write.path, []).append(_Use(write.entry.location.path, None, None, write))
    for path, uses in sorted(by_path.items()):
        if path in skip:
            continue
        found = _pair(units, path, uses)
        if found is not None:
            yield _finding(path, *found)


def _private(use: _Use, path: str) -> bool:
    return use.sandbox is not None and use.sandbox.access(path).private


def _pair(units: list[UnitFile], path: str, uses: list[_Use]) -> tuple[_Use, _Use] | None:
    """A private side and another owner's use of the same path, one of the two a write."""
    for private in (u for u in uses if _private(u, path)):
        for other in uses:
            if other.owner == private.owner or not (private.write.site.write or other.write.site.write):
                continue
            if other.unit is not None and joined_namespaces(units, [private.owner, other.owner]):
                continue
            return private, other
    return None


def _verb(use: _Use) -> str:
    return "writes" if use.write.site.write else "reads"


def _finding(path: str, private: _Use, other: _Use) -> Finding:
    assert private.sandbox is not None
    rule = private.sandbox.access(path).rule
    assert rule is not None
    if other.unit is None and other.write.module == other.owner:
        other_side = f"{other.owner}'s own bash (the host's /tmp)"
    elif other.unit is None:
        other_side = f"{other.write.entry.reason} started by {other.owner} (the host's /tmp)"
    elif _private(other, path):
        other_side = f"{other.owner} (a private /tmp of its own)"
    else:
        other_side = f"{other.owner} (the host's /tmp)"
    message = (f"{private.owner} {_verb(private)} {path} at {private.write.site.location.short()} and "
               f"{other_side} {_verb(other)} it at {other.write.site.location.short()}, but {private.owner} has "
               f"{rule.origin}: the two never see the same file")
    related = [
        Related(private.write.site.location, f"{private.owner}: {private.write.site.call} {_verb(private)} {path} "
                                             f"(run as {private.write.reason()})"),
        Related(other.write.site.location, f"{other.owner}: {other.write.site.call} {_verb(other)} {path} "
                                           f"(run as {other.write.reason()})"),
    ]
    location: Location = rule.location or private.write.site.location
    return RULE.finding(message, location, related, subject=f"{path} PrivateTmp")
