"""Resolution: the effective value of each contract setting for each consumer.

A *runtime* is one way the repository is run, with the environment its consumers
see:

* ``systemd``: each unit with its ``Environment=`` values, overridden by the
  deployed env file (the pack's ``env_file.deployed``, read from the repository's
  template with systemd's ``EnvironmentFile=`` semantics: it is applied after the
  inline values);
* ``systemd, no env file``: the units that load the env file, when that optional
  file is absent (a unit that loads none runs the same either way: it is listed once,
  under ``systemd``, and compared in both);
* ``start script``: the start script after ``set -a; source .env`` (the template
  read with bash semantics);
* ``start script or code defaults, no .env``: the start script without ``.env``;
  without a start script, the Python consumers' own code defaults.

:mod:`meslint.counterfactual` asks for what-if runtimes instead (``resolve(..., what_if=)``):
each consumer on its own, or one variable overridden.

Consumers are sites that decide a value: unit directives (``PIDFile=``), the
command lines units and scripts run (``gunicorn --pid``, ``conda run -n``), the
start script's own variables, and the Python processes (app, watchdog, ...) run
by a unit or by the script.  Each value comes with its chain of provenance.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from meslint.argv import CommandInfo, analyze
from meslint.facts import (
    EnvFile,
    EnvRead,
    ExecCommand,
    Location,
    PythonModule,
    Repository,
    ShellAssignment,
    ShellScript,
    UnitFile,
    UnitSetting,
)
from meslint.pack import ContractPack, SettingSpec
from meslint.provisioning import TemplateFill, template_fills
from meslint.script_flow import Memo, ScriptModel, script_model
from meslint.systemd_semantics import invocations, pid_file, working_directory
from meslint.template import CHECKOUT_ROOT, Binding, evaluate, matching_brace, normalize_path

RUNTIME_SYSTEMD = "systemd"
RUNTIME_SYSTEMD_BARE = "systemd, no env file"
RUNTIME_SCRIPT = "start script"
RUNTIME_SCRIPT_BARE = "start script or code defaults, no .env"
RUNTIME_CONTAINER = "container"  # meslint.container_runtime
RUNTIMES = (RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE, RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE, RUNTIME_CONTAINER)


def runtime_order(runtimes: Iterable[str]) -> list[str]:
    """Runtimes in RUNTIMES order; counterfactual ones (:mod:`meslint.counterfactual`, named
    ``"<runtime>, <what if>"``) after them, in the order of the runtime they start from."""

    def key(runtime: str) -> tuple[int, int, str]:
        if runtime in RUNTIMES:
            return (0, RUNTIMES.index(runtime), runtime)
        base = next((i for i, name in enumerate(RUNTIMES) if runtime.startswith(name + ",")), len(RUNTIMES))
        return (1, base, runtime)

    return sorted(set(runtimes), key=key)


class WhatIf(Protocol):
    """A counterfactual run (:mod:`meslint.counterfactual`): no env file; each consumer's environment
    passes through :meth:`environment`, told whose it is: ``unit`` (a unit that loads the env file),
    ``unit, no env file``, ``script`` (what the start script, or a process without one, starts with),
    ``started by script`` (what the start script exports to a process it starts)."""

    def runtime(self, base: str) -> str: ...

    def environment(self, env: dict[str, Binding], where: str) -> dict[str, Binding]: ...


@dataclass(frozen=True)
class Step:
    text: str
    location: Location | None = None
    variable: str | None = None  # the variable an expansion consulted (counterfactual.py reads dependencies)
    unset: bool = False  # ... and it was unset there: the environment could give it


@dataclass(frozen=True)
class SiteValue:
    """One consumer's effective value of one setting in one runtime."""

    setting: str
    runtime: str
    consumer: str  # e.g. "deploy/mes-dashboard.service PIDFile=", "watchdog (under deploy/x.service)"
    kind: str  # unit-directive | unit-exec | gunicorn-config | script | script-exec | python
    value: str | None  # normalised; None when not statically known
    raw: str | None
    location: Location
    chain: tuple[Step, ...] = ()
    unit: str | None = None  # the unit path for unit sites and processes they run
    # A site of a unit that loads no env file is the same without one: it also counts in that runtime.
    env_independent: bool = False

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

    def runtimes(self) -> list[str]:
        return runtime_order(v.runtime for v in self.values)

    def settings(self) -> list[str]:
        seen: dict[str, None] = {}
        for value in self.values:
            seen.setdefault(value.setting, None)
        return list(seen)


