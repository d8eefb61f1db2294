"""Counterfactual runtimes: each consumer on its own, and one override at a time.

The configured runtimes (:mod:`meslint.resolve`) show what consumers compute with the
env file and the units as they are.  Two consumers may agree there only because the env
template, a unit's ``Environment=`` or the start script's export hands both the same
value.  Two what-if runtimes take those sources away:

* **code defaults**: no env file; the contract variables are dropped from every unit's
  ``Environment=`` and from what the start script exports to the processes it starts.
  Each consumer computes the value from its own code: the Python default, the unit's
  inline ``${X:-default}``, the start script's own ``${X:-default}``.
* **one override**: no env file, the units' ``Environment=`` and the start script as they
  are, and one variable set alone to a fresh value, as if it were the env file's only line.
  Which variables to try comes from the resolution itself: a variable that some consumer's
  expansion of *another* setting consulted while it was unset
  (``${WATCHDOG_RUNTIME_DIR:-...}/gunicorn.pid``) is a base others derive from.

Both are :class:`Counterfactual` values handed to :func:`meslint.resolve.resolve`; the
runtimes they produce are named ``"<systemd|start script>, <label>"``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from meslint.agreement import ContractAuthority, disagreements
from meslint.facts import Location, Repository
from meslint.pack import ContractPack
from meslint.records import record
from meslint.resolve import (
    RUNTIME_SCRIPT,
    RUNTIME_SCRIPT_BARE,
    RUNTIME_SYSTEMD,
    RUNTIME_SYSTEMD_BARE,
    Resolution,
    SiteValue,
    contract_units,
    resolve,
)
from meslint.template import Binding

DEFAULTS_LABEL = "code defaults"
NO_ENV_FILE_LABEL = "no env file"
# The ways of running a counterfactual runtime keeps apart (paths are relative to different roots).
BASES = (RUNTIME_SYSTEMD, RUNTIME_SCRIPT)
# Each base costs one more resolution: a hostile repository deriving a setting from thousands of
# variables must not make a run take minutes (the first ones by name are tried).
MAX_BASES = 32
# Sites whose provenance chain is about the value alone (a command line's chain lists every
# variable the whole line consulted, so it says nothing about which one an option came from).
_VALUE_CHAIN_KINDS = {"python", "script", "gunicorn-config"}
# A value read from the unit file itself, never from the environment: it cannot follow an override.
_FIXED_KINDS = {"unit-directive"}


@record
class Counterfactual:
    """A what-if environment: ``unset`` reaches no consumer from a configured source, except the
    ``unit_values`` a unit's own ``Environment=`` gives; ``overrides`` come as the env file's only
    lines: to the units that load it and to the start script (which hands on what it exports)."""

    label: str
    unset: frozenset[str]
    overrides: tuple[tuple[str, str], ...] = ()
    unit_values: frozenset[str] = frozenset()

    def runtime(self, base: str) -> str:
        return f"{base}, {self.label}"

    def environment(self, env: dict[str, Binding], where: str) -> dict[str, Binding]:
        dropped = self.unset - self.unit_values if where.startswith("unit") else self.unset
        kept = {name: binding for name, binding in env.items() if name not in dropped} if dropped else dict(env)
        for name, value in self.overrides if where in {"unit", "script"} else ():
            kept[name] = Binding(value, f"what-if {name}={value}")
        return kept


def contract_variables(pack: ContractPack) -> frozenset[str]:
    return frozenset(spec.name for spec in pack.settings if spec.variable)


def code_defaults(repo: Repository, pack: ContractPack, configured: Resolution,
                  overrides: Iterable[tuple[str, str]] = ()) -> Counterfactual:
    """Each consumer on its own; with ``overrides``, those variables set and no other contract variable.

    A contract variable that every unit consuming it sets in its own ``Environment=`` is the systemd
    runtime's deliberate value (the unit file says so, and no process systemd starts misses it): it
    stays in the units.  One only some of them set is dropped like the env file's lines.
    """
    pairs = tuple(overrides)
    label = DEFAULTS_LABEL + "".join(f", {name}={value}" for name, value in pairs)
    return Counterfactual(label, contract_variables(pack), pairs, unit_values(repo, pack, configured))


def unit_values(repo: Repository, pack: ContractPack, configured: Resolution) -> frozenset[str]:
    """The contract variables every unit with a site of them (in ``configured``) sets in ``Environment=``."""
    setters: dict[str, set[str]] = {}
    for unit in contract_units(repo, pack):
        for assignment in unit.environment:
            setters.setdefault(assignment.name, set()).add(unit.path)
    kept = set()
    for name in contract_variables(pack) & setters.keys():
        # Only systemd's sites: a container process also names its owner in ``unit``, but no unit
        # Environment= reaches it.
        consuming = {site.unit for site in configured.for_setting(name)
                     if site.unit is not None and site.runtime in (RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE)}
        if consuming <= setters[name]:
            kept.add(name)
    return frozenset(kept)


def no_env_file(overrides: Iterable[tuple[str, str]] = ()) -> Counterfactual:
    """The consumers as configured, without the env file; ``overrides`` given as its only lines (to the
    units that load it, and to the start script, which hands what it exports to what it starts)."""
    pairs = tuple(overrides)
    label = NO_ENV_FILE_LABEL if not pairs else "env file only " + ", ".join(f"{n}={v}" for n, v in pairs)
    return Counterfactual(label, frozenset(), pairs)


Shared = Callable[[Hashable, Callable[[], Any]], Any]


def resolve_what_if(repo: Repository, pack: ContractPack, what_if: Counterfactual,
                    shared: Shared | None = None) -> Resolution:
    """The resolution under ``what_if``, computed once per run when ``shared`` is the run's memo."""
    if shared is None:
        return resolve(repo, pack, None, what_if)
    return shared(("counterfactual", what_if), lambda: resolve(repo, pack, shared, what_if))


