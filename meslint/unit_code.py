"""What Python code a unit (or the start script) runs: entry modules and their import closure.

From each ``ExecStart=`` (``bash -c``, ``conda run``, ``env``, ``exec`` unwrapped by
:func:`meslint.systemd_semantics.invocations`):

* ``gunicorn ... APP_MODULE[:callable]``: the app module, and the gunicorn config module;
* ``python SCRIPT.py`` / ``python -m MODULE``: that script or module;
* ``rq worker QUEUE...``: the job functions enqueued to those queues anywhere in the repository
  (``Queue(name).enqueue(func)``, ``enqueue_call(func=...)``, ``enqueue("pkg.mod.func")``, helpers
  that pass their parameters to ``Queue(...).enqueue(...)`` and registry entries naming
  ``queue_name=`` with a job function), each queue name evaluated in the unit's environment like
  any other value; the job's module is the entry.

Each entry's static import closure (:mod:`meslint.import_graph`) is the code the unit runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from meslint.argv import CommandInfo
from meslint.call_graph import call_graph, shape_view
from meslint.facts import EnqueueCall, Location, PythonModule, Repository, UnitFile
from meslint.import_graph import ImportGraph, import_graph
from meslint.pack import ContractPack
from meslint.provisioning import template_fills
from meslint.records import record
from meslint.resolve import (
    RUNTIME_SCRIPT,
    RUNTIME_SCRIPT_BARE,
    Resolution,
    gunicorn_config_module,
    loads_env_file,
    unit_environment,
)
from meslint.systemd_semantics import invocations, working_directory
from meslint.template import CHECKOUT_ROOT, Binding, evaluate, normalize_path

_JOB_KEYWORDS = ("worker_fn", "func", "f", "fn", "job", "job_func", "target", "callable")


# (id of an environment, queue template) -> (that environment, the queue name): the environment is held, so
# its id names no other while the cache lives.
QueueNames = dict[tuple[int, str], tuple[Mapping[str, Binding], "str | None"]]


@record
class Entry:
    """A module a unit starts running code from, and why."""

    module: str  # repository path
    reason: str  # "gunicorn app pkg:create_app()", "rq job pkg.jobs.run for queue 'q'", "python scripts/x.py"
    location: Location  # the ExecStart= line
    via: Location | None = None  # the enqueue site, for rq jobs
    function: str | None = None  # the job function (qualified name) an rq worker calls
    whole: bool = False  # every function of the closure may run (an app serving requests, gunicorn hooks)


@record
class Job:
    """A job function linked to a queue by an enqueue call (or a registry entry)."""

    queue: str  # args-style value: "tpl:..." or "ref:pkg.mod.NAME"
    queue_module: str  # the module whose names a "ref:." value refers to
    target: str  # dotted name of the job function
    module: str  # repository path of the job function's module
    function: str  # its qualified name in that module
    location: Location


@record
class UnitCode:
    owner: str  # unit path (or start script path)
    entries: tuple[Entry, ...]
    envs: tuple[Mapping[str, Binding], ...]  # the environments the unit's processes may see

    def modules(self, graph: ImportGraph) -> dict[str, tuple[Entry, list[str]]]:
        """Every module the unit imports: path -> (its entry, the import chain from the entry)."""
        key = ("modules", self.owner, self.entries)
        found = graph.views.get(key)
        if found is None:
            found = graph.views[key] = {}
            for entry in self.entries:
                for path in graph.closure(entry.module):
                    if path not in found:
                        found[path] = (entry, graph.chain(entry.module, path))
        return found

    def runs(self, repo: Repository, path: str, function: str | None) -> bool:
        """Whether code at ``function`` (None: module level) of module ``path`` may run in the unit."""
        if function is None:  # module-level code runs on import
            return path in self.modules(import_graph(repo))
        return (path, function) in self.reach(repo)

    def calls_to(self, repo: Repository, path: str, function: str | None) -> list[str]:
        """How a reached function is called from the entry: ``["mod.job", "mod.helper", ...]`` ([] if not)."""
        if function is None:
            return []
        return call_chain(import_graph(repo), self.reach(repo), path, function)

    def _reached(self, repo: Repository) -> set[tuple[str, str]]:
        return set(self._reach(repo).parents())

    def reach(self, repo: Repository) -> dict[tuple[str, str], tuple[str, str] | None]:
        """The functions the unit may run, each with the caller it is first reached from (None: a start)."""
        return self._reach(repo).parents()

    def _reach(self, repo: Repository) -> Reach:
        def compute() -> Reach:
            # The walk is a function of these two views' values and the key: a .py edit that leaves them
            # (a comment, a string, moved lines) restores the recorded reach instead of walking again.
            shape_view(repo)
            job_groups = _job_groups(repo)
            with repo.untracked():
                return _walk(repo, job_groups)

        def _walk(repo: Repository, job_groups: set[tuple[str, str]]) -> Reach:
            graph = import_graph(repo)
            # The entries' job functions first: a chain from a job reads better than one from an import.
            starts = [(e.module, e.function) for e in self.entries if e.function]
            starts += [(path, "") for path in self.modules(graph)]
            # An app may run any function of what it imports (any request), except the job functions it
            # enqueues and what only they call: those run in the workers.  A function the app's own
            # code calls is reached from there all the same.
            calls = call_graph(repo)
            for entry in self.entries:
                if entry.whole:
                    starts += [(path, first) for path in graph.closure(entry.module)
                               for first in calls.groups_of(path) if (path, first) not in job_groups]
            parents: dict[tuple[str, str], tuple[str, str] | None] = {}
            calls.reach(starts, parents)
            return Reach.of(parents)
        # Keyed on what the walk starts from alone: an edit that moves the ExecStart= line (or another
        # unit with the same entries) finds the recorded reach (meslint.incremental.SELF_CONTAINED).
        starts_from = tuple((entry.module, entry.function, entry.whole) for entry in self.entries)
        return repo.memo(("unit_code.reached", starts_from), compute)


@record
class Reach:
    """What a unit's code reaches: each function (module path, qualified name) with its first caller.

    The incremental tracker records a unit's reach for the next run (:data:`meslint.incremental.SELF_CONTAINED`);
    held as one text, ``path NUL name NUL index of the caller (empty: a start)`` per function in the order
    reached (NUL is in no path or name), it is recorded in one step, where thousands of pairs in a set cost a
    sort by each pair's JSON text."""

    text: str

    @staticmethod
    def of(parents: dict[tuple[str, str], tuple[str, str] | None]) -> Reach:
        index = {key: str(number) for number, key in enumerate(parents)}
        text = "\0".join(f"{path}\0{name}\0{'' if via is None else index[via]}"
                         for (path, name), via in parents.items())
        reach = Reach(text)
        object.__setattr__(reach, "_parents", parents)  # the walk's own answer: no need to read the text back
        return reach

    def parents(self) -> dict[tuple[str, str], tuple[str, str] | None]:
        parents: dict[tuple[str, str], tuple[str, str] | None] | None = getattr(self, "_parents", None)
        if parents is None:
            parts = self.text.split("\0") if self.text else []
            keys = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 2, 3)]
            parents = {key: keys[int(via)] if via else None for key, via in zip(keys, parts[2::3], strict=True)}
            object.__setattr__(self, "_parents", parents)
        return parents


