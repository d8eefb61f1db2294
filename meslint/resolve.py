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

This module is the one home of value resolution; it is split in parts, each named
``resolve_*`` and re-exported here (import from here):

* :mod:`meslint.resolve_model`: the runtimes, :class:`SiteValue` and :class:`Resolution`;
* :mod:`meslint.resolve_units`: the unit-side sites (the ``systemd`` runtimes);
* :mod:`meslint.resolve_script`: the script-side sites (the ``start script`` runtimes);
* :mod:`meslint.resolve_gunicorn`: the sites of a gunicorn config module;
* :mod:`meslint.resolve_sites`: what they share (env file bindings, command-line and Python sites).

:func:`resolve` puts them together, with the container (:mod:`meslint.container_runtime_sites`)
and web-server (:mod:`meslint.web_sites`) sites.
"""

from __future__ import annotations

from dataclasses import replace

from meslint.facts import Repository, UnitFile
from meslint.pack import ContractPack
from meslint.provisioning import template_fills
from meslint.resolve_gunicorn import _gunicorn_config_sites as _gunicorn_config_sites  # for container_runtime_sites
from meslint.resolve_gunicorn import gunicorn_config_module
from meslint.resolve_model import (
    RUNTIME_CONTAINER,
    RUNTIME_SCRIPT,
    RUNTIME_SCRIPT_BARE,
    RUNTIME_SYSTEMD,
    RUNTIME_SYSTEMD_BARE,
    RUNTIMES,
    Resolution,
    ScriptEnvironment,
    SiteValue,
    Step,
    WhatIf,
    runtime_order,
)
from meslint.resolve_script import _resolve_script, script_environment, whole_expansion_of
from meslint.resolve_sites import _command_sites as _command_sites  # for container_runtime_sites
from meslint.resolve_sites import _python_sites, canonical_value, env_file_bindings
from meslint.resolve_units import _resolve_unit, loads_env_file, unit_command_infos, unit_environment
from meslint.script_flow import Memo, script_model
from meslint.template import CHECKOUT_ROOT

__all__ = [
    "RUNTIMES", "RUNTIME_CONTAINER", "RUNTIME_SCRIPT", "RUNTIME_SCRIPT_BARE", "RUNTIME_SYSTEMD",
    "RUNTIME_SYSTEMD_BARE", "Resolution", "ScriptEnvironment", "SiteValue", "Step", "WhatIf", "canonical_value",
    "contract_units", "env_file_bindings", "gunicorn_config_module", "loads_env_file", "resolve", "runtime_order",
    "script_environment", "unit_command_infos", "unit_environment", "whole_expansion_of",
]


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
