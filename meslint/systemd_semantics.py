"""What systemd does with a unit's settings: one home for the semantics checks and resolution share.

Everything here reads the (effective, drop-ins applied) :class:`meslint.facts.UnitFile` facts;
nothing parses a file.  The references are systemd.exec(5), systemd.service(5), systemd.time(7)
and systemd's sources (``src/core/load-fragment.c``, ``src/basic/time-util.c``).

* :func:`working_directory` -- ``WorkingDirectory=``: the ``-`` prefix only makes a missing
  directory non-fatal; ``~`` is the home directory of ``User=`` (``/root`` without one);
  specifiers are expanded; a relative or non-normalised path is rejected (fatal for the unit,
  ignored with ``-``: :func:`meslint.parsers.systemd_settings.working_directory_value` says which, as a
  parse problem); an empty value resets to the default, ``/`` for the system manager.
* :func:`exec_argv` -- the argv systemd passes for an ``Exec*=`` command (``$VAR``/``${VAR}``
  substituted unless the ``:`` prefix is given); :func:`invocations` -- the programs it runs,
  with ``bash -c SCRIPT`` unwrapped into the script's commands (parsed in the model phase,
  :attr:`meslint.facts.ExecCommand.script`) and each of their words expanded as the shell does
  with the unit's environment; ``env``/``exec``/``nohup``/``conda run`` wrappers are unwrapped
  by :func:`meslint.argv.analyze`.  A ``|`` command (systemd >= 258) is the same: its words are
  the ``-c`` text of the user's login shell (:func:`meslint.parsers.systemd_exec.via_shell_argv`).
* :func:`pid_file` -- ``PIDFile=``: specifiers expanded, a relative path taken under ``/run``.
* :func:`parse_timespan` / :func:`stop_timeout` -- time spans and the effective stop timeout.
* :func:`parse_bool` -- systemd's booleans.  The sandbox view is :mod:`meslint.sandbox`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from meslint.argv import SHELLS, CommandInfo, analyze, basename
from meslint.facts import ExecCommand, Location, UnitFile, UnitSetting
from meslint.parsers.systemd_exec import via_shell_argv
from meslint.parsers.systemd_settings import working_directory_value
from meslint.parsers.systemd_specifiers import expand_specifiers
from meslint.parsers.systemd_substitution import substitute_argv
from meslint.records import record
from meslint.template import Binding, evaluate, normalize_path

# --------------------------------------------------------------------------- booleans

_TRUE = {"1", "yes", "y", "true", "t", "on"}
_FALSE = {"0", "no", "n", "false", "f", "off"}


def parse_bool(value: str) -> bool | None:
    """``parse_boolean()``: None for a value systemd rejects."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


# --------------------------------------------------------------------------- working directory

ROOT_HOME = "/root"
DEFAULT_WORKING_DIRECTORY = "/"  # system manager; a user manager would use the user's home


@record
class WorkingDirectory:
    """Where a unit's processes start."""

    path: str | None  # absolute and normalised; None when not statically known (``~`` of another user)
    setting: UnitSetting | None  # the assignment in effect; None: systemd's default
    home: bool = False  # ``WorkingDirectory=~``

    @property
    def shown(self) -> str:
        """The directory for messages: the path, else the setting's value."""
        if self.path is not None:
            return self.path
        return self.setting.value if self.setting is not None else DEFAULT_WORKING_DIRECTORY


def working_directory(unit: UnitFile) -> WorkingDirectory:
    """The effective ``WorkingDirectory=``: the last assignment systemd accepts."""
    chosen = WorkingDirectory(DEFAULT_WORKING_DIRECTORY, None)
    for setting in unit.settings:
        if setting.section != "Service" or setting.key != "WorkingDirectory":
            continue
        path = working_directory_value(setting.value, unit.name)[0]
        if path == "":
            chosen = WorkingDirectory(DEFAULT_WORKING_DIRECTORY, None)
        elif path == "~":
            user = unit.get("Service", "User")
            is_root = user is None or user.value in ("", "root", "0")
            chosen = WorkingDirectory(ROOT_HOME if is_root else None, setting, home=True)
        elif path is not None:
            chosen = WorkingDirectory(path, setting)
        # None: rejected (a MES101 of the parser); with "-" systemd goes on with the previous value
    return chosen


