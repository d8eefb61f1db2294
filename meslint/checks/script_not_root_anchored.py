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

One finding per script and kind, at the first offending command; the other
offending commands are listed as related locations.

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

## Options
The scripts come from the contract pack (`start_script.path`, `deploy_scripts`).
Subshells and `if` branches are not modelled: a `cd` anywhere in a function
counts from that point on; `case` arms start from the state before the `case`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from meslint.checks import CheckContext, rule_by_code
from meslint.commands import analyze
from meslint.facts import ROOT_TOKEN, Repository, ShellCommand, ShellScript
from meslint.findings import Finding, Related
from meslint.pack import ContractPack
from meslint.template import Binding, evaluate

CODE = "MES202"
NAME = "script-not-root-anchored"
GATE = "2"
SEVERITY = "error"

# Working-directory states.
CALLER = "caller"  # whatever directory the script was started from
ROOT = "root"  # the anchored repository root
SUB = "sub"  # a subdirectory of the root (``detail`` holds the repo-relative path)
ELSEWHERE = "elsewhere"  # an absolute directory that is not the root
UNKNOWN = "unknown"
UNCHANGED = "unchanged"  # only while computing a function's effect on its caller

_APP_PROGRAMS = frozenset({"gunicorn", "flask", "uvicorn", "waitress-serve"})
_PYTHONS = frozenset({"python", "python3"})
_MESSAGE_COMMANDS = frozenset({"echo", "printf", ":", "true", "false", "log", "logger"})


@dataclass(frozen=True)
class Cwd:
    state: str
    detail: str = ""  # SUB: repo-relative path; ELSEWHERE: the absolute path

    def describe(self) -> str:
        if self.state == SUB:
            return f"the subdirectory {self.detail}/"
        if self.state == ROOT:
            return "the repository root"
        if self.state == ELSEWHERE:
            return self.detail
        return "the caller's working directory"


# --------------------------------------------------------------------------- template evaluation


class _Unknowns(dict):
    """Environment for :func:`evaluate` in which unknown variables stay ``$NAME``."""

    def get(self, key, default=None):
        found = super().get(key)
        return found if found is not None else Binding("$" + key, "unknown")


def script_env(script: ShellScript) -> Mapping[str, Binding]:
    """Variables of ``script`` with one statically known value (``@ROOT`` anchors, paths).

    Top-level assignments first, then function bodies; a variable assigned two
    different values stays unknown.  Unknown variables evaluate to ``$NAME``.
    """
    ordered = sorted(script.assignments, key=lambda a: (a.function is not None, a.location))
    values: dict[str, set[str]] = {}
    env = _Unknowns()
    for _pass in range(2):
        values.clear()
        for assignment in ordered:
            if assignment.declared_only:
                continue
            result = evaluate(assignment.value, env, ROOT_TOKEN).value
            if result is None or "$" in result:
                values.setdefault(assignment.name, set()).add("$")
                continue
            values.setdefault(assignment.name, set()).add(result)
        env = _Unknowns()
        for name, seen in values.items():
            if len(seen) == 1 and "$" not in next(iter(seen)):
                env[name] = Binding(next(iter(seen)), "script")
    return env


def evaluate_word(word: str, env: Mapping[str, Binding]) -> str | None:
    """A word's static value (``@ROOT/...``, absolute or relative), or None when unknown."""
    if "$" not in word and "`" not in word:
        return word.replace("\\", "") if "\\" in word else word
    result = evaluate(word, env, ROOT_TOKEN).value
    if result is None or "$" in result:
        return None
    return result


def normalize(value: str) -> str:
    if value.startswith(ROOT_TOKEN):
        rest = posixpath.normpath("/" + value[len(ROOT_TOKEN):].lstrip("/"))
        return ROOT_TOKEN if rest == "/" else ROOT_TOKEN + rest
    return posixpath.normpath(value) if value else value


def is_relative_path(value: str) -> bool:
    return bool(value) and not value.startswith(("/", "~", "-", ROOT_TOKEN)) and "://" not in value


# --------------------------------------------------------------------------- working-directory flow


