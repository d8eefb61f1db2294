"""A runtime file refers to a path inside a legacy subtree.

## What it does
Looks at every runtime file — shell scripts (`cd`, `source`, command arguments,
assignments), systemd units (`WorkingDirectory=`, `Exec*=` arguments,
`Environment=` values such as `PYTHONPATH`, `ReadWritePaths=`, ...), Python
sources (path strings, `sys.path` edits, `Path(__file__)` joins, environment
defaults, module constants; also Python embedded in a script's heredoc), env
templates and TOML/YAML settings — for a path with a component equal to one of
the pack's `legacy_subtrees` (`DashBoard/`, `DashBoard_vite/`).

Matching is by whole path component and case-sensitive: `DashBoard/` does not
match `DashBoard_vite`, `DashBoard_vite_backup` or `mes-dashboard`.  A bare name
counts only when it is the whole value (`cd DashBoard`, `root / "DashBoard"`),
not inside prose (`"MES DashBoard"`) or a URL.

Not runtime, hence never reported: tests (`tests/`, `test/`, `test_*.py`,
`*_test.py`, `conftest.py`), Markdown and `docs/` (gate 8 judges them), the
documents the pack lists in `docs.historical`, and comments of any file kind.

## Why it matters
Gate 2: nothing at runtime may depend on the old `DashBoard/` subtree or the
old root name `DashBoard_vite/`.  A leftover `PYTHONPATH=.../DashBoard/src`
imports stale code, or fails only on the machines where the old tree is gone.

## Example
```ini
[Service]
# meslint-expect-next: MES201
WorkingDirectory=/opt/mes-dashboard/DashBoard
```
```bash
export PYTHONPATH="${ROOT}/DashBoard/src:${PYTHONPATH:-}"   # meslint-expect: MES201
```

## How to fix
Point the reference at the path under the repository root (the legacy subtree is gone at runtime);
if the text only tells history, say so in its sentence or heading.

## Options
`legacy_subtrees` and `docs.historical` in the contract pack (the former can
also be overridden from `[tool.meslint]`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import EnvFile, Location, PythonModule, ShellScript, UnitFile
from meslint.findings import Finding
from meslint.runtime_files import is_runtime_path, legacy_hits, legacy_names

RULE = Rule("MES201", "legacy-subtree-reference", Gate.ROOT_EXECUTION, Severity.ERROR)

# Unit keys that are prose or other units' names, never paths.
_UNIT_PROSE_KEYS = frozenset({"Description", "Documentation", "After", "Before", "Wants", "Requires",
                              "WantedBy", "RequiredBy", "Alias", "Also", "PartOf", "BindsTo", "Conflicts",
                              "SyslogIdentifier", "User", "Group"})
# Shell commands whose arguments are messages, not paths.
_MESSAGE_COMMANDS = frozenset({"echo", "printf", ":", "log", "logger"})
# pyproject keys whose values are prose.
_DATA_PROSE_KEYS = frozenset({"description", "readme", "authors", "maintainers", "urls", "keywords", "classifiers",
                              "name", "license"})

Site = tuple[Location, str, str]  # where, what (context for the message), value


def check(ctx: CheckContext) -> Iterator[Finding]:
    names = legacy_names(ctx.pack)
    if not names:
        return
    sites: list[Site] = []
    # The sites of each kind that name a legacy subtree: a view of that kind (meslint.incremental.SELF_CONTAINED),
    # so an edit of a unit does not scan every module's strings again.
    for kind in _KINDS:
        sites.extend(ctx.shared(f"legacy_subtree_reference.{kind}", partial(_hit_sites, ctx, kind, names)))
    # Few sites name a legacy subtree: found first (in the views), then only they are ordered.
    hit_sites = [(location, what, legacy_hits(value, names)) for location, what, value in sites]
    reported: set[tuple[str, int, str]] = set()
    for location, what, hits in sorted(hit_sites, key=lambda s: s[0]):
        for hit in hits:
            seen_key = (location.path, location.line, hit.name)
            if seen_key in reported:
                continue
            reported.add(seen_key)
            message = (f"{what} refers to {hit.token!r}, inside the legacy subtree {hit.name}/; nothing at "
                       f"runtime may depend on it")
            yield RULE.finding(message, location, subject=f"{hit.name}/ {what}")


_KINDS = ("units", "scripts", "python", "env_files", "data")


def _hit_sites(ctx: CheckContext, kind: str, names: tuple[str, ...]) -> list[Site]:
    """The runtime files' sites of ``kind`` whose value names a legacy subtree."""
    sites: list[Site] = []
    for facts in getattr(ctx.repo, kind):
        if not is_runtime_path(facts.path, ctx.pack):
            continue
        if kind == "data":
            for key, value in _data_strings(facts.data, ""):
                if legacy_hits(value, names):  # a line is looked up (a scan of the keys) only for a hit
                    sites.append((Location(facts.path, facts.line_of(key)), key, value))
        else:
            sites.extend(site for site in _SITES[kind](facts) if legacy_hits(site[2], names))
    return sites


