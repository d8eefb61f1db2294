"""A unit, script or config names a repository path that does not exist.

## What it does
Collects the repository paths the runtime depends on and reports those missing
from the repository:

* units: paths under the deploy root (`/opt/mes-dashboard/X` is repository path
  `X`) in any `[Service]` setting, `PYTHONPATH` entries, and what `Exec*=` runs
  (`python SCRIPT`, `gunicorn --config FILE`, `--chdir`, `--pythonpath`,
  `rq -P DIR`, a `.sh`/`.py` program), relative ones resolved against
  `WorkingDirectory=`;
* shell scripts: `python SCRIPT`, `gunicorn --config FILE`, `rq -P DIR`, sourced
  files, `cd` targets, `PYTHONPATH` entries and path programs, either anchored
  (`"$ROOT/scripts/x.py"`) or relative to the directory the script is in at that
  point (start and deploy scripts are taken to run from the root, which MES202
  enforces);
* the gunicorn config's `pythonpath`/`chdir`, and `sys.path` edits built on
  `Path(__file__)` roots in Python sources outside tests.

Values that still contain `$` after evaluation are skipped.

## Why it matters
A renamed `scripts/worker_watchdog.py` or a moved `gunicorn.conf.py` passes
every review of the file that moved; the unit or start script that names it
fails at the next restart, in production.

## Example
```ini
[Service]
WorkingDirectory=/opt/mes-dashboard
# meslint-expect-next: MES204
ExecStart=/opt/miniconda3/bin/conda run -n mes-dashboard python scripts/watchdog.py
```

## How to fix
Create the missing file, correct the path, or declare it in the pack's `install` map when
installation creates it.

## Options
Paths created at deploy or run time are never expected in the repository: the
env file (`env_file.deployed`, `env_file.script_relative`), anything whose first
component is `tmp`, `logs`, `log`, `run`, `var`, `cache`, `.cache`, `.venv`,
`venv` or `node_modules`, any `dist` build output, and files ending in `.pid`,
`.log`, `.sock`, `.lock` or `.flag`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from functools import partial

from meslint.argv import analyze
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import ROOT_TOKEN, Location, ShellCommand
from meslint.findings import Finding
from meslint.pack import ContractPack
from meslint.provisioning import template_fills
from meslint.resolve import unit_environment
from meslint.runtime_files import is_runtime_path, repo_relative
from meslint.script_cwd import CALLER, ROOT, SUB, Flow, checked_scripts, evaluate_word, normalize
from meslint.systemd_semantics import executed_paths, invocations, working_directory

RULE = Rule("MES204", "missing-root-path", Gate.ROOT_EXECUTION, Severity.ERROR)

RUNTIME_TOP_DIRS = frozenset({"tmp", "logs", "log", "run", "var", "cache", ".cache", ".venv", "venv",
                              "node_modules"})
RUNTIME_SUFFIXES = (".pid", ".log", ".sock", ".lock", ".flag")
_UNIT_PROSE_KEYS = frozenset({"Description", "Documentation", "SyslogIdentifier", "User", "Group"})


def created_at_runtime(path: str, pack: ContractPack) -> bool:
    """Repository-relative ``path`` is made by the deploy or the running service, not shipped."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return False
    env_names = {posixpath.basename(pack.env_file.deployed), posixpath.basename(pack.env_file.script_relative)}
    return (parts[0] in RUNTIME_TOP_DIRS or "dist" in parts or path.endswith(RUNTIME_SUFFIXES)
            or path in env_names or path == pack.env_file.script_relative.lstrip("./") or pack.installs(path))


def check(ctx: CheckContext) -> Iterator[Finding]:
    seen: set[tuple[Location, str]] = set()
    for location, what, path in _references(ctx):
        path = path.strip("/")
        if not path or path in {".", ".."} or path.startswith("../") or "$" in path or "`" in path:
            continue
        if created_at_runtime(path, ctx.pack) or ctx.repo.path_exists(path):
            continue
        if (location, path) in seen:
            continue
        seen.add((location, path))
        yield RULE.finding(f"{what} names {path}, which does not exist in the repository", location,
                           subject=f"{location.path}: {path}")


def _references(ctx: CheckContext) -> Iterator[tuple[Location, str, str]]:
    # Each kind's references are a view of that kind (meslint.incremental.SELF_CONTAINED): after a unit
    # edit the scripts' flows are not walked again.
    for name, references in (("units", _unit_references), ("scripts", _script_references),
                             ("python", _python_references)):
        yield from ctx.shared(f"missing_root_path.{name}", partial(_listed, references, ctx))


def _listed(references: Callable[[CheckContext], Iterator[tuple[Location, str, str]]],
            ctx: CheckContext) -> list[tuple[Location, str, str]]:
    return list(references(ctx))


# --------------------------------------------------------------------------- units