def resolve(repo: Repository, pack: ContractPack, shared: Memo | None = None,
            what_if: WhatIf | None = None) -> Resolution:
    """The resolution of every contract setting; ``shared`` is the run context's memo, if any;
    ``what_if``: one counterfactual runtime per way of running instead of the configured ones."""
    resolution = Resolution()
    template = repo.env_file(pack.env_file.template) if pack.env_file.configured else None
    units = contract_units(repo, pack)
    fills = template_fills(repo, pack)
    loading = {unit.path for unit in units if loads_env_file(unit, pack, fills)}
    for unit in units:
        start = len(resolution.values)
        if what_if is not None:  # the what-if values come as the env file would: to the units that load it
            _resolve_unit(resolution, repo, pack, unit, what_if.runtime(RUNTIME_SYSTEMD), None, what_if=what_if,
                          where="unit" if unit.path in loading or not pack.env_file.configured
                          else "unit, no env file")
            continue
        _resolve_unit(resolution, repo, pack, unit, RUNTIME_SYSTEMD, template, fills)
        if unit.path in loading:
            _resolve_unit(resolution, repo, pack, unit, RUNTIME_SYSTEMD_BARE, None)
        elif loading:  # the no-env-file runtime exists: this unit's sites count there too
            resolution.values[start:] = [replace(v, env_independent=True) for v in resolution.values[start:]]
    script = repo.script(pack.start_script.path) if pack.start_script else None
    if script is not None:
        env_file = pack.env_file.script_relative if pack.env_file.configured else None
        model = script_model(script, env_file, shared)
        # Without an env file in the pack there is nothing for the script to source: one runtime.
        with_env = ((RUNTIME_SCRIPT, template),) if pack.env_file.configured and what_if is None else ()
        bare = what_if.runtime(RUNTIME_SCRIPT) if what_if is not None else RUNTIME_SCRIPT_BARE
        for runtime, script_template in (*with_env, (bare, None)):
            _resolve_script(resolution, repo, pack, model, runtime, script_template, what_if)
    else:
        # No start script: the Python consumers still run somewhere; compare their code defaults.
        for consumer in pack.consumers:
            module = repo.module(consumer.path)
            if module is not None:
                _python_sites(resolution, repo, pack, module, what_if.environment({}, "script") if what_if else {},
                              what_if.runtime(RUNTIME_SCRIPT) if what_if else RUNTIME_SCRIPT_BARE, consumer.name,
                              CHECKOUT_ROOT, None)
    if what_if is None:
        # The container runtime is configured as it is; the what-if runs (meslint.counterfactual) vary
        # the systemd and start-script environments only.
        from meslint.container_runtime_sites import resolve_container

        resolve_container(resolution, repo, pack)
    from meslint.web_sites import add_web_sites  # here: that module builds on this one's records

    add_web_sites(resolution, repo, pack)
    order = {runtime: index for index, runtime in enumerate(runtime_order(v.runtime for v in resolution.values))}
    resolution.values.sort(key=lambda v: (v.setting, order[v.runtime], v.consumer, v.location))
    return resolution


def contract_units(repo: Repository, pack: ContractPack) -> list[UnitFile]:
    """The units the pack gives a role, in path order."""
    return [unit for unit in repo.units if pack.unit_spec(unit.path) is not None]


def loads_env_file(unit: UnitFile, pack: ContractPack, fills: tuple[TemplateFill, ...] = ()) -> bool:
    """Whether the unit loads the deployed env file (``EnvironmentFile=``): the pack's, or a path the
    documented provisioning steps fill from the template (``fills``, :mod:`meslint.provisioning`)."""
    return _template_fill_of(unit, pack, fills) is not None


