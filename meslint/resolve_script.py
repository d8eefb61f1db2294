"""The script-side sites (a part of :mod:`meslint.resolve`): the ``start script`` runtimes.

The start script's environment after its walk (:mod:`meslint.script_flow`), evaluated: where it
loads the env file, what it assigns and exports; then the sites of its variables, of the
commands it runs, of the Python consumers it starts and of the gunicorn config they load.
"""

from __future__ import annotations

import re
from functools import lru_cache

from meslint.argv import CommandInfo, analyze
from meslint.facts import EnvFile, Repository, ShellAssignment, ShellCommand, ShellScript
from meslint.pack import ContractPack
from meslint.records import record
from meslint.resolve_gunicorn import _gunicorn_config_sites
from meslint.resolve_model import Resolution, ScriptEnvironment, SiteValue, Step, WhatIf
from meslint.resolve_sites import (
    _command_sites,
    _normalize,
    _python_sites,
    _used_steps,
    env_file_bindings,
    has_command_sites,
)
from meslint.script_flow import ScriptModel
from meslint.template import CHECKOUT_ROOT, Binding, Remembered, evaluate, evaluate_remembered, matching_brace


def _resolve_script(res: Resolution, repo: Repository, pack: ContractPack, model: ScriptModel, runtime: str,
                    template: EnvFile | None, what_if: WhatIf | None = None) -> None:
    script = model.script
    run = _started(pack, model, template, what_if.environment({}, "script") if what_if is not None else {})
    env = run.env
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
    res.commands.extend([(runtime, script.path, info, command.location)
                         for command, info in zip(script.commands, run.infos, strict=True)])
    for command, info in run.sited:
        if has_command_sites(pack, info):
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


@record
class _Started:
    """The start script run from one environment: its walk, and what each of its commands runs."""

    env: ScriptEnvironment
    infos: tuple[CommandInfo, ...]  # per command of the script
    sited: tuple[tuple[ShellCommand, CommandInfo], ...]  # the commands with sites or running gunicorn


# The runs of the start script, shared by the runtimes that start it alike (the configured run without
# .env and the what-if runs without overrides all start it with nothing inherited and no env file):
# key -> (the objects the key names by identity, the run).  Shared: never change them.
_STARTED: dict[tuple, tuple[tuple[object, ...], _Started]] = {}


def _started(pack: ContractPack, model: ScriptModel, template: EnvFile | None,
             inherited: dict[str, Binding]) -> _Started:
    key = (id(pack), id(model), id(template), tuple(inherited.items()))
    known = _STARTED.get(key)
    if known is not None and known[0][0] is pack and known[0][1] is model and known[0][2] is template:
        return known[1]
    env = script_environment(model.script, pack, template, model=model, inherited=inherited)
    infos = tuple(command_info(command.argv, env.final) for command in model.script.commands)
    sited = tuple((command, info) for command, info in zip(model.script.commands, infos, strict=True)
                  if has_command_sites(pack, info) or info.program == "gunicorn")
    if len(_STARTED) > 32:
        _STARTED.clear()
    started = _Started(env, infos, sited)
    _STARTED[key] = ((pack, model, template), started)
    return started


# The commands' analyses, remembered across runtimes (see Remembered): a start script runs a thousand
# commands, and each runtime (configured or what-if) evaluates all of them again.
_COMMANDS = Remembered()


def command_info(argv: tuple[str, ...], env: dict[str, Binding]) -> CommandInfo:
    """What a script command runs in ``env``: its words evaluated (a word with no static value kept as
    written), then analysed.  The result is shared: never change it."""
    found = _COMMANDS.find(argv, env)
    if found is not None:
        return found[0]
    words = []
    used: list[tuple[str, Binding | None]] = []
    for word in argv:
        evaluated = evaluate(word, env, CHECKOUT_ROOT)
        used += evaluated.used
        words.append(evaluated.value if evaluated.value is not None else word)
    info = analyze(tuple(words))
    _COMMANDS.keep(argv, used, info)
    return info


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
        elif fact.argv and fact.argv[0] == "export":
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
    evaluated = evaluate_remembered(item.value, result.final, CHECKOUT_ROOT)
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


@lru_cache(maxsize=4096)
def whole_expansion_of(template: str) -> str | None:
    """``X`` when the whole template is one expansion of ``X`` (``${X}``, ``${X:-d}``, ``$X``)."""
    match = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", template)
    if match:
        return match.group(1)
    match = re.match(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", template)
    if not match or matching_brace(template, 1) != len(template) - 1:
        return None
    return match.group(1)
