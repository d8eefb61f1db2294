"""One control-flow model of a shell script, built from its parsed facts.

The resolution and every check that follows a script ask this model, so that a
function call, a ``case`` arm or a ``source`` means the same thing to all of them:

* **bodies**: the top level (``None``) and each function, their commands and
  assignments in source order;
* **case arms**: the arms enclosing each command and assignment (by position, within
  the same body), and which ``case`` dispatches on the script's first argument: its
  subject is ``$1`` (or a variable assigned from it) at top level, or in a function
  called with ``"$@"``/``"$1"`` from such a body before that body ``shift``s;
* **calls**: the function a command runs.  As in bash, that is its first word,
  or the word after the ``time`` keyword (``!`` is parsed away); ``command``,
  ``builtin``, ``exec``, ``env``, ``nohup`` and ``sudo`` never run a shell function;
* **sourcing**: the commands that ``source``/``.`` the contract's env file;
* **walks**: what one subcommand runs, in call order (:meth:`ScriptModel.trace`),
  and what one case arm reaches through functions (:meth:`ScriptModel.reach`).

Nothing is executed and no value is evaluated: which statements run depends on the
script's structure and the subcommand only.  A dispatching ``case`` takes the first
arm whose pattern matches the subcommand (``*`` when none does); any other ``case``
depends on run-time values, so each of its arms may run.  ``;&``/``;;&``
fall-through and ``set --`` are not modelled; when no ``case`` is recognisably on the
first argument, every ``case`` is taken for the dispatch.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from meslint.facts import Heredoc, Location, ShellAssignment, ShellCaseArm, ShellCommand, ShellScript
from meslint.records import record

Statement = ShellCommand | ShellAssignment
# The run context's memo (CheckContext.shared): per-run derived views live there, not in globals.
Memo = Callable[[Hashable, Callable[[], Any]], Any]

# ``$1``, ``${1}``, ``${1:-word}`` and ``$NAME`` forms of a whole word: the name it expands.
_WHOLE_EXPANSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9])(?::?[-=][^{}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*|[0-9])")
# Arguments that hand a function all of the script's own arguments.
_FORWARDS_ALL = frozenset({"${@}", "${*}"})
_TIME_OPTIONS = frozenset({"-p", "--"})
_SUBCOMMAND = re.compile(r"[A-Za-z][\w-]*")
_NOT_HERE = "\0"  # a command that is not one of the script's (no function name holds a NUL)


@record
class Reach:
    """What a case arm runs, directly or through the functions it calls (transitively)."""

    commands: list[ShellCommand]
    heredocs: list[Heredoc]
    functions: list[str]  # in the order they are first reached


class ScriptModel:
    """The control flow of one script (see the module docstring)."""

    # A walk stops after this many statements: a safety net against pathological scripts.
    MAX_STEPS = 20000
    # A helper called from twenty places (resolve_runtime_paths) yields nothing new after
    # its second run: the first sees the start-up state, the second the state after .env.
    MAX_RUNS_PER_FUNCTION = 2

    def __init__(self, script: ShellScript, env_file: str | None = None) -> None:
        self.script = script
        self.env_file = env_file  # the env file as the script names it (``.env``): its ``source`` loads it
        self.functions: dict[str, Location] = {}
        for function in script.functions:
            self.functions.setdefault(function.name, function.location)
        self.bodies: dict[str | None, tuple[Statement, ...]] = _bodies(script)
        # Asked for every command of every walk: worked out once.
        self._callees = {id(command): _callee(command, self.functions) for command in script.commands}
        self._env_sources = {id(command) for command in script.commands
                             if env_file is not None and sources(command, env_file)}
        self._arms: dict[int, tuple[ShellCaseArm, ...]] = {}
        statements: list[Statement] = [*script.commands, *script.assignments]
        for fact in statements:
            self._arms[id(fact)] = self._enclosing(fact.function, fact.location)
        self._first_names = self._first_argument_names()
        # When no ``case`` is recognisably on the first argument, every ``case`` is taken for
        # the dispatch, so that a dispatch written in an unrecognised way still has its arms.
        self._dispatch = ({id(arm) for arm in script.case_arms if self._dispatches(arm)}
                          or {id(arm) for arm in script.case_arms})
        # Per statement, the ids of the dispatching arms around it (most statements have none).
        self._dispatched_by = {key: ids for key, arms in self._arms.items()
                               if (ids := tuple(id(arm) for arm in arms if id(arm) in self._dispatch))}
        self._traces: dict[str, list[tuple[str, Statement]]] = {}
        self._cases: dict[tuple, list[ShellCaseArm]] | None = None

    # ----------------------------------------------------------------- structure

    def _enclosing(self, function: str | None, location: Location) -> tuple[ShellCaseArm, ...]:
        start = (location.line, location.column)
        arms = [arm for arm in self.script.case_arms if arm.function == function
                and (arm.location.line, arm.location.column) <= start
                <= (arm.location.end_line, arm.location.end_column)]
        return tuple(sorted(arms, key=lambda arm: (arm.location.line, arm.location.column)))

    def arms_of(self, fact: Statement) -> tuple[ShellCaseArm, ...]:
        """The case arms enclosing a command or assignment of this script, outermost first."""
        arms = self._arms.get(id(fact))
        return arms if arms is not None else self._enclosing(fact.function, fact.location)

    def commands(self, function: str | None) -> list[ShellCommand]:
        """The commands of one body, in source order."""
        return [item for item in self.bodies.get(function, ()) if isinstance(item, ShellCommand)]

    def callee(self, command: ShellCommand) -> str | None:
        """The script function a command runs, if any."""
        name = self._callees.get(id(command), _NOT_HERE)
        return _callee(command, self.functions) if name is _NOT_HERE else name

    def sources_env_file(self, command: ShellCommand) -> bool:
        """Whether the command is a ``source``/``.`` of the contract's env file."""
        return id(command) in self._env_sources

    # ----------------------------------------------------------------- dispatch

    def _dispatches(self, arm: ShellCaseArm) -> bool:
        subject = _expanded_name(arm.subject)
        return subject is not None and (subject in self._first_names.get(arm.function, ())
                                        or subject in self._first_names[""])  # globals set from it

    def _first_argument_names(self) -> dict[str | None, set[str]]:
        """Per body, the names holding the script's first argument: ``1``, and variables set from it.

        A body's ``$1`` is the script's at top level, and in a function called with ``"$@"``
        or ``"$1"`` from such a body before it runs ``shift``.  The key ``""`` holds the
        global variables set from it.
        """
        def first_shift(body: str | None) -> Location | None:
            return next((c.location for c in self.commands(body) if c.argv[:1] == ("shift",)), None)

        forwarded: dict[str | None, Location | None] = {None: first_shift(None)}  # body -> where it shifts
        pending: list[str | None] = [None]
        while pending:
            body = pending.pop()
            shifted = forwarded[body]
            for command in self.commands(body):
                name = self.callee(command)
                if name is None or name in forwarded or (shifted is not None and shifted < command.location):
                    continue
                args = command.argv[command.argv.index(name) + 1:]
                if args[:1] and (args[0] in _FORWARDS_ALL or _expanded_name(args[0]) == "1"):
                    forwarded[name] = first_shift(name)
                    pending.append(name)
        names: dict[str | None, set[str]] = {body: {"1"} for body in forwarded}
        names[""] = set()
        for assignment in self.script.assignments:
            if assignment.function not in forwarded or _expanded_name(assignment.value) != "1":
                continue
            shifted = forwarded[assignment.function]
            if shifted is None or assignment.location < shifted:
                key = "" if assignment.function is None or not assignment.local else assignment.function
                names.setdefault(key, set()).add(assignment.name)
        return names

    def is_dispatch(self, arm: ShellCaseArm) -> bool:
        """Whether the arm's ``case`` switches on the script's first argument (the subcommand)."""
        return id(arm) in self._dispatch

    def arms_for(self, subcommand: str) -> list[ShellCaseArm]:
        """The arm each dispatching ``case`` runs for ``subcommand``: its first matching arm."""
        chosen: dict[tuple, ShellCaseArm] = {}
        for arm in self.script.case_arms:
            if not self.is_dispatch(arm):
                continue
            key = case_key(arm)
            if key not in chosen and any(pattern_matches(p, subcommand) for p in arm.patterns):
                chosen[key] = arm
        return list(chosen.values())

    def subcommands(self) -> set[str] | None:
        """The literal words the dispatching ``case`` accepts as a subcommand (None: no ``case``)."""
        arms = [arm for arm in self.script.case_arms if self.is_dispatch(arm)]
        if not arms:
            return None
        return {word for arm in arms for pattern in arm.patterns for alternative in pattern.split("|")
                if _SUBCOMMAND.fullmatch(word := alternative.strip().strip("()\"'"))}

    def case_of(self, arm: ShellCaseArm) -> list[ShellCaseArm]:
        """The arms of the ``case`` that ``arm`` belongs to, in order."""
        if self._cases is None:
            self._cases = {}
            for each in self.script.case_arms:
                self._cases.setdefault(case_key(each), []).append(each)
        return self._cases.get(case_key(arm), [arm])

    # ----------------------------------------------------------------- walks

    def trace(self, subcommand: str) -> list[tuple[str, Statement]]:
        """What ``script SUBCOMMAND`` runs, in order: ``(kind, fact)``, kind in command/assign/load.

        Top-level statements run in order; a command calling a function of the script runs
        that function's statements (not recursively, each function at most
        :attr:`MAX_RUNS_PER_FUNCTION` times).  A ``load`` follows each command that
        sources the env file.  Functions never reached are walked afterwards in file
        order, so a library-style script still yields its statements.
        """
        if subcommand not in self._traces:
            self._traces[subcommand] = _Walk(self, subcommand).run()
        return self._traces[subcommand]

    def reach(self, arm: ShellCaseArm) -> Reach:
        """The commands and heredocs an arm runs, directly or through functions (transitively)."""
        inside = [c for c in self.commands(arm.function) if arm in self.arms_of(c)]
        heredocs = [h for h in self.script.heredocs if h.function == arm.function
                    and _within(h.body_location, arm.location)]
        commands = list(inside)
        pending = [name for name in map(self.callee, inside) if name is not None]
        seen: list[str] = []
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.append(name)
            body = self.commands(name)
            commands.extend(body)
            heredocs.extend(h for h in self.script.heredocs if h.function == name)
            pending.extend(callee for callee in map(self.callee, body) if callee is not None)
        return Reach(commands, heredocs, seen)


