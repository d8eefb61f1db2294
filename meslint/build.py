"""Build the repository (the fact model of meslint.facts): discover once, parse each file once.

Heavy parsers (tree-sitter, markdown-it) are imported only when a file of their
kind is present.  Python files are many and mostly irrelevant to the contract: a
byte scan for the pack's tokens decides which are parsed at all.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from meslint import cachefiles, forked
from meslint.discovery import DiscoveredFile, Discovery, discover
from meslint.facts import (
    ComposeFile,
    DataDoc,
    Dockerfile,
    EnvFile,
    FileKind,
    Location,
    MarkdownDoc,
    ParseProblem,
    PythonModule,
    Repository,
    ShellScript,
    SourceFile,
    SupervisorConf,
    UnitFile,
    WebConfig,
)
from meslint.globs import matches_any
from meslint.pack import ContractPack
from meslint.runtime_files import is_test_path
from meslint.stat_reuse import LazyTexts, mentions, open_store, suppressions_of

_PARSERS = {
    FileKind.UNIT: ("meslint.parsers.systemd", "parse"),
    FileKind.ENV: ("meslint.parsers.envfile", "parse"),
    FileKind.SHELL: ("meslint.parsers.shell", "parse"),
    FileKind.PYTHON: ("meslint.parsers.python_src", "parse"),
    FileKind.MARKDOWN: ("meslint.parsers.markdown", "parse"),
    FileKind.TOML: ("meslint.parsers.data", "parse_toml"),
    FileKind.YAML: ("meslint.parsers.data", "parse_yaml"),
    FileKind.DOCKERFILE: ("meslint.parsers.dockerfile", "parse"),
    FileKind.SUPERVISORD: ("meslint.parsers.supervisord", "parse"),
    FileKind.COMPOSE: ("meslint.parsers.compose", "parse"),
    FileKind.NGINX: ("meslint.parsers.nginx", "parse"),
    FileKind.APACHE: ("meslint.parsers.apache", "parse"),
    FileKind.UWSGI: ("meslint.parsers.uwsgi", "parse"),
    FileKind.JSON: ("meslint.parsers.json_doc", "parse"),
    FileKind.JAVASCRIPT: ("meslint.parsers.vite_config", "parse"),
}

# The Repository fields of parsed facts, and the file kinds each is parsed from (meslint.incremental
# fingerprints a field by the texts of those files).
FIELD_KINDS: dict[str, tuple[FileKind, ...]] = {
    "units": (FileKind.UNIT,), "env_files": (FileKind.ENV,), "scripts": (FileKind.SHELL,),
    "python": (FileKind.PYTHON,), "markdown": (FileKind.MARKDOWN,),
    "data": (FileKind.TOML, FileKind.YAML, FileKind.JSON, FileKind.JAVASCRIPT),
    "web_configs": (FileKind.NGINX, FileKind.APACHE, FileKind.UWSGI),
    "dockerfiles": (FileKind.DOCKERFILE,), "supervisord": (FileKind.SUPERVISORD,), "compose": (FileKind.COMPOSE,),
}

# Key of Repository._index holding {path: text} of the discovered files until findings are anchored.
TEXTS = "model.texts"

# Python sources that mention none of these cannot carry contract facts of their own.
_PYTHON_TOKENS = ("environ", "getenv", "sys.path", "__file__")
# But any module with code can be part of what a unit runs: its write set follows imports and calls
# through every module (meslint.unit_code), and a module of constants alone can hold written paths.
_CODE_TOKENS = ("import", "def ", "=")


def python_tokens(pack: ContractPack) -> tuple[str, ...]:
    tokens = set(_PYTHON_TOKENS)
    tokens.update(s.rstrip("/") for s in pack.legacy_subtrees)
    return tuple(sorted(tokens))


def wanted(item: DiscoveredFile, pack: ContractPack) -> bool:
    """Whether a file other than Python (:func:`python_reading`) is parsed at all: the pre-filter that
    keeps large trees cheap."""
    if item.kind in (FileKind.NGINX, FileKind.APACHE, FileKind.UWSGI):
        return pack.reads_web_configs()  # read only for a pack with a site there
    if item.kind is FileKind.MARKDOWN:
        docs = pack.docs
        return (item.path == docs.readme or item.path in docs.mirrors or matches_any(item.path, docs.operator_docs)
                or matches_any(item.path, docs.contract_docs))
    return True


def python_reading(item: DiscoveredFile, pack: ContractPack, tokens: tuple[str, ...],
                   named: frozenset[str]) -> str | None:
    """Why a Python module is parsed: ``"contract"`` (:func:`contract_python`), ``"closure"`` (only
    because a unit's code may reach it: any module with code), or None (not parsed)."""
    if contract_python(item, pack, tokens, named):
        return "contract"
    if not is_test_path(item.path) and any(mentions(item, token) for token in _CODE_TOKENS):
        return "closure"
    return None


def contract_python(item: DiscoveredFile, pack: ContractPack, tokens: tuple[str, ...], named: frozenset[str]) -> bool:
    """A Python module that may carry contract facts of its own (named by the pack, or a token).

    The other Python modules parsed are read only because a unit's code may reach them: their syntax
    errors are not findings (such a module is often written for a newer Python than the one meslint
    runs on, 3.12 f-strings under 3.11), and a write set that cannot read one lists it as unknown."""
    if matches_any(item.path, pack.payload_sources) or item.path in named or _exports(item, pack):
        return True
    if item.path.rpartition("/")[2] == "gunicorn.conf.py":
        return True
    return not is_test_path(item.path) and any(mentions(item, token) for token in tokens)


# An export module is read only when it writes one (gate 3 compares its header rows with the contract).
_EXPORT_TOKENS = ("writerow", "DictWriter", "to_csv", "to_excel")


# Every token the pre-filter looks for: meslint.stat_reuse records, for each file it reads, which it holds.
FILTER_TOKENS = _PYTHON_TOKENS + _CODE_TOKENS + _EXPORT_TOKENS


def _exports(item: DiscoveredFile, pack: ContractPack) -> bool:
    return matches_any(item.path, pack.export_sources) and any(mentions(item, token) for token in _EXPORT_TOKENS)


def named_paths(pack: ContractPack) -> frozenset[str]:
    """The Python paths the pack names (consumers, contract module, gunicorn config, installed files)."""
    named = {c.path for c in pack.consumers}
    named.update(p for p in (pack.contract_module, pack.gunicorn_config) if p)
    # Installed files and gunicorn's default config may hold only literals: their constants are sites.
    named.update(p for p in pack.install.files if p.endswith(".py"))
    return frozenset(named)


def build_repository(root: Path, pack: ContractPack, *, max_file_size: int,
                     exclude: tuple[str, ...] = (), overlay: dict[str, str] | None = None,
                     found: Discovery | None = None) -> Repository:
    """Parse the tree at ``root``.  ``overlay`` replaces file texts (unsaved editor buffers); ``found``
    replaces discovering ``root`` (the files of a git tree)."""
    store = None
    if found is None:
        store = open_store(root.resolve())  # unchanged files are taken from the last run's record
        found = discover(root, max_file_size=max_file_size, exclude=exclude, extra_markdown=pack.named_files,
                         store=store)
    files = list(found.files)
    if overlay:
        files = _apply_overlay(files, overlay, pack)
    tokens = python_tokens(pack)
    named = named_paths(pack)
    buckets: dict[FileKind, list] = {kind: [] for kind in FileKind}
    problems: list[ParseProblem] = []
    sources: list[SourceFile] = []
    selected: list[DiscoveredFile] = []
    suppressions: list = []
    closure_only: set[str] = set()  # Python read only for the write sets (see contract_python)
    for item in files:
        sources.append(SourceFile(item.path, item.kind, item.size))
        suppressions.extend(suppressions_of(item))
        if item.kind is FileKind.PYTHON:
            reading = python_reading(item, pack, tokens, named)
            if reading is None:
                continue
            if reading == "closure":
                closure_only.add(item.path)
        elif not wanted(item, pack):
            continue
        selected.append(item)
    payload = frozenset(item.path for item in selected
                        if item.kind is FileKind.PYTHON
                        and (matches_any(item.path, pack.payload_sources) or _exports(item, pack)))
    parsed = parse_files(root, selected, from_overlay=frozenset(overlay or ()), dict_keys_of=payload)
    for item, facts in zip(selected, parsed, strict=True):
        buckets[item.kind].append(facts)
        if item.path not in closure_only:
            problems.extend(getattr(facts, "problems", ()))
    all_paths = found.all_paths | frozenset(overlay or ())
    field = {name: [facts for kind in kinds for facts in buckets[kind]] for name, kinds in FIELD_KINDS.items()}
    repo = Repository(
        root=str(root.resolve()),
        files=tuple(sources),
        all_paths=all_paths,
        units=tuple(effective_units(_typed(field["units"], UnitFile),
                                    LazyTexts(i for i in selected if i.kind is FileKind.UNIT))),
        env_files=tuple(_typed(field["env_files"], EnvFile)),
        scripts=tuple(_typed(field["scripts"], ShellScript)),
        python=tuple(_typed(field["python"], PythonModule)),
        markdown=tuple(_typed(field["markdown"], MarkdownDoc)),
        data=tuple(_typed(field["data"], DataDoc)),
        web_configs=tuple(_typed(field["web_configs"], WebConfig)),
        skipped=found.skipped,
        problems=tuple(sorted(problems, key=lambda p: (p.location, p.message))),
        suppressions=tuple(suppressions),
        dockerfiles=tuple(_typed(field["dockerfiles"], Dockerfile)),
        supervisord=tuple(_typed(field["supervisord"], SupervisorConf)),
        compose=tuple(_typed(field["compose"], ComposeFile)),
    )
    # The texts already read, for the engine to anchor findings to their lines (then dropped).
    repo._index[TEXTS] = LazyTexts(files)
    if store is not None:
        files_found = found.files
        cachefiles.write_later(lambda: store.save(files_found))
    return repo


def _typed(items: list, cls: type) -> list:
    return [item for item in items if isinstance(item, cls)]


def effective_units(units: list[UnitFile], texts: Mapping[str, str] | None = None) -> list[UnitFile]:
    """Each unit with the drop-ins systemd applies to it (:mod:`meslint.dropins`) applied.

    The effective unit is what resolution and every check read.  A drop-in of a shared directory
    (type-wide, prefix, template) is parsed again from ``texts`` with the name of each unit it
    applies to, so its specifiers are that unit's.  A drop-in that applies to no unit of the
    repository (it extends a unit installed from elsewhere) stays a unit of its own.
    """
    from meslint.dropins import select_dropins
    from meslint.listing import is_dropin
    from meslint.parsers.systemd import dropin_unit_name
    from meslint.parsers.systemd import parse as parse_unit

    dropins = {unit.path: unit for unit in units if is_dropin(unit.path)}
    if not dropins:
        return units
    available: dict[str, dict[str, list[str]]] = {}  # units' directory -> drop-in directory -> files
    for path in dropins:
        directory, _, name = path.rpartition("/")
        parent, _, base = directory.rpartition("/")
        available.setdefault(parent, {}).setdefault(base, []).append(name)
    applied: dict[str, UnitFile] = {}
    used: set[str] = set()
    for unit in units:
        if unit.path in dropins:
            continue
        parent = unit.path.rpartition("/")[0]
        layers = []
        for directory, name in select_dropins(unit.name, available.get(parent, {})):
            path = f"{parent}/{directory}/{name}" if parent else f"{directory}/{name}"
            used.add(path)
            layer = dropins[path]
            if dropin_unit_name(path) != unit.name and texts is not None and path in texts:
                layer = parse_unit(path, texts[path], unit.name)
            layers.append(layer)
        if layers:
            applied[unit.path] = apply_dropins(unit, layers)
    return [applied.get(unit.path, unit) for unit in units if unit.path not in used]


def apply_dropins(main: UnitFile, dropins: Iterable[UnitFile]) -> UnitFile:
    """The effective unit: ``main`` with its drop-ins applied in order, as systemd loads them.

    systemd reads the main file, then each ``x.service.d/*.conf`` sorted by file name, feeding
    every assignment to the same key parser: a single-valued key takes the last assignment
    (:meth:`UnitFile.get`), a list-valued key accumulates, and an empty assignment resets the
    list (:meth:`UnitFile.get_all`; ``Environment=``, ``EnvironmentFile=`` and each ``Exec*=``
    key below).  Each drop-in was parsed alone, so its own lists already hold only what follows
    its last reset; a reset in it also clears what the main file and earlier drop-ins gave.
    Every fact keeps the location of the file it came from.
    """
    from meslint.parsers.systemd import EXEC_SECTIONS

    settings = list(main.settings)
    environment = {assignment.name: assignment for assignment in main.environment}
    environment_files = list(main.environment_files)
    exec_commands = list(main.exec_commands)
    problems = list(main.problems)
    applied = list(main.dropins)
    for dropin in dropins:
        resets = {s.key for s in dropin.settings if s.value == "" and s.section in EXEC_SECTIONS}
        if "Environment" in resets:
            environment.clear()
        for assignment in dropin.environment:
            environment[assignment.name] = assignment  # same name: new value, old position
        if "EnvironmentFile" in resets:
            environment_files.clear()
        environment_files.extend(dropin.environment_files)
        exec_commands = [c for c in exec_commands if c.key not in resets]
        exec_commands.extend(dropin.exec_commands)
        settings.extend(dropin.settings)
        problems.extend(dropin.problems)
        applied.append(dropin.path)
    return dataclasses.replace(main, settings=tuple(settings), environment=tuple(environment.values()),
                               environment_files=tuple(environment_files), exec_commands=tuple(exec_commands),
                               problems=tuple(problems), dropins=tuple(applied))


# Below this many bytes of files to parse, forking a helper process is not worth it.  Measured
# on a 2-core machine (subsets of the MES Dashboard's cold set, median of 3): 0.25 MB 277 ms
# serial / 234 ms split, 1 MB 677 / 556 ms, 3.1 MB 1.78 / 1.29 s.
PARALLEL_MIN_BYTES = 500_000


def parse_files(root: Path, items: list[DiscoveredFile], *, cache=None, parallel: bool | None = None,
                from_overlay: frozenset[str] = frozenset(), dict_keys_of: frozenset[str] | None = None) -> list:
    """Facts of each item, in order: from the fact cache when the content is known, else parsed.

    ``cache`` defaults to the run-wide setting of :mod:`meslint.cache` (off unless the command
    line turned it on); ``parallel`` defaults to "when the files to parse are large enough";
    ``dict_keys_of``: the Python files whose dictionary keys are kept (``None``: every file's).
    """
    from meslint import cache as cache_module

    fact_cache = cache_module.for_root(root) if cache is None else (cache or None)
    jobs = [(item, dict_keys_of is None or item.path in dict_keys_of) for item in items]
    results: list = [None] * len(items)
    cold: list[int] = []
    for index, (item, dict_keys) in enumerate(jobs):
        sha = getattr(item, "sha", None)  # a file not read this run (meslint.stat_reuse): keyed by its text's hash
        cached = (fact_cache.get(item.kind, item.path, None if sha else item.text, variant=_variant(dict_keys),
                                 sha=sha) if fact_cache else None)
        if cached is None:
            cold.append(index)
        else:
            results[index] = cached
    for index, facts in zip(cold, _parse_many([jobs[i] for i in cold], parallel), strict=True):
        results[index] = facts
        item, dict_keys = jobs[index]
        if fact_cache and item.path not in from_overlay and not _internal_error(facts):
            fact_cache.put(item.kind, item.path, item.text, facts, variant=_variant(dict_keys))
    if fact_cache:
        cachefiles.write_later(fact_cache.save)
    return results


def _variant(dict_keys: bool) -> str:
    return "" if dict_keys else "no-dict-keys"


def _internal_error(facts) -> bool:
    return any(p.message.startswith("internal parser error") for p in getattr(facts, "problems", ()))


def _parse_many(jobs: list[tuple[DiscoveredFile, bool]], parallel: bool | None) -> list:
    if parallel is None:
        parallel = (len(jobs) > 1 and (os.cpu_count() or 1) >= 2
                    and sum(item.size for item, _ in jobs) >= PARALLEL_MIN_BYTES)
    if parallel:
        try:
            return _parse_in_two_processes(jobs)
        except Exception:  # no fork, no semaphores (sandboxes), a dead helper: parse here instead
            pass
    return [parse_file(item, dict_keys) for item, dict_keys in jobs]


def _parse_in_two_processes(jobs: list[tuple[DiscoveredFile, bool]]) -> list:
    """Split the work by bytes between this process and one forked helper (:mod:`meslint.forked`).
    The helper inherits the jobs with the fork, so only facts cross the process boundary, never
    file texts."""
    if not forked.available():
        raise OSError("no fork")
    for kind in {item.kind for item, _ in jobs}:  # import the parsers once, before forking
        importlib.import_module(_PARSERS[kind][0])
    mine: list[int] = []
    theirs: list[int] = []
    load = [0, 0]
    for index in sorted(range(len(jobs)), key=lambda i: -jobs[i][0].size):  # largest first, to the lighter side
        side = 0 if load[0] <= load[1] else 1
        (mine if side == 0 else theirs).append(index)
        load[side] += jobs[index][0].size
    results: list = [None] * len(jobs)
    parsed_there, parsed_here = forked.split(lambda: [parse_file(*jobs[i]) for i in theirs],
                                             lambda: [parse_file(*jobs[i]) for i in mine])
    for index, facts in zip(theirs, parsed_there, strict=True):
        results[index] = facts
    for index, facts in zip(mine, parsed_here, strict=True):
        results[index] = facts
    return results


def parse_file(item: DiscoveredFile, dict_keys: bool = True):
    """Parse one file; a parser bug becomes a parse problem, never a crash."""
    module_name, function = _PARSERS[item.kind]
    try:
        parser = getattr(importlib.import_module(module_name), function)
        if item.kind is FileKind.PYTHON and not dict_keys:
            return parser(item.path, item.text, dict_keys=False)
        return parser(item.path, item.text)
    except Exception as exc:
        problem = ParseProblem(Location(item.path, 1, 1), f"internal parser error ({type(exc).__name__}: {exc})")
        return _empty_facts(item, problem)


def _empty_facts(item: DiscoveredFile, problem: ParseProblem):
    if item.kind is FileKind.UNIT:
        return UnitFile(item.path, item.path.rsplit("/", 1)[-1], (), (), (), (), (problem,))
    if item.kind is FileKind.ENV:
        return EnvFile(item.path, (), (problem,))
    if item.kind is FileKind.SHELL:
        return ShellScript(item.path, None, (), (), (), (), (), (problem,))
    if item.kind is FileKind.PYTHON:
        return PythonModule(item.path, problems=(problem,))
    if item.kind is FileKind.MARKDOWN:
        return MarkdownDoc(item.path, problems=(problem,))
    if item.kind is FileKind.DOCKERFILE:
        return Dockerfile(item.path, problems=(problem,))
    if item.kind is FileKind.SUPERVISORD:
        return SupervisorConf(item.path, problems=(problem,))
    if item.kind is FileKind.COMPOSE:
        return ComposeFile(item.path, problems=(problem,))
    if item.kind in (FileKind.NGINX, FileKind.APACHE, FileKind.UWSGI):
        return WebConfig(item.path, item.kind, problems=(problem,))
    return DataDoc(item.path, item.kind, problems=(problem,))


def _apply_overlay(files: list[DiscoveredFile], overlay: dict[str, str], pack: ContractPack) -> list[DiscoveredFile]:
    from meslint.discovery import classify

    by_path = {f.path: f for f in files}
    for path, text in overlay.items():
        kind = classify(path, text[:8192].encode("utf-8", "replace"), pack.named_files)
        if kind is None:
            by_path.pop(path, None)
            continue
        text = text.lstrip("\ufeff").replace("\r\n", "\n")
        by_path[path] = DiscoveredFile(path, kind, text, len(text.encode("utf-8")))
    return [by_path[p] for p in sorted(by_path)]
