"""The app unit's TimeoutStopSec= is shorter than gunicorn's graceful timeout.

## What it does
Compares the stop timeout of the app unit (pack role `app`) with gunicorn's effective
`graceful_timeout`.  The stop timeout is the last valid `TimeoutStopSec=` or
`TimeoutSec=` (which sets both), parsed as a systemd time span (systemd.time(7):
`90`, `1min 30s`, `2m`, `1.5h`, `infinity`; `0` also disables the timeout); without
one, systemd's `DefaultTimeoutStopSec=90s` applies.  gunicorn's value is, from
weakest to strongest: its built-in default (30 s), `graceful_timeout` in the pack's
gunicorn config module (an `os.getenv("X", "120")` default is overridden by the unit's
`Environment=` and, after it, the deployed env file), `--graceful-timeout` in
`GUNICORN_CMD_ARGS`, and `--graceful-timeout` on the ExecStart command line.  Both
systemd runtimes are checked: with the deployed env file and without it.

## Why it matters
On `systemctl stop`/`restart` gunicorn waits up to `graceful_timeout` for in-flight
requests.  When systemd's stop timeout is shorter, systemd sends SIGKILL first: long
requests are cut off and the restart workflow the watchdog relies on is not graceful.

## Example
```ini
# deploy/mes-dashboard.service
TimeoutStopSec=30
```
```python
# gunicorn.conf.py
graceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "120"))
```
systemd kills gunicorn after 30 s while it may still be draining for 120 s.

## How to fix
Raise `TimeoutStopSec=` above gunicorn's graceful timeout (a few seconds of margin for the master to
reap its workers).

`meslint check --unsafe-fixes` sets `TimeoutStopSec=` to the longest graceful timeout reported plus
a margin of 15 seconds (`TimeoutStopSec=30` with a 300 s graceful timeout becomes
`TimeoutStopSec=315`).  It edits the `TimeoutStopSec=` that decides, adds one after a deciding
`TimeoutSec=` (which also sets the start timeout, left as it is), or adds one at the end of the
unit's `[Service]` section when none is set.  The fix is unsafe: it changes how long systemd waits.

## Options
The app unit comes from the pack's `units` (role `app`), the config module from
`gunicorn_config`.  A graceful timeout that is not a static integer is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.autofix.unit_directive import add_after, last_in_section, set_value
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.edits import UNSAFE, Fix
from meslint.facts import EnvFile, Location, UnitFile
from meslint.findings import Finding, Related
from meslint.pack import ContractPack
from meslint.systemd_semantics import INFINITY, invocations, stop_timeout
from meslint.template import Binding, evaluate

RULE = Rule("MES610", "stop-timeout-too-short", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.UNSAFE)

GUNICORN_DEFAULT_GRACEFUL = 30.0


def _fmt(seconds: float) -> str:
    if seconds == INFINITY:
        return "infinity"
    return f"{seconds:g}s"


def _graceful_from_args(argv: tuple[str, ...] | list[str]) -> str | None:
    found = None
    for index, word in enumerate(argv):
        if word == "--graceful-timeout" and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith("--graceful-timeout="):
            found = word.split("=", 1)[1]
    return found


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(int(value.strip()))
    except ValueError:
        return None


def graceful_timeout(ctx: CheckContext, unit: UnitFile, env: dict[str, Binding]
                     ) -> tuple[float, str, list[Related]] | None:
    """gunicorn's effective graceful timeout for a unit's gunicorn, or None if not statically known."""
    pack: ContractPack = ctx.pack
    seconds, how, related = GUNICORN_DEFAULT_GRACEFUL, "gunicorn's built-in default 30s", []
    module = ctx.repo.module(pack.gunicorn_config) if pack.gunicorn_config else None
    if module is not None:
        constant = next((c for c in reversed(module.constants) if c.name == "graceful_timeout"), None)
        if constant is not None:
            raw = constant.value if isinstance(constant.value, str) else str(constant.value)
            evaluated = evaluate(raw, env, pack.deploy_root)
            value = _number(evaluated.value)
            if value is None:
                return None
            seconds = value
            how = f"code default in {module.path}:{constant.location.line}"
            related.append(Related(constant.location, f"graceful_timeout = {raw}, evaluates to {evaluated.value}"))
            for name, binding in evaluated.used:
                if binding is not None and binding.location is not None:
                    how = f"{name}={binding.value} from {binding.origin}"
                    related.append(Related(binding.location, f"{name}={binding.value} ({binding.origin})"))
    cmd_args = env.get("GUNICORN_CMD_ARGS")
    if cmd_args is not None:
        option = _graceful_from_args(cmd_args.value.split())
        if option is not None:
            number = _number(option)
            if number is None:
                return None
            seconds, how = number, f"GUNICORN_CMD_ARGS --graceful-timeout {option}"
            related.append(Related(cmd_args.location or Location(unit.path),
                                   f"GUNICORN_CMD_ARGS sets --graceful-timeout {option}"))
    for command in unit.exec_commands:
        if command.key != "ExecStart":
            continue
        for run in invocations(command, env, pack.deploy_root):
            if run.info.program != "gunicorn":
                continue
            option = _graceful_from_args(run.info.args)
            if option is not None:
                number = _number(option)
                if number is None:
                    return None
                seconds, how = number, f"--graceful-timeout {option} on the ExecStart command line"
                related.append(Related(command.location, f"gunicorn --graceful-timeout {option}"))
    return seconds, how, related


def _runs_gunicorn(unit: UnitFile) -> bool:
    for command in unit.exec_commands:
        if command.key == "ExecStart" and any("gunicorn" in word for word in command.argv):
            return True
    return False


def check(ctx: CheckContext) -> Iterator[Finding]:
    from meslint.provisioning import template_fills
    from meslint.resolve import unit_environment

    template: EnvFile | None = ctx.repo.env_file(ctx.pack.env_file.template)
    for unit in ctx.repo.units:
        spec = ctx.pack.unit_spec(unit.path)
        if spec is None or spec.role != "app" or not _runs_gunicorn(unit):
            continue
        stop, stop_how, stop_location = stop_timeout(unit)
        if stop == INFINITY:
            continue
        short: list[tuple[str, float, str, list[Related]]] = []
        for label, env_file in (("with the deployed env file", template), ("without the env file", None)):
            if label.startswith("with ") and template is None:
                continue
            env = unit_environment(unit, ctx.pack, env_file, template_fills(ctx.repo, ctx.pack))
            graceful = graceful_timeout(ctx, unit, env)
            if graceful is None:
                continue
            seconds, how, related = graceful
            if stop < seconds:
                short.append((label, seconds, how, related))
        if not short:
            continue
        parts = [f"{_fmt(seconds)} {label} ({how})" for label, seconds, how, _ in short]
        message = (f"{unit.path} stops after {_fmt(stop)} ({stop_how}), shorter than gunicorn's graceful timeout: "
                   f"{'; '.join(parts)}; systemd sends SIGKILL before gunicorn finishes draining requests")
        related = short[0][3]
        location = stop_location or _exec_location(unit)
        unique: list[Related] = []
        for item in related + [r for extra in short[1:] for r in extra[3]]:
            if item not in unique:
                unique.append(item)
        longest = max(seconds for _, seconds, _, _ in short)
        yield RULE.finding(message, location, related=unique, subject=f"{unit.name} TimeoutStopSec",
                           fix=_fix(unit, longest))


STOP_MARGIN = 15  # seconds on top of the graceful timeout: the master reaps its workers, then exits


def _fix(unit: UnitFile, graceful: float) -> Fix | None:
    """TimeoutStopSec= set to the graceful timeout plus :data:`STOP_MARGIN` (see ## How to fix)."""
    value = str(int(graceful) + STOP_MARGIN)
    deciding = None
    for setting in unit.settings:
        if setting.section == "Service" and setting.key in ("TimeoutStopSec", "TimeoutSec"):
            deciding = setting
    if deciding is not None and "\n" not in deciding.value and deciding.location.line == deciding.location.end_line:
        edit = set_value(deciding, value) if deciding.key == "TimeoutStopSec" else add_after(deciding, "TimeoutStopSec",
                                                                                            value)
    else:
        last = last_in_section(unit, "Service") if deciding is None else None
        if last is None:
            return None
        edit = add_after(last, "TimeoutStopSec", value)
    return Fix(UNSAFE, f"set TimeoutStopSec={value} (graceful timeout {_fmt(graceful)} + {STOP_MARGIN}s)", (edit,))


def _exec_location(unit: UnitFile) -> Location:
    for command in unit.exec_commands:
        if command.key == "ExecStart":
            return command.location
    return Location(unit.path)
