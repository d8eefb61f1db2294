"""A path a unit's processes write is read-only, inaccessible or private under the unit's sandbox.

## What it does
For every contract unit, collects the paths its processes write: the contract's path
settings (`WATCHDOG_RUNTIME_DIR`, `WATCHDOG_PID_FILE`, ...) as the processes the unit
runs resolve them (with the deployed env file, and without it), gunicorn's `--pid`,
`--access-logfile`, `--error-logfile`, `--log-file`, `--worker-tmp-dir` and the same
settings in the gunicorn config module; relative paths are taken under
`WorkingDirectory=`.  Each path is checked against the unit's sandbox as systemd.exec(5)
builds it: `ProtectSystem=strict` makes everything read-only except `ReadWritePaths=`,
`RuntimeDirectory=` (`/run/<name>`), `StateDirectory=` (`/var/lib/<name>`),
`CacheDirectory=`, `LogsDirectory=` (`/var/log/<name>`), `/dev`, `/proc`, `/sys`;
`ProtectSystem=yes|full` protect `/usr`, `/boot`, `/efi` (and `/etc`);
`ReadOnlyPaths=`/`InaccessiblePaths=`/`ProtectHome=` restrict further; the most specific
path wins.  It also reports a contract file under `/tmp` or `/var/tmp` that two units
exchange while `PrivateTmp=` gives one of them its own `/tmp`.

In the container runtime (pack `container:`), the same settings as the container's processes
resolve them, and the directories its environment names (`*_DIR` variables with absolute
paths, e.g. an image `ENV` spool directory), must be backed by a writable volume or lie in
the image's writable layer: not under compose `read_only: true`, and for a non-root `USER`
only under `/tmp`, `/var/tmp` or a directory the build hands to that user (`COPY --chown`,
`RUN chown`).

## Why it matters
The watchdog and the app exchange the restart flag, the pid file and the state file.
Under `ProtectSystem=strict` a write outside the allowed paths fails with `EROFS`: the
pid file is never written, the restart flag never appears, the watchdog cannot record
its state.  With `PrivateTmp=yes`, `/tmp/restart.flag` written by the app is not the
file the watchdog looks at.

## Example
```ini
# deploy/mes-dashboard-watchdog.service
WorkingDirectory=/opt/mes-dashboard
ProtectSystem=strict
ReadWritePaths=/run/mes-dashboard
```
```ini
# .env.example
WATCHDOG_STATE_FILE=./tmp/restart_state.json
```
The watchdog writes `/opt/mes-dashboard/tmp/restart_state.json`: read-only.

## How to fix
Add the directory to the unit's `ReadWritePaths=` (or use `RuntimeDirectory=`/`StateDirectory=`), or
move the file under a path the sandbox leaves writable.

`meslint check --unsafe-fixes` adds `ReadWritePaths=-DIR` on a new line after the unit's last
`ReadWritePaths=` (else after `ProtectSystem=`, else at the end of `[Service]`): DIR is the path of a
directory setting (`*_DIR`), else the written file's directory.  The `-` prefix makes systemd skip a
directory that does not exist yet instead of failing the unit's start.  Read-only paths only: an
inaccessible path or a private `/tmp` is left to you.  The fix is unsafe: it widens the sandbox.

## Options
The written settings are the pack's settings of kind `path` except the conda binary
(`conda.bin_variable`).  `RootDirectory=`, file ownership and modes are not modelled.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from meslint.autofix.unit_directive import add_after, last_in_section
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.edits import UNSAFE, Fix
from meslint.facts import Location, UnitFile
from meslint.findings import Finding, Related
from meslint.provisioning import template_fills
from meslint.records import record
from meslint.resolve import RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE, contract_units, unit_environment
from meslint.sandbox import NONE, Sandbox, joined_namespaces, sandbox_of
from meslint.systemd_semantics import WorkingDirectory, working_directory
from meslint.template import evaluate, normalize_path

RULE = Rule("MES606", "runtime-path-not-writable", Gate.RUNTIME_CONTRACT, Severity.ERROR,
            FixApplicability.UNSAFE)

_RUNTIMES = {RUNTIME_SYSTEMD: "with the deployed env file", RUNTIME_SYSTEMD_BARE: "without the env file"}
_GUNICORN_OPTIONS = ("pid", "access-logfile", "error-logfile", "log-file", "worker-tmp-dir")
_GUNICORN_CONSTANTS = {"pidfile": "pid", "accesslog": "access-logfile", "errorlog": "error-logfile",
                       "worker_tmp_dir": "worker-tmp-dir"}


@record
class Write:
    subject: str  # setting or option name
    path: str  # absolute, normalised
    who: str  # the consumer / command that writes it
    runtime: str
    location: Location
    why: str  # provenance
    source: Location | None = None  # where the value comes from, when elsewhere


def writes_of(ctx: CheckContext, unit: UnitFile) -> list[Write]:
    pack = ctx.pack
    workdir = working_directory(unit)
    cwd, shown = workdir.path or "/", workdir.shown
    found: list[Write] = []
    written = [s.name for s in pack.settings if s.kind == "path" and s.name != pack.conda_bin_variable]
    for setting in written:
        for runtime in _RUNTIMES:
            for site in ctx.resolution.for_setting(setting, runtime):
                # PIDFile= is read by the manager outside the sandbox; gunicorn --pid is the writer.
                if site.unit != unit.path or site.kind in {"unit-directive", "gunicorn-config"}:
                    continue
                if not site.value or not site.value.startswith("/"):
                    continue
                source = next((step.location for step in site.chain
                               if step.location is not None and step.location.path != site.location.path), None)
                found.append(Write(setting, site.value, site.consumer, runtime, site.location, site.explain(),
                                   source))
    gunicorn = False
    for runtime, owner, info, location in ctx.resolution.commands:
        if owner != unit.path or runtime not in _RUNTIMES or info.program != "gunicorn":
            continue
        gunicorn = True
        for option in _GUNICORN_OPTIONS:
            value = info.options.get(option)
            if option == "pid" or not value or value == "-" or "$" in value or _unknown_base(value, workdir):
                continue
            found.append(Write(f"gunicorn --{option}", normalize_path(value, cwd), f"{unit.path} ExecStart",
                               runtime, location, f"--{option} {value} (cwd {shown})"))
    module = ctx.repo.module(pack.gunicorn_config) if pack.gunicorn_config else None
    if gunicorn and module is not None:
        for runtime in _RUNTIMES:
            env = unit_environment(unit, pack, ctx.repo.env_file(pack.env_file.template)
                                   if runtime == RUNTIME_SYSTEMD else None, template_fills(ctx.repo, pack))
            for constant in module.constants:
                if constant.name not in _GUNICORN_CONSTANTS or not isinstance(constant.value, str):
                    continue
                value = evaluate(constant.value, env, pack.deploy_root).value
                if not value or value == "-" or "$" in value or _unknown_base(value, workdir):
                    continue
                found.append(Write(f"gunicorn {constant.name}", normalize_path(value, cwd), module.path,
                                   runtime, constant.location, f"{constant.name} = {constant.value} (cwd {shown})"))
    return found


def _unknown_base(value: str, workdir: WorkingDirectory) -> bool:
    """A relative path under a working directory that is not statically known (``~`` of some user)."""
    return workdir.path is None and not value.startswith("/")


def check(ctx: CheckContext) -> Iterator[Finding]:
    units = sorted(contract_units(ctx.repo, ctx.pack), key=lambda u: u.path)
    has_template = ctx.repo.env_file(ctx.pack.env_file.template) is not None
    sandboxes: dict[str, Sandbox] = {}
    all_writes: dict[str, list[Write]] = {}
    for unit in units:
        sandbox = sandboxes[unit.path] = sandbox_of(unit)
        writes = all_writes[unit.path] = writes_of(ctx, unit)
        yield from _not_writable(unit, sandbox, writes, has_template)
    yield from _private_tmp(units, sandboxes, all_writes)
    from meslint.checks.runtime_path_container import container_writable_findings

    yield from container_writable_findings(ctx, RULE)


def _not_writable(unit: UnitFile, sandbox: Sandbox, writes: list[Write], has_template: bool
                  ) -> Iterator[Finding]:
    groups: dict[tuple[str, str], list[Write]] = {}
    for write in writes:
        groups.setdefault((write.subject, write.path), []).append(write)
    for (subject, path), group in groups.items():
        access = sandbox.access(path)
        if access.writable or access.rule is None:
            continue
        runtimes = " and ".join(dict.fromkeys(_RUNTIMES[w.runtime] for w in group)) if has_template else "under systemd"
        writers = ", ".join(dict.fromkeys(w.who for w in group))
        allowed = ", ".join(sandbox.writable_roots()) or "nothing but /dev, /proc, /sys"
        state = "inaccessible" if access.mode == NONE else "read-only"
        message = (f"{subject} resolves to {path} for {writers} ({runtimes}), which is {state} under the sandbox "
                   f"of {unit.path}: {access.rule.origin}; writable there: {allowed}")
        related = []
        for write in group:
            item = Related(write.location, f"{write.who}: {write.path} because {write.why}")
            if item not in related:
                related.append(item)
            if write.source is not None:
                item = Related(write.source, f"where {subject}'s value comes from")
                if item not in related:
                    related.append(item)
        location = access.rule.location or group[0].location
        fix = add_writable(unit, _directory_of(subject, path)) if access.mode != NONE else None
        yield RULE.finding(message, location, related, subject=f"{unit.name} {subject}", fix=fix)


def _directory_of(subject: str, path: str) -> str:
    """The directory that must be writable: the path of a directory setting, else the file's directory
    (creating or replacing a file writes its directory)."""
    if subject.upper().endswith(("_DIR", "-DIR")) or subject in ("worker_tmp_dir",):
        return path
    return posixpath.dirname(path) or "/"


def add_writable(unit: UnitFile, directory: str) -> Fix | None:
    """``ReadWritePaths=-DIR`` on a new line after the unit's last ReadWritePaths=, else after its
    ProtectSystem=, else at the end of its [Service] section.  The ``-`` prefix: a directory that does
    not exist yet is skipped rather than failing the unit's start."""
    if any(ch.isspace() or ch in "\\\"'%" for ch in directory) or directory in ("/", ""):
        return None
    anchor = None
    for key in ("ReadWritePaths", "ProtectSystem"):
        found = [s for s in unit.settings if s.section == "Service" and s.key == key and s.location.path == unit.path]
        if found:
            anchor = found[-1]
            break
    anchor = anchor or last_in_section(unit, "Service")
    if anchor is None:
        return None
    return Fix(UNSAFE, f"add {directory} to ReadWritePaths= of {unit.name}",
               (add_after(anchor, "ReadWritePaths", f"-{directory}"),))