class _Walk:
    def __init__(self, model: ScriptModel, subcommand: str) -> None:
        self.model = model
        self.chosen = {id(arm) for arm in model.arms_for(subcommand)}
        self.events: list[tuple[str, Statement]] = []
        self.steps = 0
        self.visited: set[str] = set()
        self.runs: dict[str, int] = {}

    def run(self) -> list[tuple[str, Statement]]:
        self._body(None, ())
        for name in sorted(self.model.functions, key=lambda n: (self.model.functions[n].line, n)):
            if name not in self.visited:
                self._body(name, (name,))
        return self.events

    def _body(self, function: str | None, stack: tuple[str, ...]) -> None:
        if function is not None:
            self.visited.add(function)
        model = self.model
        # The hottest loop of a run (thousands of statements per subcommand): plain dict lookups.
        dispatched, callees, env_sources, chosen = model._dispatched_by, model._callees, model._env_sources, self.chosen
        for item in model.bodies.get(function, ()):
            self.steps += 1
            if self.steps > model.MAX_STEPS:
                return
            key = id(item)
            arms = dispatched.get(key)
            if arms is not None and not chosen.issuperset(arms):
                continue  # inside a dispatching arm this subcommand does not take
            if isinstance(item, ShellAssignment):
                self.events.append(("assign", item))
                continue
            self.events.append(("command", item))
            if key in env_sources:
                self.events.append(("load", item))
                continue
            name = callees.get(key)
            if name is not None and name not in stack and self.runs.get(name, 0) < model.MAX_RUNS_PER_FUNCTION:
                self.runs[name] = self.runs.get(name, 0) + 1
                self._body(name, (*stack, name))