def _template_fill_of(unit: UnitFile, pack: ContractPack, fills: tuple[TemplateFill, ...]
                      ) -> TemplateFill | None | bool:
    """True for the pack's deployed file, the fill for a documented one, None when it loads neither."""
    if not pack.env_file.configured:
        return None
    loaded = {f.path for f in unit.environment_files}
    if pack.env_file.deployed in loaded:
        return True
    return next((fill for fill in fills if fill.path in loaded), None)


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


def unit_environment(unit: UnitFile, pack: ContractPack, template: EnvFile | None,
                     fills: tuple[TemplateFill, ...] = ()) -> dict[str, Binding]:
    env: dict[str, Binding] = {}
    for assignment in unit.environment:
        env[assignment.name] = Binding(assignment.value, f"{unit.path}:{assignment.location.line} Environment=",
                                       assignment.location)
    loaded = _template_fill_of(unit, pack, fills) if template is not None else None
    if template is not None and loaded is not None:
        # systemd applies EnvironmentFile= after Environment=: the file wins.
        bindings = env_file_bindings(template, "systemd")
        if isinstance(loaded, TemplateFill):  # the provisioning step that puts the template there
            via = f"; at {loaded.path}, filled by {loaded.step.path}:{loaded.step.line} `{loaded.text}`"
            bindings = {name: Binding(b.value, b.origin + via, b.location) for name, b in bindings.items()}
        env.update(bindings)
    return env


# --------------------------------------------------------------------------- units


def _resolve_unit(res: Resolution, repo: Repository, pack: ContractPack, unit: UnitFile, runtime: str,
                  template: EnvFile | None, fills: tuple[TemplateFill, ...] = (), what_if: WhatIf | None = None,
                  where: str = "unit") -> None:
    env = unit_environment(unit, pack, template, fills)
    if what_if is not None:
        env = what_if.environment(env, where)
    spec = pack.unit_spec(unit.path)
    workdir = working_directory(unit)
    root = pack.deploy_root
    for setting in pack.settings:
        for site in setting.site_specs():
            if not site.directive:
                continue
            value: str | None
            directive: UnitSetting | None
            if site.directive == "PIDFile":
                found = pid_file(unit)  # systemd's reading: specifiers expanded, relative under /run
                if found is None:
                    continue
                value, directive = found
            else:
                directive = unit.get("Service", site.directive)
                if directive is None:
                    continue
                base = workdir.path or "/"
                value = normalize_path(directive.value, base) if setting.kind == "path" else _normalize(
                    setting, directive.value, base)
            res.values.append(SiteValue(setting.name, runtime, f"{unit.path} {site.directive}=", "unit-directive",
                                        value, directive.value, directive.location,
                                        (Step(f"{site.directive}={directive.value}", directive.location),),
                                        unit.path))
    gunicorns = []
    for command in unit.exec_commands:
        if command.key != "ExecStart":
            continue
        for info, chain in unit_command_infos(command, env, root):
            res.commands.append((runtime, unit.path, info, command.location))
            _command_sites(res, pack, info, runtime, f"{unit.path} ExecStart", "unit-exec", command.location,
                           workdir.path, chain, unit.path, workdir.shown)
            if info.program == "gunicorn":
                gunicorns.append(info)
    for consumer_name in spec.runs if spec else ():
        module = _consumer_module(repo, pack, consumer_name)
        if module is None:
            continue
        label = f"{consumer_name} (run by {unit.path})"
        _python_sites(res, repo, pack, module, env, runtime, label, root, unit.path)
    for info in gunicorns:  # after the consumers: a constant they already read is not a second site
        _gunicorn_config_sites(res, repo, pack, info, env, runtime, workdir.path, unit.path)


# gunicorn settings whose command-line option is not the constant's name with '-' for '_'.
_GUNICORN_OPTION_OF = {"pidfile": "pid"}


