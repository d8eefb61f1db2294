"""Where each command of a shell script runs, as far as ``cd`` tells.

Built on the script's control-flow model (:mod:`meslint.script_flow`): top-level code
first, then each function from the state of its call sites; a call leaves its caller
where the function's body, walked from the call site, ends.  Each ``case`` arm starts
from the state before its ``case``; after the ``case``, wherever any arm ended may hold
(and the state before it, when no arm may have run).  Subshells and ``if`` branches are
not modelled: a ``cd`` anywhere in a function counts from that point on.  Words are evaluated
against the script's statically known variables (``@ROOT`` anchors, paths).
MES202 (is the script anchored to the repository root?) and MES204 (do the paths it
uses exist?) both follow this flow.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from meslint import root_derivation
from meslint.facts import ROOT_TOKEN, Repository, ShellCaseArm, ShellCommand, ShellScript
from meslint.pack import ContractPack
from meslint.records import record
from meslint.script_flow import Memo, ScriptModel, case_key, script_model
from meslint.template import Binding, evaluate

# Working-directory states.
CALLER = "caller"  # whatever directory the script was started from
ROOT = "root"  # the anchored repository root
SUB = "sub"  # a subdirectory of the root (``detail`` holds the repo-relative path)
ELSEWHERE = "elsewhere"  # an absolute directory that is not the root
UNKNOWN = "unknown"


@record
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
    landing = root_derivation.landing_of(value)
    if landing is not None:
        return root_derivation.render(landing)  # keeps a climb above the root (``@ROOT/..``)
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

    model: ScriptModel
    deploy_root: str
    env: Mapping[str, Binding]
    bodies: dict[str | None, list[ShellCommand]] = field(default_factory=dict)  # functions in file order
    _entry: dict[str | None, Cwd] = field(default_factory=dict)
    _effect: dict[tuple[str, Cwd], Cwd] = field(default_factory=dict)
    _busy: set = field(default_factory=set)
    _callers: dict[str, list[str | None]] = field(default_factory=dict)
    _walks: dict[tuple[str | None, Cwd], list[tuple[ShellCommand, Cwd]]] = field(default_factory=dict)

    @classmethod
    def of(cls, script: ShellScript, pack: ContractPack, shared: Memo | None = None) -> Flow:
        """The flow of ``script``; ``shared``, the run context's memo, builds it once per run."""
        model = script_model(script, pack.env_file.script_relative, shared)
        if shared is not None:
            return shared(("script_cwd.Flow", script.path), lambda: cls._build(model, pack))
        return cls._build(model, pack)

    @classmethod
    def _build(cls, model: ScriptModel, pack: ContractPack) -> Flow:
        flow = cls(model, pack.deploy_root.rstrip("/") or "/", script_env(model.script))
        names = sorted(model.functions, key=lambda name: (model.functions[name], name))
        flow.bodies = {None: model.commands(None)} | {name: model.commands(name) for name in names}
        return flow

    @property
    def script(self) -> ShellScript:
        return self.model.script

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
        if target.startswith(ROOT_TOKEN + "/.."):
            return Cwd(ELSEWHERE, target)  # above the repository root (MES202 reports the derivation)
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
            return self.after_cd(cwd, ROOT_TOKEN + "/" + target)
        if cwd.state == SUB:
            return self.after_cd(cwd, f"{ROOT_TOKEN}/{cwd.detail}/{target}")
        return Cwd(UNKNOWN) if cwd.state != CALLER else Cwd(CALLER, "relative")

    def step(self, cwd: Cwd, command: ShellCommand) -> Cwd:
        program = command.argv[0] if command.argv else ""
        if program in {"cd", "pushd"}:
            new = self.after_cd(cwd, self.cd_target(command))
            if new.state == CALLER:  # relative cd from the caller's directory
                return Cwd(UNKNOWN)
            return new
        if program == "popd":
            return Cwd(UNKNOWN)
        function = self.model.callee(command)
        if function is not None:
            return self.effect(function, cwd)
        return cwd

    def walk(self, function: str | None, start: Cwd) -> Iterator[tuple[ShellCommand, Cwd]]:
        """Each command of a body with the working directory it runs in."""
        placed: list[tuple[ShellCommand, Cwd]] = []
        self._walk(function, start, placed)
        return iter(placed)

    def _walk(self, function: str | None, start: Cwd, placed: list[tuple[ShellCommand, Cwd]]) -> Cwd:
        """Walks one body, appending each command with its directory; returns the directory at its end.

        Each ``case`` arm starts from the directory before its ``case``; after the ``case``,
        the directory is where any of its arms left it (or the one before it, when no arm
        may have run).
        """
        cwd = start
        open_arms: list[tuple[ShellCaseArm, Cwd]] = []  # enclosing arms, with the directory before their case
        ends: dict[tuple, list[Cwd]] = {}  # where the arms of each open case ended
        for command in self.bodies.get(function, ()):
            arms = self.model.arms_of(command)
            cwd = self._leave_arms(open_arms, arms, cwd, ends)
            open_arms.extend((arm, cwd) for arm in arms[len(open_arms):])
            placed.append((command, cwd))
            cwd = self.step(cwd, command)
        return self._leave_arms(open_arms, (), cwd, ends)

    def _leave_arms(self, open_arms: list[tuple[ShellCaseArm, Cwd]], arms: tuple[ShellCaseArm, ...], cwd: Cwd,
                    ends: dict[tuple, list[Cwd]]) -> Cwd:
        """Closes the open arms that do not enclose the next command; returns the directory it starts in."""
        while open_arms and (len(open_arms) > len(arms) or open_arms[-1][0] is not arms[len(open_arms) - 1]):
            arm, before = open_arms.pop()
            key = case_key(arm)
            ends.setdefault(key, []).append(cwd)
            depth = len(open_arms)
            if depth < len(arms) and case_key(arms[depth]) == key:
                cwd = before  # the next arm of the same case starts where the case did
                continue
            states = ends.pop(key)
            siblings = self.model.case_of(arm)
            if len(states) < len(siblings) or not any(p == "*" for a in siblings for p in a.patterns):
                states.append(before)  # an arm without commands, or no arm at all, may run
            cwd = _merge(states)
        return cwd

    def effect(self, function: str, start: Cwd) -> Cwd:
        """The directory a function called from ``start`` leaves its caller in."""
        key = (function, start)
        if key in self._effect:
            return self._effect[key]
        if ("effect", key) in self._busy:
            return start  # a recursive call: what it changes, the outer call already does
        self._busy.add(("effect", key))
        cwd = self._walk(function, start, [])
        self._busy.discard(("effect", key))
        self._effect[key] = cwd
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
                if self.model.callee(command) == function:
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
                for name in dict.fromkeys(map(self.model.callee, commands)):
                    if name is not None:
                        self._callers.setdefault(name, []).append(body)
        return [body for body in self._callers.get(function, ()) if body != function]

    def top_level_end(self) -> Cwd:
        return self._walk(None, Cwd(CALLER), [])

    def walked(self, function: str | None, start: Cwd) -> list[tuple[ShellCommand, Cwd]]:
        """:meth:`walk`, remembered: entry() walks a body once for each function it calls.

        Only walks outside :meth:`effect` are remembered: there every effect a walk meets is
        final, while inside it a recursive call's effect is still being worked out.
        """
        key = (function, start)
        if key not in self._walks:
            self._walks[key] = list(self.walk(function, start))
        return self._walks[key]

    def commands(self) -> list[tuple[ShellCommand, Cwd]]:
        """Every command with the directory it runs in, top level first."""
        return [placed for function in self.bodies for placed in self.walked(function, self.entry(function))]


def _merge(states: list[Cwd]) -> Cwd:
    # Where one of several paths may be: the caller's directory if any path stays there (a relative
    # path is then at risk), a subdirectory if any path is in one, else one state they all share.
    if any(s.state == CALLER for s in states):
        return Cwd(CALLER)
    first = states[0]
    if all(s == first for s in states):
        return first
    subs = [s for s in states if s.state == SUB]
    return subs[0] if subs else Cwd(UNKNOWN)


def checked_scripts(repo: Repository, pack: ContractPack) -> list[ShellScript]:
    """The scripts that must run from the repository root: the start script and the deploy scripts."""
    paths = ([pack.start_script.path] if pack.start_script else []) + list(pack.deploy_scripts)
    seen: list[ShellScript] = []
    for path in paths:
        script = repo.script(path)
        if script is not None and script not in seen:
            seen.append(script)
    return seen
