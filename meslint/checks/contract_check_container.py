"""MES605's container case: the container's environment turns runtime contract enforcement off.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.contract_check_missing` yields these
findings.  Each process a container runs (a supervisord program, or the container command) gets
its environment by docker's precedence -- image ``ENV``, compose ``env_file``, compose
``environment``, supervisord's ``environment=`` (:mod:`meslint.container_runtime`); where the
value that wins sets the enforce variable off, the place that sets it is reported once, naming
the processes it reaches.  An env file read in place of an operator's copy is the env template,
which the template case already reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from meslint.checks import CheckContext, Rule
from meslint.findings import Finding, Related
from meslint.location import Location
from meslint.template import Binding


def container_enforcement_findings(ctx: CheckContext, enforce: str, rule: Rule,
                                   off: Callable[[str | None], bool]) -> Iterator[Finding]:
    from meslint.container_runtime import container_runs
    from meslint.container_runtime_sites import process_owner

    template_path = ctx.pack.env_file.template if ctx.pack.env_file.configured else None
    reached: dict[tuple[str, int], list[str]] = {}
    first: dict[tuple[str, int], Binding] = {}
    for run in container_runs(ctx.repo, ctx.pack):
        for process in run.processes:
            binding = process.env.get(enforce)
            if binding is None or binding.location is None or not off(binding.value):
                continue
            if binding.location.path == template_path:
                continue
            key = (binding.location.path, binding.location.line)
            reached.setdefault(key, []).append(process_owner(run, process))
            first.setdefault(key, binding)
    template = ctx.repo.env_file(template_path) if template_path else None
    related = [Related(a.location, f"{template.path} keeps {enforce}={a.dotenv!r}")  # type: ignore[union-attr]
               for a in (template.assignments if template is not None else ()) if a.name == enforce and
               a.dotenv is not None and not off(a.dotenv)]
    for where, owners in reached.items():
        found = first[where]
        shown = ", ".join(owners[:3]) + (f" and {len(owners) - 3} more" if len(owners) > 3 else "")
        yield rule.finding(
            f"{found.origin} sets {enforce}={found.value!r}: the container runs with runtime contract "
            f"enforcement off for {shown}", found.location or Location(where[0], where[1]), related,
            subject=f"{where[0]} {enforce} container")
