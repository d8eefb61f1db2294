"""Units, scripts and templates do not share one conda binary, environment and unit identity.

## What it does
Compares, in each runtime, the conda environment (`conda run -n ENV` in each unit's
`ExecStart=` after systemd and bash expansion, `conda activate` in the start script,
the template's `CONDA_ENV_NAME`, the runtime contract module's default) and the conda
binary (`CONDA_BIN`, the binary `conda run` is started through).  It also reports:
a contract unit that starts python, gunicorn or rq without going through conda (a
venv or the system interpreter); `environment.yml` whose `name:` is not the pack's
environment; and contract units whose `User=`, `Group=`, `WorkingDirectory=` or
`EnvironmentFile=` differ from the other units'.

## Why it matters
Gate 6 runs the app, the watchdog and every worker in the same conda runtime.  A
worker unit left on an old environment imports other library versions and fails
only under load; a unit with another `User=` cannot read the files the others write.

## Example
```ini
# deploy/mes-dashboard-report-worker.service
ExecStart=/opt/venv/bin/rq worker report-query
```

## Options
The canonical environment and binary are `conda.env_name` and `conda.bin` of the
contract pack; `conda.environment_file` names the environment file.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.agreement import contract_authority, describe, disagreements, majority_value
from meslint.checks import CheckContext, rule_by_code
from meslint.commands import basename
from meslint.facts import Location
from meslint.findings import Finding, Related
from meslint.resolve import contract_units
from meslint.systemd_semantics import working_directory

CODE = "MES601"
NAME = "conda-runtime-mismatch"
GATE = "6"
SEVERITY = "error"

_INTERPRETERS = {"python", "python3", "gunicorn", "rq", "flask", "celery"}
_IDENTITY_KEYS = ("User", "Group", "WorkingDirectory")


def check(ctx: CheckContext) -> Iterator[Finding]:
    rule = rule_by_code(CODE)
    conda = ctx.pack.conda
    settings = {conda.env_name_variable, conda.bin_variable}
    sites = [v for v in ctx.resolution.values if v.setting in settings]
    for d in disagreements(sites, authority=contract_authority(ctx)):
        yield rule.finding(describe(d), d.outlier.location, d.related(), subject=d.setting)
    yield from _non_conda_units(ctx, rule)
    yield from _environment_file(ctx, rule)
    yield from _unit_identity(ctx, rule)


def _non_conda_units(ctx: CheckContext, rule) -> Iterator[Finding]:
    seen = set()
    for _runtime, owner, info, location in ctx.resolution.commands:
        if not owner.endswith(".service") or (owner, location) in seen:
            continue
        program = info.program
        if program in {"bash", "sh"} or info.conda_bin is not None or info.conda_prefix is not None:
            continue
        name = basename(program)
        if name in _INTERPRETERS or name.startswith("python3."):
            seen.add((owner, location))
            where = info.argv[info.program_index] if info.program_index >= 0 else program
            yield rule.finding(
                f"{owner} runs {where} outside the conda runtime (expected `conda run -n "
                f"{ctx.pack.conda.env_name}`)", location, subject=f"{owner}:no-conda")


def _environment_file(ctx: CheckContext, rule) -> Iterator[Finding]:
    doc = ctx.repo.data_doc(ctx.pack.conda.environment_file)
    if doc is None or not isinstance(doc.data, dict):
        return
    name = doc.data.get("name")
    if isinstance(name, str) and name != ctx.pack.conda.env_name:
        yield rule.finding(
            f"{doc.path} creates conda environment {name!r}, the contract runs {ctx.pack.conda.env_name!r}",
            Location(doc.path, doc.line_of("name"), 1), subject="environment.yml:name")


def _unit_identity(ctx: CheckContext, rule) -> Iterator[Finding]:
    units = contract_units(ctx.repo, ctx.pack)
    if len(units) < 2:
        return
    for key in (*_IDENTITY_KEYS, "EnvironmentFile"):
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
        majority = majority_value([value for value, _ in values.values()])
        for path, (value, loc) in sorted(values.items()):
            if value == majority:
                continue
            related = [Related(other_loc, f"{other}: {key}={other_value}")
                       for other, (other_value, other_loc) in sorted(values.items()) if other != path]
            yield rule.finding(f"{path} has {key}={value}, the other contract units have {key}={majority}",
                               loc, related, subject=f"{path}:{key}")
