"""A gunicorn config-file setting that the command line overrides everywhere, or in only some launches.

## What it does
gunicorn reads its config file (`-c FILE`, else `gunicorn.conf.py` in its working
directory) and then the command line: an option given on the command line wins over the
same setting in the file.  For the pack's `gunicorn_config` module, this rule looks at
the settings `pidfile`, `bind`, `workers`, `threads`, `timeout` and `graceful_timeout`
and at every launch of gunicorn that loads the file (the contract units' `ExecStart=`
and the start script's commands, as the resolution evaluates them).  It reports

* a file value that **every** launch overrides and that disagrees with the contract (the
  pack setting's `canonical` when the constant is one of its sites, else the values the
  launches pass): dead configuration that tells a reader something no process uses
  (finding on the file's line, each launch related);
* a launch that does **not** override a setting the other launches override, so it gets
  the file's value, which disagrees with theirs (finding on that launch).

Values are compared at the code defaults (no env file): `bind = os.getenv("GUNICORN_BIND",
"0.0.0.0:8080")` is `0.0.0.0:8080`; paths are taken relative to each launch's working
directory, the start script's at the deploy root.

## Why it matters
An operator who reads `pidfile = "/run/app/gunicorn.pid"` in `gunicorn.conf.py` looks there
for the pid while every real launch writes `--pid` elsewhere; a launch path that forgot the
option runs with a different pid file, bind or worker count than the others.

## Example
```python
# gunicorn.conf.py
pidfile = "/run/mes-dashboard/app.pid"        # every launch passes --pid
```
```ini
ExecStart=/opt/conda/bin/gunicorn -c gunicorn.conf.py --pid /run/mes-dashboard/gunicorn.pid app:app
```
`meslint check fixtures/MES613/bad` reports (one line, wrapped here):
```text
gunicorn.conf.py:2:1: MES613 warning: gunicorn.conf.py sets pidfile = /run/mes-dashboard/app.pid, but
every launch that loads it passes --pid (/run/mes-dashboard/gunicorn.pid): the file's value is dead
configuration
```

## How to fix
Keep each setting in one place: drop it from the file when every launch passes the option, or
drop the option from the launches and let the file hold it; give a launch that lacks the option
the same value as the others.

## Options
The config module is the pack's `gunicorn_config`.  A setting that the pack models as a site
of a contract setting (`pidfile` and `bind` by default) is left to MES603/MES604 for the
units' launches; the start script's launches are checked here.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from meslint.argv import CommandInfo
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import Location, ModuleConstant, PythonModule
from meslint.findings import Finding, Related
from meslint.resolve import RUNTIME_SCRIPT_BARE, RUNTIME_SYSTEMD_BARE, RUNTIMES, gunicorn_config_module
from meslint.resolve_gunicorn import gunicorn_option_of
from meslint.systemd_semantics import working_directory
from meslint.template import CHECKOUT_ROOT, evaluate, normalize_path

RULE = Rule("MES613", "gunicorn-config-overridden", Gate.RUNTIME_CONTRACT, Severity.WARNING)

# The config-file settings compared (their options: resolve_gunicorn.gunicorn_option_of).
_WATCHED = frozenset({"pidfile", "bind", "workers", "threads", "timeout", "graceful_timeout"})
_PATHS = frozenset({"pidfile"})


@dataclass(frozen=True, eq=False)
class _Launch:
    owner: str  # unit or script path
    location: Location
    info: CommandInfo
    cwd: str  # absolute working directory (the deploy root for the start script)
    unit: bool


def _launches(ctx: CheckContext, module: PythonModule) -> list[_Launch]:
    """One launch per command that loads ``module``, taken from its code-defaults runtime when it has one."""
    root = ctx.pack.deploy_root.rstrip("/") or "/"
    chosen: dict[tuple[str, Location], tuple[int, _Launch]] = {}
    for runtime, owner, info, location in ctx.resolution.commands:
        if info.program != "gunicorn":
            continue
        unit = ctx.repo.unit(owner)
        if unit is not None:
            cwd = working_directory(unit).path
            if cwd is None or gunicorn_config_module(ctx.repo, ctx.pack, info, cwd) is not module:
                continue
        else:
            cwd = root
            config = (info.options.get("config") or "gunicorn.conf.py").replace(CHECKOUT_ROOT, root)
            if normalize_path(config, root) != posixpath.join(root, module.path):
                continue
        # the code-defaults runtimes first: the file's value is compared at its own defaults
        rank = 0 if runtime in (RUNTIME_SYSTEMD_BARE, RUNTIME_SCRIPT_BARE) else 1 + RUNTIMES.index(runtime)
        key = (owner, location)
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, _Launch(owner, location, info, cwd, unit is not None))
    return [launch for _, launch in sorted(chosen.values(), key=lambda item: item[1].location)]


def _value(name: str, raw: str | None, cwd: str, root: str) -> str | None:
    if raw is None or "$" in raw:
        return None
    raw = raw.replace(CHECKOUT_ROOT, root).strip()
    if name in _PATHS:
        return normalize_path(raw, cwd)
    try:
        return str(int(float(raw))) if name != "bind" else raw
    except ValueError:
        return raw


def _file_value(constant: ModuleConstant, cwd: str, root: str) -> str | None:
    if constant.value is None or isinstance(constant.value, bool):
        return None
    if not isinstance(constant.value, str):
        return _value(constant.name, str(constant.value), cwd, root)
    return _value(constant.name, evaluate(constant.value, {}, root).value, cwd, root)


def _canonical(ctx: CheckContext, name: str, root: str) -> str | None:
    """The contract's value of the setting this constant is a site of (its ``canonical``), if the pack gives one."""
    for setting in ctx.pack.settings:
        if setting.canonical and any(site.gunicorn == name for site in setting.site_specs()):
            return _value(name, setting.canonical, root, root)
    return None


