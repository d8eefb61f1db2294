"""Does a command's failure reach the script's exit status?

Follows a failing command of a start script upward, on the script's control-flow model
(:mod:`meslint.script_flow`) and the status context the parser records on each command
(:mod:`meslint.parsers.shell_status`):

* ``cmd || exit 1`` ends the script with a failure; ``cmd || return 1`` (or a bare
  ``return``) makes the enclosing function fail, and the walk goes on from its call sites;
  ``cmd || true`` (anything else after ``||``, ``exit 0``, ``return 0``) swallows it;
* a command tested by ``if``/``while``/``!`` fails its function when the body has a
  non-zero ``return`` (or ends the script when it has a non-zero ``exit``); a body with
  neither swallows the failure (which branch runs is not modelled);
* a plain statement (or a ``&&`` list it starts) fails the script under ``set -e``; without it, the next command of the
  body must test ``$?`` (or be a bare ``exit``/``exit $?``), else its status is lost; the last
  statement of a body hands its status to the body's caller (sibling ``case`` arms do not run);
* a command in the middle of a pipeline (without ``pipefail``), of a subshell, or in the
  background loses its status.

At top level, the last statement's status is the script's.  Call sites are those the walk
from the subcommand's case arm reaches.
"""

from __future__ import annotations

import re

from meslint.facts import ShellAssignment, ShellCaseArm, ShellCommand, ShellScript
from meslint.records import record
from meslint.script_flow import ScriptModel, Statement, case_key

_EXIT_OR_RETURN = re.compile(r"(?:^|[\s;{(])(exit|return)(?:\s+(\S+?))?\s*(?:[;}]|$)")
_FAILS = re.compile(r"(?:^|[\s;{(])false\s*(?:[;}]|$)")


@record
class Swallowed:
    """Where a failure stops reaching the exit status, and why."""

    command: ShellCommand
    reason: str


def _shell_option(script: ShellScript, short: str, long: str) -> bool:
    """Whether ``set -<short>``/``set -o <long>`` is in force (the last ``set`` that names it wins)."""
    on = bool(script.shebang and re.search(rf"\s-\w*{short}", script.shebang))
    for command in sorted(script.commands, key=lambda c: c.location):
        if command.argv[:1] != ("set",):
            continue
        args = list(command.argv[1:])
        for i, arg in enumerate(args):
            if arg in ("-o", "+o") and i + 1 < len(args) and args[i + 1] == long:
                on = arg == "-o"
            elif re.fullmatch(rf"[-+][a-zA-Z]*{short}[a-zA-Z]*", arg):
                on = arg.startswith("-")
    return on


def _non_zero(argument: str | None) -> bool:
    """Whether ``exit ARG``/``return ARG`` fails: no argument keeps the failing status."""
    if argument is None or argument in ("$?", '"$?"', "${?}"):
        return True
    argument = argument.strip("\"'")
    return not argument.isdigit() or int(argument) != 0


def _after_or(rhs: str) -> str:
    """``exit`` / ``return`` / ``swallow`` for what runs after ``||``."""
    match = _EXIT_OR_RETURN.search(rhs)
    if match and _non_zero(match.group(2)):
        return match.group(1)
    if _FAILS.search(rhs):
        return "return"  # ``|| false`` keeps the list failing: the statement fails as a whole
    return "swallow"