# --------------------------------------------------------------------------- helpers


def _callee(command: ShellCommand, functions: Mapping[str, object]) -> str | None:
    # As in bash: the first word, or the word after the `time` keyword and its options.
    argv = command.argv
    index = 0
    if argv[:1] == ("time",):
        index = 1
        while index < len(argv) and argv[index] in _TIME_OPTIONS:
            index += 1
    name = argv[index] if index < len(argv) else None
    return name if name in functions else None


def case_key(arm: ShellCaseArm) -> tuple:
    """What tells the ``case`` an arm belongs to (arms of one ``case`` share it)."""
    return (arm.function, arm.subject, arm.case_location)


def pattern_matches(pattern: str, word: str) -> bool:
    """Whether a ``case`` pattern (a template) matches ``word``; an expansion never matches."""
    if "$" in pattern.replace("\\$", "") or "`" in pattern.replace("\\`", ""):
        return False  # decided at run time
    literal = re.sub(r"\\(.)", r"\1", pattern)
    return fnmatch.fnmatchcase(word, literal.replace("[^", "[!"))


def _expanded_name(template: str) -> str | None:
    match = _WHOLE_EXPANSION.fullmatch(template.strip())
    if match is None:
        return None
    return match.group(1) or match.group(2)


def _within(location: Location, outer: Location) -> bool:
    return (outer.line, outer.column) <= (location.line, location.column) <= (outer.end_line, outer.end_column)


def _bodies(script: ShellScript) -> dict[str | None, tuple[Statement, ...]]:
    bodies: dict[str | None, list[Statement]] = {None: []}
    for function in script.functions:
        bodies.setdefault(function.name, [])
    statements: list[Statement] = [*script.assignments, *script.commands]
    for fact in statements:
        bodies.setdefault(fact.function, []).append(fact)
    # Location's own ordering, as a plain tuple: sorting compares tuples much faster than Locations.
    return {name: tuple(sorted(items, key=lambda f: (f.location.path, f.location.line, f.location.column,
                                                     f.location.end_line, f.location.end_column)))
            for name, items in bodies.items()}


def sources(command: ShellCommand, env_file: str) -> bool:
    """Whether the command is a ``source``/``.`` of a file named like ``env_file``."""
    if command.argv[:1] not in (("source",), (".",)) or len(command.argv) < 2:
        return False
    return posixpath.basename(command.argv[1]) == posixpath.basename(env_file)


def env_source_command(script: ShellScript, env_file: str) -> ShellCommand | None:
    """The first command (in parse order) that sources the env file ``env_file``."""
    return next((c for c in script.commands if sources(c, env_file)), None)


def script_model(script: ShellScript, env_file: str | None, shared: Memo | None = None) -> ScriptModel:
    """The model of ``script``, built once per run when ``shared`` is the run context's memo."""
    if shared is None:
        return ScriptModel(script, env_file)
    return shared(("script_flow", script.path, env_file), lambda: ScriptModel(script, env_file))
