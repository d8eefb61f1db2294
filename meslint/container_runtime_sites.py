"""The container runtime's sites in the resolution (runtime ``container``).

Each process of each container run (:mod:`meslint.container_runtime`) is a consumer as a unit's
ExecStart is: its command line's options (``gunicorn --bind``, ``--pid``), the gunicorn config
module it loads (``-c``/``--config``, else ``gunicorn.conf.py`` in its ``directory=``, mapped back
to the repository through the image's ``COPY`` lines), and the Python consumers it runs: a
gunicorn process runs the consumers of the pack's app unit (``units[].runs`` of role ``app``), a
``python -m pkg.mod``/``python file.py`` process the consumer whose module that is.  Code
defaults anchored at the repository root resolve under the image directory the repository is
copied to.  The same functions as for units compute the values (one home per semantics).
"""

from __future__ import annotations

from meslint.container_runtime import ContainerRun, Process, container_runs, module_file
from meslint.facts import Repository
from meslint.pack import ContractPack
from meslint.resolve import (
    RUNTIME_CONTAINER,
    Resolution,
    Step,
    _command_sites,
    _gunicorn_config_sites,
    _python_sites,
)
from meslint.template import normalize_path


def resolve_container(res: Resolution, repo: Repository, pack: ContractPack) -> None:
    for run in container_runs(repo, pack):
        root = run.root or (pack.container.app_root if pack.container else None) or run.stage.workdir
        for process in run.processes:
            _process_sites(res, repo, pack, run, process, root)


def process_owner(run: ContainerRun, process: Process) -> str:
    """How a container process is named in sites and findings."""
    where = f"{process.location.path} {process.label}" if process.section is not None else process.label
    return f"{where} in {run.name}"


def gunicorn_config_of(repo: Repository, run: ContainerRun, process: Process):
    """The repository module a container's gunicorn loads, or None."""
    raw = process.info.options.get("config")
    if raw is not None and (not raw or raw.startswith("python:") or "$" in raw):
        return None
    repo_path = run.repo_path(normalize_path(raw or "gunicorn.conf.py", process.cwd))
    return repo.module(repo_path) if repo_path else None


def _process_sites(res: Resolution, repo: Repository, pack: ContractPack, run: ContainerRun, process: Process,
                   root: str) -> None:
    owner = process_owner(run, process)
    info = process.info
    chain = [Step(f"{process.label} command as supervisord runs it" if process.section is not None
                  else f"container command of {run.name}", process.location)]
    res.commands.append((RUNTIME_CONTAINER, owner, info, process.location))
    _command_sites(res, pack, info, RUNTIME_CONTAINER, owner, "container-exec", process.location, process.cwd,
                   chain, None)
    consumers: list[str] = []
    if info.program == "gunicorn":
        app = next((u for u in pack.units if u.role == "app"), None)
        consumers = list(app.runs) if app is not None else []
    else:
        path = module_file(run, process)
        consumers = [c.name for c in pack.consumers if c.path == path]
    for name in consumers:
        spec = pack.consumer(name)
        module = repo.module(spec.path) if spec else None
        if module is not None:
            _python_sites(res, repo, pack, module, process.env, RUNTIME_CONTAINER, f"{name} (run by {owner})",
                          root, owner)
    if info.program == "gunicorn":
        module = gunicorn_config_of(repo, run, process)
        if module is not None:
            _gunicorn_config_sites(res, repo, pack, info, process.env, RUNTIME_CONTAINER, process.cwd, owner,
                                   module=module)
