"""Resolution: the effective value of each contract setting for each consumer.

A *runtime* is one way the repository is run, with the environment its consumers
see:

* ``systemd``: each unit with its ``Environment=`` values, overridden by the
  deployed env file (the pack's ``env_file.deployed``, read from the repository's
  template with systemd's ``EnvironmentFile=`` semantics: it is applied after the
  inline values);
* ``systemd, no env file``: the same units when the optional env file is absent;
* ``start script``: the start script after ``set -a; source .env`` (the template
  read with bash semantics);
* ``start script or code defaults, no .env``: the start script without ``.env``;
  without a start script, the Python consumers' own code defaults.

Consumers are sites that decide a value: unit directives (``PIDFile=``), the
command lines units and scripts run (``gunicorn --pid``, ``conda run -n``), the
start script's own variables, and the Python processes (app, watchdog, ...) run
by a unit or by the script.  Each value comes with its chain of provenance.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from meslint.commands import CommandInfo, analyze
from meslint.facts import (
    EnvFile,
    Location,
    PythonModule,
    Repository,
    ShellAssignment,
    ShellCommand,
    ShellScript,
    UnitFile,
)
from meslint.pack import ContractPack, SettingSpec
from meslint.template import CHECKOUT_ROOT, Binding, evaluate, matching_brace, normalize_path

RUNTIME_SYSTEMD = "systemd"
RUNTIME_SYSTEMD_BARE = "systemd, no env file"
RUNTIME_SCRIPT = "start script"
RUNTIME_SCRIPT_BARE = "start script or code defaults, no .env"
RUNTIMES = (RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE, RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE)


@dataclass(frozen=True)
class Step:
    text: str
    location: Location | None = None


@dataclass(frozen=True)
class SiteValue:
    """One consumer's effective value of one setting in one runtime."""

    setting: str
    runtime: str
    consumer: str  # e.g. "deploy/mes-dashboard.service PIDFile=", "watchdog (under deploy/x.service)"
    kind: str  # unit-directive | unit-exec | script | script-exec | python
    value: str | None  # normalised; None when not statically known
    raw: str | None
    location: Location
    chain: tuple[Step, ...] = ()
    unit: str | None = None  # the unit path for unit sites and processes they run

    def explain(self) -> str:
        parts = [step.text for step in self.chain]
        return "; ".join(parts)


@dataclass
class Resolution:
    values: list[SiteValue] = field(default_factory=list)
    commands: list[tuple[str, str, CommandInfo, Location]] = field(default_factory=list)  # runtime, owner, cmd, loc
    python_seen: set = field(default_factory=set, repr=False)
    # The start script's environment per script runtime, for checks that evaluate more of its words.
    script_environments: dict[str, ScriptEnvironment] = field(default_factory=dict, repr=False)

    def for_setting(self, setting: str, runtime: str | None = None) -> list[SiteValue]:
        return [v for v in self.values if v.setting == setting and (runtime is None or v.runtime == runtime)]

    def settings(self) -> list[str]:
        seen: dict[str, None] = {}
        for value in self.values:
            seen.setdefault(value.setting, None)
        return list(seen)


def resolve(repo: Repository, pack: ContractPack) -> Resolution:
    resolution = Resolution()
    template = repo.env_file(pack.env_file.template)
    for unit in contract_units(repo, pack):
        for runtime, with_env in ((RUNTIME_SYSTEMD, True), (RUNTIME_SYSTEMD_BARE, False)):
            _resolve_unit(resolution, repo, pack, unit, runtime, template if with_env else None)
    script = repo.script(pack.start_script.path) if pack.start_script else None
    if script is not None:
        for runtime, with_env in ((RUNTIME_SCRIPT, True), (RUNTIME_SCRIPT_BARE, False)):
            _resolve_script(resolution, repo, pack, script, runtime, template if with_env else None)
    else:
        # No start script: the Python consumers still run somewhere; compare their code defaults.
        for consumer in pack.consumers:
            module = repo.module(consumer.path)
            if module is not None:
                _python_sites(resolution, repo, pack, module, {}, RUNTIME_SCRIPT_BARE, consumer.name,
                              CHECKOUT_ROOT, None)
    resolution.values.sort(key=lambda v: (v.setting, RUNTIMES.index(v.runtime), v.consumer, v.location))
    return resolution