def pid_file(unit: UnitFile) -> tuple[str, UnitSetting] | None:
    """The file ``PIDFile=`` names, with the setting: specifiers expanded, relative under ``/run``.

    systemd.service(5): "If this option is set to a relative path, it is prefixed with /run";
    ``config_parse_pid_file()`` expands specifiers first.  An empty value resets: no pid file.
    """
    setting = unit.get("Service", "PIDFile")
    if setting is None or not setting.value:
        return None
    return normalize_path(expand_specifiers(setting.value, unit.name), "/run"), setting


# --------------------------------------------------------------------------- Exec*= command lines


def exec_argv(command: ExecCommand, env: Mapping[str, str]) -> tuple[str, ...]:
    """The argv systemd passes: ``$VAR``/``${VAR}`` substituted from ``env`` unless the ``:`` prefix."""
    return command.argv if ":" in command.prefixes else substitute_argv(command.argv, env)


@record
class Invocation:
    """One program an ``Exec*=`` line runs: the command itself, or a command of its ``bash -c`` script."""

    info: CommandInfo  # the analysed words (wrappers such as env, exec, conda run unwrapped)
    templates: tuple[str, ...]  # the words before the shell expands them (the argv itself when no shell)
    values: tuple[str | None, ...]  # each word's value, None when not statically known
    used: tuple[tuple[str, Binding | None], ...] = ()  # variables the shell consulted, in order
    shell: str | None = None  # "bash", "sh", ...: the shell whose -c script runs the command

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t if v is None else v for t, v in zip(self.templates, self.values, strict=True))


def invocations(command: ExecCommand, env: Mapping[str, Binding], deploy_root: str) -> list[Invocation]:
    """The programs ``command`` runs in the environment ``env``, in order.

    Without a shell that is the command after systemd's substitution (its words reach the
    program as they are: a ``${X:-d}`` systemd leaves alone stays literal).  With ``bash -c
    SCRIPT`` it is each command of the script, its words expanded as the shell expands them
    from the same environment (``@ROOT`` is the deploy root: units run the deployed tree).  A
    script whose text is not known statically runs nothing meslint can see.
    """
    argv = exec_argv(command, {name: binding.value for name, binding in env.items()})
    if "|" in command.prefixes:
        argv = via_shell_argv(argv)
    info = analyze(argv)
    if info.shell_script is None:
        return [Invocation(info, argv, argv)]
    if command.script is None:
        return []
    split = {"${" + name + "}" for name in command.split_variables}
    found = []
    for inner in command.script.commands:
        templates: list[str] = []
        values: list[str | None] = []
        used: list[tuple[str, Binding | None]] = []
        for word in inner.argv:
            evaluated = evaluate(word, env, deploy_root)
            used.extend(evaluated.used)
            if evaluated.value is not None and any(reference in word for reference in split):
                # systemd put the value into the script text: the shell reads it as words.
                pieces = evaluated.value.split()
                templates.extend(pieces)
                values.extend(pieces)
            else:
                templates.append(word)
                values.append(evaluated.value)
        words = tuple(w if v is None else v for w, v in zip(templates, values, strict=True))
        found.append(Invocation(analyze(words), tuple(templates), tuple(values), tuple(used), info.program))
    return found


_SCRIPT_SUFFIXES = (".sh", ".py", ".bash")


