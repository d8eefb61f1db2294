"""Workers started by the start script and worker units in deploy/ do not correspond one to one.

## What it does
Collects the RQ workers the start script launches (`rq worker QUEUE ...` commands, in any
function) and the worker units of the contract (pack role `worker` whose `ExecStart=`
runs `rq worker`, also through `bash -c` and `conda run`).  For each worker it takes
the queue names (after systemd substitution and, inside `bash -c`, bash `${VAR:-default}`
expansion -- without a shell systemd hands `${VAR:-default}` to rq literally -- with and
without the env file) and the environment variable that names the queue (followed
through the script's assignment chain, e.g. `RQ_MSD_WORKER_QUEUE="${MSD_WORKER_QUEUE:-msd-analysis}"`
→ `MSD_WORKER_QUEUE`).  It reports a queue the script serves that no worker unit serves
(at the script command), a queue a worker unit serves that the script does not (at the
unit's `ExecStart=`), and a queue both serve under different environment variable names.
In the container runtime, the queues served by supervisord programs or the container command
(`rq worker`, or a Python module with a table of `(NAME_QUEUE, default)` settings, as a pool
manager spawning one worker per row keeps them) must include every queue the units or the
start script serve.

## Why it matters
The start script and systemd are two ways to run the same deployment.  A queue served by
only one of them has no worker in the other mode: jobs pile up in Redis and requests
that wait for them time out.  Different variable names for one queue mean that changing
the queue in `.env` moves only one side.

## Example
```bash
# scripts/start_server.sh
rq worker "${RQ_REJECT_WORKER_QUEUE:-reject-query}" --url "$REDIS_URL"
```
```ini
# deploy/mes-dashboard-reject-worker.service
ExecStart=/usr/bin/env bash -lc 'exec rq worker "${REJECT_WORKER_QUEUE:-reject-query}"'
```
Same queue, two variable names: `REJECT_WORKER_QUEUE=x` in `.env` moves the unit only.

## How to fix
Add a unit for each worker the start script starts (same queues, same runtime), or stop starting the
worker the units do not know.

`meslint check --unsafe-fixes` writes the missing unit for a queue the start script serves: a copy
of the closest sibling worker unit (most alike queue name) beside it, with the sibling's queue
variable, queue default and name swapped for the new queue's (`mes-dashboard-export-worker.service`
serving `EXPORT_WORKER_QUEUE`/`export-query` gives `mes-dashboard-trace-events-worker.service`
serving `TRACE_WORKER_QUEUE`/`trace-events`).  A queue only a unit serves, or one named by two
variables, is left to you.  The fix is unsafe: installing the unit starts a worker under systemd.

## Options
Worker units are the pack's `units` with role `worker`; the start script is
`start_script.path`.  Workers whose queue is not statically known are skipped.  The
container runtime (pack `container:`) is checked when its files are listed there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from meslint.argv import queue_words
from meslint.autofix.worker_unit import missing_unit
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.facts import Location, ShellScript, UnitFile
from meslint.findings import Finding, Related
from meslint.systemd_semantics import invocations
from meslint.template import CHECKOUT_ROOT, Binding, evaluate

RULE = Rule("MES609", "worker-parity", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.UNSAFE)


@dataclass
class Worker:
    side: str  # "script" | "unit"
    owner: str  # script path or unit path
    location: Location
    queues: dict[str, dict[str, str | None]] = field(default_factory=dict)  # runtime -> queue -> env var


def _env_var(template: str, chain: dict[str, str]) -> str | None:
    from meslint.resolve import whole_expansion_of

    name = whole_expansion_of(template)
    seen = set()
    while name is not None and name in chain and name not in seen:
        seen.add(name)
        nxt = whole_expansion_of(chain[name])
        if nxt is None or nxt == name:
            break
        name = nxt
    return name


def _script_workers(ctx: CheckContext, script: ShellScript, template) -> list[Worker]:
    from meslint.resolve import RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE

    # The resolution has already walked the start script with and without the env file.
    walked = ctx.resolution.script_environments
    environments = {
        "with .env": walked[RUNTIME_SCRIPT].final if template is not None else None,
        "without .env": walked[RUNTIME_SCRIPT_BARE].final,
    }
    chain: dict[str, str] = {}
    for assignment in sorted(script.assignments, key=lambda a: (a.function is not None, a.location)):
        if not assignment.local and not assignment.declared_only:
            chain.setdefault(assignment.name, assignment.value)
    # The resolution has analysed every command of the script in both runtimes: only those it saw
    # start `rq worker` can name queues, and only they need their words evaluated again.
    rq_workers = {location for _runtime, owner, info, location in ctx.resolution.commands
                  if owner == script.path and info.program == "rq" and info.args[:1] == ("worker",)}
    workers: list[Worker] = []
    for command in script.commands:
        if command.location not in rq_workers:
            continue
        worker = Worker("script", script.path, command.location)
        for runtime, env in environments.items():
            if env is None:
                continue
            values = tuple(evaluate(word, env, CHECKOUT_ROOT).value for word in command.argv)
            for raw, value in queue_words(command.argv, values):
                if value:
                    worker.queues.setdefault(runtime, {})[value] = _env_var(raw, chain)
        if worker.queues:
            workers.append(worker)
    return workers


def _unit_workers(ctx: CheckContext, unit: UnitFile, template) -> list[Worker]:
    from meslint.provisioning import template_fills
    from meslint.resolve import unit_environment

    workers = []
    for command in unit.exec_commands:
        if command.key != "ExecStart":
            continue
        worker = Worker("unit", unit.path, command.location)
        for runtime, env_file in (("with .env", template), ("without .env", None)):
            if runtime == "with .env" and template is None:
                continue
            env: dict[str, Binding] = unit_environment(unit, ctx.pack, env_file,
                                                        template_fills(ctx.repo, ctx.pack))
            for run in invocations(command, env, ctx.pack.deploy_root):
                for raw, value in queue_words(run.templates, run.values):
                    if value:
                        # Without a shell the words are final: a `${X:-d}` there is literal text.
                        worker.queues.setdefault(runtime, {})[value] = _env_var(raw, {}) if run.shell else None
        if worker.queues:
            workers.append(worker)
    return workers


def check(ctx: CheckContext) -> Iterator[Finding]:
    from meslint.checks.worker_parity_container import container_worker_findings

    template = ctx.repo.env_file(ctx.pack.env_file.template)
    unit_workers = []
    for unit in sorted(ctx.repo.units, key=lambda u: u.path):
        spec = ctx.pack.unit_spec(unit.path)
        if spec is not None and spec.role == "worker":
            unit_workers.extend(_unit_workers(ctx, unit, template))
    script = ctx.repo.script(ctx.pack.start_script.path) if ctx.pack.start_script else None
    script_workers = _script_workers(ctx, script, template) if script is not None else []
    if script is not None:
        yield from _script_and_units(ctx, script, template, script_workers, unit_workers)
    # The container must serve what the other runtimes serve (their first runtime: with the env file).
    served: dict[str, tuple[Location, str, str]] = {}
    for worker in unit_workers + script_workers:
        runtime = "with .env" if template is not None else "without .env"
        for queue, var in worker.queues.get(runtime, {}).items():
            served.setdefault(queue, (worker.location, worker.owner, var or ""))
    yield from container_worker_findings(ctx, RULE, served)


def _script_and_units(ctx: CheckContext, script: ShellScript, template, script_workers: list[Worker],
                      unit_workers: list[Worker]) -> Iterator[Finding]:
    if not script_workers and not unit_workers:
        return
    template_names = {a.name for a in template.assignments} if template is not None else set()
    reported: set[tuple] = set()
    for runtime in ("with .env", "without .env"):
        script_queues = _by_queue(script_workers, runtime)
        unit_queues = _by_queue(unit_workers, runtime)
        for queue, (worker, var) in script_queues.items():
            if queue not in unit_queues:
                key: tuple = ("no-unit", worker.location, queue)
                if key in reported:
                    continue
                reported.add(key)
                count = len({w.owner for w in unit_workers})
                yield RULE.finding(
                    f"{script.path} starts an RQ worker for queue '{queue}'{_var(var)} but none of the {count} worker "
                    f"unit(s) serves it; under systemd that queue has no worker",
                    worker.location, subject=f"queue {queue}",
                    fix=missing_unit(ctx.repo, queue, var, _single_queue(unit_workers, runtime)))
                continue
            unit_worker, unit_var = unit_queues[queue]
            if var and unit_var and var != unit_var:
                key = ("var", queue)
                if key in reported:
                    continue
                reported.add(key)
                # The outlier is the side whose variable the env template does not define.
                script_is_outlier = unit_var in template_names or var not in template_names
                primary, other = (worker, unit_worker) if script_is_outlier else (unit_worker, worker)
                pvar, ovar = (var, unit_var) if script_is_outlier else (unit_var, var)
                yield RULE.finding(
                    f"queue '{queue}' is named by {pvar} in {primary.owner} but by {ovar} in {other.owner}: "
                    f"setting {ovar} in the env file moves only {other.owner}'s worker"
                    + (f" ({ovar} is the name {ctx.pack.env_file.template} uses)" if ovar in template_names else ""),
                    primary.location, [Related(other.location, f"{other.owner} reads the queue from {ovar}")],
                    subject=f"queue {queue} variable")
        for queue, (worker, var) in unit_queues.items():
            if queue in script_queues:
                continue
            key = ("no-script", worker.location, queue)
            if key in reported:
                continue
            reported.add(key)
            yield RULE.finding(
                f"{worker.owner} serves queue '{queue}'{_var(var)} but {script.path} starts no worker for it; "
                f"under the start script that queue has no worker",
                worker.location, subject=f"queue {queue}")


def _single_queue(workers: list[Worker], runtime: str) -> list[tuple[str, str, str | None]]:
    """(unit path, queue, variable) of the worker units serving one queue: the copies MES609's fix
    may start from."""
    found = []
    for worker in workers:
        queues = worker.queues.get(runtime, {})
        if len(queues) == 1:
            (queue, var), = queues.items()
            found.append((worker.owner, queue, var))
    return found


def _var(var: str | None) -> str:
    return f" (from {var})" if var else ""


def _by_queue(workers: list[Worker], runtime: str) -> dict[str, tuple[Worker, str | None]]:
    found: dict[str, tuple[Worker, str | None]] = {}
    for worker in workers:
        for queue, var in worker.queues.get(runtime, {}).items():
            found.setdefault(queue, (worker, var))
    return found
