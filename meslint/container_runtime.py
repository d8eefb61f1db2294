"""The container runtime: what the image, compose and supervisord give each process.

A *container run* is one compose service of a pack-listed compose file that builds the pack's
Dockerfile (``build:``), or the image alone (``docker run``) when the pack lists no compose
file.  Its environment follows docker's precedence, weakest first:

1. the final stage's ``ENV`` (the stage ``docker build`` produces, or the service's
   ``build.target``), as the builder substituted it;
2. each ``env_file`` in order (compose reads them like dotenv: inline comments stripped); a file
   that is not in the repository is an operator's copy of the pack's env template, which is
   read in its place and said so in the provenance;
3. the service's ``environment`` (a bare ``KEY`` passes the caller's value through: unknown).

Compose values are interpolated first from the project's ``.env`` (beside the compose file, if
the repository holds it).  The compose files of one project (a default-named file and its
override file, or a combination the pack lists) are merged first (:mod:`meslint.compose_merge`); a service with
``profiles`` is a run too (it runs when its profile is enabled) and is named with them.

The command is the service's ``entrypoint``/``command`` over the
image's; when it runs ``supervisord -c FILE`` each ``[program:x]`` (with ``[include]`` files,
resolved inside the repository only) is a process with supervisord's environment plus its own
``environment=`` and its ``directory=``, after supervisord's ``%(ENV_X)s`` expansion.

Image paths map back to repository paths through the final stage's ``COPY`` lines from the
build context (:meth:`ContainerRun.repo_path`).  The repository root lands at
:attr:`ContainerRun.root`, the image directory that holds the consumers' modules.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field

from meslint.argv import analyze
from meslint.compose_merge import compose_projects
from meslint.container_programs import Process, programs
from meslint.facts import (
    ComposeEntry,
    ComposeFile,
    ComposeService,
    Dockerfile,
    DockerStage,
    Location,
    Repository,
    SupervisorConf,
)
from meslint.globs import glob_match
from meslint.pack import ContractPack
from meslint.parsers.compose_values import interpolate, port_mapping, volume_mapping
from meslint.parsers.supervisord import expand
from meslint.template import Binding, references

SUPERVISORD_DEFAULT_STOPWAITSECS = 10.0  # supervisord's default stopwaitsecs
DOCKER_DEFAULT_STOP_GRACE = 10.0  # `docker stop` / compose without stop_grace_period


@dataclass
class Port:
    host_ip: str | None
    published: str | None
    target: str | None
    location: Location


@dataclass
class Mount:
    target: str  # absolute image path
    source: str | None
    read_only: bool
    location: Location


@dataclass
class ContainerRun:
    name: str  # "docker-compose.yml service app" | "Dockerfile (docker run)"
    dockerfile: Dockerfile
    stage: DockerStage
    context: str  # the build context, repository-relative ("" for the root)
    env: dict[str, Binding]
    compose: ComposeFile | None = None
    service: ComposeService | None = None
    ports: list[Port] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    read_only: bool = False
    user: str | None = None
    user_location: Location | None = None
    processes: list[Process] = field(default_factory=list)
    supervisord: SupervisorConf | None = None
    notes: list[tuple[str, Location]] = field(default_factory=list)  # what could not be followed
    # What makes the container fail to start: message, place, what of this run it depends on ("" if nothing).
    problems: list[tuple[str, Location, str]] = field(default_factory=list)
    stand_ins: list[str] = field(default_factory=list)  # env files read as the env template
    env_known: bool = True  # every variable of the container's environment is known (no pass-through)
    app_names: frozenset[str] = frozenset()  # the application's variables (pack, env template, code reads)
    project: str = ""  # the compose project's directory (its first file's): relative paths start there

    @property
    def root(self) -> str | None:
        """The image directory the repository root lands in (from where a directory of it is copied)."""
        for copy in reversed(self.stage.copies):
            if copy.from_stage is not None:
                continue
            for source in copy.sources:
                source_path = _join(self.context, source)
                if source.rstrip("/") in {"", "."}:
                    return copy.destination.rstrip("/") or "/"
                if copy.destination.endswith("/") and source.endswith("/"):
                    # COPY src/ ./src/: the source directory's contents at the destination
                    tail = source_path.rstrip("/")
                    destination = copy.destination.rstrip("/")
                    if destination.endswith("/" + tail):
                        return destination[: -len(tail) - 1] or "/"
        return None

    def repo_path(self, image_path: str) -> str | None:
        """The repository file (or directory) an absolute image path holds, through the COPY lines."""
        image_path = posixpath.normpath(image_path)
        for copy in reversed(self.stage.copies):
            if copy.from_stage is not None:
                continue
            destination = copy.destination
            for source in copy.sources:
                source_path = _join(self.context, source).rstrip("/")
                is_directory = source.endswith("/") or source.rstrip("/") in {"", "."}
                if is_directory:
                    base = destination.rstrip("/") or "/"
                    if image_path == base:
                        return source_path
                    if image_path.startswith(base.rstrip("/") + "/"):
                        return _join(source_path, image_path[len(base.rstrip("/")) + 1:])
                    continue
                target = destination + posixpath.basename(source) if destination.endswith("/") else destination
                if posixpath.normpath(target) == image_path:
                    return source_path
        return None

    def stop_grace(self) -> tuple[float, str, Location | None]:
        """Seconds ``docker stop``/``compose down`` waits before SIGKILL, how, and where it is set."""
        entry = self.service.stop_grace_period if self.service is not None else None
        if entry is not None and entry.value is not None:
            seconds = compose_duration(entry.value)
            if seconds is not None:
                return seconds, f"stop_grace_period: {entry.value}", entry.location
        where = self.service.location if self.service is not None else self.stage.location
        return DOCKER_DEFAULT_STOP_GRACE, "no stop_grace_period: docker's default 10s", where


def container_runs(repo: Repository, pack: ContractPack) -> list[ContainerRun]:
    """Every container run of the pack's container files (computed once per run)."""
    return repo.memo("container_runtime.runs", lambda: _runs(repo, pack))