@dataclass
class Flow:
    """Where each command of one script runs, as far as ``cd`` tells."""

    script: ShellScript
    deploy_root: str
    env: Mapping[str, Binding]
    bodies: dict[str | None, list[ShellCommand]] = field(default_factory=dict)
    _entry: dict[str | None, Cwd] = field(default_factory=dict)
    _effect: dict[str, Cwd] = field(default_factory=dict)
    _busy: set = field(default_factory=set)
    _callers: dict[str, list[str | None]] = field(default_factory=dict)
    _walks: dict[tuple[str | None, Cwd], list[tuple[ShellCommand, Cwd]]] = field(default_factory=dict)

    @classmethod
    def shared(cls, ctx: CheckContext, script: ShellScript) -> Flow:
        """The flow of ``script``, built once per run (MES202 and MES204 both follow it)."""
        return ctx.shared(("script_not_root_anchored.Flow", script.path), lambda: cls.of(script, ctx.pack))

    @classmethod
    def of(cls, script: ShellScript, pack: ContractPack) -> Flow:
        flow = cls(script, pack.deploy_root.rstrip("/") or "/", script_env(script))
        names = [f.name for f in sorted(script.functions, key=lambda f: f.location)]
        flow.bodies = {None: []} | {name: [] for name in names}
        for command in sorted(script.commands, key=lambda c: c.location):
            flow.bodies.setdefault(command.function, []).append(command)
        return flow

    # -- transitions

    def cd_target(self, command: ShellCommand) -> str | None:
        """The directory a cd/pushd command changes to: normalised template value, or None."""
        args = [a for a in command.argv[1:] if a not in {"-P", "-L", "-e", "-@", "--"}]
        if not args or args[0] == "-":
            return None
        return evaluate_word(args[0], self.env)

    def after_cd(self, cwd: Cwd, target: str | None) -> Cwd:
        if target is None:
            return Cwd(UNKNOWN)
        target = normalize(target)
        if target == ROOT_TOKEN:
            return Cwd(ROOT)
        if target.startswith(ROOT_TOKEN + "/"):
            return Cwd(SUB, target[len(ROOT_TOKEN) + 1:])
        if target.startswith("/"):
            if target == self.deploy_root:
                return Cwd(ROOT)
            if target.startswith(self.deploy_root + "/"):
                return Cwd(SUB, target[len(self.deploy_root) + 1:])
            return Cwd(ELSEWHERE, target)
        if target.startswith("~"):
            return Cwd(ELSEWHERE, target)
        # relative: from the root it is a subdirectory, otherwise it depends on the caller
        if cwd.state == ROOT:
            rel = normalize(ROOT_TOKEN + "/" + target)
            return Cwd(ROOT) if rel == ROOT_TOKEN else Cwd(SUB, rel[len(ROOT_TOKEN) + 1:])
        if cwd.state == SUB:
            rel = normalize(f"{ROOT_TOKEN}/{cwd.detail}/{target}")
            return Cwd(ROOT) if rel == ROOT_TOKEN else Cwd(SUB, rel[len(ROOT_TOKEN) + 1:])
        return Cwd(UNKNOWN) if cwd.state != CALLER else Cwd(CALLER, "relative")

    def step(self, cwd: Cwd, command: ShellCommand) -> Cwd:
        program = command.argv[0] if command.argv else ""
        if program in {"cd", "pushd"}:
            new = self.after_cd(cwd, self.cd_target(command))
            if cwd.state == UNCHANGED and new.state == UNKNOWN:
                return Cwd(UNKNOWN)
            if new.state == CALLER:  # relative cd from the caller's directory
                return Cwd(UNKNOWN)
            return new
        if program == "popd":
            return Cwd(UNKNOWN)
        if program in self.bodies and program is not None:
            effect = self.effect(program)
            return cwd if effect.state == UNCHANGED else effect
        return cwd

    def walk(self, function: str | None, start: Cwd) -> Iterator[tuple[ShellCommand, Cwd]]:
        """Each command of a body with the working directory it runs in."""
        cwd = start
        stack: list[tuple[tuple[str, ...], Cwd]] = []
        for command in self.bodies.get(function, ()):
            arms = command.case_arms
            while stack and stack[-1][0] != arms[: len(stack[-1][0])]:
                cwd = stack.pop()[1]
            depth = len(stack[-1][0]) if stack else 0
            for k in range(depth + 1, len(arms) + 1):
                stack.append((arms[:k], cwd))
            yield command, cwd
            cwd = self.step(cwd, command)

    def effect(self, function: str) -> Cwd:
        """The directory a function leaves its caller in (UNCHANGED when it never cds)."""
        if function in self._effect:
            return self._effect[function]
        if ("effect", function) in self._busy:
            return Cwd(UNCHANGED)
        self._busy.add(("effect", function))
        cwd = Cwd(UNCHANGED)
        for command, before in self.walk(function, Cwd(UNCHANGED)):
            cwd = self.step(before, command)
        self._busy.discard(("effect", function))
        self._effect[function] = cwd
        return cwd

    def entry(self, function: str | None) -> Cwd:
        """The directory a body starts in: the caller's for top level, else its call sites'."""
        if function is None:
            return Cwd(CALLER)
        if function in self._entry:
            return self._entry[function]
        if ("entry", function) in self._busy:
            return Cwd(UNKNOWN)
        self._busy.add(("entry", function))
        states: list[Cwd] = []
        for caller in self.callers(function):
            if ("entry", caller) in self._busy:
                continue  # recursion: that call site adds nothing new
            for command, cwd in self.walked(caller, self.entry(caller)):
                if command.argv[:1] == (function,):
                    states.append(cwd)
        self._busy.discard(("entry", function))
        if not states:
            # Never called directly (dispatch through "$@", traps): as after top-level code.
            states = [self.top_level_end()]
        result = _merge(states)
        self._entry[function] = result
        return result

    def callers(self, function: str) -> list[str | None]:
        """Bodies that call ``function`` directly, in source order."""
        if not self._callers:
            # Indexed once: entry() asks for every function, and scanning all bodies each time was quadratic.
            for body, commands in self.bodies.items():
                for name in dict.fromkeys(c.argv[0] for c in commands if c.argv):
                    self._callers.setdefault(name, []).append(body)
        return [body for body in self._callers.get(function, ()) if body != function]

    def top_level_end(self) -> Cwd:
        cwd = Cwd(CALLER)
        for command, before in self.walk(None, Cwd(CALLER)):
            cwd = self.step(before, command)
        return cwd

    def walked(self, function: str | None, start: Cwd) -> list[tuple[ShellCommand, Cwd]]:
        """:meth:`walk`, remembered: entry() walks a body once for each function it calls.

        Safe to remember outside :meth:`effect` (which walks while effects are half known):
        there every effect a walk meets is final.
        """
        key = (function, start)
        if key not in self._walks:
            self._walks[key] = list(self.walk(function, start))
        return self._walks[key]

    def commands(self) -> list[tuple[ShellCommand, Cwd]]:
        """Every command with the directory it runs in, top level first."""
        return [placed for function in self.bodies for placed in self.walked(function, self.entry(function))]


