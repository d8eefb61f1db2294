"""A path the code a unit runs writes is read-only, inaccessible or root-only under the unit's sandbox.

## What it does
Follows each contract unit's `ExecStart=` (through `bash -c`, `conda run`, `env`, `exec`) to
the Python code it runs: a gunicorn app module (every function of its import closure: any
request may run it), a `python` script or `-m` module, the job functions an `rq worker`
serves (found where the code enqueues them to the worker's queues, queue names resolved in
the unit's environment), and what those reach through calls and imports (methods inherited from
a base class in another module, calls through a module-level instance such as `store.save()`).  It collects the
file writes there (`open(p, "w"|"a"|"x"|"+")`, `os.makedirs`, `Path.mkdir/write_text/touch`,
`shutil.copy*/move`, `os.replace/rename`, `tempfile.*(dir=)`, `sqlite3.connect`, logging
file handlers, `logging.config.dictConfig` handlers with a `filename`, `logging.basicConfig(filename=)`,
`to_parquet`/`to_csv`, `pq.write_table`/`ParquetWriter`, removals), resolves
each path in the unit's environment (with and without the deployed env file; env defaults,
module constants, `Path(__file__)` roots, joins; paths held on `self.` attributes set in
`__init__` or the class body, an `__init__` parameter's default only while no caller passes
that parameter; relative paths under `WorkingDirectory=`)
and checks it against the unit's sandbox (`ProtectSystem=`, `ProtectHome=`,
`ReadWritePaths=`/`ReadOnlyPaths=`/`InaccessiblePaths=` with the most specific path winning,
`RuntimeDirectory=`/`StateDirectory=`/`CacheDirectory=`/`LogsDirectory=`, `BindPaths=`,
`TemporaryFileSystem=`).  It also reports a non-root `User=` creating an entry directly in a
directory only root may write (`/var/log`, `/var/lib`, `/run`, ...) without the matching
`*Directory=`.  Paths MES606 reports for the unit (the contract's runtime files) are left to it.

## Why it matters
Under `ProtectSystem=strict` every write outside the allowed paths fails with `EROFS`
("Read-only file system") -- at run time, on the first job or request that writes: a worker
whose `ReadWritePaths=` omits the spool directory its jobs write fails every job, and no
single file in the review is wrong.

## Example
```ini
# deploy/app-worker.service
WorkingDirectory=/srv/app
ExecStart=/usr/bin/env rq worker reports
ProtectSystem=strict
ReadWritePaths=/srv/app/logs
```
```python
# app/jobs.py (enqueued with Queue("reports").enqueue(build_report, ...))
SPOOL = Path(os.getenv("SPOOL_DIR", "spool"))
def build_report(df):
    df.to_parquet(SPOOL / "report.parquet")
```
The worker writes `/srv/app/spool/report.parquet`: read-only.

## How to fix
Add the directory to the unit's `ReadWritePaths=` (or use `StateDirectory=`/`CacheDirectory=`/
`LogsDirectory=` and point the setting there), or write under a path the sandbox leaves writable.

## Options
Only statically known paths are checked; `meslint show-contract` lists the unknown ones.  File
ownership and modes, `RootDirectory=` and calls through variables or `getattr` are not modelled.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location, UnitFile
from meslint.findings import Finding, Related
from meslint.resolve import contract_units
from meslint.sandbox import NONE, RW, Sandbox, sandbox_of
from meslint.unit_writes import ResolvedWrite, runtime_file_paths, unit_writes

RULE = Rule("MES617", "unit-write-blocked", Gate.RUNTIME_CONTRACT, Severity.ERROR)

# Directories owned by root with mode 0755: only root creates entries directly in them.
ROOT_ONLY = frozenset({"/", "/etc", "/usr", "/opt", "/srv", "/var", "/var/log", "/var/lib", "/var/cache", "/run",
                       "/var/run", "/var/spool", "/var/opt"})
_MAX_SITES = 5
_EXEC_DIRECTORIES = ("RuntimeDirectory=", "StateDirectory=", "CacheDirectory=", "LogsDirectory=")


def check(ctx: CheckContext) -> Iterator[Finding]:
    for unit in sorted(contract_units(ctx.repo, ctx.pack), key=lambda u: u.path):
        sandbox = sandbox_of(unit)
        skip = runtime_file_paths(ctx.resolution, ctx.pack, unit)
        groups: dict[tuple[str, str], tuple[str, Location | None, list[ResolvedWrite]]] = {}
        for write in unit_writes(ctx.repo, ctx.pack, unit):
            if not write.site.write or write.path is None or write.path in skip:
                continue
            blocked = _blocked(unit, sandbox, write)
            if blocked is not None:
                state, origin, location = blocked
                groups.setdefault((write.path, origin), (state, location, []))[2].append(write)
        for (path, origin), (state, location, writes, paths) in sorted(_nested(groups).items()):
            if all(w.site.kind == "ensure-dir" for w in writes):
                continue  # only makes sure a directory exists: nothing fails while it is there
            yield _finding(unit, sandbox, path, origin, state, location, writes, paths)


def _nested(groups: dict[tuple[str, str], tuple[str, Location | None, list[ResolvedWrite]]]
            ) -> dict[tuple[str, str], tuple[str, Location | None, list[ResolvedWrite], list[str]]]:
    """Paths under another blocked path (for the same reason) join its finding: one directory, one fix."""
    merged: dict[tuple[str, str], tuple[str, Location | None, list[ResolvedWrite], list[str]]] = {}
    for (path, origin), (state, location, writes) in sorted(groups.items(), key=lambda item: len(item[0][0])):
        top = next((key for key in merged if key[1] == origin and path.startswith(key[0].rstrip("/") + "/")), None)
        if top is None:
            merged[(path, origin)] = (state, location, list(writes), [path])
        else:
            merged[top][2].extend(writes)
            merged[top][3].append(path)
    return merged


def _blocked(unit: UnitFile, sandbox: Sandbox, write: ResolvedWrite) -> tuple[str, str, Location | None] | None:
    path = write.path
    assert path is not None
    access = sandbox.access(path)
    if not access.writable and access.rule is not None:
        return ("inaccessible" if access.mode == NONE else "read-only"), access.rule.origin, access.rule.location
    user = unit.get("Service", "User")
    if user is None or user.value.strip() in ("", "root", "0"):
        return None
    # A temporary file is created inside its dir=; every other site creates the path itself.
    parent = path if write.site.kind == "tempfile" else posixpath.dirname(path)
    if parent in ROOT_ONLY and not _made_writable(sandbox, path):
        return "only root may create entries in " + parent, f"User={user.value}", user.location
    return None


def _made_writable(sandbox: Sandbox, path: str) -> bool:
    """Whether a ``*Directory=`` (created owned by the unit's user) decides ``path``: other mounts keep owners."""
    rule = sandbox.access(path).rule
    return rule is not None and rule.mode == RW and rule.origin.startswith(_EXEC_DIRECTORIES)


def _finding(unit: UnitFile, sandbox: Sandbox, path: str, origin: str, state: str, location: Location | None,
             writes: list[ResolvedWrite], paths: list[str]) -> Finding:
    # The headline names a site that creates a file when there is one: `mkdir(exist_ok=True)` of a
    # directory that exists succeeds even on a read-only mount, the file written under it does not.
    first = next((w for w in writes if w.site.kind not in ("mkdir", "ensure-dir")), writes[0])
    under = f" (and {len(paths) - 1} path(s) under it)" if len(paths) > 1 else ""
    sites = sorted({w.site.location for w in writes}, key=lambda loc: (loc.path, loc.line, loc.column))
    what = (f"{first.site.call} at {first.site.location.short()}" if len(sites) == 1
            else f"{len(sites)} write sites (such as {first.site.call} at {first.site.location.short()})")
    allowed = ", ".join(sandbox.writable_roots()) or "nothing but /dev, /proc, /sys"
    if state.startswith("only root"):
        message = (f"{unit.path} runs {what}, which creates {path}{under}, but {state} and {origin} is not root; "
                   f"no *Directory= makes it writable (code run as {first.reason()})")
    else:
        message = (f"{unit.path} runs {what}, which writes {path}{under}: {state} under the unit's sandbox ({origin}); "
                   f"writable there: {allowed} (code run as {first.reason()})")
    related: list[Related] = []
    seen: set[Location] = set()
    for write in writes:
        if write.site.location in seen or len(seen) >= _MAX_SITES:
            continue
        seen.add(write.site.location)
        related.append(Related(write.site.location, f"{write.site.call} writes {write.path} ({write.site.expr}); "
                                                    f"run as {write.reason()}"))
        for source in write.sources:
            if source.location is not None:
                item = Related(source.location, f"where the path comes from: {source.text}")
                if item not in related:
                    related.append(item)
    entry = first.entry
    related.append(Related(entry.via or entry.location, f"{unit.path}: {entry.reason}"))
    return RULE.finding(message, location or first.site.location, related, subject=f"{unit.name} {path}")