def _modelled(ctx: CheckContext, name: str) -> bool:
    """Whether a contract setting's sites include this config constant (MES603/MES604 compare it for units)."""
    return any(site.gunicorn == name for setting in ctx.pack.settings for site in setting.site_specs())


def check(ctx: CheckContext) -> Iterator[Finding]:
    path = ctx.pack.gunicorn_config
    module = ctx.repo.module(path) if path else None
    if module is None:
        return
    launches = _launches(ctx, module)
    if not launches:
        return
    root = ctx.pack.deploy_root.rstrip("/") or "/"
    constants = {c.name: c for c in module.constants if c.name in _WATCHED}
    for name, constant in sorted(constants.items(), key=lambda item: item[1].location):
        option = gunicorn_option_of(name)
        passing = [launch for launch in launches if option in launch.info.options]
        if not passing:
            continue
        passed = {launch: _value(name, launch.info.options.get(option), launch.cwd, root) for launch in passing}
        known = {v for v in passed.values() if v is not None}
        if len(passing) == len(launches):
            mine = {_file_value(constant, launch.cwd, root) for launch in launches}
            contract = _canonical(ctx, name, root)
            if None in mine or not known or (mine & ({contract} if contract else known)):
                continue  # the file agrees with the contract (or, without one, with what the launches pass)
            shown = ", ".join(sorted(known))
            related = [Related(launch.location, f"{launch.owner} passes --{option} {passed[launch] or '?'}")
                       for launch in passing]
            yield RULE.finding(
                f"{module.path} sets {name} = {' / '.join(sorted(v for v in mine if v))}, but every launch that "
                f"loads it passes --{option} ({shown}): the file's value is dead configuration",
                constant.location, related, subject=f"{module.path}:{name}")
            continue
        if len(known) != 1:
            continue  # the launches that pass it disagree among themselves: MES603/MES604's matter
        theirs = next(iter(known))
        for launch in launches:
            if launch in passing or (launch.unit and _modelled(ctx, name)):
                continue
            mine_value = _file_value(constant, launch.cwd, root)
            if mine_value is None or mine_value == theirs:
                continue
            related = [Related(constant.location, f"{name} = {mine_value} (what this launch gets)")]
            related += [Related(other.location, f"{other.owner} passes --{option} {theirs}") for other in passing]
            yield RULE.finding(
                f"{launch.owner} starts gunicorn without --{option}, so it takes {name} = {mine_value} from "
                f"{module.path}:{constant.location.line}; the other launches pass --{option} {theirs}",
                launch.location, related, subject=f"{launch.owner}:{name}")