def call_chain(graph: ImportGraph, parents: Mapping[tuple[str, str], tuple[str, str] | None], path: str,
               function: str) -> list[str]:
    """How ``function`` of ``path`` is called from a start, by the callers of a reach (:meth:`UnitCode.reach`)."""
    key: tuple[str, str] | None = (path, function)
    chain: list[str] = []
    while key is not None and key in parents and len(chain) < 50:
        module = graph.name_of.get(key[0], key[0])
        chain.append(f"{module}.{key[1]}" if key[1] else f"{module} (import)")
        key = parents[key]
    return chain[::-1]


def _job_groups(repo: Repository) -> set[tuple[str, str]]:
    """The groups (module path, first part of a name) the enqueued job functions reach: the same for every
    unit.  The derived view ``unit_code.job_groups``, compared by value (:data:`meslint.incremental.RECOMPUTE`)."""
    return repo.memo("unit_code.job_groups", lambda: job_groups_of(repo))


def job_groups_of(repo: Repository, pack: object = None) -> set[tuple[str, str]]:
    # A function of the jobs and the call graph's shape, both compared by value: a .py edit that leaves
    # them leaves the groups (the walk below reads the graphs untracked).
    shape_view(repo)
    starts = [(job.module, job.function) for job in jobs(repo)]
    with repo.untracked():
        job_only = call_graph(repo).reach(starts)
    return {(path, name.split(".", 1)[0]) for path, name in job_only if name}


def unit_code(repo: Repository, pack: ContractPack, unit: UnitFile) -> UnitCode:
    return repo.memo(("unit_code.unit", unit.path), lambda: _unit_code(repo, pack, unit))