def contract_units(repo: Repository, pack: ContractPack) -> list[UnitFile]:
    """The units the pack gives a role, in path order."""
    return [unit for unit in repo.units if pack.unit_spec(unit.path) is not None]


# --------------------------------------------------------------------------- environments


_BINDINGS_MEMO: dict[tuple[int, str], tuple[EnvFile, dict[str, Binding]]] = {}


def env_file_bindings(env_file: EnvFile, consumer: str) -> dict[str, Binding]:
    """Bindings of an env file as ``consumer`` ("systemd" | "bash" | "dotenv") reads it.

    Memoised per env file (bindings are frozen): every unit and script walk asks for the same
    template again, and a large template made this the hottest function of a run.  Callers get
    their own copy of the mapping.
    """
    key = (id(env_file), consumer)
    memo = _BINDINGS_MEMO.get(key)
    if memo is not None and memo[0] is env_file:
        return dict(memo[1])
    if len(_BINDINGS_MEMO) > 64:
        _BINDINGS_MEMO.clear()
    bindings = _env_file_bindings(env_file, consumer)
    _BINDINGS_MEMO[key] = (env_file, bindings)
    return dict(bindings)


def _env_file_bindings(env_file: EnvFile, consumer: str) -> dict[str, Binding]:
    label = {"systemd": "systemd EnvironmentFile=", "bash": "bash set -a; source", "dotenv": "python-dotenv"}
    bindings: dict[str, Binding] = {}
    for assignment in env_file.assignments:
        value = getattr(assignment, consumer)
        if value is None:
            continue
        bindings[assignment.name] = Binding(
            value, f"{env_file.path}:{assignment.location.line} ({label[consumer]})", assignment.location)
    return bindings


def unit_environment(unit: UnitFile, pack: ContractPack, template: EnvFile | None) -> dict[str, Binding]:
    env: dict[str, Binding] = {}
    for assignment in unit.environment:
        env[assignment.name] = Binding(assignment.value, f"{unit.path}:{assignment.location.line} Environment=",
                                       assignment.location)
    if template is None:
        return env
    for env_file in unit.environment_files:
        if env_file.path == pack.env_file.deployed:
            # systemd applies EnvironmentFile= after Environment=: the file wins.
            env.update(env_file_bindings(template, "systemd"))
    return env


# --------------------------------------------------------------------------- units


def _resolve_unit(res: Resolution, repo: Repository, pack: ContractPack, unit: UnitFile, runtime: str,
                  template: EnvFile | None) -> None:
    env = unit_environment(unit, pack, template)
    spec = pack.unit_spec(unit.path)
    workdir_setting = unit.get("Service", "WorkingDirectory")
    workdir = workdir_setting.value.lstrip("-") if workdir_setting else "/"
    root = pack.deploy_root
    pid_setting = next((s for s in pack.settings if s.pid_file), None)
    pidfile = unit.get("Service", "PIDFile")
    if pid_setting is not None and pidfile is not None:
        # systemd.service(5): a relative PIDFile= is taken relative to /run.
        value = normalize_path(pidfile.value, "/run")
        res.values.append(SiteValue(pid_setting.name, runtime, f"{unit.path} PIDFile=", "unit-directive", value,
                                    pidfile.value, pidfile.location, (Step("PIDFile=" + pidfile.value,
                                                                           pidfile.location),), unit.path))
    for command in unit.exec_commands:
        if command.key != "ExecStart":
            continue
        for info, chain in unit_command_infos(unit, command, env):
            res.commands.append((runtime, unit.path, info, command.location))
            _command_sites(res, pack, info, runtime, f"{unit.path} ExecStart", "unit-exec", command.location,
                           workdir, chain, unit.path)
    for consumer_name in spec.runs if spec else ():
        module = _consumer_module(repo, pack, consumer_name)
        if module is None:
            continue
        label = f"{consumer_name} (run by {unit.path})"
        _python_sites(res, repo, pack, module, env, runtime, label, root, unit.path)


