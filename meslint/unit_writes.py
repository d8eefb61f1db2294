"""The paths a unit's processes write (and look at), resolved per unit with provenance.

The write sites are parser facts (:class:`meslint.facts.WriteSite`) of the modules a unit runs
(:mod:`meslint.unit_code`).  Each path template is evaluated in the unit's environment (its
``Environment=``, the deployed env file, and without it), with ``@ROOT`` the deploy root (units
run the deployed tree); a path that starts from another module's constant takes that
constant's template; a relative path is taken under ``WorkingDirectory=``.  A path that stays
unknown is kept as unknown (with its source text), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from meslint.facts import Location, Repository, UnitFile, WriteSite
from meslint.import_graph import ImportGraph, import_graph
from meslint.pack import ContractPack
from meslint.resolve import Resolution
from meslint.systemd_semantics import working_directory
from meslint.template import evaluate, normalize_path
from meslint.unit_code import Entry, UnitCode, unit_code, value_template


@dataclass(frozen=True)
class Source:
    """Where part of a path's value comes from."""

    text: str
    location: Location | None


@dataclass(frozen=True)
class ResolvedWrite:
    site: WriteSite
    module: str  # repository path of the module holding the site
    entry: Entry  # why the unit runs that module
    chain: tuple[str, ...]  # import chain from the entry module to ``module``
    path: str | None  # absolute and normalised; None when not statically known
    template: str | None  # the template evaluated (base constant joined), for messages
    sources: tuple[Source, ...] = ()
    calls: tuple[str, ...] = ()  # the call chain from the entry to the site's function, when one was followed

    def reason(self) -> str:
        # A chain from the entry's job function names it first (the entry says it already).
        calls = self.calls[1:] if self.entry.function and self.calls else self.calls
        if calls and (self.entry.function or len(calls) > 1):
            return self.entry.reason + ", which calls " + " -> ".join(calls)
        via = " -> ".join(self.chain[1:]) if len(self.chain) > 1 else ""
        return self.entry.reason + (f", which imports {via}" if via else "")


def runtime_file_paths(resolution: Resolution, pack: ContractPack, unit: UnitFile) -> set[str]:
    """The contract's runtime-file paths for ``unit``, which MES606 checks (not to report twice)."""
    names = [s.name for s in pack.settings if s.kind == "path" and s.name != pack.conda_bin_variable]
    return {site.value for name in names for site in resolution.for_setting(name)
            if site.unit == unit.path and site.value}


def unit_writes(repo: Repository, pack: ContractPack, unit: UnitFile) -> list[ResolvedWrite]:
    return repo.memo(("unit_writes.unit", unit.path), lambda: _unit_writes(repo, pack, unit))


def _unit_writes(repo: Repository, pack: ContractPack, unit: UnitFile) -> list[ResolvedWrite]:
    code = unit_code(repo, pack, unit)
    return resolve_writes(repo, pack, code, working_directory(unit).path)


def resolve_writes(repo: Repository, pack: ContractPack, code: UnitCode, workdir: str | None) -> list[ResolvedWrite]:
    graph = import_graph(repo)
    found: dict[tuple[Location, str | None], ResolvedWrite] = {}
    for path, (entry, chain) in sorted(code.modules(graph).items()):
        module = repo.module(path)
        if module is None:
            continue
        for site in module.writes:
            if not code.runs(repo, path, site.function):
                continue
            calls = tuple(code.calls_to(repo, path, site.function))
            entry = _entry_of(code, graph, calls) or entry
            template, base_source = _template(repo, site, path)
            resolved_any = False
            for env in code.envs:
                if template is None:
                    break
                evaluated = evaluate(template, env, pack.deploy_root)
                value = evaluated.value
                if value is None or "$" in value or not value.strip():
                    continue
                relative = not value.startswith("/")
                if relative and workdir is None:
                    continue
                value = normalize_path(value, workdir if relative and workdir else "/")
                sources = [Source(f"{name}={binding.value!r} from {binding.origin}", binding.location)
                           for name, binding in evaluated.used if binding is not None]
                sources += [Source(f"{name} unset: the code default applies", None)
                            for name, binding in evaluated.used if binding is None]
                if base_source is not None:
                    sources.append(base_source)
                if relative:
                    sources.append(Source(f"relative, under WorkingDirectory={workdir}", None))
                key = (site.location, value)
                if key not in found:
                    found[key] = ResolvedWrite(site, path, entry, tuple(chain), value, template, tuple(sources), calls)
                resolved_any = True
            if not resolved_any:
                found.setdefault((site.location, None),
                                 ResolvedWrite(site, path, entry, tuple(chain), None, template, (), calls))
    return list(found.values())


def _entry_of(code: UnitCode, graph: ImportGraph, calls: tuple[str, ...]) -> Entry | None:
    """The entry a call chain starts from (its job function), when it starts from one."""
    if not calls:
        return None
    for entry in code.entries:
        if entry.function and calls[0] == f"{graph.name_of.get(entry.module, entry.module)}.{entry.function}":
            return entry
    return None


def _template(repo: Repository, site: WriteSite, module_path: str) -> tuple[str | None, Source | None]:
    if site.base is None:
        return site.path, None
    if site.path is None:
        return None, None
    graph = import_graph(repo)
    base = value_template(repo, graph, "ref:" + site.base, module_path)
    if base is None:
        return None, None
    owner = graph.module_path(site.base.rpartition(".")[0])
    module = repo.module(owner) if owner else None
    constant = next((c for c in reversed(module.constants) if c.name == site.base.rpartition(".")[2]), None) \
        if module else None
    source = Source(f"{site.base} = {base}", constant.location if constant else None)
    return (f"{base.rstrip('/')}/{site.path}" if site.path else base), source
