"""MES202's container case: a container process does not run from the image's application root.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.script_not_root_anchored` yields these
findings.  The application root is the pack's ``container.app_root``, else the image directory
the repository root is copied to.  Reported, per container run:

* the final stage's ``WORKDIR`` is not the application root (every process without a
  ``directory=`` of its own starts there);
* a process (supervisord ``[program:x]``, the container command) runs in another directory than
  the application root (its ``directory=``, compose ``working_dir``, or the ``WORKDIR``): relative
  paths such as ``gunicorn --config gunicorn.conf.py`` resolve elsewhere;
* a ``PYTHONPATH`` entry of a process is not a repository directory the image copies (mapped
  through its ``COPY`` lines), so the imports it was meant for fail.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from meslint.checks import CheckContext, Rule
from meslint.findings import Finding, Related


def container_anchor_findings(ctx: CheckContext, rule: Rule) -> Iterator[Finding]:
    from meslint.container_runtime import container_runs
    from meslint.container_runtime_sites import process_owner

    spec = ctx.pack.container
    reported: set[tuple[str, object]] = set()
    for run in container_runs(ctx.repo, ctx.pack):
        root = (spec.app_root if spec is not None and spec.app_root else None) or run.root
        stage = run.stage
        if root is not None:
            root = posixpath.normpath(root)
            if stage.workdir != root and stage.workdir_location is not None \
                    and ("workdir", stage.workdir_location) not in reported:
                reported.add(("workdir", stage.workdir_location))
                yield rule.finding(
                    f"{run.dockerfile.path}: WORKDIR {stage.workdir} is not the application root {root}; processes "
                    f"without a directory of their own start there and resolve relative paths against it",
                    stage.workdir_location, subject=f"{run.dockerfile.path}:WORKDIR")
        for process in run.processes:
            owner = process_owner(run, process)
            directory = process.section.get("directory") if process.section is not None else None
            if root is not None and process.cwd != root and directory is not None \
                    and ("cwd", directory.location) not in reported:
                reported.add(("cwd", directory.location))
                yield rule.finding(
                    f"{owner} runs in {process.cwd}, not the application root {root}: its relative paths "
                    f"({' '.join(process.argv)[:80]}) resolve there", directory.location,
                    subject=f"{process.label}:directory")
            pythonpath = process.env.get("PYTHONPATH")
            if pythonpath is None or pythonpath.location is None:
                continue
            for entry in (e for e in pythonpath.value.split(":") if e):
                path = posixpath.normpath(posixpath.join(process.cwd, entry))
                key = ("pythonpath", (path, pythonpath.location))
                if run.repo_path(path) is not None or key in reported:
                    continue
                reported.add(key)
                yield rule.finding(
                    f"PYTHONPATH entry {entry} of {owner} is {path} in the image, which holds no repository "
                    f"directory (no COPY puts one there): the imports it is meant for fail", pythonpath.location,
                    [Related(stage.location, f"final stage of {run.dockerfile.path}")],
                    subject=f"{process.label}:PYTHONPATH {entry}")
