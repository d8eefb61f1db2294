"""The frontend has no build script for the runbook's `npm --prefix DIR run build`.

## What it does
For the pack's frontend directory (`frontend.dir`), when it has a Vite config or a
`package.json`: reports a Vite config without a `package.json` beside it, and a `package.json`
whose `scripts` has no `frontend.build_script` (default `build`), or whose build script is not a
string.

## Why it matters
Gate 1 of the cutover runbook builds the frontend with `npm --prefix frontend run build`; without
that script the step fails on the release host ("Missing script: build"), or a renamed script
leaves the runbook and CI building nothing.

## Example
```json
{"name": "web", "scripts": {"dev": "vite", "bundle": "vite build"}}
```
The runbook runs `npm --prefix frontend run build`; the script is called `bundle`.

## How to fix
Name the script as the runbook does (or change `frontend.build_script` together with the runbook).

## Options
`frontend.dir` and `frontend.build_script` in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location
from meslint.findings import Finding
from meslint.frontend_facts import package_json, vite_config

RULE = Rule("MES112", "build-script-missing", Gate.FRONTEND_BUILD, Severity.ERROR)


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.frontend
    if spec is None:
        return
    command = f"npm --prefix {spec.dir} run {spec.build_script}"
    package = package_json(ctx.repo, spec)
    if package is None:
        vite = vite_config(ctx.repo, spec)
        if vite is not None and not ctx.repo.path_exists(spec.package_json):
            yield RULE.finding(f"{spec.dir} has a Vite config but no package.json, so `{command}` cannot run",
                               Location(vite.path, 1, 1), subject=f"{spec.package_json}:missing")
        return
    if not isinstance(package.data, dict):
        return  # not JSON (MES101) or not an object: npm reports that itself
    scripts = package.data.get("scripts")
    script = scripts.get(spec.build_script) if isinstance(scripts, dict) else None
    if isinstance(script, str) and script.strip():
        return
    line = package.line_of("scripts") if isinstance(scripts, dict) else 1
    problem = "is not a command" if script is not None else "does not exist"
    yield RULE.finding(f"the script `{spec.build_script}` {problem} in {package.path}, so `{command}` fails",
                       Location(package.path, line, 1), subject=f"{package.path}:{spec.build_script}")