def executed_paths(info: CommandInfo) -> Iterator[tuple[str, str]]:
    """(what, path) for each script or directory a command runs code from (relative paths as written)."""
    if info.program_index >= 0:
        program = info.argv[info.program_index]
        if program.endswith(_SCRIPT_SUFFIXES):
            yield "the script", program
        if basename(program) in SHELLS and info.args and not info.args[0].startswith("-"):
            yield "the script", info.args[0]
    if info.script is not None and info.script != "-":
        yield "the script", info.script
    if info.program == "gunicorn":
        config = info.options.get("config")
        if config and not config.startswith("python:"):
            yield "the gunicorn config", config
        for option in ("chdir", "pythonpath"):
            if info.options.get(option):
                for entry in info.options[option].split(","):
                    yield f"gunicorn --{option}", entry
    if info.program == "rq" and info.options.get("path"):
        yield "rq --path", info.options["path"]



# --------------------------------------------------------------------------- time spans

INFINITY = float("inf")
DEFAULT_TIMEOUT_STOP_SEC = 90.0  # systemd-system.conf(5) DefaultTimeoutStopSec=

_MINUTE = 60.0
_HOUR = 3600.0
_DAY = 86400.0
# systemd's extract_multiplier() table (src/basic/time-util.c), in its matching order.
_UNITS = (
    ("seconds", 1.0), ("second", 1.0), ("sec", 1.0), ("s", 1.0),
    ("minutes", _MINUTE), ("minute", _MINUTE), ("min", _MINUTE),
    ("months", 30.44 * _DAY), ("month", 30.44 * _DAY), ("M", 30.44 * _DAY),
    ("msec", 1e-3), ("ms", 1e-3), ("m", _MINUTE),
    ("hours", _HOUR), ("hour", _HOUR), ("hr", _HOUR), ("h", _HOUR),
    ("days", _DAY), ("day", _DAY), ("d", _DAY),
    ("weeks", 7 * _DAY), ("week", 7 * _DAY), ("w", 7 * _DAY),
    ("years", 365.25 * _DAY), ("year", 365.25 * _DAY), ("y", 365.25 * _DAY),
    ("usec", 1e-6), ("us", 1e-6), ("μs", 1e-6), ("µs", 1e-6),
)
_NUMBER = re.compile(r"(\d+(?:\.\d*)?|\.\d+)")


def parse_timespan(text: str, default_unit: float = 1.0) -> float | None:
    """Seconds of a systemd time span (systemd.time(7)); None when systemd would reject it."""
    text = text.strip()
    if text == "infinity":
        return INFINITY
    if not text:
        return None
    total = 0.0
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\n\r":
            i += 1
        if i >= n:
            break
        match = _NUMBER.match(text, i)
        if match is None:
            return None
        number = float(match.group(1))
        i = match.end()
        while i < n and text[i] in " \t\n\r":
            i += 1
        multiplier = default_unit
        for suffix, seconds in _UNITS:
            if text.startswith(suffix, i):
                multiplier = seconds
                i += len(suffix)
                break
        total += number * multiplier
    return total


def stop_timeout(unit: UnitFile) -> tuple[float, str, Location | None]:
    """The effective stop timeout: seconds, how it was set, where."""
    chosen: tuple[float, str, Location | None] = (DEFAULT_TIMEOUT_STOP_SEC,
                                                  "systemd's DefaultTimeoutStopSec=90s (no TimeoutStopSec=)", None)
    for setting in unit.settings:
        if setting.section != "Service" or setting.key not in ("TimeoutStopSec", "TimeoutSec"):
            continue
        if setting.value == "":
            chosen = (DEFAULT_TIMEOUT_STOP_SEC, f"{setting.key}= reset to the default 90s", setting.location)
            continue
        seconds = parse_timespan(setting.value)
        if seconds is None:
            continue  # systemd logs "Failed to parse" and ignores the assignment
        if seconds == 0:
            seconds = INFINITY  # config_parse_sec_fix_0: 0 means no timeout
        chosen = (seconds, f"{setting.key}={setting.value}", setting.location)
    return chosen