def gunicorn_config_module(repo: Repository, pack: ContractPack, info: CommandInfo,
                           workdir: str | None) -> PythonModule | None:
    """The repository module a unit's gunicorn loads: ``-c FILE``, else ``gunicorn.conf.py`` in its cwd.

    The host path maps back to the repository through the deploy root, or through the
    pack's ``install.files`` (a file installed somewhere else).
    """
    raw = info.options.get("config")
    if raw is not None and (not raw or raw.startswith("python:") or "$" in raw):
        return None
    if workdir is None and not (raw or "").startswith("/"):
        return None  # relative to a working directory systemd does not give
    host = normalize_path(raw or "gunicorn.conf.py", workdir or "/")
    if host.startswith(CHECKOUT_ROOT + "/"):  # the start script runs it in the checkout
        return repo.module(host[len(CHECKOUT_ROOT) + 1:])
    for repo_file, installed in pack.install.files.items():
        if posixpath.normpath(installed) == host:
            return repo.module(repo_file)
    root = pack.deploy_root.rstrip("/")
    if host.startswith(root + "/"):
        return repo.module(host[len(root) + 1:])
    return None


def _gunicorn_config_sites(res: Resolution, repo: Repository, pack: ContractPack, info: CommandInfo,
                           env: dict[str, Binding], runtime: str, workdir: str | None, unit: str | None,
                           module: PythonModule | None = None, owner: str | None = None) -> None:
    """Constants of the config module a gunicorn command loads (``owner``, default ``unit``, runs it);
    ``module``: the config module when the caller maps it (a container's image path), else found here."""
    module = module or gunicorn_config_module(repo, pack, info, workdir)
    if module is None or workdir is None:
        return
    constants = {constant.name: constant for constant in module.constants}
    for setting in pack.settings:
        for site in setting.site_specs():
            constant = constants.get(site.gunicorn or "")
            if constant is None or constant.value is None:
                continue
            if _GUNICORN_OPTION_OF.get(constant.name, constant.name.replace("_", "-")) in info.options:
                continue  # gunicorn: the command line wins over the config file
            line = (module.path, constant.location.line)
            if any(v.setting == setting.name and v.runtime == runtime and v.unit == unit
                   and (v.location.path, v.location.line) == line for v in res.values):
                continue  # `bind = os.getenv(NAME, ...)`: the consumer's read is that very site
            if isinstance(constant.value, str):
                evaluated = evaluate(constant.value, env, workdir)
                raw, steps = evaluated.value, _used_steps(evaluated.used)
            else:
                raw, steps = str(constant.value), []
            steps.append(Step(f"gunicorn config {constant.name} = {constant.value} (cwd {workdir})",
                              constant.location))
            res.values.append(SiteValue(setting.name, runtime, f"{module.path} {constant.name} (gunicorn config of "
                                        f"{owner or unit})", "gunicorn-config", _normalize(setting, raw, workdir), raw,
                                        constant.location, tuple(steps), unit))


def unit_command_infos(command: ExecCommand, env: dict[str, Binding], deploy_root: str
                       ) -> Iterator[tuple[CommandInfo, list[Step]]]:
    """The commands an Exec line runs (:func:`meslint.systemd_semantics.invocations`), with provenance."""
    chain = [Step(f"{command.key}= as systemd substitutes it", command.location)]
    for run in invocations(command, env, deploy_root):
        if run.shell is None:
            yield run.info, chain
            continue
        chain = chain + _used_steps(run.used)
        yield run.info, chain + [Step(f"{run.shell} -c runs it", command.location)]


def _steps_about(chain: list[Step], name: str) -> tuple[Step, ...]:
    """The provenance steps that concern one variable, plus the command itself."""
    return tuple(step for step in chain
                 if step.text.startswith((f"{name}=", f"{name} unset")) or "=" not in step.text.split(" ")[0])