def unit_command_infos(unit: UnitFile, command, env: dict[str, Binding]):
    """The commands an Exec line runs, after systemd substitution (and bash -c unwrapping)."""
    from meslint.parsers.systemd import substitute_argv

    values = {name: binding.value for name, binding in env.items()}
    argv = command.argv if ":" in command.prefixes else substitute_argv(command.argv, values)
    info = analyze(tuple(argv))
    chain = [Step(f"{command.key}= as systemd substitutes it", command.location)]
    if info.shell_script is None:
        yield info, chain
        return
    from meslint.cache import parse_shell_snippet as parse_shell

    inner = parse_shell(unit.path, info.shell_script)
    for inner_command in inner.commands:
        words = []
        for word in inner_command.argv:
            evaluated = evaluate(word, env, CHECKOUT_ROOT)
            words.append(evaluated.value if evaluated.value is not None else word)
            chain_extra = _used_steps(evaluated.used)
            chain = chain + chain_extra
        yield analyze(tuple(words)), chain + [Step(f"{info.program} -c runs it", command.location)]


def _steps_about(chain: list[Step], name: str) -> tuple[Step, ...]:
    """The provenance steps that concern one variable, plus the command itself."""
    return tuple(step for step in chain
                 if step.text.startswith((f"{name}=", f"{name} unset")) or "=" not in step.text.split(" ")[0])


def _command_sites(res: Resolution, pack: ContractPack, info: CommandInfo, runtime: str, owner: str, kind: str,
                   location: Location, cwd: str, chain: list[Step], unit: str | None) -> None:
    if info.program == "gunicorn":
        pid_setting = next((s for s in pack.settings if s.pid_file), None)
        bind_setting = next((s for s in pack.settings if s.kind == "bind"), None)
        if pid_setting is not None and "pid" in info.options:
            raw = info.options["pid"]
            steps = _steps_about(chain, pid_setting.name) + (Step(f"gunicorn --pid {raw} (cwd {cwd})", location),)
            res.values.append(SiteValue(pid_setting.name, runtime, f"{owner}: gunicorn --pid", kind,
                                        _norm_path(raw, cwd), raw, location, steps, unit))
        if bind_setting is not None and "bind" in info.options:
            raw = info.options["bind"]
            res.values.append(SiteValue(bind_setting.name, runtime, f"{owner}: gunicorn --bind", kind, raw, raw,
                                        location, _steps_about(chain, bind_setting.name), unit))
    if info.conda_env is not None:
        res.values.append(SiteValue(pack.conda.env_name_variable, runtime, f"{owner}: conda -n", kind,
                                    info.conda_env, info.conda_env, location,
                                    _steps_about(chain, pack.conda.env_name_variable), unit))
    if info.conda_bin is not None and info.conda_bin != "conda":
        res.values.append(SiteValue(pack.conda.bin_variable, runtime, f"{owner}: conda binary", kind,
                                    info.conda_bin, info.conda_bin, location,
                                    _steps_about(chain, pack.conda.bin_variable), unit))


def _norm_path(raw: str | None, cwd: str) -> str | None:
    if raw is None or "$" in raw:
        return None
    return normalize_path(raw, cwd)


def _used_steps(used: Iterable[tuple[str, Binding | None]]) -> list[Step]:
    steps = []
    for name, binding in used:
        if binding is None:
            steps.append(Step(f"{name} unset"))
        else:
            steps.append(Step(f"{name}={binding.value!r} from {binding.origin}", binding.location))
    return steps


# --------------------------------------------------------------------------- python consumers


