"""GUNICORN_BIND defaults and values, or the port derived from them, disagree.

## What it does
Resolves `GUNICORN_BIND` for every consumer in each runtime — the gunicorn config
module's default, the runtime contract module, the start script's copies (any
variable assigned `${GUNICORN_BIND:-default}`), `--bind` on gunicorn command lines,
the env template through the units — and reports the outlier when they differ.
It also reports a start-script variable derived from `GUNICORN_BIND` (such as a
`PORT` cut from it) that is computed only at the top of the script, before the
script sources `.env`, and never re-derived afterwards: that copy is stale.

## Why it matters
Gate 6 keeps one port through the restart workflow.  A start script that checks
or prints port 8080 while gunicorn binds 9000 from `.env` reports a healthy server
that is not there, or refuses to start because "the port is busy".

## Example
```bash
PORT=$(echo "${GUNICORN_BIND:-0.0.0.0:8080}" | cut -d: -f2)   # before .env is loaded
load_env() { set -a; source "${ROOT}/.env"; set +a; }         # PORT is never re-derived
```

## Options
The bind setting is the pack setting with `kind: bind`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.agreement import contract_authority, describe, disagreements
from meslint.checks import CheckContext, rule_by_code
from meslint.facts import ShellAssignment, ShellScript
from meslint.findings import Finding, Related

CODE = "MES604"
NAME = "bind-mismatch"
GATE = "6"
SEVERITY = "error"


def check(ctx: CheckContext) -> Iterator[Finding]:
    rule = rule_by_code(CODE)
    bind = next((s.name for s in ctx.pack.settings if s.kind == "bind"), None)
    if bind is None:
        return
    for d in disagreements(ctx.resolution.for_setting(bind), authority=contract_authority(ctx)):
        yield rule.finding(describe(d), d.outlier.location, d.related(), subject=bind)
    script = ctx.repo.script(ctx.pack.start_script.path) if ctx.pack.start_script else None
    if script is not None:
        yield from _stale_derivations(rule, script, bind, ctx.pack.env_file.script_relative)


def _mentions(template: str, names: set[str]) -> bool:
    return any(re.search(r"\$\{?" + re.escape(name) + r"\b", template) for name in names)


def _stale_derivations(rule, script: ShellScript, bind: str, env_name: str) -> Iterator[Finding]:
    if not _sources_env(script, env_name):
        return
    derived: dict[str, ShellAssignment] = {}
    names = {bind}
    for assignment in script.assignments:  # top level, in order: the copies taken at start-up
        if assignment.function is None and _mentions(assignment.value, names):
            derived[assignment.name] = assignment
            names.add(assignment.name)
    rederived = {a.name for a in script.assignments if a.function is not None and _mentions(a.value, names)}
    used = _used_variables(script)
    for name, assignment in sorted(derived.items(), key=lambda item: item[1].location):
        if name == bind or name in rederived or name not in used:
            continue
        yield rule.finding(
            f"{name} is derived from {bind} before the script sources {env_name} and never re-derived: "
            f"commands use a stale value when {env_name} sets {bind}",
            assignment.location,
            [Related(loc, f"{name} used here") for loc in used[name][:3]],
            subject=f"{name}<-{bind}",
        )


def _sources_env(script: ShellScript, env_name: str) -> bool:
    return any(c.argv[:1] in (("source",), (".",)) and len(c.argv) > 1 and c.argv[1].endswith("/" + env_name)
               or c.argv[1:2] == (env_name,) for c in script.commands if c.argv)


def _used_variables(script: ShellScript) -> dict[str, list]:
    used: dict[str, list] = {}
    for command in script.commands:
        for word in command.argv:
            for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", word):
                used.setdefault(name, []).append(command.location)
    return used
