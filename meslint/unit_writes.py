"""The paths a unit's processes write (and look at), resolved per unit with provenance.

The write sites are parser facts (:class:`meslint.facts.WriteSite`) of the modules a unit runs
(:mod:`meslint.unit_code`).  Each path template is evaluated in the unit's environment (its
``Environment=``, the deployed env file, and without it), with ``@ROOT`` the deploy root (units
run the deployed tree); a path that starts from another module's constant takes that
constant's template; a relative path is taken under ``WorkingDirectory=``.  A path that stays
unknown is kept as unknown (with its source text), never guessed.
"""

from __future__ import annotations

from collections.abc import Container

from meslint.class_attrs import class_index
from meslint.facts import Location, PythonModule, Repository, UnitFile, WriteSite
from meslint.import_graph import ImportGraph, import_graph
from meslint.pack import ContractPack
from meslint.records import record
from meslint.resolve import Resolution
from meslint.systemd_semantics import working_directory
from meslint.template import CHECKOUT_ROOT, evaluate, normalize_path
from meslint.unit_code import Entry, UnitCode, call_chain, unit_code, value_template


@record
class Source:
    """Where part of a path's value comes from."""

    text: str
    location: Location | None


@record
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


_MAX_VALUES = 16


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
    modules = code.modules(graph)
    reach = None  # the unit's reach, asked for at the first site in a function (as UnitCode.runs would)
    # The modules by path, read as the whole field (the import graph read it already): a lookup per module
    # was a scan of the modules, and for the incremental tracker one more file to check per module and unit.
    by_path: dict[str, PythonModule] = repo.memo("unit_writes.modules", lambda: _by_path(repo))
    for path, (entry, chain) in sorted(modules.items()):
        module = by_path.get(path)
        if module is None:
            continue
        for site in module.writes:
            if site.function is None:  # module-level code runs on import
                calls: tuple[str, ...] = ()
            else:
                if reach is None:
                    reach = code.reach(repo)
                if (path, site.function) not in reach:
                    continue
                calls = tuple(call_chain(graph, reach, path, site.function))
            entry = _entry_of(code, graph, calls) or entry
            for template, base_sources in _templates(repo, site.path, site.base, path, modules):
                resolve_site(found, pack, code, workdir, site, path, entry, chain, calls, template, base_sources)
    return list(found.values())


def _by_path(repo: Repository) -> dict[str, PythonModule]:
    found: dict[str, PythonModule] = {}
    for module in repo.python:
        found.setdefault(module.path, module)  # the first, as Repository.module answers
    return found


def resolve_site(found: dict[tuple[Location, str | None], ResolvedWrite], pack: ContractPack, code: UnitCode,
                  workdir: str | None, site: WriteSite, path: str, entry: Entry, chain: list[str],
                  calls: tuple[str, ...], template: str | None, base_sources: tuple[Source, ...],
                  root: str | None = None) -> None:
    """Add ``site``'s resolved path(s) (or its unknown one) to ``found``; ``root``: what ``@ROOT`` is."""
    resolved_any = False
    for env in code.envs:
        if template is None:
            break
        evaluated = evaluate(template, env, root or pack.deploy_root)
        value = evaluated.value
        if value is None or "$" in value or not value.strip():
            continue
        relative = not value.startswith(("/", CHECKOUT_ROOT))
        if relative and workdir is None:
            continue
        value = normalize_path(value, workdir if relative and workdir else "/")
        sources = [Source(f"{name}={binding.value!r} from {binding.origin}", binding.location)
                   for name, binding in evaluated.used if binding is not None]
        sources += [Source(f"{name} unset: the code default applies", None)
                    for name, binding in evaluated.used if binding is None]
        sources += base_sources
        if relative:
            where = f"WorkingDirectory={workdir}" if root is None else f"the directory it runs in, {workdir}"
            sources.append(Source(f"relative, under {where}", None))
        key = (site.location, value)
        if key not in found:
            found[key] = ResolvedWrite(site, path, entry, tuple(chain), value, template, tuple(sources), calls)
        resolved_any = True
    if not resolved_any:
        found.setdefault((site.location, None),
                         ResolvedWrite(site, path, entry, tuple(chain), None, template, base_sources, calls))


def _entry_of(code: UnitCode, graph: ImportGraph, calls: tuple[str, ...]) -> Entry | None:
    """The entry a call chain starts from (its job function), when it starts from one."""
    if not calls:
        return None
    for entry in code.entries:
        if entry.function and calls[0] == f"{graph.name_of.get(entry.module, entry.module)}.{entry.function}":
            return entry
    return None


def _templates(repo: Repository, suffix: str | None, base: str | None, module_path: str, modules: Container[str],
               depth: int = 0) -> list[tuple[str | None, tuple[Source, ...]]]:
    """The templates a site's path may have: its own, or each value of the name it starts from."""
    if base is None or suffix is None:
        return [(suffix if base is None else None, ())]
    if depth > 6:
        return [(None, ())]
    if base.startswith("self:"):
        return _attribute_templates(repo, suffix, base[len("self:"):], module_path, modules, depth)
    graph = import_graph(repo)
    value = value_template(repo, graph, "ref:" + base, module_path)
    if value is None:
        return [(None, ())]
    owner = graph.module_path(base.rpartition(".")[0])
    module = repo.module(owner) if owner else None
    constant = next((c for c in reversed(module.constants) if c.name == base.rpartition(".")[2]), None) \
        if module else None
    return [(_joined(value, suffix), (Source(f"{base} = {value}", constant.location if constant else None),))]


def _attribute_templates(repo: Repository, suffix: str, dotted: str, module_path: str, modules: Container[str],
                         depth: int) -> list[tuple[str | None, tuple[Source, ...]]]:
    store: dict = repo.memo("unit_writes.attributes", dict)
    key = (dotted, module_path, id(modules))
    values = store.get(key)
    if values is None:
        store[key] = [(None, (Source(f"self.{dotted} is assigned from itself", None),))]  # a cycle stops here
        values = store[key] = _attribute_values(repo, dotted, module_path, modules, depth)
    return [(_joined(template, suffix) if template is not None else None, sources) for template, sources in values]


def _attribute_values(repo: Repository, dotted: str, module_path: str, modules: Container[str],
                      depth: int) -> list[tuple[str | None, tuple[Source, ...]]]:
    """The values ``self.NAME`` of class ``dotted`` (``Class.NAME``) may hold (once per unit; a bounded list)."""
    owner, _, name = dotted.rpartition(".")
    found: list[tuple[str | None, tuple[Source, ...]]] = []
    for candidate in class_index(repo).candidates((module_path, owner), name, modules):
        attribute = candidate.attribute
        where = f"self.{name} = {attribute.expr} in {candidate.owner[1]}"
        if candidate.overridden:
            found.append((None, (Source(where + ": a caller may pass " + ", ".join(attribute.params), None),)))
            continue
        if attribute.params:
            where += " (the default of " + ", ".join(attribute.params) + ")"
        for template, sources in _templates(repo, attribute.path, attribute.base, candidate.owner[0], modules,
                                            depth + 1):
            found.append((template, (*sources, Source(where, attribute.location))))
    if len(found) > _MAX_VALUES:  # a hostile class with thousands of assignments: the rest is unknown
        found = [*found[:_MAX_VALUES], (None, (Source(f"more values of self.{name} than meslint follows", None),))]
    return found or [(None, ())]


def _joined(base: str, suffix: str) -> str:
    return f"{base.rstrip('/')}/{suffix}" if suffix else base