def _consumer_module(repo: Repository, pack: ContractPack, name: str) -> PythonModule | None:
    spec = pack.consumer(name)
    return repo.module(spec.path) if spec else None


def _python_sites(res: Resolution, repo: Repository, pack: ContractPack, module: PythonModule,
                  env: dict[str, Binding], runtime: str, label: str, root: str, unit: str | None) -> None:
    fallback = _contract_fallback(repo, pack, module)
    for setting in pack.settings:
        read = _first_read(module, setting.name) or (_first_read(fallback, setting.name) if fallback else None)
        if read is None:
            continue
        key = (setting.name, runtime, unit, read.location)
        if key in res.python_seen:
            continue  # two consumers of one process reading through the same code site
        res.python_seen.add(key)
        binding = env.get(setting.name)
        if binding is not None and (binding.value != "" or read.via != "resolver"):
            raw = binding.value
            chain = [Step(f"{setting.name}={raw!r} from {binding.origin}", binding.location)]
        elif read.default is not None:
            evaluated = evaluate(read.default, env, root)
            raw = evaluated.value
            chain = _used_steps(evaluated.used) + [Step(f"code default {read.default}", read.location)]
        else:
            continue
        if raw is not None and not raw.strip():
            continue  # an empty default means "no opinion" (e.g. find conda on PATH)
        value = _normalize(setting, raw, root)
        res.values.append(SiteValue(setting.name, runtime, label, "python", value, raw, read.location,
                                    tuple(chain), unit))


def _contract_fallback(repo: Repository, pack: ContractPack, module: PythonModule) -> PythonModule | None:
    """The contract module, when ``module`` imports it (and is not it)."""
    if not pack.contract_module or module.path == pack.contract_module:
        return None
    dotted = _dotted_module(pack.contract_module)
    if any(name == dotted or name.startswith(dotted + ".") for name in module.imports):
        return repo.module(pack.contract_module)
    return None


def _dotted_module(path: str) -> str:
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _first_read(module: PythonModule | None, name: str):
    if module is None:
        return None
    reads = [r for r in module.env_reads if r.name == name]
    with_default = [r for r in reads if r.default is not None]
    return (with_default or reads or [None])[0]


def _normalize(setting: SettingSpec, raw: str | None, base: str) -> str | None:
    if raw is None:
        return None
    if setting.kind == "path":
        return normalize_path(raw, base) if raw.strip() else raw
    if setting.kind == "bool":
        return raw.strip().lower()
    return raw.strip()


# --------------------------------------------------------------------------- start script


def _resolve_script(res: Resolution, repo: Repository, pack: ContractPack, script: ShellScript, runtime: str,
                    template: EnvFile | None) -> None:
    env = script_environment(script, pack, template)
    res.script_environments[runtime] = env
    settings = {s.name: s for s in pack.settings}
    for name, (binding, location) in env.assigned.items():
        setting = name if name in settings else env.aliases.get(name)
        if setting is None or location is None:
            continue
        value = _normalize(settings[setting], binding.value, CHECKOUT_ROOT)
        label = f"{script.path} ${name}" if name == setting else f"{script.path} ${name} (from {setting})"
        res.values.append(SiteValue(setting, runtime, label, "script", value, binding.value,
                                    location, tuple(env.chains.get(name, ())), None))
    for command in script.commands:
        words = []
        for word in command.argv:
            evaluated = evaluate(word, env.final, CHECKOUT_ROOT)
            words.append(evaluated.value if evaluated.value is not None else word)
        info = analyze(tuple(words))
        res.commands.append((runtime, script.path, info, command.location))
        _command_sites(res, pack, info, runtime, script.path, "script-exec", command.location, CHECKOUT_ROOT,
                       [Step("command in " + script.path, command.location)], None)
    exported = {name: b for name, b in env.final.items() if name in env.exported}
    for consumer in pack.consumers:
        module = repo.module(consumer.path)
        if module is not None:
            _python_sites(res, repo, pack, module, exported, runtime, f"{consumer.name} (run by {script.path})",
                          CHECKOUT_ROOT, None)