# --------------------------------------------------------------------------- dependencies


@record
class Derivation:
    """``derived`` settings that some consumer computes from ``base`` when it is unset."""

    base: str
    derived: tuple[str, ...]


def derivations(defaults: Resolution) -> list[Derivation]:
    """Variables other settings are built from, read off the expansions of the code-defaults runtime.

    Only the chains of values themselves are read (Python reads, start-script assignments, gunicorn
    config constants).  Only a variable some consumer consulted while it was *unset* counts: the environment can give
    it (a start script's own ``ROOT``, always assigned before it is used, cannot be overridden).
    """
    derived: dict[str, set[str]] = {}
    open_to_environment: set[str] = set()
    for site in defaults.values:
        if site.kind not in _VALUE_CHAIN_KINDS:
            continue
        for step in site.chain:
            if step.variable is None or step.variable == site.setting:
                continue
            derived.setdefault(step.variable, set()).add(site.setting)
            if step.unset:
                open_to_environment.add(step.variable)
    found = [Derivation(base, tuple(sorted(settings))) for base, settings in sorted(derived.items())
             if base in open_to_environment]
    return found[:MAX_BASES]


def fresh_value(pack: ContractPack, derivation: Derivation) -> str:
    """A value no consumer holds: an absolute path for a base of paths, else a plain word."""
    spec = pack.setting(derivation.base)
    kinds = {spec.kind} if spec is not None else {s.kind for s in pack.settings if s.name in derivation.derived}
    if "path" in kinds:
        return f"/meslint-what-if/{derivation.base.lower()}"
    if "bind" in kinds:
        return "127.0.0.2:18080"
    return "meslint-what-if"


# --------------------------------------------------------------------------- comparisons


def live_breach(pack: ContractPack, resolution: Resolution, setting: str, authority: ContractAuthority) -> bool:
    """Whether a configured runtime already splits ``setting`` where a live rule compares it:
    MES603 (the pid file), MES604 (a bind) and MES601 (the conda variables) compare every site,
    MES602 the Python and start-script sites of the other path settings."""
    spec = pack.setting(setting)
    if spec is None:
        return False
    sites = resolution.for_setting(setting)
    conda = pack.conda
    if not (spec.pid_file or spec.kind == "bind"
            or (conda is not None and setting in {conda.env_name_variable, conda.bin_variable})):
        if spec.kind != "path":
            return False  # no live rule compares it: the divergence is this rule's to report
        sites = [site for site in sites if site.kind in {"python", "script"}]
    return bool(disagreements(sites, authority=authority))


def base_of(runtime: str) -> str:
    """The way of running a counterfactual runtime belongs to (``systemd`` or ``start script``)."""
    return next((base for base in BASES if runtime == base or runtime.startswith(base + ",")), runtime)


def comparable(site: SiteValue) -> bool:
    """A site an override can move: its value is known and comes from an expansion."""
    return site.value is not None and site.kind not in _FIXED_KINDS


@record
class Masking:
    location: Location
    text: str


def masking_sources(repo: Repository, pack: ContractPack, configured: Resolution, setting: str,
                    base: str, view: Counterfactual) -> list[Masking]:
    """Where a configured runtime hands ``setting`` to the consumers of ``base`` today: the env
    template's line, a unit's ``Environment=`` (unless ``view`` keeps it), the start script's export."""
    found: list[Masking] = []
    if pack.env_file.configured:
        template = repo.env_file(pack.env_file.template)
        line = template.last(setting) if template is not None else None
        if line is not None:
            found.append(Masking(line.location, f"{line.location.path}:{line.location.line} sets it"))
    if base == RUNTIME_SYSTEMD and setting not in view.unit_values:
        for unit in contract_units(repo, pack):
            for assignment in unit.environment:
                if assignment.name == setting:
                    found.append(Masking(assignment.location,
                                         f"{unit.path}:{assignment.location.line} Environment= sets it"))
    else:
        env = configured.script_environments.get(RUNTIME_SCRIPT_BARE)
        assigned = env.assigned.get(setting) if env is not None else None
        if env is not None and assigned is not None and assigned[1] is not None and setting in env.exported:
            location = assigned[1]
            found.append(Masking(location, f"{location.path}:{location.line} exports it to the processes the "
                                           "script starts"))
    return found