def _unit_code(repo: Repository, pack: ContractPack, unit: UnitFile) -> UnitCode:
    graph = import_graph(repo)
    template = repo.env_file(pack.env_file.template) if pack.env_file.configured else None
    fills = template_fills(repo, pack)
    envs = [unit_environment(unit, pack, template, fills)]
    if template is not None and loads_env_file(unit, pack, fills):
        envs.append(unit_environment(unit, pack, None, fills))
    workdir = working_directory(unit).path
    entries: dict[tuple[str, str], Entry] = {}
    names: QueueNames = {}
    for command in unit.exec_commands:
        if command.key != "ExecStart":
            continue
        for env in envs:
            for run in invocations(command, env, pack.deploy_root):
                for entry in _command_entries(repo, pack, graph, run.info, run.templates, run.values, env, workdir,
                                              command.location, names):
                    entries.setdefault((entry.module, entry.reason), entry)
    return UnitCode(unit.path, tuple(entries.values()), tuple(envs))


def script_code(repo: Repository, pack: ContractPack, resolution: Resolution) -> UnitCode | None:
    """The Python code the start script starts (its commands as the resolution analysed them)."""
    script = repo.script(pack.start_script.path) if pack.start_script else None
    if script is None:
        return None

    def compute() -> UnitCode:
        graph = import_graph(repo)
        runtimes = [r for r in (RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE) if r in resolution.script_environments]
        envs = [resolution.script_environments[r].final for r in runtimes]
        entries: dict[tuple[str, str], Entry] = {}
        names: QueueNames = {}
        for runtime, owner, info, location in resolution.commands:
            if owner != script.path or runtime not in runtimes:
                continue
            env = resolution.script_environments[runtime].final
            for entry in _command_entries(repo, pack, graph, info, info.argv, info.argv, env, pack.deploy_root,
                                          location, names):
                entries.setdefault((entry.module, entry.reason), entry)
        return UnitCode(script.path, tuple(entries.values()), tuple(envs))
    return repo.memo(("unit_code.script", script.path), compute)


def _command_entries(repo: Repository, pack: ContractPack, graph: ImportGraph, info: CommandInfo,
                     templates: tuple[str, ...], values: tuple[str | None, ...], env: Mapping[str, Binding],
                     workdir: str | None, location: Location, names: QueueNames) -> Iterable[Entry]:
    """``names``: the queue names evaluated so far, by environment and template (the caller's commands share
    their environments, and many jobs a template)."""
    program = info.program
    if program == "gunicorn":
        app = next((w for w in reversed(info.positional) if _app_spec(w)), None)
        if app is not None:
            path = graph.module_path(app.split(":", 1)[0])
            if path is not None:
                yield Entry(path, f"gunicorn app {app}", location, whole=True)
        config = gunicorn_config_module(repo, pack, info, workdir)
        if config is not None:
            yield Entry(config.path, "gunicorn config", location, whole=True)
    elif program in ("python", "python3") or program.startswith("python3."):
        if "-m" in info.positional:
            index = info.positional.index("-m")
            if index + 1 < len(info.positional):
                path = graph.module_path(info.positional[index + 1])
                if path is not None:
                    yield Entry(path, f"python -m {info.positional[index + 1]}", location)
        elif info.script:
            path = repo_path(info.script, workdir, pack.deploy_root)
            if path is not None and repo.module(path) is not None:
                yield Entry(path, f"python {info.script}", location)
    elif program == "rq" and info.args[:1] == ("worker",):
        from meslint.argv import queue_words  # the one reading of `rq worker` arguments

        queues = {value for _raw, value in queue_words(templates, values) if value}
        for job in jobs(repo):
            template = _queue_template(repo, graph, job)
            if template is None:
                continue  # not statically known: no queue it names
            known = names.get((id(env), template))
            if known is None:
                known = names[(id(env), template)] = (env, evaluate(template, env, "/").value)
            queue = known[1]
            if queue in queues:
                yield Entry(job.module, f"rq job {job.target} for queue '{queue}'", location, job.location,
                            job.function)


def _app_spec(word: str) -> bool:
    module = word.split(":", 1)[0]
    return bool(module) and not word.startswith("-") and all(p.isidentifier() for p in module.split("."))


def repo_path(path: str, workdir: str | None, deploy_root: str) -> str | None:
    """The repository file a host path (relative: under ``workdir``) names, through the deploy root."""
    if path.startswith(CHECKOUT_ROOT + "/"):
        return path[len(CHECKOUT_ROOT) + 1:]
    if not path.startswith("/"):
        if workdir is None:
            return None
        path = normalize_path(path, workdir)
    root = deploy_root.rstrip("/") + "/"
    return path[len(root):] if path.startswith(root) else None


# --------------------------------------------------------------------------- jobs