def _unit_sites(unit: UnitFile) -> Iterator[Site]:
    for setting in unit.settings:
        if setting.key in _UNIT_PROSE_KEYS or setting.key == "Environment" or setting.key.startswith("Exec"):
            continue
        yield setting.location, f"{setting.key}=", setting.value
    for assignment in unit.environment:
        yield assignment.location, f"Environment= {assignment.name}", assignment.value
    for command in unit.exec_commands:
        for word in command.argv:
            yield command.location, f"{command.key}=", word
        if command.script is not None:
            # `bash -lc '...'`: the words of the inner commands (a bare `cd DashBoard` too)
            for inner in command.script.commands:
                if inner.argv and inner.argv[0] not in _MESSAGE_COMMANDS:
                    for word in inner.argv:
                        yield command.location, f"{command.key}= `{inner.argv[0]}`", word


def _script_sites(script: ShellScript) -> Iterator[Site]:
    functions = {f.name for f in script.functions}
    for assignment in script.assignments:
        if not assignment.declared_only:
            yield assignment.location, f"{assignment.name}=", assignment.value
    for command in script.commands:
        if not command.argv:
            continue
        program = command.argv[0]
        if program in _MESSAGE_COMMANDS or (program in functions and _is_logger(program)):
            continue
        for name, value in command.env_prefix:
            yield command.location, f"{name}=", value
        for word in command.argv:
            yield command.location, f"`{program}`", word
    for heredoc in script.heredocs:
        if heredoc.python is not None:
            yield from _python_sites(heredoc.python)


def _is_logger(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in ("log", "warn", "err", "info", "msg", "die", "say", "print", "echo"))


def _python_sites(module: PythonModule) -> Iterator[Site]:
    for literal in module.strings:
        yield literal.location, "path string", literal.value
    for edit in module.sys_path_edits:
        yield edit.location, f"sys.path.{edit.op}", edit.value
    for anchor in module.root_anchors:
        yield anchor.location, anchor.name, anchor.value
    for read in module.env_reads:
        if read.default is not None:
            yield read.location, f"default of {read.name}", read.default
    for constant in module.constants:
        if isinstance(constant.value, str):
            yield constant.location, constant.name, constant.value


def _env_sites(env_file: EnvFile) -> Iterator[Site]:
    for assignment in env_file.assignments:
        values = {v for v in (assignment.systemd, assignment.bash, assignment.dotenv) if v is not None}
        for value in sorted(values) or [assignment.raw.partition("=")[2]]:
            yield assignment.location, f"{assignment.name}=", value


def _data_strings(data: object, prefix: str) -> Iterable[tuple[str, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key) in _DATA_PROSE_KEYS:
                continue
            dotted = f"{prefix}.{key}" if prefix else str(key)
            yield from _data_strings(value, dotted)
    elif isinstance(data, list):
        for item in data:
            yield from _data_strings(item, prefix)
    elif isinstance(data, str):
        yield prefix, data


_SITES: dict[str, Callable[..., Iterator[Site]]] = {"units": _unit_sites, "scripts": _script_sites,
                                                    "python": _python_sites, "env_files": _env_sites}
