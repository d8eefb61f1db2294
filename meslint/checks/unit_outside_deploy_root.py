"""A contract unit works, imports or runs code outside the deploy root.

## What it does
For every unit the contract pack lists (`units`), checks that

* `WorkingDirectory=` (a `-` prefix only makes it optional; `~` is the user's
  home) is the pack's `deploy_root` or lies under it — and that a unit which runs
  a relative path has a `WorkingDirectory=` at all (systemd's default is `/`);
* every `PYTHONPATH` entry the unit's process sees (`Environment=`, or the
  deployed env file read from its template) lies under the deploy root;
* the script its `Exec*=` lines run — `python SCRIPT`, `bash SCRIPT`, a `.sh`/`.py`
  program, `gunicorn --config FILE`/`--chdir DIR`/`--pythonpath DIR`,
  `rq -P DIR` — lies under the deploy root, with relative paths resolved
  against `WorkingDirectory=` after systemd's own `$VAR` substitution (and
  inside `bash -c '...'`).

Values that stay unknown (`$VAR` not set in the unit, specifiers) are skipped.

## Why it matters
Gate 2: the deployed service runs from the deploy root only.  A unit whose
working directory, import path or script points at a developer checkout, the
old `DashBoard/` tree or a home directory runs code nobody deployed.

## Example
```ini
[Service]
# meslint-expect-next: MES203
WorkingDirectory=/home/egg/Project/DashBoard_vite
ExecStart=/opt/miniconda3/bin/conda run -n mes-dashboard python scripts/worker_watchdog.py
```

## How to fix
Set `WorkingDirectory=`, `PYTHONPATH` and the Exec paths to the deploy root (or paths below it)
named by the pack.

## Options
`deploy_root` and `units` in the contract pack (`deploy_root` can be overridden
from `[tool.meslint]`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location
from meslint.findings import Finding, Related
from meslint.provisioning import template_fills
from meslint.resolve import unit_environment
from meslint.runtime_files import under
from meslint.systemd_semantics import executed_paths, invocations, working_directory

RULE = Rule("MES203", "unit-outside-deploy-root", Gate.ROOT_EXECUTION, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    root = ctx.pack.deploy_root.rstrip("/") or "/"
    template = ctx.repo.env_file(ctx.pack.env_file.template)
    installed = {posixpath.normpath(path) for path in ctx.pack.install.files.values()}
    for unit in ctx.repo.units:
        if ctx.pack.unit_spec(unit.path) is None:
            continue
        workdir = working_directory(unit)
        cwd = workdir.path
        cwd_note = "no WorkingDirectory=: systemd runs it from /"
        written = unit.get("Service", "WorkingDirectory")
        if workdir.setting is None and written is not None and written.value:
            cwd_note = f"systemd rejects WorkingDirectory={written.value} and runs it from /"
        workdir_outside = False
        if workdir.setting is not None:
            cwd_note = f"from WorkingDirectory={workdir.setting.value}"
            # `~` of a user whose home is unknown counts as outside: a home is never the deploy root.
            if cwd is None or not under(cwd, root):
                workdir_outside = True
                yield RULE.finding(
                    f"WorkingDirectory={workdir.setting.value} is not under the deploy root {root}",
                    workdir.setting.location, subject=f"{unit.path} WorkingDirectory")
        env = unit_environment(unit, ctx.pack, template, template_fills(ctx.repo, ctx.pack))
        binding = env.get("PYTHONPATH")
        if binding is not None:
            for entry in binding.value.split(":"):
                if not entry.startswith(("/", "~")) and workdir_outside:
                    continue  # relative to a WorkingDirectory= already reported
                path = _absolute(entry, cwd) if entry else None
                if path is not None and not under(path, root):
                    location = binding.location or Location(unit.path)
                    related = [] if location.path == unit.path else [
                        Related(Location(unit.path), f"{unit.path} loads it with EnvironmentFile=")]
                    yield RULE.finding(
                        f"PYTHONPATH entry {entry!r} of {unit.name} resolves to {path}, not under the deploy "
                        f"root {root}", location, related=related, subject=f"{unit.path} PYTHONPATH {entry}")
        for command in unit.exec_commands:
            for run in invocations(command, env, ctx.pack.deploy_root):
                for label, value in executed_paths(run.info):
                    if not value.startswith(("/", "~")) and workdir_outside:
                        continue  # already reported at WorkingDirectory=
                    path = _absolute(value, cwd)
                    if path is None or under(path, root) or path in installed:
                        continue  # installed files (the pack's install.files) are shipped code too
                    how = "" if path == value else f", which resolves to {path} ({cwd_note})"
                    yield RULE.finding(
                        f"{command.key}= runs {label} {value!r}{how}: not under the deploy root {root}",
                        command.location, subject=f"{unit.path} {command.key} {label}")


def _absolute(value: str, cwd: str | None) -> str | None:
    """An absolute normalised path, or None when unknown ($VAR, specifiers, no base)."""
    value = value.strip().strip("\"'")
    if not value or "$" in value or "%" in value or "`" in value:
        return None
    if value.startswith("~"):
        return value  # the user's home: never the deploy root
    if not value.startswith("/"):
        if cwd is None or not cwd.startswith("/"):
            return None
        value = posixpath.join(cwd, value)
    return "/" + posixpath.normpath(value).lstrip("/")
