"""Units do not run in the pack's runtime (conda environment, venv or system), or not as one identity.

## What it does
Compares what each contract unit actually runs against the pack's `runtime:`.
With `kind: conda` it compares, in each runtime, the conda environment (`conda run
-n ENV` in each unit's `ExecStart=` after systemd and bash expansion, `conda
activate` in the start script, the template's `CONDA_ENV_NAME`, the runtime contract
module's default) and the conda binary (`CONDA_BIN`, the binary `conda run` is
started through); it reports a unit that starts python, gunicorn or rq without going
through conda, and `environment.yml` whose `name:` is not the pack's environment.
With `kind: venv` a unit must start its interpreter from `PREFIX/bin/`: a unit
running `/opt/other/venv/bin/gunicorn`, a bare `gunicorn` found on `PATH`, or `conda
run` is a finding.  With `kind: system` a unit must not start it from a venv or
conda.  Last, the units' `User=`, `Group=` and `WorkingDirectory=` must be the
runtime's `user`, `group` and `working_directory` where the pack gives them, and
otherwise (with `EnvironmentFile=`) the same in every contract unit.  In the container
runtime (pack `container:`), which runs no conda, the image's base (`FROM python:X.Y...`, followed
through `FROM <stage>`) must carry the Python the pack expects: `container.python`, by default
the `python=X.Y` pin of the conda environment file.

## Why it matters
Gate 6 runs the app, the watchdog and every worker in the same runtime.  A
worker unit left on an old environment or venv imports other library versions and
fails only under load; a unit with another `User=` cannot read the files the others
write.

## Example
```ini
# deploy/mes-dashboard-report-worker.service
ExecStart=/opt/venv/bin/rq worker report-query
```

## How to fix
Run every unit through the pack's runtime (`conda run -n ENV` with the pack's conda binary, the
venv's `bin/`, or the system interpreter) and give all contract units the same `User=`, `Group=` and
`WorkingDirectory=`.

## Options
The pack's `runtime:` block: `kind: conda` with `env_name`, `bin` and
`environment_file` (the older spelling is a top-level `conda:` block), `kind: venv`
with `prefix`, or `kind: system`; each kind takes optional `user`, `group` and
`working_directory`.  Without a `runtime:` only the identity agreement is checked.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from meslint.agreement import contract_authority, describe, disagreements, majority_value
from meslint.argv import CommandInfo, basename
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location
from meslint.findings import Finding, Related
from meslint.pack import CondaRuntime, RuntimeSpec, SystemRuntime, VenvRuntime
from meslint.resolve import contract_units
from meslint.systemd_semantics import working_directory

RULE = Rule("MES601", "conda-runtime-mismatch", Gate.RUNTIME_CONTRACT, Severity.ERROR)

_INTERPRETERS = {"python", "python3", "gunicorn", "rq", "flask", "celery", "uwsgi", "uvicorn"}
_IDENTITY_KEYS = (("User", "user"), ("Group", "group"), ("WorkingDirectory", "working_directory"))
# Where a system interpreter lives: anything else (a venv's bin/, a conda env) is not "system".
_SYSTEM_BIN_DIRS = {"/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin", "/usr/local/sbin", "/sbin"}


def check(ctx: CheckContext) -> Iterator[Finding]:
    runtime = ctx.pack.runtime
    if isinstance(runtime, CondaRuntime):
        settings = {runtime.env_name_variable, runtime.bin_variable}
        sites = [v for v in ctx.resolution.values if v.setting in settings]
        for d in disagreements(sites, authority=contract_authority(ctx)):
            yield RULE.finding(describe(d), d.outlier.location, d.related(), subject=d.setting)
    if runtime is not None:
        yield from _units_outside_runtime(ctx, runtime)
    if isinstance(runtime, CondaRuntime):
        yield from _environment_file(ctx, runtime)
    yield from _unit_identity(ctx, runtime)
    from meslint.checks.conda_runtime_container import container_python_findings

    yield from container_python_findings(ctx, RULE)


def _units_outside_runtime(ctx: CheckContext, runtime: RuntimeSpec) -> Iterator[Finding]:
    seen = set()
    for _runtime, owner, info, location in ctx.resolution.commands:
        if not owner.endswith(".service") or (owner, location) in seen or info.program in {"bash", "sh"}:
            continue
        name = basename(info.program)
        if name not in _INTERPRETERS and not name.startswith("python3."):
            continue
        problem = _outside(runtime, info)
        if problem is not None:
            seen.add((owner, location))
            # The conda kind keeps the subject it always had, so existing fingerprints still match.
            tag = "no-conda" if isinstance(runtime, CondaRuntime) else "runtime"
            yield RULE.finding(f"{owner} {problem}", location, subject=f"{owner}:{tag}")


def _outside(runtime: RuntimeSpec, info: CommandInfo) -> str | None:
    """Why the command does not run in the runtime, or None when it does."""
    where = info.argv[info.program_index] if info.program_index >= 0 else info.program
    via_conda = info.conda_bin is not None or info.conda_prefix is not None
    if isinstance(runtime, CondaRuntime):
        return None if via_conda else (f"runs {where} outside the conda runtime (expected `conda run -n "
                                       f"{runtime.env_name}`)")
    if via_conda:
        return f"runs {where} through conda, but the contract runtime is {_describe(runtime)}"
    directory = posixpath.dirname(where.strip("\"'"))
    if isinstance(runtime, VenvRuntime):
        expected = posixpath.join(posixpath.normpath(runtime.prefix), "bin")
        if directory == expected:
            return None
        found = f"from {directory}" if directory else "found on PATH"
        return f"runs {where} ({found}), outside the venv {runtime.prefix} (expected {expected}/{basename(where)})"
    if isinstance(runtime, SystemRuntime) and directory and posixpath.normpath(directory) not in _SYSTEM_BIN_DIRS:
        return f"runs {where} from {directory}, but the contract runtime is the system interpreter"
    return None


def _describe(runtime: RuntimeSpec) -> str:
    if isinstance(runtime, VenvRuntime):
        return f"the venv {runtime.prefix}"
    return "the system interpreter"


def _environment_file(ctx: CheckContext, conda: CondaRuntime) -> Iterator[Finding]:
    doc = ctx.repo.data_doc(conda.environment_file)
    if doc is None or not isinstance(doc.data, dict):
        return
    name = doc.data.get("name")
    if isinstance(name, str) and name != conda.env_name:
        yield RULE.finding(
            f"{doc.path} creates conda environment {name!r}, the contract runs {conda.env_name!r}",
            Location(doc.path, doc.line_of("name"), 1), subject="environment.yml:name")


def _unit_identity(ctx: CheckContext, runtime: RuntimeSpec | None) -> Iterator[Finding]:
    units = contract_units(ctx.repo, ctx.pack)
    for key, field_name in (*_IDENTITY_KEYS, ("EnvironmentFile", None)):
        values = {}
        for unit in units:
            if key == "EnvironmentFile":
                value = " ".join(sorted(f.path for f in unit.environment_files)) or "(none)"
                loc = unit.environment_files[0].location if unit.environment_files else Location(unit.path)
            elif key == "WorkingDirectory":
                # The directory systemd uses: `-/opt/app` and `/opt/app/` are `/opt/app`.
                workdir = working_directory(unit)
                value = workdir.shown if workdir.setting else "(unset)"
                loc = workdir.setting.location if workdir.setting else Location(unit.path)
            else:
                setting = unit.get("Service", key)
                value = setting.value if setting else "(unset)"
                loc = setting.location if setting else Location(unit.path)
            values[unit.path] = (value, loc)
        declared = getattr(runtime, field_name) if runtime is not None and field_name else None
        if declared is not None:
            expected, others = declared, "the contract runtime has"
        elif len(units) >= 2:
            expected, others = majority_value([value for value, _ in values.values()]), "the other contract units have"
        else:
            continue
        for path, (value, loc) in sorted(values.items()):
            if value == expected:
                continue
            related = [Related(other_loc, f"{other}: {key}={other_value}")
                       for other, (other_value, other_loc) in sorted(values.items()) if other != path]
            yield RULE.finding(f"{path} has {key}={value}, {others} {key}={expected}",
                               loc, related, subject=f"{path}:{key}")