def jobs(repo: Repository) -> list[Job]:
    return repo.memo("unit_code.jobs", lambda: _jobs(repo))


def _jobs(repo: Repository, pack: object = None) -> list[Job]:
    """The derived view ``unit_code.jobs``, compared by value (:data:`meslint.incremental.RECOMPUTE`)."""
    graph = import_graph(repo)
    # Helpers that put their own parameters on a queue: (module path, function) -> (queue arg, job arg, params).
    wrappers: dict[tuple[str, str], tuple[str, str, tuple[str, ...]]] = {}
    for module in repo.python:
        for call in module.enqueues:
            job = dict(call.args).get("0", "")
            if call.method and call.function and "." not in call.function and (
                    call.queue.startswith("param:") or job.startswith("param:")):
                wrappers[(module.path, call.function)] = (call.queue, job, call.params)
    found: list[Job] = []
    for module in repo.python:
        for call in module.enqueues:
            args = dict(call.args)
            if call.method:
                queue, job = call.queue, args.get("0", "")
            else:
                wrapper = wrappers.get(_callee(graph, module, call))
                if wrapper is not None:
                    queue = _argument(call, wrapper[0], wrapper[2])
                    job = _argument(call, wrapper[1], wrapper[2])
                else:
                    queue = args.get("queue_name") or args.get("queue", "")
                    refs = [args[k] for k in _JOB_KEYWORDS if args.get(k, "").startswith("ref:")]
                    job = refs[0] if refs else ""
            if not queue or queue.startswith("param:"):
                continue
            target = _job_target(graph, module, job)
            if target is None:
                continue
            dotted, path = target
            own = graph.name_of.get(path, "")
            function = dotted[len(own) + 1:] if own and dotted.startswith(own + ".") else dotted.rpartition(".")[2]
            found.append(Job(queue, module.path, dotted, path, function, call.location))
    return found


def _callee(graph: ImportGraph, module: PythonModule, call: EnqueueCall) -> tuple[str, str]:
    callee = graph.resolve_ref(call.callee, module.path) if call.callee.startswith(".") else call.callee
    if "." not in callee:
        return module.path, callee
    owner, _, name = callee.rpartition(".")
    return graph.module_path(owner) or "", name


def _argument(call: EnqueueCall, value: str, params: tuple[str, ...]) -> str:
    """The caller's value for the helper's parameter ``value`` ("param:NAME"), or the helper's own value."""
    if not value.startswith("param:"):
        return value
    name = value[len("param:"):]
    args = dict(call.args)
    if name in args:
        return args[name]
    if name in params:
        return args.get(str(params.index(name)), "")
    return ""


def _job_target(graph: ImportGraph, module: PythonModule, job: str) -> tuple[str, str] | None:
    """(dotted name, module path) of a job function reference."""
    if job.startswith("ref:."):
        name = job[len("ref:"):]
        if name.count(".") == 1:  # a function of this module
            own = graph.name_of.get(module.path)
            return (f"{own}{name}" if own else name[1:]), module.path
        dotted = graph.resolve_ref(name, module.path)
    elif job.startswith("ref:"):
        dotted = job[len("ref:"):]
    elif job.startswith("tpl:") and "$" not in job and "@" not in job:
        dotted = job[len("tpl:"):]  # enqueue("pkg.mod.func"): rq imports the function by name
    else:
        return None
    owner = dotted.rpartition(".")[0]
    path = graph.module_path(owner)
    return (dotted, path) if path is not None else None


def _queue_template(repo: Repository, graph: ImportGraph, job: Job) -> str | None:
    """The template of the queue name a job is enqueued to (None when not statically known).

    Asked by every worker for every job: kept with the import graph (a view of the Python code, as this is).
    """
    key = ("queue_template", job.queue, job.queue_module)
    if key not in graph.views:
        graph.views[key] = value_template(repo, graph, job.queue, job.queue_module)
    template: str | None = graph.views[key]
    return template


def value_template(repo: Repository, graph: ImportGraph, value: str, module_path: str) -> str | None:
    """The template of an args-style value; a reference to another module's constant is followed."""
    if value.startswith("tpl:"):
        return value[len("tpl:"):]
    if not value.startswith("ref:"):
        return None
    dotted = value[len("ref:"):]
    if dotted.startswith("."):
        dotted = graph.resolve_ref(dotted, module_path)
    owner, _, name = dotted.rpartition(".")
    path = graph.module_path(owner)
    module = repo.module(path) if path else None
    if module is None:
        return None
    constant = next((c for c in reversed(module.constants) if c.name == name), None)
    if constant is None or not isinstance(constant.value, str):
        return None
    return constant.value