def _command_sites(res: Resolution, pack: ContractPack, info: CommandInfo, runtime: str, owner: str, kind: str,
                   location: Location, cwd: str | None, chain: list[Step], unit: str | None,
                   cwd_shown: str | None = None) -> None:
    """``cwd``: the command's working directory, None when unknown (``cwd_shown`` names it then)."""
    for setting in pack.settings:
        for site in setting.site_specs():
            program, _, option = (site.option or "").partition(" --")
            if program != info.program or option not in info.options:
                continue
            raw = info.options[option]
            steps = _steps_about(chain, setting.name)
            if setting.kind == "path":
                value = _norm_path(raw, cwd)
                steps += (Step(f"{program} --{option} {raw} (cwd {cwd_shown or cwd})", location),)
            else:
                value = raw
            res.values.append(SiteValue(setting.name, runtime, f"{owner}: {program} --{option}", kind,
                                        value, raw, location, steps, unit))
    conda = pack.conda
    if conda is not None and info.conda_env is not None:
        res.values.append(SiteValue(conda.env_name_variable, runtime, f"{owner}: conda -n", kind,
                                    info.conda_env, info.conda_env, location,
                                    _steps_about(chain, conda.env_name_variable), unit))
    if conda is not None and info.conda_bin is not None and info.conda_bin != "conda":
        res.values.append(SiteValue(conda.bin_variable, runtime, f"{owner}: conda binary", kind,
                                    info.conda_bin, info.conda_bin, location,
                                    _steps_about(chain, conda.bin_variable), unit))


def _norm_path(raw: str | None, cwd: str | None) -> str | None:
    if raw is None or "$" in raw or (cwd is None and not raw.startswith("/")):
        return None
    return normalize_path(raw, cwd or "/")


def _used_steps(used: Iterable[tuple[str, Binding | None]]) -> list[Step]:
    steps = []
    for name, binding in used:
        if binding is None:
            steps.append(Step(f"{name} unset", variable=name, unset=True))
        else:
            steps.append(Step(f"{name}={binding.value!r} from {binding.origin}", binding.location, name))
    return steps


# --------------------------------------------------------------------------- python consumers


def _consumer_module(repo: Repository, pack: ContractPack, name: str) -> PythonModule | None:
    spec = pack.consumer(name)
    return repo.module(spec.path) if spec else None


def _python_sites(res: Resolution, repo: Repository, pack: ContractPack, module: PythonModule,
                  env: dict[str, Binding], runtime: str, label: str, root: str, unit: str | None) -> None:
    fallback = _contract_fallback(repo, pack, module)
    for setting in pack.settings:
        if not setting.variable:
            continue  # no environment variable: nothing in code reads it by name
        read = _first_read(module, setting.name) or (_first_read(fallback, setting.name) if fallback else None)
        if read is None:
            continue
        key = (setting.name, runtime, unit, read.location)
        if key in res.python_seen:
            continue  # two consumers of one process reading through the same code site
        res.python_seen.add(key)
        binding = env.get(setting.name)
        raw: str | None
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


def _first_read(module: PythonModule | None, name: str) -> EnvRead | None:
    if module is None:
        return None
    reads = [r for r in module.env_reads if r.name == name]
    with_default = [r for r in reads if r.default is not None]
    return (with_default or reads)[0] if reads else None


def canonical_value(setting: SettingSpec, deploy_root: str) -> str | None:
    """The pack's canonical value as resolved sites spell it (paths relative to the deploy root)."""
    return _normalize(setting, setting.canonical, deploy_root)


def _normalize(setting: SettingSpec, raw: str | None, base: str) -> str | None:
    if raw is None:
        return None
    if setting.kind == "path":
        return normalize_path(raw, base) if raw.strip() else raw
    if setting.kind == "bool":
        return raw.strip().lower()
    return raw.strip()


# --------------------------------------------------------------------------- start script


