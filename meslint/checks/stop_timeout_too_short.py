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

In the container runtime (pack `container:`), each gunicorn a supervisord program runs is
checked against the program's `stopwaitsecs` (supervisord's default 10 s; skipped when its
`stopsignal` is not TERM, since gunicorn then stops at once), and against the compose service's
`stop_grace_period` (docker's default 10 s): `docker stop` sends SIGKILL to the whole container
when that runs out.  The graceful timeout is evaluated in the program's environment (image
`ENV`, `env_file`, `environment`, `environment=`).

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
Raise `TimeoutStopSec=` (or supervisord's `stopwaitsecs=`, compose's `stop_grace_period:`) above
gunicorn's graceful timeout (a few seconds of margin for the master to reap its workers).

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
from meslint.facts import EnvFile, Location, PythonModule, UnitFile
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
    module = ctx.repo.module(pack.gunicorn_config) if pack.gunicorn_config else None
    found = config_graceful_timeout(module, env, pack.deploy_root)
    found = found and _from_cmd_args(env, found, Location(unit.path))
    for command in unit.exec_commands:
        if command.key != "ExecStart":
            continue
        for run in invocations(command, env, pack.deploy_root):
            if run.info.program == "gunicorn":
                found = found and _from_args(run.info.args, found, command.location, "the ExecStart command line")
    return found


Graceful = tuple[float, str, list[Related]]


def config_graceful_timeout(module: PythonModule | None, env: dict[str, Binding], root: str) -> Graceful | None:
    """From weakest: gunicorn's built-in 30 s, then ``graceful_timeout`` of the config module in ``env``."""
    seconds, how, related = GUNICORN_DEFAULT_GRACEFUL, "gunicorn's built-in default 30s", []
    constant = next((c for c in reversed(module.constants) if c.name == "graceful_timeout"), None) if module else None
    if module is not None and constant is not None:
        raw = constant.value if isinstance(constant.value, str) else str(constant.value)
        evaluated = evaluate(raw, env, root)
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
    return seconds, how, related


def _from_cmd_args(env: dict[str, Binding], found: Graceful, where: Location) -> Graceful | None:
    """``GUNICORN_CMD_ARGS --graceful-timeout`` over the config module."""
    cmd_args = env.get("GUNICORN_CMD_ARGS")
    option = _graceful_from_args(cmd_args.value.split()) if cmd_args is not None else None
    if cmd_args is None or option is None:
        return found
    number = _number(option)
    if number is None:
        return None
    return number, f"GUNICORN_CMD_ARGS --graceful-timeout {option}", found[2] + [
        Related(cmd_args.location or where, f"GUNICORN_CMD_ARGS sets --graceful-timeout {option}")]


def _from_args(args: tuple[str, ...], found: Graceful, where: Location, shown: str) -> Graceful | None:
    """``--graceful-timeout`` on gunicorn's own command line, the strongest."""
    option = _graceful_from_args(args)
    if option is None:
        return found
    number = _number(option)
    if number is None:
        return None
    return number, f"--graceful-timeout {option} on {shown}", found[2] + [
        Related(where, f"gunicorn --graceful-timeout {option}")]


def process_graceful_timeout(module: PythonModule | None, env: dict[str, Binding], args: tuple[str, ...],
                             root: str, where: Location, shown: str) -> Graceful | None:
    """The graceful timeout of a gunicorn started elsewhere than a unit (a supervisord program)."""
    found = config_graceful_timeout(module, env, root)
    found = found and _from_cmd_args(env, found, where)
    return found and _from_args(args, found, where, shown)


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
    yield from _container(ctx)


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


# --------------------------------------------------------------------------- container runtime


def _container(ctx: CheckContext) -> Iterator[Finding]:
    """supervisord's ``stopwaitsecs`` and compose's ``stop_grace_period`` against a container's gunicorn.

    ``docker stop`` sends SIGTERM to the container's first process and SIGKILL after the stop
    grace period (compose ``stop_grace_period``, default 10 s).  supervisord, on SIGTERM, sends
    each program its ``stopsignal`` (default TERM) and SIGKILL after ``stopwaitsecs`` (default
    10 s).  gunicorn drains on TERM for its graceful timeout; with ``stopsignal=QUIT``/``INT`` it
    stops at once and the timeouts do not matter.
    """
    from meslint.container_runtime import DOCKER_DEFAULT_STOP_GRACE, SUPERVISORD_DEFAULT_STOPWAITSECS, container_runs
    from meslint.container_runtime_sites import gunicorn_config_of, process_owner

    reported: set[Location] = set()
    for run in container_runs(ctx.repo, ctx.pack):
        root = run.root or run.stage.workdir
        for process in run.processes:
            if process.info.program != "gunicorn":
                continue
            section = process.section
            signal = section.get("stopsignal") if section is not None else None
            if signal is not None and signal.value.upper().removeprefix("SIG") not in {"TERM", ""}:
                continue
            owner = process_owner(run, process)
            graceful = process_graceful_timeout(gunicorn_config_of(ctx.repo, run, process), process.env,
                                                process.info.args, root, process.location, "its command line")
            if graceful is None:
                continue
            seconds, how, related = graceful
            if section is not None:
                setting = section.get("stopwaitsecs")
                wait = _number(setting.value) if setting is not None else SUPERVISORD_DEFAULT_STOPWAITSECS
                where = setting.location if setting is not None else section.location
                stated = (f"stopwaitsecs={setting.value}" if setting is not None
                          else f"no stopwaitsecs: supervisord's default {SUPERVISORD_DEFAULT_STOPWAITSECS:g}s")
                if wait is not None and wait < seconds and where not in reported:
                    reported.add(where)
                    yield RULE.finding(
                        f"{process.location.path} [program:{section.name}] stops after {_fmt(wait)} ({stated}), "
                        f"shorter than gunicorn's graceful timeout {_fmt(seconds)} in {run.name} ({how}); "
                        f"supervisord sends SIGKILL before gunicorn finishes draining requests",
                        where, related=related, subject=f"[program:{section.name}] stopwaitsecs")
            grace, grace_how, grace_location = run.stop_grace()
            if grace < seconds and grace_location is not None and grace_location not in reported:
                reported.add(grace_location)
                default = grace_how.startswith("no ") and grace == DOCKER_DEFAULT_STOP_GRACE
                yield RULE.finding(
                    f"{run.name} stops after {_fmt(grace)} ({grace_how}), shorter than gunicorn's graceful timeout "
                    f"{_fmt(seconds)} ({how}) of {owner}; docker sends SIGKILL to the container before gunicorn "
                    f"finishes draining requests" + ("; set stop_grace_period" if default else ""),
                    grace_location, related=related,
                    subject=f"{run.service.name if run.service else run.name} stop_grace_period")