@dataclass
class ScriptEnvironment:
    final: dict[str, Binding]
    assigned: dict[str, tuple[Binding, Location | None]]
    exported: set[str]
    chains: dict[str, list[Step]]
    env_loaded_at: Location | None = None
    aliases: dict[str, str] = field(default_factory=dict)  # PID_FILE -> WATCHDOG_PID_FILE


def script_environment(script: ShellScript, pack: ContractPack, template: EnvFile | None,
                       command: str = "start") -> ScriptEnvironment:
    """The script's variables after running ``command``, walking the facts in call order.

    Top-level statements run in order; a command naming a function of the script runs
    that function's statements (each function at most once per call chain).  Inside a
    ``case``, only arms whose patterns name ``command`` are followed.  The env file is
    loaded where the script sources it, so a copy taken before that is stale (MES604).
    Functions never reached are walked afterwards in file order, so a library-style
    script still yields its assignments.  Nothing is executed: this reads parsed facts.
    """
    walk = _ScriptWalk(script, pack, template, command)
    walk.run()
    return ScriptEnvironment(walk.env, walk.assigned, walk.exported, walk.chains,
                             walk.source_cmd.location if walk.source_cmd else None, walk.aliases)


class _ScriptWalk:
    _MAX_STEPS = 20000
    # A helper called from twenty places (resolve_runtime_paths) yields nothing new after
    # its second run: the first sees the start-up state, the second the state after .env.
    _MAX_RUNS_PER_FUNCTION = 2

    def __init__(self, script: ShellScript, pack: ContractPack, template: EnvFile | None, command: str,
                 trace: list | None = None, bodies: dict | None = None) -> None:
        # With a trace the walk only records what runs, as (kind, fact), kind in command/assign/load,
        # and evaluates nothing: which functions and case arms run never depends on values.
        self.trace = trace
        self.script = script
        self.command = command
        self.setting_names = {s.name for s in pack.settings}
        self.source_cmd = env_source_command(script, pack)
        self.env_bindings = env_file_bindings(template, "bash") if template is not None else {}
        self.env: dict[str, Binding] = {}
        self.assigned: dict[str, tuple[Binding, Location | None]] = {}
        self.chains: dict[str, list[Step]] = {}
        self.exported: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.loaded = False
        self.steps = 0
        self.visited: set[str] = set()
        self.runs: dict[str, int] = {}
        self.events = bodies if bodies is not None else _bodies(script)
        self.functions = {f.name for f in script.functions}

    def run(self) -> None:
        self._run_body(None, ())
        for name in sorted(self.functions, key=self._function_line):
            if name not in self.visited:
                self._run_body(name, (name,))

    def _function_line(self, name: str) -> tuple:
        for function in self.script.functions:
            if function.name == name:
                return (function.location.line, name)
        return (0, name)

    def _run_body(self, function: str | None, stack: tuple[str, ...]) -> None:
        if function is not None:
            self.visited.add(function)
        for _location, item in self.events.get(function, ()):
            self.steps += 1
            if self.steps > self._MAX_STEPS:
                return
            if isinstance(item, ShellCommand):
                self._command(item, stack)
            else:
                self._assign(item)

    def _command(self, cmd: ShellCommand, stack: tuple[str, ...]) -> None:
        if cmd.case_arms and not self._arm_taken(cmd.case_arms[-1]):
            return
        if self.trace is not None:
            self.trace.append(("command", cmd))
        if cmd is self.source_cmd:
            self._load_env()
            return
        if cmd.argv[:1] == ("export",):
            self.exported.update(word.split("=", 1)[0] for word in cmd.argv[1:])
            return
        name = cmd.argv[0] if cmd.argv else ""
        if name in self.functions and name not in stack and self.runs.get(name, 0) < self._MAX_RUNS_PER_FUNCTION:
            self.runs[name] = self.runs.get(name, 0) + 1
            self._run_body(name, (*stack, name))

    def _arm_taken(self, patterns: str) -> bool:
        import fnmatch

        return any(p.strip("\"'") == self.command or (p not in {"*", "?"} and "*" in p
                   and fnmatch.fnmatchcase(self.command, p)) for p in patterns.split("|"))

    def _load_env(self) -> None:
        if not self.loaded:
            self.env.update(self.env_bindings)
            self.exported.update(self.env_bindings)  # set -a exports everything the file assigns
            self.loaded = True
        if self.trace is not None:
            self.trace.append(("load", self.source_cmd))

    def _assign(self, item: ShellAssignment) -> None:
        if self.trace is not None:
            self.trace.append(("assign", item))
            return
        if item.local:
            return
        if item.declared_only:
            if item.exported:
                self.exported.add(item.name)
            return
        wrapped = whole_expansion_of(item.value)
        if wrapped in self.setting_names and item.name not in self.setting_names:
            self.aliases[item.name] = wrapped
        evaluated = evaluate(item.value, self.env, CHECKOUT_ROOT)
        if item.exported:
            self.exported.add(item.name)
        if evaluated.value is None:
            return
        previous = self.env.get(item.name)
        if wrapped == item.name and previous is not None and previous.value == evaluated.value:
            binding = previous  # X=${X:-default} kept the value: keep where it came from
        else:
            binding = Binding(evaluated.value, f"{self.script.path}:{item.location.line}", item.location)
        self.env[item.name] = binding
        self.assigned[item.name] = (binding, item.location)
        self.chains[item.name] = _used_steps(evaluated.used) + [Step(f"{item.name}={item.value}", item.location)]