def _resolve_script(res: Resolution, repo: Repository, pack: ContractPack, model: ScriptModel, runtime: str,
                    template: EnvFile | None, what_if: WhatIf | None = None) -> None:
    script = model.script
    env = script_environment(script, pack, template, model=model,
                             inherited=what_if.environment({}, "script") if what_if is not None else None)
    res.script_environments[runtime] = env
    settings = {s.name: s for s in pack.settings if s.variable}
    gunicorns: list[CommandInfo] = []
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
        if info.program == "gunicorn":
            gunicorns.append(info)
    exported = {name: b for name, b in env.final.items() if name in env.exported}
    if what_if is not None:  # the what-if decides which of the script's exports reach what it starts
        exported = what_if.environment(exported, "started by script")
    for consumer in pack.consumers:
        module = repo.module(consumer.path)
        if module is not None:
            _python_sites(res, repo, pack, module, exported, runtime, f"{consumer.name} (run by {script.path})",
                          CHECKOUT_ROOT, None)
    for info in gunicorns:  # after the consumers: a constant they already read is not a second site
        _gunicorn_config_sites(res, repo, pack, info, exported, runtime, CHECKOUT_ROOT, None,
                              owner=script.path)


@dataclass
class ScriptEnvironment:
    final: dict[str, Binding]
    assigned: dict[str, tuple[Binding, Location | None]]
    exported: set[str]
    chains: dict[str, list[Step]]
    aliases: dict[str, str] = field(default_factory=dict)  # PID_FILE -> WATCHDOG_PID_FILE


def script_environment(script: ShellScript, pack: ContractPack, template: EnvFile | None,
                       command: str = "start", model: ScriptModel | None = None,
                       inherited: dict[str, Binding] | None = None) -> ScriptEnvironment:
    """The script's variables after running ``command``: its walk (:meth:`ScriptModel.trace`), evaluated.

    The env file is loaded where the script sources it, so a copy taken before that is
    stale (MES604); ``set -a`` exports what it assigns.  Nothing is executed.  ``inherited``:
    the (exported) environment the script is started with.
    """
    if model is None:
        model = ScriptModel(script, pack.env_file.script_relative)
    env_bindings = env_file_bindings(template, "bash") if template is not None else {}
    setting_names = {s.name for s in pack.settings if s.variable}
    result = ScriptEnvironment(dict(inherited or {}), {}, set(inherited or ()), {})
    env = result.final
    loaded = False
    for kind, fact in model.trace(command):
        if kind == "load":
            if not loaded:
                env.update(env_bindings)
                result.exported.update(env_bindings)  # set -a exports everything the file assigns
                loaded = True
        elif isinstance(fact, ShellAssignment):
            _assign(result, fact, setting_names, script.path)
        elif fact.argv[:1] == ("export",):
            result.exported.update(word.split("=", 1)[0] for word in fact.argv[1:])
    return result


def _assign(result: ScriptEnvironment, item: ShellAssignment, setting_names: set[str], path: str) -> None:
    if item.local:
        return
    if item.declared_only:
        if item.exported:
            result.exported.add(item.name)
        return
    wrapped = whole_expansion_of(item.value)
    if wrapped in setting_names and item.name not in setting_names:
        result.aliases[item.name] = wrapped
    evaluated = evaluate(item.value, result.final, CHECKOUT_ROOT)
    if item.exported:
        result.exported.add(item.name)
    if evaluated.value is None:
        return
    previous = result.final.get(item.name)
    if wrapped == item.name and previous is not None and previous.value == evaluated.value:
        binding = previous  # X=${X:-default} kept the value: keep where it came from
    else:
        binding = Binding(evaluated.value, f"{path}:{item.location.line}", item.location)
    result.final[item.name] = binding
    result.assigned[item.name] = (binding, item.location)
    result.chains[item.name] = _used_steps(evaluated.used) + [Step(f"{item.name}={item.value}", item.location)]


def whole_expansion_of(template: str) -> str | None:
    """``X`` when the whole template is one expansion of ``X`` (``${X}``, ``${X:-d}``, ``$X``)."""
    match = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", template)
    if match:
        return match.group(1)
    match = re.match(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", template)
    if not match or matching_brace(template, 1) != len(template) - 1:
        return None
    return match.group(1)
