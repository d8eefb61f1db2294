"""MES609's container case: a queue the systemd units or the start script serve has no worker in a container.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.worker_parity` yields these findings.
A container process serves queues when it runs ``rq worker QUEUE...`` (a supervisord program or
the container command), or when it runs a Python module (``python -m pkg.mod``, mapped back
through the image's ``COPY`` lines) holding a table of settings whose names end in ``QUEUE`` or
``QUEUE_NAME`` (a pool manager that spawns one worker per row): each row serves the value of its
variable in the process's environment, else its default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.checks import CheckContext, Rule
from meslint.facts import Location
from meslint.findings import Finding, Related

_QUEUE_NAME = re.compile(r".*QUEUE(?:_NAME)?")


def container_queues(ctx: CheckContext) -> list[tuple[str, dict[str, tuple[Location, str]]]]:
    """Per container run that runs a worker: its name and queue -> (where it is served, how)."""
    from meslint.argv import queue_words
    from meslint.container_runtime import container_runs, module_file
    from meslint.container_runtime_sites import process_owner

    found = []
    for run in container_runs(ctx.repo, ctx.pack):
        queues: dict[str, tuple[Location, str]] = {}
        workers = False
        for process in run.processes:
            owner = process_owner(run, process)
            for _raw, value in queue_words(process.argv, process.argv):
                workers = True
                if value:
                    queues.setdefault(value, (process.location, f"rq worker in {owner}"))
            path = module_file(run, process)
            module = ctx.repo.module(path) if path else None
            rows = [row for row in module.env_tables if _QUEUE_NAME.fullmatch(row.name)] if module else []
            for row in rows:
                workers = True
                binding = process.env.get(row.name)
                queue = binding.value if binding is not None and binding.value else row.default
                how = f"the table {row.table} in {module.path} run by {owner}"  # type: ignore[union-attr]
                queues.setdefault(queue, (row.location, how))
        if workers:
            found.append((run.name, queues))
    return found


def container_worker_findings(ctx: CheckContext, rule: Rule, served: dict[str, tuple[Location, str, str]]
                              ) -> Iterator[Finding]:
    """``served``: queue -> (where, who, variable) of the systemd units' and the start script's workers.

    One finding per missing queue and container worker source (runs that share it, e.g. a dev
    and a production compose file building one image, are named together).
    """
    missing: dict[tuple[str, Location], tuple[str, list[str]]] = {}
    for run_name, queues in container_queues(ctx):
        if not queues:
            continue
        anchor, how = min(queues.values(), key=lambda item: item[0])
        for queue in served:
            if queue not in queues:
                missing.setdefault((queue, anchor), (f"{how}; {len(queues)} queue(s) there", []))[1].append(run_name)
    for (queue, anchor), (how, runs) in sorted(missing.items(), key=lambda item: (item[0][1], item[0][0])):
        location, owner, var = served[queue]
        yield rule.finding(
            f"{owner} serves queue '{queue}'" + (f" (from {var})" if var else "")
            + f" but no worker in the container serves it ({', '.join(runs)}: {how}); in the container that queue "
            f"has no worker", anchor, [Related(location, f"{owner} serves '{queue}'")],
            subject=f"queue {queue} container")
