"""The unit-side sites (a part of :mod:`meslint.resolve`): the ``systemd`` runtimes.

A unit's environment (``Environment=``, then the deployed env file its ``EnvironmentFile=``
loads), its directives (``PIDFile=``, ...), the commands its ``ExecStart=`` runs, the Python
consumers it runs and the gunicorn config module they load.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.argv import CommandInfo
from meslint.facts import EnvFile, ExecCommand, Repository, UnitFile, UnitSetting
from meslint.pack import ContractPack, SettingSpec, UnitSpec
from meslint.provisioning import TemplateFill
from meslint.records import record
from meslint.resolve_gunicorn import _gunicorn_config_sites
from meslint.resolve_model import Resolution, SiteValue, Step, WhatIf
from meslint.resolve_sites import (
    _command_sites,
    _consumer_module,
    _normalize,
    _python_sites,
    _used_steps,
    env_file_bindings,
)
from meslint.systemd_semantics import WorkingDirectory, invocations, pid_file, working_directory
from meslint.template import Binding, normalize_path


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


def _resolve_unit(res: Resolution, repo: Repository, pack: ContractPack, unit: UnitFile, runtime: str,
                  template: EnvFile | None, fills: tuple[TemplateFill, ...] = (), what_if: WhatIf | None = None,
                  where: str = "unit") -> None:
    env = unit_environment(unit, pack, template, fills)
    if what_if is not None:
        env = what_if.environment(env, where)
    plan = _plan(unit, pack)
    spec, workdir = plan.spec, plan.workdir
    root = pack.deploy_root
    for setting, name, value, directive in plan.directives:
        res.values.append(SiteValue(setting.name, runtime, f"{unit.path} {name}=", "unit-directive",
                                    value, directive.value, directive.location,
                                    (Step(f"{name}={directive.value}", directive.location),), unit.path))
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


@record
class _UnitPlan:
    """What a unit gives every runtime alike: its spec, working directory and directive sites."""

    spec: UnitSpec | None
    workdir: WorkingDirectory
    directives: tuple[tuple[SettingSpec, str, str | None, UnitSetting], ...]  # setting, directive, value, line


# Per (unit, pack): the configured and every what-if runtime read the same directives (key -> the
# objects it names by identity, the plan).
_PLANS: dict[tuple[int, int], tuple[UnitFile, ContractPack, _UnitPlan]] = {}


def _plan(unit: UnitFile, pack: ContractPack) -> _UnitPlan:
    known = _PLANS.get((id(unit), id(pack)))
    if known is not None and known[0] is unit and known[1] is pack:
        return known[2]
    workdir = working_directory(unit)
    directives = []
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
            directives.append((setting, site.directive, value, directive))
    if len(_PLANS) > 256:
        _PLANS.clear()
    plan = _UnitPlan(pack.unit_spec(unit.path), workdir, tuple(directives))
    _PLANS[(id(unit), id(pack))] = (unit, pack, plan)
    return plan


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
