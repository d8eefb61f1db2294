"""systemd unit files -> :class:`meslint.facts.UnitFile` facts.

This follows systemd's own code, not configparser.  The references below are to
systemd's sources as read on upstream ``main``; the syntax-level diagnostics are
compared in the tests against ``systemd-analyze verify`` of v252 (Debian 12).

File syntax -- ``src/shared/conf-parser.c``, ``config_parse()``/``parse_line()``
-------------------------------------------------------------------------------
* Every physical line whose first non-blank character is ``#`` or ``;`` is a
  comment and is skipped *before* continuation handling, so a comment line in
  the middle of a continued value vanishes and the continuation goes on.
* A line whose trailing run of backslashes has odd length continues: the last
  backslash becomes a space and the next (non-comment) line is appended.  A
  backslash followed by a space is *not* a continuation.
* The logical line is stripped of ``" \\t\\n\\r"``; empty lines are skipped.
  ``[Name]`` opens a section; a header not ending in ``]`` is an error.  A
  section the unit type does not know ("Unknown section 'X'. Ignoring.") and
  ``X-`` sections are ignored together with their assignments.  A line outside any
  section: "Assignment outside of section. Ignoring."; no ``=``: "Missing '=',
  ignoring line."; ``=`` first: "Missing key name before '='".  systemd reports
  a continued line under its *last* physical line number.
* Keys repeat; each assignment is handed to the key's parser in order.

Values -- one module per seam
-----------------------------
* :mod:`~meslint.parsers.systemd_lines`: physical lines -> logical lines (comments, continuations);
* :mod:`~meslint.parsers.systemd_words`: word splitting and C escapes (``extract_first_word()``);
* :mod:`~meslint.parsers.systemd_specifiers`: ``%n``, ``%t``... (:func:`expand_specifiers`);
* :mod:`~meslint.parsers.systemd_settings`: ``Environment=``, ``EnvironmentFile=``, ``WorkingDirectory=``
  and the sandbox path lists;
* :mod:`~meslint.parsers.systemd_exec`: ``Exec*=`` lines (prefixes, ``;``, the executable's checks);
* :mod:`~meslint.parsers.systemd_substitution`: systemd's exec-time ``$VAR``/``${VAR}`` substitution.

Embedded scripts
----------------
The script of a ``bash -c SCRIPT`` Exec command (``sh``/``dash``/``zsh`` too, behind
``env``/``exec``/``nohup``...) is parsed here with the shell parser and kept on the command
(:attr:`ExecCommand.script`), so no check parses anything; see :mod:`meslint.parsers.unit_scripts` for how
systemd's substitution is carried over.

Drop-ins -- :func:`meslint.build.apply_dropins`
----------------------------------------------
``x.service.d/NAME.conf`` is parsed with the sections and specifiers of ``x.service``; the model
applies a unit's drop-ins after it in file-name order (``unit_load_dropin()``,
``src/core/load-dropin.c``).  The directories searched next to the unit -- its own ``.d/``, the
dashed prefixes' (``a-.service.d/``), its template's (``a@.service.d/``) and the type-wide
``service.d/`` -- and which same-named file wins are :mod:`meslint.dropins`; a shared drop-in is
parsed again with the name of each unit it applies to (its specifiers are that unit's).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from meslint.facts import (
    ExecCommand,
    Location,
    ParseProblem,
    UnitEnvAssignment,
    UnitEnvironmentFile,
    UnitFile,
    UnitSetting,
)
from meslint.parsers.systemd_exec import exec_line
from meslint.parsers.systemd_lines import Logical, logical_lines
from meslint.parsers.systemd_settings import environment, environment_file, path_words, working_directory_value
from meslint.parsers.systemd_specifiers import UnitName
from meslint.parsers.systemd_words import WHITESPACE, string_is_safe

__all__ = ["EXEC_KEYS", "EXEC_SECTIONS", "PATH_LIST_KEYS", "State", "dropin_unit_name", "parse"]


# Sections each unit type accepts besides [Unit] and [Install]
# (load-fragment-gperf.gperf.in / unit_vtable[...]->sections).
_TYPE_SECTIONS = {
    "service": "Service",
    "socket": "Socket",
    "mount": "Mount",
    "automount": "Automount",
    "swap": "Swap",
    "timer": "Timer",
    "path": "Path",
    "slice": "Slice",
    "scope": "Scope",
    "target": None,
    "device": None,
}
# Sections whose units run processes: Environment=/EnvironmentFile=/Exec* live there.
EXEC_SECTIONS = frozenset({"Service", "Socket", "Mount", "Swap"})
# Command-line keys only: ExecSearchPath=, ExecPaths=, NoExecPaths= are not commands.
EXEC_KEYS = frozenset({
    "ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost",
    "ExecStopPre",  # sockets
    "ExecMount", "ExecUnmount", "ExecRemount",  # mounts
    "ExecActivate", "ExecDeactivate",  # swaps
})

# Space-separated, quotable path lists of the sandbox (systemd.exec(5)); UnitSetting.words holds their words.
PATH_LIST_KEYS = frozenset({
    "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths",
    "ReadWriteDirectories", "ReadOnlyDirectories", "InaccessibleDirectories",
    "RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory", "ConfigurationDirectory",
    "BindPaths", "BindReadOnlyPaths", "TemporaryFileSystem",
})


# --------------------------------------------------------------------------- the parser


@dataclass
class State:
    path: str
    unit: UnitName
    known_sections: frozenset[str] | None  # None: unknown unit type, accept any
    section: str | None = None
    section_ignored: bool = False
    settings: list[UnitSetting] = field(default_factory=list)
    environment: dict[str, UnitEnvAssignment] = field(default_factory=dict)
    environment_files: list[UnitEnvironmentFile] = field(default_factory=list)
    exec_commands: list[ExecCommand] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def span(self, logical: Logical, start: int, end: int) -> Location:
        line, column = logical.point(start)
        end_line, end_column = logical.end_point(end) if end > start else (line, column)
        return Location(self.path, line, column, end_line, end_column)

    def problem(self, location: Location, message: str) -> None:
        self.problems.append(ParseProblem(location, message))


def _known_sections(name: str) -> frozenset[str] | None:
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in _TYPE_SECTIONS:
        return None  # drop-in (.conf), template source, ...: cannot tell
    extra = _TYPE_SECTIONS[suffix]
    return frozenset({"Unit", "Install"} | ({extra} if extra else set()))


def _parse_line(state: State, logical: Logical) -> None:
    text = logical.text
    body = text.strip(WHITESPACE)
    if not body:
        return
    lead = len(text) - len(text.lstrip(WHITESPACE))
    whole = state.span(logical, lead, lead + len(body))
    if "\x00" in body:
        state.problem(whole, "NUL byte in line, ignoring line.")
        return
    if any("\udc80" <= c <= "\udcff" for c in body):
        state.problem(whole, "Invalid UTF-8 in line, ignoring line.")
        return
    if body[0] == "[":
        _parse_section(state, body, whole)
        return
    if state.section is None:
        if not state.section_ignored:
            state.problem(whole, "Assignment outside of section. Ignoring.")
        return
    eq = body.find("=")
    if eq < 0:
        state.problem(whole, "Missing '=', ignoring line.")
        return
    if eq == 0:
        state.problem(whole, "Missing key name before '=', ignoring line.")
        return
    raw_key = body[:eq]
    key = raw_key.strip(WHITESPACE)
    key_start = lead + len(raw_key) - len(raw_key.lstrip(WHITESPACE))
    raw_value = body[eq + 1:]
    value = raw_value.strip(WHITESPACE)
    value_start = lead + eq + 1 + len(raw_value) - len(raw_value.lstrip(WHITESPACE))
    end = value_start + len(value) if value else lead + eq + 1
    words = path_words(value, state.unit) if key in PATH_LIST_KEYS and state.section in EXEC_SECTIONS else None
    setting = UnitSetting(state.section, key, value, state.span(logical, key_start, end), words)
    state.settings.append(setting)
    _interpret(state, setting, logical, value_start)


def _parse_section(state: State, body: str, whole: Location) -> None:
    if body[-1] != "]":
        # systemd aborts loading the whole file here; keep going to report more.
        state.problem(whole, f"Invalid section header '{body}'")
        state.section, state.section_ignored = None, True
        return
    name = body[1:-1]
    if not string_is_safe(name):
        state.problem(whole, f"Bad characters in section header '{body}'")
        state.section, state.section_ignored = None, True
        return
    if state.known_sections is not None and name not in state.known_sections:
        if not name.startswith("X-"):
            state.problem(whole, f"Unknown section '{name}'. Ignoring.")
        state.section, state.section_ignored = None, True
        return
    state.section, state.section_ignored = name, False


def _interpret(state: State, setting: UnitSetting, logical: Logical, value_start: int) -> None:
    if setting.section not in EXEC_SECTIONS:
        return
    if setting.key == "Environment":
        environment(state, setting, logical, value_start)
    elif setting.key == "EnvironmentFile":
        environment_file(state, setting)
    elif setting.key in EXEC_KEYS:
        exec_line(state, setting)
    elif setting.key == "WorkingDirectory":
        problem = working_directory_value(setting.value, state.unit.full)[1]
        if problem:
            state.problem(setting.location, problem)

def dropin_unit_name(path: str) -> str | None:
    """The unit a drop-in extends: ``deploy/x.service.d/10-y.conf`` -> ``x.service``; None for other paths."""
    from meslint.listing import is_dropin

    return path.rpartition("/")[0].rpartition("/")[2][:-2] if is_dropin(path) else None


def parse(path: str, text: str, unit_name: str | None = None) -> UnitFile:
    """Parse one unit file or drop-in; never raises (problems are reported as facts).

    A drop-in (``x.service.d/NAME.conf``) is parsed as part of the unit it extends (its
    sections, its specifiers); :func:`meslint.build.apply_dropins` layers it over the main file.
    ``unit_name`` names that unit when the directory does not (a type-wide ``service.d/``, a
    prefix ``a-.service.d/`` or template ``a@.service.d/`` drop-in applied to one unit).
    """
    name = unit_name or dropin_unit_name(path) or posixpath.basename(path)
    state = State(path, UnitName.of(name), _known_sections(name))
    for logical in logical_lines(text):
        try:
            _parse_line(state, logical)
        except Exception as exc:  # a parser bug must not stop the run
            where = Location(path, logical.first_line, 1)
            state.problem(where, f"internal error while parsing this line: {type(exc).__name__}: {exc}")
    return UnitFile(
        path=path,
        name=name,
        settings=tuple(state.settings),
        environment=tuple(state.environment.values()),
        environment_files=tuple(state.environment_files),
        exec_commands=tuple(state.exec_commands),
        problems=tuple(state.problems),
    )