def _unit_references(ctx: CheckContext) -> Iterator[tuple[Location, str, str]]:
    pack = ctx.pack
    root = pack.deploy_root.rstrip("/") or "/"
    template = ctx.repo.env_file(pack.env_file.template)

    def repo_path(value: str, cwd: str | None) -> str | None:
        value = value.strip().strip("\"'")
        if not value or "$" in value or "%" in value or value.startswith("~"):
            return None
        if not value.startswith("/"):
            if cwd is None:
                return None
            value = posixpath.join(cwd, value)
        value = "/" + posixpath.normpath(value).lstrip("/")
        if value.startswith(root + "/"):
            return value[len(root) + 1:]
        return None

    for unit in ctx.repo.units:
        if not is_runtime_path(unit.path, pack):
            continue
        workdir = working_directory(unit).path
        cwd = workdir if workdir is not None and (workdir == root or workdir.startswith(root + "/")) else None
        for setting in unit.settings:
            if (setting.section != "Service" or setting.key in _UNIT_PROSE_KEYS or setting.key == "Environment"
                    or setting.key.startswith("Exec")):
                continue
            for word in setting.value.split():
                path = repo_path(word.lstrip("-+!:"), None)
                if path is not None:
                    yield setting.location, f"{setting.key}=", path
        env = unit_environment(unit, pack, template, template_fills(ctx.repo, pack))
        for assignment in unit.environment:
            separator = ":" if assignment.name == "PYTHONPATH" else None
            for entry in assignment.value.split(separator) if separator else [assignment.value]:
                path = repo_path(entry, cwd if separator else None)
                if path is not None:
                    yield assignment.location, f"Environment= {assignment.name}", path
        for command in unit.exec_commands:
            for run in invocations(command, env, pack.deploy_root):
                info = run.info
                for label, value in executed_paths(info):
                    path = repo_path(value, cwd)
                    if path is not None:
                        yield command.location, f"{command.key}= ({label})", path
                for word in info.argv:
                    if word.startswith(root + "/"):
                        path = repo_path(word, None)
                        if path is not None:
                            yield command.location, f"{command.key}=", path


# --------------------------------------------------------------------------- scripts


def _script_references(ctx: CheckContext) -> Iterator[tuple[Location, str, str]]:
    pack = ctx.pack
    root_run = {script.path for script in checked_scripts(ctx.repo, pack)}  # paths: hashing facts is deep
    for script in ctx.repo.scripts:
        if not is_runtime_path(script.path, pack):
            continue
        flow = Flow.of(script, ctx.pack, ctx.shared)
        runs_from_root = script.path in root_run
        for assignment in script.assignments:
            if assignment.name == "PYTHONPATH" and not assignment.declared_only:
                for entry in _pythonpath_entries(assignment.value, flow):
                    yield assignment.location, "PYTHONPATH", entry
        for command, cwd in flow.commands():
            if cwd.state == ROOT or (cwd.state == CALLER and runs_from_root):
                base = ""
            elif cwd.state == SUB:
                base = cwd.detail
            else:
                base = None
            for what, value in _command_paths(command, flow):
                if value.startswith(ROOT_TOKEN):
                    yield command.location, what, repo_relative(value)
                elif base is not None and not value.startswith(("/", "~")):
                    yield command.location, what, posixpath.normpath(posixpath.join(base, value))


def _pythonpath_entries(value: str, flow: Flow) -> Iterator[str]:
    for entry in value.split(":"):
        evaluated = evaluate_word(entry, flow.env) if entry else None
        if evaluated and evaluated.startswith(ROOT_TOKEN):
            yield repo_relative(evaluated)


def _command_paths(command: ShellCommand, flow: Flow) -> Iterator[tuple[str, str]]:
    """(what, value) of the paths a command needs; values are @ROOT-anchored, absolute or relative."""
    argv = command.argv
    if not argv:
        return
    program = argv[0]
    for name, value in command.env_prefix:
        if name == "PYTHONPATH":
            for entry in _pythonpath_entries(value, flow):
                yield "PYTHONPATH", ROOT_TOKEN + "/" + entry
    words = tuple(evaluate_word(w, flow.env) or w for w in argv)
    if any("$" in w or "`" in w for w in words[:1]):
        return
    if program in {"source", "."} and len(words) > 1:
        if "$" not in words[1]:
            yield f"`{program}`", words[1]
        return
    if program in {"cd", "pushd"}:
        target = flow.cd_target(command)
        if target is not None:
            yield "`cd`", target
        return
    info = analyze(words)
    if info.program_index >= 0:
        word = words[info.program_index]
        if "/" in word and word.endswith((".sh", ".py", ".bash")) or word.startswith(("./", ROOT_TOKEN)):
            yield "the program", word
    if info.script is not None and info.script not in {"-"}:
        yield f"`{info.program} SCRIPT`", info.script
    if info.program == "gunicorn":
        config = info.options.get("config")
        if config and not config.startswith("python:"):
            yield "`gunicorn --config`", config
        for option in ("chdir", "pythonpath"):
            for entry in (info.options.get(option) or "").split(","):
                if entry:
                    yield f"`gunicorn --{option}`", entry
    if info.program == "rq" and info.options.get("path"):
        yield "`rq --path`", info.options["path"]


# --------------------------------------------------------------------------- python


def _python_references(ctx: CheckContext) -> Iterator[tuple[Location, str, str]]:
    pack = ctx.pack
    config = ctx.repo.module(pack.gunicorn_config) if pack.gunicorn_config else None
    if config is not None:
        for constant in config.constants:
            if constant.name in {"pythonpath", "chdir"} and isinstance(constant.value, str):
                for entry in constant.value.split(","):
                    entry = entry.strip()
                    if not entry or "$" in entry or entry.startswith(("/", "~")):
                        continue
                    value = normalize(entry)[len(ROOT_TOKEN):] if entry.startswith(ROOT_TOKEN) else entry
                    yield constant.location, f"gunicorn {constant.name}", posixpath.normpath(value.lstrip("/"))
    for module in ctx.repo.python:
        if not is_runtime_path(module.path, pack):
            continue
        for edit in module.sys_path_edits:
            if edit.value.startswith(ROOT_TOKEN) and "$" not in edit.value:
                yield edit.location, f"sys.path.{edit.op}", repo_relative(edit.value)