def _merge(states: list[Cwd]) -> Cwd:
    if any(s.state == CALLER for s in states):
        return Cwd(CALLER)
    first = states[0]
    if all(s == first for s in states):
        return first
    subs = [s for s in states if s.state == SUB]
    return subs[0] if subs else Cwd(UNKNOWN)


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
    if is_relative_path(program) and "/" in program and program not in flow.bodies:
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


def checked_scripts(repo: Repository, pack: ContractPack) -> list[ShellScript]:
    paths = ([pack.start_script.path] if pack.start_script else []) + list(pack.deploy_scripts)
    seen: list[ShellScript] = []
    for path in paths:
        script = repo.script(path)
        if script is not None and script not in seen:
            seen.append(script)
    return seen


# --------------------------------------------------------------------------- the check


def check(ctx: CheckContext) -> Iterator[Finding]:
    rule = rule_by_code(CODE)
    for script in checked_scripts(ctx.repo, ctx.pack):
        flow = Flow.shared(ctx, script)
        unanchored: list[tuple[ShellCommand, str]] = []
        subdir: list[tuple[ShellCommand, str, Cwd]] = []
        for command, cwd in flow.commands():
            if cwd.state == CALLER:
                for use in relative_uses(command, flow, ctx.repo, ctx.pack):
                    unanchored.append((command, use))
                    break
            elif cwd.state == SUB:
                app = starts_app(command, flow.env)
                if app is not None:
                    subdir.append((command, app, cwd))
        unanchored.sort(key=lambda item: item[0].location)
        subdir.sort(key=lambda item: item[0].location)
        if unanchored:
            command, use = unanchored[0]
            where = f"function {command.function}" if command.function else "top level"
            message = (f"relative path {use!r} in `{_shorten(command)}` depends on the caller's working "
                       f"directory: the {where} uses it before `cd \"$ROOT\"` (ROOT derived from the script's "
                       f"own location)")
            related = [Related(c.location, f"also relative: {u!r}") for c, u in unanchored[1:6]]
            yield rule.finding(message, command.location, related=related, subject=f"{script.path}:relative")
        if subdir:
            command, app, cwd = subdir[0]
            message = (f"starts the app ({app}) from {cwd.describe()} instead of the repository root; "
                       f"run it after `cd \"$ROOT\"`")
            related = [Related(c.location, f"also started from {w.describe()}") for c, _, w in subdir[1:6]]
            yield rule.finding(message, command.location, related=related, subject=f"{script.path}:subdirectory")