def _runs(repo: Repository, pack: ContractPack) -> list[ContainerRun]:
    spec = pack.container
    if spec is None:
        return []
    runs: list[ContainerRun] = []
    projects = compose_projects(repo, spec)
    app_names = _app_names(repo, pack)
    for project in projects:
        dotenv = repo.env_file(_join(project.directory, ".env"))
        interpolation = {a.name: a.dotenv for a in dotenv.assignments if a.dotenv is not None} if dotenv else {}
        for service in project.services():
            if service.build_context is None:
                continue
            context = _join(project.directory, _interp(service.build_context, interpolation) or ".")
            dockerfile_path = _join(context, _interp(service.dockerfile or "", interpolation) or "Dockerfile")
            dockerfile = next((d for d in repo.dockerfiles if d.path == dockerfile_path), None)
            if dockerfile is None or not dockerfile.stages:
                continue
            target = _interp(service.build_target or "", interpolation)
            stage = dockerfile.stage(target) if target else dockerfile.final
            if stage is None:
                continue
            profiles = f" (profile {', '.join(service.profiles)})" if service.profiles else ""
            run = ContainerRun(f"{project.name} service {service.name}{profiles}", dockerfile, stage, context,
                               _image_env(stage), project.base, service, project=project.directory)
            run.app_names = app_names
            _apply_compose(run, repo, pack, service, interpolation)
            _processes(run, repo, service, interpolation)
            runs.append(run)
    if not projects:
        dockerfile = next((d for d in repo.dockerfiles if d.path == spec.dockerfile), None)
        if dockerfile is not None and dockerfile.final is not None:
            run = ContainerRun(f"{dockerfile.path} (docker run)", dockerfile, dockerfile.final, "",
                               _image_env(dockerfile.final))
            run.user, run.user_location = dockerfile.final.user, dockerfile.final.user_location
            run.env_known = False  # `docker run -e`/`--env-file` may add anything
            run.app_names = app_names
            _processes(run, repo, None, {})
            runs.append(run)
    return runs


def _app_names(repo: Repository, pack: ContractPack) -> frozenset[str]:
    """The application's own variables: the pack's settings, the env template's keys, what the code
    reads, what the start script reads or sets, the units' ``Environment=`` names.  A base image
    cannot be expected to set them (its ENV is not in the repository).

    A derived view compared by value (:data:`meslint.incremental.RECOMPUTE`): a unit or code edit that
    names no new variable leaves the container runs as they were."""
    return repo.memo("container_runtime.app_names", lambda: app_names_of(repo, pack))


