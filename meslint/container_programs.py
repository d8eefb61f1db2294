"""supervisord's ``[program:x]`` sections as the processes a container runs.

Each program is built as supervisor/options.py builds it (``processes_from_section``):
``%(ENV_X)s`` names supervisord's environment at start (the container's), extended by
``[supervisord] environment=``; the options read before a program's ``environment=`` (priority,
stopwaitsecs, ...) see neither ``process_num`` nor the program's own names, those read after it
(``directory``, ``command``, the log files) see both.  Where supervisord would refuse to start
("contains names which cannot be expanded", "is badly formatted") the run records a problem
(MES101), when that is certain.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from meslint.argv import CommandInfo, analyze
from meslint.facts import Location, SupervisorConf, SupervisorSection, SupervisorSetting
from meslint.parsers.supervisord import environment_pairs, expand_checked
from meslint.template import Binding

if TYPE_CHECKING:  # container_runtime imports this module
    from meslint.container_runtime import ContainerRun


@dataclass
class Process:
    """One program the container runs: a supervisord ``[program:x]``, or the container command itself."""

    name: str
    argv: tuple[str, ...]
    info: CommandInfo
    cwd: str
    env: dict[str, Binding]
    location: Location
    section: SupervisorSection | None = None

    @property
    def label(self) -> str:
        return f"[program:{self.name}]" if self.section is not None else self.name


# Options supervisord reads (and so expands) for a program before its environment= (without
# process_num/numprocs or the program's own ENV_ names), and those it reads after.
_EARLY_OPTIONS = ("priority", "autostart", "autorestart", "startsecs", "startretries", "stopsignal", "stopwaitsecs",
                  "stopasgroup", "killasgroup", "exitcodes", "redirect_stderr", "numprocs", "numprocs_start",
                  "serverurl", "user", "umask")
_LATE_OPTIONS = ("directory", "stdout_logfile", "stderr_logfile", "command")


def programs(run: ContainerRun, conf: SupervisorConf, here: str) -> None:
    """Each ``[program:x]`` as supervisord builds it (supervisor/options.py): ``%(ENV_X)s`` names
    supervisord's environment at start, extended by ``[supervisord] environment=``; a program's
    own ``environment=`` adds ``ENV_`` names for the options read after it (``directory``,
    ``command``, the log files)."""
    main = run.supervisord.section("supervisord") if run.supervisord else None
    base = dict(run.env)
    environ = {f"ENV_{name}": binding.value for name, binding in run.env.items()}
    if main is not None and main.get("environment") is not None:
        added = _apply_environment(run, base, main.get("environment"),  # type: ignore[arg-type]
                                   {"here": here, "host_node_name": "localhost", **environ}, "[supervisord]")
        environ.update((f"ENV_{name}", value) for name, value in added)
    for section in conf.programs():
        label = f"[program:{section.name}]"
        common = {"here": here, "program_name": section.name, "group_name": section.name,
                  "host_node_name": "localhost"}
        for key in _EARLY_OPTIONS:
            setting = section.get(key)
            if setting is not None:
                _expand(run, setting, {**environ, **common}, label)
        names = {**common, "process_num": "0", "numprocs": "1", **environ}
        env = dict(base)
        setting = section.get("environment")
        if setting is not None:
            names.update((f"ENV_{name}", value) for name, value in _apply_environment(run, env, setting, names,
                                                                                        label))
        late = {key: _expand(run, s, names, label) for key in _LATE_OPTIONS if (s := section.get(key)) is not None}
        command = section.get("command")
        if command is None:
            continue
        text = late.get("command")
        try:
            argv = tuple(shlex.split(text)) if text is not None else ()
        except ValueError:
            argv = ()
        if not argv:
            run.notes.append((f"[program:{section.name}] command= is not statically known", command.location))
            continue
        directory = section.get("directory")
        cwd = run.stage.workdir if directory is None else (late.get("directory") or directory.value)
        run.processes.append(Process(section.name, argv, analyze(argv), posixpath.normpath(cwd), env,
                                     command.location, section))


def _expand(run: ContainerRun, setting: SupervisorSetting, names: dict[str, str], section: str) -> str | None:
    """supervisord's expansion of one setting; where supervisord would refuse to start, a problem
    of the run when it is certain: a name that is no expansion at all, or ``ENV_X`` for an
    application variable the container's (fully known) environment does not set."""
    value, missing, error = expand_checked(setting.value, names)
    what = f"{setting.location.path} {section} {setting.key}={setting.value!r}"
    if error is not None:
        run.problems.append((f"supervisord refuses to start: {what} is badly formatted ({error}; a literal % "
                             f"is written %%)", setting.location, ""))
    elif missing is not None:
        variable = missing[4:] if missing.startswith("ENV_") else None
        if variable is None:
            run.problems.append((f"supervisord refuses to start: {what} names %({missing})s, which is no name "
                                 f"supervisord expands", setting.location, ""))
        elif run.env_known and variable in run.app_names and variable not in _DOCKER_SET:
            run.problems.append((
                f"supervisord refuses to start: {what} names %({missing})s, but no image ENV, compose env_file or "
                f"environment, or supervisord environment= sets {variable} (\"contains names which cannot be "
                f"expanded\")", setting.location,
                run.name + (f" ({'; '.join(run.stand_ins)})" if run.stand_ins else "")))
    return value


# docker sets PATH, HOSTNAME and HOME (TERM with a tty) in every container; base images commonly set
# the locale and time zone: a unit that also sets one does not make it the application's own.
_DOCKER_SET = frozenset({"PATH", "HOSTNAME", "HOME", "TERM", "LANG", "LANGUAGE", "LC_ALL", "TZ", "USER", "SHELL",
                         "PWD"})


def _apply_environment(run: ContainerRun, env: dict[str, Binding], setting: SupervisorSetting,
                       names: dict[str, str], section: str) -> list[tuple[str, str]]:
    text = _expand(run, setting, names, section)
    pairs = environment_pairs(text) if text is not None else None
    for name, value in pairs or ():
        env[name] = Binding(value, f"{setting.location.path}:{setting.location.line} environment=", setting.location)
    return pairs or []
