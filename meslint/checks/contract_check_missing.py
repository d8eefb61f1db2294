"""The start script has no `check` command running the contract validation, or enforcement is off.

## What it does
Looks for the start script's (pack `start_script.path`) case arm for the check command
(`start_script.check_command`, e.g. `check)`): the arm bash runs for it, the first that
matches in the `case` on the script's first argument (a catch-all `*)` is no check
command).  It follows what that arm runs through the script's functions, transitively
(`time f` runs the function `f`; `exec f`, `command f`, `env f` do not).  The arm must reach the runtime contract
validation: a heredoc whose embedded Python mentions `start_script.check_runs` (e.g.
`python - <<'PY' ... build_runtime_contract_diagnostics ... PY`), or a python command
that mentions it or runs the contract module.  That validation must honour the enforce
variable (`start_script.enforce_variable`): the embedded Python, the contract module
it runs, or the script on the way reads it.  The validation must also be able to fail
the command: embedded Python that keeps the validation's result (`diag = ...(...)`) and
then neither raises nor exits (`SystemExit`, `sys.exit`, `raise`, `assert`) is reported,
and so is a failure lost on its way to the script's exit status (`meslint.status_flow`):
`|| true` (or `|| exit 0`), a later command of the same body that runs before anything
tests `$?` when `set -e` is off (an `exit 0` after the dispatch included), a pipeline
without `pipefail`, a subshell whose status a later command decides, a background job,
or an `if` around it in a function that never returns or exits non-zero.  Separately,
every place that turns enforcement off is reported: the env template line, a contract unit's `Environment=`,
a start-script assignment (or `${VAR:-default}` default), or, in the container runtime, the image `ENV`,
compose `env_file`/`environment` or supervisord `environment=` value that wins for a container process
(docker's precedence), setting the enforce variable to `0`, `false`, `no`, `off` or an empty value.

## Why it matters
Gate 6 says `RUNTIME_CONTRACT_ENFORCE=true ./scripts/start_server.sh check` validates the
runtime contract before a cutover.  A missing arm fails the runbook; an arm that does not
reach the validation, or a validation that ignores the enforce flag, passes while the
contract is broken; a template or unit that sets the flag to `false` switches the guard
off in every deployment made from it.

## Example
```bash
case "$1" in
    start) do_start ;;
    check) echo "ok" ;;   # never runs build_runtime_contract_diagnostics
esac
```
```ini
# .env.example
RUNTIME_CONTRACT_ENFORCE=false
```

## How to fix
Add a `check` subcommand to the start script that runs the runtime contract validation and exits
non-zero when it fails (`raise SystemExit(1)` in the embedded Python; `|| return 1` or `set -e` on the
way, nothing after the dispatch); keep `RUNTIME_CONTRACT_ENFORCE=true` in the templates.

## Options
`start_script.check_command`, `start_script.check_runs` and
`start_script.enforce_variable` in the contract pack.  A failure tested by `if` counts as
handed on when its function has a non-zero `return`/`exit` after it (which branch runs is
not modelled); a `$?` test or `status=$?` counts as handled.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.argv import analyze
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.checks.contract_check_container import container_enforcement_findings
from meslint.facts import Heredoc, Location, PythonModule, ShellCaseArm, ShellCommand, ShellScript
from meslint.findings import Finding, Related
from meslint.pack import StartScriptSpec
from meslint.script_flow import ScriptModel, script_model
from meslint.status_flow import StatusFlow
from meslint.template import evaluate

RULE = Rule("MES605", "contract-check-missing", Gate.RUNTIME_CONTRACT, Severity.ERROR)

FALSE_VALUES = frozenset({"0", "false", "no", "off", ""})
_PYTHONS = re.compile(r"python(\d+(\.\d+)?)?$")


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.start_script
    if spec is None:
        return
    script = ctx.repo.script(spec.path)
    if script is not None:
        yield from _check_command(ctx, spec, script)
    yield from _enforcement_off(ctx, spec.enforce_variable, script)
    yield from container_enforcement_findings(ctx, spec.enforce_variable, RULE, _off)


# --------------------------------------------------------------------------- the check arm


def _arms(model: ScriptModel, command: str) -> list[ShellCaseArm]:
    """The arms ``script COMMAND`` runs, leaving out a catch-all ``*)``: that is no such command."""
    return [arm for arm in model.arms_for(command) if any(p != "*" for p in arm.patterns)]


def _module_name(path: str) -> str:
    dotted = path[:-3] if path.endswith(".py") else path
    if dotted.startswith("src/"):
        dotted = dotted[4:]
    return dotted.replace("/", ".")


# (location, text that runs, python module facts or None, the heredoc or command) of one contract validation
_Validation = tuple[Location, str, PythonModule | None, Heredoc | ShellCommand]


def _validations(ctx: CheckContext, needle: str, commands: list[ShellCommand],
                 heredocs: list[Heredoc]) -> list[_Validation]:
    """Each contract validation reached: a python heredoc or command that runs ``needle`` or the contract module."""
    contract = ctx.pack.contract_module
    found: list[_Validation] = []
    for heredoc in heredocs:
        runs_python = heredoc.python is not None or any(_PYTHONS.search(w.rsplit("/", 1)[-1] or "")
                                                        for w in heredoc.command[:2])
        if runs_python and needle and needle in heredoc.body:
            found.append((heredoc.body_location, heredoc.body, heredoc.python, heredoc))
    for command in commands:
        info = analyze(command.argv)
        if not _PYTHONS.match(info.program or ""):
            continue
        text = " ".join(command.argv)
        module = None
        if contract and (_module_name(contract) in info.args or info.script == contract):
            module = ctx.repo.module(contract)
        if (needle and needle in text) or module is not None:
            found.append((command.location, text, module, command))
    return found


def _check_command(ctx: CheckContext, spec: StartScriptSpec, script: ShellScript) -> Iterator[Finding]:
    model = script_model(script, ctx.pack.env_file.script_relative, ctx.shared)
    arms = _arms(model, spec.check_command)
    if not arms:
        top = Location(script.path, 1, 1)
        yield RULE.finding(f"{script.path} has no '{spec.check_command}' command: no case arm "
                           f"'{spec.check_command})' runs the runtime contract validation "
                           f"({spec.check_runs or 'the contract module'})", top,
                           subject=f"{script.path} {spec.check_command}")
        return
    enforce = spec.enforce_variable
    reached_any = []
    for arm in arms:
        reach = model.reach(arm)
        commands, functions = reach.commands, reach.functions
        validations = _validations(ctx, spec.check_runs, commands, reach.heredocs)
        if not validations:
            continue
        reached_any.append(arm)
        honoured = _honours(enforce, commands, validations)
        if honoured:
            yield from _failure_lost(model, spec, arm, validations)
            return
        location, _text, _module, _site = validations[0]
        via = " -> ".join([f"{spec.check_command})"] + functions) if functions else f"{spec.check_command})"
        yield RULE.finding(
            f"the '{spec.check_command}' command of {script.path} runs the contract validation ({via}) but nothing "
            f"on the way reads {enforce}: `{enforce}=true` cannot switch strict validation on",
            location, [Related(arm.location, f"the '{spec.check_command}' case arm")],
            subject=f"{script.path} {spec.check_command} {enforce}")
        return
    arm = arms[0]
    functions = model.reach(arm).functions
    via = ", ".join(functions) if functions else "nothing else"
    yield RULE.finding(
        f"the '{spec.check_command}' command of {script.path} does not run the runtime contract validation: "
        f"its arm calls {via}, and none of it runs {spec.check_runs or ctx.pack.contract_module}",
        arm.location, subject=f"{script.path} {spec.check_command}")


def _honours(enforce: str, commands: list[ShellCommand], validations: list[_Validation]) -> bool:
    pattern = re.compile(r"\$\{?" + re.escape(enforce) + r"\b")
    for _location, text, module, _site in validations:
        if enforce in text:
            return True
        if module is not None and any(read.name == enforce for read in module.env_reads):
            return True
    for command in commands:
        if any(name == enforce for name, _ in command.env_prefix):
            return True
        if any(pattern.search(word) or word.startswith(enforce + "=") for word in command.argv):
            return True
    return False


# --------------------------------------------------------------------------- a check that can fail

# What ends embedded Python with a failure: an exception or a non-zero exit.
_PY_FAILS = re.compile(r"\b(SystemExit|sys\.exit|os\._exit|exit\(|quit\(|raise|assert)\b")


def _cannot_fail(body: str, needle: str) -> bool:
    """Embedded Python that keeps the validation's result and neither raises nor exits on it.

    A bare call (``build_diagnostics(strict=True)``) may raise inside the function it calls, which
    fails the process: only a result bound to a name and then never acted on is a check that cannot fail.
    """
    if not needle or _PY_FAILS.search(body):
        return False
    return re.search(rf"^\s*[\w.]+\s*(?::[^=\n]+)?=\s*[\w.]*\b{re.escape(needle)}\s*\(", body, re.M) is not None


def _site_command(model: ScriptModel, site: Heredoc | ShellCommand) -> ShellCommand | None:
    """The command that runs a validation (for a heredoc: the command reading it)."""
    if isinstance(site, ShellCommand):
        return site
    candidates = [c for c in model.commands(site.function)
                  if c.argv == site.command and c.location.line < site.body_location.line]
    return max(candidates, key=lambda c: c.location, default=None)


def _failure_lost(model: ScriptModel, spec: StartScriptSpec, arm: ShellCaseArm,
                  validations: list[_Validation]) -> Iterator[Finding]:
    """The validation cannot fail, or its failure does not reach the script's exit status."""
    script = model.script
    flow = StatusFlow(model, arm)
    arm_site = Related(arm.location, f"the '{spec.check_command}' case arm")
    for location, text, _module, site in validations:
        command = _site_command(model, site)
        if isinstance(site, Heredoc) and _cannot_fail(site.body, spec.check_runs):
            where = command.location if command is not None else location
            yield RULE.finding(
                f"the contract validation run by '{spec.check_command}' in {script.path} never fails: the embedded "
                f"Python neither raises nor exits non-zero, so `{script.path} {spec.check_command}` exits 0 on a "
                f"broken contract", where, [arm_site], subject=f"{script.path} {spec.check_command} cannot-fail")
            return
        if command is None:
            continue
        lost = flow.swallowed(command)
        if lost is None:
            return  # this validation's failure reaches the exit status
        yield RULE.finding(
            f"the contract validation's failure does not reach the exit status of `{script.path} "
            f"{spec.check_command}`: after `{' '.join(lost.command.argv)[:60]}`, {lost.reason}",
            lost.command.location,
            [Related(location, f"the contract validation ({text.strip().splitlines()[0][:60]})"), arm_site],
            subject=f"{script.path} {spec.check_command} exit-status")
        return