def app_names_of(repo: Repository, pack: ContractPack) -> frozenset[str]:
    names = {setting.name for setting in pack.settings}
    template = repo.env_file(pack.env_file.template) if pack.env_file.configured else None
    names.update(a.name for a in template.assignments) if template is not None else None
    names.update(read.name for module in repo.python for read in module.env_reads if read.name)
    script = repo.script(pack.start_script.path) if pack.start_script is not None else None
    for assignment in script.assignments if script is not None else ():
        names.add(assignment.name)
        names.update(references(assignment.value))
    names.update(setting.name for unit in repo.units for setting in unit.environment)
    return frozenset(names)


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return "" if joined == "." else joined


def _interp(value: str, env: dict[str, str]) -> str | None:
    return interpolate(value, env)[0]


def _image_env(stage: DockerStage) -> dict[str, Binding]:
    return {kv.name: Binding(kv.value or "", f"{kv.location.path}:{kv.location.line} ENV", kv.location)
            for kv in stage.env}


def _apply_compose(run: ContainerRun, repo: Repository, pack: ContractPack, service: ComposeService,
                   interpolation: dict[str, str]) -> None:
    project = run.project
    template = repo.env_file(pack.env_file.template) if pack.env_file.configured else None
    for entry in service.env_files:
        for raw, required in _env_file_entries(entry):
            path = _join(project, _interp(raw, interpolation) or raw)
            env_file = repo.env_file(path)
            via = ""
            if env_file is None and template is not None:
                env_file, via = template, f" ({path} is not in the repository: read as the template {template.path})"
                run.stand_ins.append(f"{path} read as the template {template.path}")
            if env_file is None:
                run.env_known = False
                if required:
                    run.notes.append((f"env_file {path} is not in the repository: its values are unknown",
                                      entry.location))
                continue
            for assignment in env_file.assignments:
                if assignment.dotenv is not None:
                    run.env[assignment.name] = Binding(
                        assignment.dotenv, f"{env_file.path}:{assignment.location.line} (compose env_file of "
                        f"{run.name}){via}", assignment.location)
    for kv in service.environment:
        if kv.value is None:
            run.env.pop(kv.name, None)  # passed through from the caller's shell: not known here
            run.env_known = False
            continue
        value = _interp(kv.value, interpolation)
        if value is not None:
            run.env[kv.name] = Binding(value, f"{kv.location.path}:{kv.location.line} environment", kv.location)
        else:
            run.env_known = False
    for entry in service.ports:
        if entry.value is not None:
            value = _interp(entry.value, interpolation) or ""
            host_ip, published, target, _protocol = port_mapping(value)
        else:
            host_ip, published, target = entry.field("host_ip"), entry.field("published"), entry.field("target")
        run.ports.append(Port(host_ip, published, target, entry.location))
    for entry in service.volumes:
        if entry.value is not None:
            source, target, read_only = volume_mapping(_interp(entry.value, interpolation) or "")
        else:
            source, target = entry.field("source"), entry.field("target") or ""
            read_only = (entry.field("read_only") or "").lower() == "true"
        if target.startswith("/"):
            run.mounts.append(Mount(posixpath.normpath(target), source, read_only, entry.location))
    for entry in service.tmpfs:
        for target in (entry.value,) if entry.value is not None else entry.items:
            if target:  # `/run:rw,size=64k`: the options after the colon
                path, _, options = target.partition(":")
                run.mounts.append(Mount(posixpath.normpath(path), "tmpfs", "ro" in options.split(","), entry.location))
    run.read_only = service.read_only is not None and (service.read_only.value or "").lower() == "true"
    user = service.user
    run.user, run.user_location = (user.value, user.location) if user is not None and user.value else (
        run.stage.user, run.stage.user_location)


def _env_file_entries(entry: ComposeEntry) -> list[tuple[str, bool]]:
    if entry.value is not None:
        return [(entry.value, True)]
    path = entry.field("path")
    if path is not None:
        return [(path, (entry.field("required") or "true").lower() != "false")]
    return [(item, True) for item in entry.items]


def _command(entry: ComposeEntry | None, interpolation: dict[str, str]) -> tuple[str, ...] | None:
    if entry is None:
        return None
    if entry.value is not None:
        try:
            return tuple(shlex.split(_interp(entry.value, interpolation) or ""))
        except ValueError:
            return None
    return tuple(_interp(item, interpolation) or item for item in entry.items)