class StatusFlow:
    """Follows failures through one script (see the module docstring)."""

    def __init__(self, model: ScriptModel, arm: ShellCaseArm) -> None:
        self.model = model
        self.arm = arm
        self.errexit = _shell_option(model.script, "e", "errexit")
        self.pipefail = _shell_option(model.script, "o", "pipefail") or any(
            "pipefail" in c.argv for c in model.script.commands if c.argv[:1] == ("set",))
        reach = model.reach(arm)
        self._reached = [c for c in model.commands(arm.function) if arm in model.arms_of(c)] + reach.commands

    def swallowed(self, command: ShellCommand) -> Swallowed | None:
        """Where the failure of ``command`` is lost on its way to the exit status, or None when it arrives."""
        pending = [command]
        seen: set[int] = set()
        while pending:
            current = pending.pop(0)
            if id(current) in seen:
                continue
            seen.add(id(current))
            verdict = self._fate(current)
            if isinstance(verdict, Swallowed):
                return verdict
            if verdict == "function" and current.function is not None:
                callers = [c for c in self._reached if self.model.callee(c) == current.function] or [
                    c for c in self.model.script.commands if self.model.callee(c) == current.function]
                pending.extend(callers)
        return None

    def _fate(self, command: ShellCommand) -> str | Swallowed:
        """``exit`` (the script fails), ``function`` (its body fails), or where the failure is lost."""
        status = command.status
        if command.background:
            return Swallowed(command, "it runs in the background, so nothing waits for its status")
        if status.startswith("|| "):
            after = _after_or(status[3:])
            if after == "swallow":
                return Swallowed(command, f"`{status}` turns its failure into success")
            return "exit" if after == "exit" else self._body_fails(command)
        if status == "tested":
            return self._tested(command)
        if status == "pipe" and not self.pipefail:
            return Swallowed(command, "it is not the last command of a pipeline and `pipefail` is off")
        if status == "subshell" and not self.errexit:
            return Swallowed(command, "a later command of its subshell decides the subshell's status")
        if self.errexit:
            return "exit"
        following = self._next(command)
        if following is None:
            return self._body_fails(command)
        if isinstance(following, ShellAssignment):
            if "$?" in following.value or "${?}" in following.value:
                return "exit"  # ``status=$?``: the script keeps the status and handles it itself
            shown = f"{following.name}={following.value}"[:60]
        elif any("$?" in word or "${?}" in word for word in following.argv):
            return "exit"  # the script tests the status itself
        elif following.argv[:1] in (("exit",), ("return",)) and _non_zero(following.argv[1] if len(following.argv) > 1
                                                                          else None):
            return "exit" if following.argv[0] == "exit" else self._body_fails(command)
        else:
            shown = " ".join(following.argv)[:60]
        return Swallowed(command, f"`{shown}` (line {following.location.line}) runs next and nothing tests `$?` "
                                  f"(no `set -e`), so its status replaces the failure")

    def _body_fails(self, command: ShellCommand) -> str:
        return "exit" if command.function is None else "function"

    def _tested(self, command: ShellCommand) -> str | Swallowed:
        body = self.model.commands(command.function)
        later = [c for c in body if c.location > command.location and self._runs_after(command, c)]
        if any(c.argv[:1] == ("exit",) and _non_zero(c.argv[1] if len(c.argv) > 1 else None) for c in later):
            return "exit"
        if command.function is not None and any(
                c.argv[:1] == ("return",) and _non_zero(c.argv[1] if len(c.argv) > 1 else None) for c in later):
            return "function"
        where = f"function {command.function}" if command.function else "the script"
        return Swallowed(command, f"it is tested, but {where} never exits or returns non-zero after it")

    def _runs_after(self, command: ShellCommand, other: Statement) -> bool:
        """Whether ``other`` can run after ``command`` in the same body: not in a sibling arm of one of its cases."""
        mine = self.model.arms_of(command)
        for arm in self.model.arms_of(other):
            if arm in mine:
                continue
            if any(case_key(arm) == case_key(own) for own in mine):
                return False  # another arm of a case that already chose this command's arm
        return True

    def _next(self, command: ShellCommand) -> Statement | None:
        """The statement that runs next when ``command`` fails (the rest of its ``&&`` list does not)."""
        after = (command.location.line, command.location.column)
        if command.status.startswith("&& "):
            line, _, column = command.status[3:].partition(":")
            after = (int(line), int(column) - 1)
        for other in self.model.bodies.get(command.function, ()):
            if (other.location.line, other.location.column) > after and self._runs_after(command, other):
                if isinstance(other, ShellAssignment) and other.declared_only:
                    continue  # ``local x`` / ``export X``: no value, no new status worth naming
                return other
        return None