# --------------------------------------------------------------------------- enforcement off


def _off(value: str | None) -> bool:
    return value is not None and value.strip().lower() in FALSE_VALUES


def _enforcement_off(ctx: CheckContext, enforce: str, script: ShellScript | None) -> Iterator[Finding]:
    template = ctx.repo.env_file(ctx.pack.env_file.template)
    if template is not None:
        for assignment in template.assignments:
            if assignment.name != enforce:
                continue
            readers = {"systemd": assignment.systemd, "bash": assignment.bash, "python-dotenv": assignment.dotenv}
            off = [who for who, value in readers.items() if _off(value)]
            if off:
                value = next(v for v in readers.values() if _off(v))
                yield RULE.finding(
                    f"{template.path} sets {enforce}={value!r}: every deployment made from the template runs "
                    f"with runtime contract enforcement off (read as off by {', '.join(off)})",
                    assignment.location, subject=f"{template.path} {enforce}")
    for unit in ctx.repo.units:
        if ctx.pack.unit_spec(unit.path) is None:
            continue
        for setting in unit.environment:
            if setting.name == enforce and _off(setting.value):
                yield RULE.finding(
                    f"{unit.path} sets Environment={enforce}={setting.value!r}: the unit turns runtime "
                    f"contract enforcement off", setting.location, subject=f"{unit.name} {enforce}")
    if script is None:
        return
    for shell_assignment in script.assignments:
        if shell_assignment.name != enforce or shell_assignment.declared_only:
            continue
        value = evaluate(shell_assignment.value, {}, "@ROOT").value
        if value and _off(value):  # an empty default leaves the code default in charge
            kind = "defaults" if "$" in shell_assignment.value else "sets"
            yield RULE.finding(
                f"{script.path} {kind} {enforce} to {value!r} ({enforce}={shell_assignment.value}): the start "
                f"script turns runtime contract enforcement off", shell_assignment.location,
                subject=f"{script.path} {enforce}")
    for command in script.commands:
        for name, value in command.env_prefix:
            if name == enforce and value and _off(evaluate(value, {}, "@ROOT").value):
                yield RULE.finding(
                    f"{script.path} runs {command.argv[0] if command.argv else 'a command'} with {enforce}={value!r}: "
                    f"runtime contract enforcement is off for it", command.location,
                    subject=f"{script.path} {enforce}")