def _processes(run: ContainerRun, repo: Repository, service: ComposeService | None,
               interpolation: dict[str, str]) -> None:
    stage = run.stage
    entrypoint = _command(service.entrypoint, interpolation) if service is not None else None
    command = _command(service.command, interpolation) if service is not None else None
    if entrypoint is None:
        entrypoint = stage.entrypoint.argv if stage.entrypoint else ()
        if command is None:
            command = stage.cmd.argv if stage.cmd else ()
    argv = tuple(entrypoint) + tuple(command or ())
    overridden = (service.command or service.entrypoint) if service is not None else None
    location = overridden.location if overridden is not None else (stage.cmd or stage.entrypoint or stage).location
    cwd = stage.workdir
    if service is not None and service.working_dir is not None and service.working_dir.value:
        cwd = posixpath.normpath(posixpath.join(cwd, service.working_dir.value))
    info = analyze(_unwrap_shell(argv))
    if info.program != "supervisord":
        if argv:
            run.processes.append(Process(info.program or argv[0], argv, info, cwd, dict(run.env), location))
        return
    config = info.options.get("configuration") or _short_option(info.args, "-c") or "/etc/supervisord.conf"
    image_path = posixpath.normpath(posixpath.join(cwd, config))
    repo_path = run.repo_path(image_path)
    conf = next((c for c in repo.supervisord if c.path == repo_path), None)
    if conf is None:
        run.notes.append((f"supervisord config {image_path} is not a repository file copied into the image",
                          location))
        return
    run.supervisord = conf
    for included, here in _with_includes(run, repo, conf, image_path):
        programs(run, included, here)


def _unwrap_shell(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a shell-form command (``/bin/sh -c "exec x y"``) when the script is one simple
    command without expansions or operators; otherwise the argv as it is."""
    info = analyze(argv)
    script = info.shell_script
    if script is None or any(ch in script for ch in "$`;&|<>(){}\n*?[~"):
        return argv
    try:
        words = tuple(shlex.split(script))
    except ValueError:
        return argv
    return words[1:] if words[:1] == ("exec",) else words


def _short_option(args: tuple[str, ...], option: str) -> str | None:
    for index, word in enumerate(args):
        if word == option and index + 1 < len(args):
            return args[index + 1]
        if word.startswith(option) and len(word) > len(option):
            return word[len(option):]
    return None


def _with_includes(run: ContainerRun, repo: Repository, conf: SupervisorConf, image_path: str
                   ) -> list[tuple[SupervisorConf, str]]:
    """The config and what its ``[include] files=`` globs name, in supervisord's order (sorted per glob)."""
    here = posixpath.dirname(image_path)
    found = [(conf, here)]
    include = conf.section("include")
    setting = include.get("files") if include is not None else None
    if setting is None:
        return found
    for pattern in setting.value.split():
        expanded = expand(pattern, {"here": here})
        if expanded is None:
            continue
        image_glob = posixpath.normpath(posixpath.join(here, expanded))
        repo_glob = run.repo_path(image_glob) if "*" not in image_glob.rpartition("/")[0] else None
        if repo_glob is None:
            run.notes.append((f"[include] {pattern} names nothing copied into the image", setting.location))
            continue
        for other in sorted(repo.supervisord, key=lambda c: c.path):
            if other is not conf and glob_match(other.path, repo_glob):
                found.append((other, posixpath.dirname(image_glob)))
    return found


def module_file(run: ContainerRun, process: Process) -> str | None:
    """The repository module a ``python -m pkg.mod`` / ``python path.py`` process runs."""
    info = process.info
    if not (info.program.startswith("python")):
        return None
    args = info.args
    if "-m" in args and args.index("-m") + 1 < len(args):
        dotted = args[args.index("-m") + 1].replace(".", "/")
        pythonpath = process.env.get("PYTHONPATH")
        roots = [process.cwd] + [p for p in (pythonpath.value.split(":") if pythonpath else ()) if p]
        for root in roots:
            for candidate in (f"{dotted}.py", f"{dotted}/__main__.py"):
                found = run.repo_path(posixpath.join(posixpath.join(process.cwd, root), candidate))
                if found is not None:
                    return found
        return None
    if info.script is not None:
        return run.repo_path(posixpath.join(process.cwd, info.script))
    return None


def compose_duration(text: str) -> float | None:
    """A compose duration (``1m30s``, ``90s``, ``1.5h``, ``500ms``, a bare number of seconds)."""
    import re

    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[u] for n, u in parts)