def _private_tmp(units: list[UnitFile], sandboxes: dict[str, Sandbox],
                 all_writes: dict[str, list[Write]]) -> Iterator[Finding]:
    by_path: dict[tuple[str, str], dict[str, Write]] = {}
    for unit in units:
        for write in all_writes[unit.path]:
            if not write.path.startswith(("/tmp/", "/var/tmp/")) and write.path not in ("/tmp", "/var/tmp"):
                continue
            by_path.setdefault((write.subject, write.path), {}).setdefault(unit.path, write)
    for (subject, path), per_unit in by_path.items():
        if len(per_unit) < 2:
            continue
        private = [u for u in per_unit if sandboxes[u].access(path).private]
        if not private or joined_namespaces(units, list(per_unit)):
            continue
        first = private[0]
        access = sandboxes[first].access(path)
        assert access.rule is not None  # Access.private holds only where a rule decides
        others = [u for u in per_unit if u != first]
        message = (f"{subject} resolves to {path} for {', '.join(per_unit)}, but {first} has {access.rule.origin}: "
                   f"its {path} is not the file the other unit(s) see ({', '.join(others)})")
        related = [Related(write.location, f"{unit_path}: {write.who} uses {path}"
                                           + (" in its own private /tmp" if unit_path in private else ""))
                   for unit_path, write in per_unit.items()]
        yield RULE.finding(message, access.rule.location or per_unit[first].location, related,
                           subject=f"{subject} PrivateTmp")