def _bodies(script: ShellScript) -> dict[str | None, list[tuple[Location, ShellAssignment | ShellCommand]]]:
    """The assignments and commands of each body (``None``: top level), in source order."""
    bodies: dict[str | None, list[tuple[Location, ShellAssignment | ShellCommand]]] = {}
    for assignment in script.assignments:
        bodies.setdefault(assignment.function, []).append((assignment.location, assignment))
    for cmd in script.commands:
        bodies.setdefault(cmd.function, []).append((cmd.location, cmd))
    for items in bodies.values():
        items.sort(key=_location_order)
    return bodies


def _location_order(item: tuple[Location, object]) -> tuple:
    # Location's own ordering, as a plain tuple: sorting compares tuples much faster than Locations.
    loc = item[0]
    return (loc.path, loc.line, loc.column, loc.end_line, loc.end_column)


def script_events(script: ShellScript, pack: ContractPack,
                  commands: Iterable[str]) -> dict[str, list[tuple[str, ShellCommand | ShellAssignment]]]:
    """What the script runs for each subcommand, in order: ``(kind, fact)``, kind in command/assign/load.

    Which functions and ``case`` arms run depends only on the script's structure, never
    on variable values, so these walks evaluate nothing (and need no env file).
    """
    bodies = _bodies(script)
    traces: dict[str, list[tuple[str, ShellCommand | ShellAssignment]]] = {}
    for command in commands:
        traces[command] = []
        _ScriptWalk(script, pack, None, command, trace=traces[command], bodies=bodies).run()
    return traces


def whole_expansion_of(template: str) -> str | None:
    """``X`` when the whole template is one expansion of ``X`` (``${X}``, ``${X:-d}``, ``$X``)."""
    match = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", template)
    if match:
        return match.group(1)
    match = re.match(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", template)
    if not match or matching_brace(template, 1) != len(template) - 1:
        return None
    return match.group(1)


def env_source_command(script: ShellScript, pack: ContractPack):
    wanted = pack.env_file.script_relative
    for command in script.commands:
        if command.argv[:1] in (("source",), (".",)) and len(command.argv) > 1:
            target = command.argv[1]
            if posixpath.basename(target) == posixpath.basename(wanted):
                return command
    return None
