"""A start or deploy script depends on the caller's working directory.

## What it does
Follows the working directory through the start script (`start_script.path`)
and the deploy scripts (`deploy_scripts`) of the contract pack: top-level code
first, then each function from the state of its call sites.  It reports

* a repository-relative path (`python scripts/x.py`, `source .env`,
  `gunicorn --config gunicorn.conf.py`, `cd src`, `./scripts/x.sh`, a relative
  word naming a repository file) used before the script anchored itself with a
  root derived from its own location (`ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"`)
  and `cd "$ROOT"`, in the same function or at top level;
* starting the app (`gunicorn`, `flask`, `rq worker`, `python SCRIPT`/`python -m`)
  after changing into a subdirectory (`cd "$ROOT/src"`, `cd DashBoard`).

* a root derived from the file's own location that does not land on the
  repository root: the derivation is evaluated (`dirname "$0"`, `cd ... && pwd`,
  `readlink -f`, `realpath`; `Path(__file__).resolve().parents[N]`, `.parent`
  chains, `os.path.dirname` chains, `os.path.join(..., "..")`) from where the
  file sits, and a variable named as the root (`ROOT`, `PROJECT_ROOT`,
  `REPO_ROOT`, `BASE_DIR`, ...) that lands one level too high or too low is
  reported with the computed path and the derivation that would reach the root.
  The start and deploy scripts, and the Python consumers of the pack
  (`consumers`, `contract_module`), are checked; a `cd` straight to a derivation
  that climbs out of the repository is reported too.

One finding per script and kind, at the first offending command; the other
offending commands are listed as related locations.  Each misplaced root is a
finding of its own.

In the container runtime (pack `container:`), the image's `WORKDIR`, each supervisord
program's `directory=` and each `PYTHONPATH` entry must be the application root
(`container.app_root`, by default where the image copies the repository root) or a repository
directory the image copies.

## Why it matters
Gate 2 requires startup and deploy scripts to run from the repository root
only.  A script that resolves `scripts/worker_watchdog.py` or `.env` against
whatever directory the operator (or systemd, or cron) happened to be in works on
the author's machine and fails, or silently loads another `.env`, elsewhere.

## Example
```bash
#!/usr/bin/env bash
start() {
    source .env                                   # meslint-expect: MES202
    gunicorn --config gunicorn.conf.py "app:create_app()"
}
```
Use instead:
```bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start() {
    cd "$ROOT" || exit 1
    source "$ROOT/.env"
    gunicorn --config gunicorn.conf.py "app:create_app()"
}
```

## How to fix
Anchor the script on its own location (`ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"`)
and use `${ROOT}/...` paths, or `cd "$ROOT"` before the relative ones.  For a
misplaced root, use as many `..` (or the `parents[N]` index) as the message says:
one per directory between the file and the repository root.

## Options
The scripts come from the contract pack (`start_script.path`, `deploy_scripts`).
Subshells and `if` branches are not modelled: a `cd` anywhere in a function
counts from that point on; `case` arms start from the state before the `case`,
and after it any arm's directory may hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial

from meslint import root_derivation
from meslint.argv import analyze
from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import ROOT_TOKEN, Repository, ShellCommand, ShellScript
from meslint.findings import Finding, Related
from meslint.pack import ContractPack
from meslint.script_cwd import CALLER, SUB, Flow, checked_scripts, evaluate_word, is_relative_path, normalize
from meslint.template import Binding

RULE = Rule("MES202", "script-not-root-anchored", Gate.ROOT_EXECUTION, Severity.ERROR)

_APP_PROGRAMS = frozenset({"gunicorn", "flask", "uvicorn", "waitress-serve"})
_PYTHONS = frozenset({"python", "python3"})
_MESSAGE_COMMANDS = frozenset({"echo", "printf", ":", "true", "false", "log", "logger"})


# --------------------------------------------------------------------------- what a command uses


def relative_uses(command: ShellCommand, flow: Flow, repo: Repository, pack: ContractPack) -> list[str]:
    """Repository-relative paths a command depends on (resolved against its cwd)."""
    argv = command.argv
    if not argv:
        return []
    program = argv[0]
    if program in _MESSAGE_COMMANDS or program.startswith("log_"):
        return []
    words = [evaluate_word(w, flow.env) for w in argv]
    uses: list[str] = []
    if program in {"cd", "pushd"}:
        target = flow.cd_target(command)
        if target is not None and is_relative_path(target):
            uses.append(target)
        return uses
    if program in {"source", "."}:
        if len(words) > 1 and words[1] is not None and is_relative_path(words[1]):
            uses.append(words[1])
        return uses
    if is_relative_path(program) and "/" in program and program not in flow.model.functions:
        uses.append(program)  # ./scripts/x.sh, scripts/x.sh
    known = tuple(w if w is not None else a for w, a in zip(words, argv, strict=True))
    info = analyze(known)
    candidates: list[str | None] = []
    if info.script is not None:
        candidates.append(info.script)
    for option in ("config", "chdir", "pythonpath", "path", "prefix", "requirement"):
        if option == "config" and info.program != "gunicorn":
            continue  # rq -c / --config names a Python module, not a file
        candidates.append(info.options.get(option))
    if info.program in {"pip", "pip3"}:
        candidates.extend(a for i, a in enumerate(info.args) if i and info.args[i - 1] in {"-r", "-c"})
    for index, word in enumerate(words[1:], start=1):
        if word is None or not is_relative_path(word) or word in {".", ".."}:
            continue
        if word == pack.env_file.script_relative or (("/" in word or "." in word)
                                                     and repo.path_exists(normalize(word))):
            candidates.append(argv[index] if "$" not in argv[index] else word)
    for value in candidates:
        if value and "$" not in value and is_relative_path(value) and not value.startswith("python:"):
            if value not in uses:
                uses.append(value)
    return uses


def starts_app(command: ShellCommand, env: Mapping[str, Binding]) -> str | None:
    """The program name when the command starts the application server, else None."""
    words = tuple(evaluate_word(w, env) or w for w in command.argv)
    info = analyze(words)
    if info.shell_script is not None:
        return None
    if info.program in _APP_PROGRAMS:
        return info.program
    if info.program == "rq" and info.args[:1] == ("worker",):
        return "rq worker"
    if info.program in _PYTHONS or info.program.startswith("python3."):
        if info.script is not None and info.script != "-":
            return f"{info.program} {info.script}"
        if "-m" in info.args:
            return f"{info.program} -m"
    return None


def _shorten(command: ShellCommand, limit: int = 60) -> str:
    text = " ".join(command.argv)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- the check


def check(ctx: CheckContext) -> Iterator[Finding]:
    yield from root_findings(ctx.repo, ctx.pack, checked_scripts(ctx.repo, ctx.pack))
    for script in checked_scripts(ctx.repo, ctx.pack):
        # A view of the script (meslint.incremental.FILE_VIEWS): an edit elsewhere (a module the root
        # findings read, a container file) restores it instead of following the directory again.
        unanchored, subdir = ctx.shared(("script_not_root_anchored.script", script.path),
                                        partial(_placed_uses, script, ctx))
        if unanchored:
            command, use = unanchored[0]
            where = f"function {command.function}" if command.function else "top level"
            message = (f"relative path {use!r} in `{_shorten(command)}` depends on the caller's working "
                       f"directory: the {where} uses it before `cd \"$ROOT\"` (ROOT derived from the script's "
                       f"own location)")
            related = [Related(c.location, f"also relative: {u!r}") for c, u in unanchored[1:6]]
            yield RULE.finding(message, command.location, related=related, subject=f"{script.path}:relative")
        if subdir:
            command, app, directory = subdir[0]
            message = (f"starts the app ({app}) from {directory} instead of the repository root; "
                       f"run it after `cd \"$ROOT\"`")
            related = [Related(c.location, f"also started from {w}") for c, _, w in subdir[1:6]]
            yield RULE.finding(message, command.location, related=related, subject=f"{script.path}:subdirectory")
    from meslint.checks.script_anchor_container import container_anchor_findings

    yield from container_anchor_findings(ctx, RULE)


def _placed_uses(script: ShellScript, ctx: CheckContext) -> tuple[tuple[tuple[ShellCommand, str], ...],
                                                                   tuple[tuple[ShellCommand, str, str], ...]]:
    """The script's commands that use a relative path from the caller's directory (command, first use),
    and those that start the app from a subdirectory (command, program, where), each in file order."""
    flow = Flow.of(script, ctx.pack, ctx.shared)
    unanchored: list[tuple[ShellCommand, str]] = []
    subdir: list[tuple[ShellCommand, str, str]] = []
    for command, cwd in flow.commands():
        if cwd.state == CALLER:
            for use in relative_uses(command, flow, ctx.repo, ctx.pack):
                unanchored.append((command, use))
                break
        elif cwd.state == SUB:
            app = starts_app(command, flow.env)
            if app is not None:
                subdir.append((command, app, cwd.describe()))
    unanchored.sort(key=lambda item: item[0].location)
    subdir.sort(key=lambda item: item[0].location)
    return tuple(unanchored), tuple(subdir)


# --------------------------------------------------------------------------- where a derived root lands


def _fix_hint(path: str, python: bool) -> str:
    """The derivation that lands on the repository root from ``path``."""
    depth = len(root_derivation.file_segments(path)) - 1  # directories between the file and the root
    if python:
        return f"Path(__file__).resolve().parents[{depth}]"
    climb = "/.." * depth
    return f'$(cd "$(dirname "${{BASH_SOURCE[0]}}"){climb}" && pwd)'


def _misplaced(path: str, what: str, value: str, python: bool) -> str | None:
    landing = root_derivation.landing_of(value)
    if landing is None or not landing:
        return None
    return (f"{what} derived from {path}'s own location lands {root_derivation.describe(landing)} "
            f"({value}), not on the repository root; from {path} the root is {_fix_hint(path, python)}")


def _script_roots(script: ShellScript) -> Iterator[Finding]:
    for assignment in script.assignments:
        if assignment.anchor_levels is None or not root_derivation.names_root(assignment.name):
            continue
        message = _misplaced(script.path, f"the root {assignment.name}", assignment.value, python=False)
        if message is not None:
            yield RULE.finding(message, assignment.location, subject=f"{script.path}:root:{assignment.name}")
    for command in script.commands:
        # `cd "$(dirname "$0")/../.."`: the word itself is the derivation (no variable to name).
        if command.argv[:1] in (("cd",), ("pushd",)) and len(command.argv) == 2:
            landing = root_derivation.landing_of(command.argv[1])
            if landing is not None and root_derivation.above(landing):
                message = _misplaced(script.path, "the `cd` target", command.argv[1], python=False)
                yield RULE.finding(str(message), command.location, subject=f"{script.path}:root:cd")


def root_findings(repo: Repository, pack: ContractPack, scripts: list[ShellScript]) -> Iterator[Finding]:
    """A root derived from a file's location that is not the repository root (scripts and Python consumers)."""
    for script in scripts:
        yield from _script_roots(script)
    paths = [c.path for c in pack.consumers] + ([pack.contract_module] if pack.contract_module else [])
    for path in dict.fromkeys(paths):
        module = repo.module(path)
        if module is None:
            continue
        for anchor in module.root_anchors:
            if not root_derivation.names_root(anchor.name) or not anchor.value.startswith(ROOT_TOKEN):
                continue
            message = _misplaced(path, f"the root {anchor.name}", anchor.value, python=True)
            if message is not None:
                yield RULE.finding(message, anchor.location, subject=f"{path}:root:{anchor.name}")
