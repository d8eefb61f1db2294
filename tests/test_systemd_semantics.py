"""meslint.systemd_semantics and the unit facts it reads: embedded scripts, working directory, Exec runs."""

from __future__ import annotations

import pytest

from meslint.commands import analyze
from meslint.parsers.shell import parse as parse_shell
from meslint.parsers.systemd import parse as parse_unit
from meslint.parsers.systemd import substitute_argv
from meslint.systemd_semantics import exec_argv, executed_paths, invocations, working_directory
from meslint.template import Binding, evaluate

PATH = "deploy/app.service"
ROOT = "/opt/app"


def _unit(service: str, path: str = PATH):
    return parse_unit(path, "[Unit]\nDescription=t\n\n[Service]\n" + service)


def _env(**values: str) -> dict[str, Binding]:
    return {name: Binding(value, "test") for name, value in values.items()}


# --------------------------------------------------------------------------- embedded scripts


def test_bash_c_script_is_parsed_with_the_unit_and_located_at_the_exec_line():
    unit = _unit("Environment=Q=reports\n"
                 "ExecStart=/usr/bin/env bash -lc 'cd /opt/app && exec rq worker \"${Q:-default}\"'\n")
    (command,) = unit.exec_commands
    assert command.script is not None
    assert [c.argv for c in command.script.commands] == [("cd", "/opt/app"), ("exec", "rq", "worker", "${Q:-default}")]
    locations = {c.location for c in command.script.commands}
    assert locations == {command.location}
    assert command.location.line == 6


def test_no_script_without_a_shell_and_unknown_script_text():
    assert _unit("ExecStart=/usr/bin/rq worker q\n").exec_commands[0].script is None
    # The script is the value of a variable: systemd splits it into words at spawn time.
    assert _unit("ExecStart=/bin/bash -c $SCRIPT\n").exec_commands[0].script is None


def test_dollar_dollar_reaches_the_shell_as_one_dollar_unless_colon_prefix():
    substituted = _unit("ExecStart=/bin/sh -c 'exec gunicorn --pid $${PIDFILE}'\n").exec_commands[0]
    assert substituted.script.commands[0].argv[-1] == "${PIDFILE}"
    literal = _unit("ExecStart=:/bin/sh -c 'echo $$'\n").exec_commands[0]
    assert literal.script.commands[0].argv == ("echo", "${$}")  # the shell's PID


@pytest.mark.parametrize("script", [
    "exec gunicorn --bind ${BIND} --pid ${RUN_DIR}/app.pid app:app",
    'exec "${CONDA:-/opt/conda/bin/conda}" run -n "${ENV_NAME:-mes}" rq worker ${Q} --url "${URL:-redis://r}"',
    "cd ${APP_DIR} && exec python scripts/w.py --queue ${UNSET}",
    'exec ${PY:-python} -m app "${A:-${B}}"',
    'exec gunicorn ${ARGS} x${ARGS}y --name "${RUN_DIR}" ${UNSET} app:app',
])
def test_invocations_match_substituting_first_then_parsing(script):
    """systemd substitutes ${NAME} in the script text, then the shell parses it.  For values without
    shell syntax the shell expanding ${NAME} from the same environment gives the same commands."""
    env = _env(BIND="0.0.0.0:8080", RUN_DIR="/run/app", Q="reports", APP_DIR="/opt/app", B="b-value",
               ENV_NAME="prod", ARGS="--workers 4  --pid /run/a.pid")
    unit = _unit("ExecStart=/bin/bash -c '" + script + "'\n")
    (command,) = unit.exec_commands
    new = [run.words for run in invocations(command, env, ROOT)]
    values = {name: binding.value for name, binding in env.items()}
    body = analyze(substitute_argv(command.argv, values)).shell_script
    old = [tuple(evaluate(word, env, ROOT).value or word for word in inner.argv)
           for inner in parse_shell(PATH, body).commands]
    assert new == old


def test_direct_command_words_are_not_shell_expanded():
    # Without a shell `${Q:-x}` reaches rq literally (systemd leaves the ':' form alone).
    (command,) = _unit("Environment=Q=reports\nExecStart=/usr/bin/rq worker ${Q:-x} ${Q}\n").exec_commands
    (run,) = invocations(command, _env(Q="reports"), ROOT)
    assert run.words == ("/usr/bin/rq", "worker", "${Q:-x}", "reports")
    assert run.shell is None


def test_colon_prefix_turns_substitution_off():
    (command,) = _unit("ExecStart=:/usr/bin/echo ${Q} $Q\n").exec_commands
    assert exec_argv(command, {"Q": "x"}) == ("/usr/bin/echo", "${Q}", "$Q")


def test_inner_command_words_are_expanded_from_the_unit_environment():
    (command,) = _unit("ExecStart=/usr/bin/env bash -c 'exec python ${SCRIPT:-w.py}'\n").exec_commands
    (run,) = invocations(command, _env(SCRIPT="scripts/watchdog.py"), ROOT)
    assert run.shell == "bash"
    assert run.info.script == "scripts/watchdog.py"
    assert list(executed_paths(run.info)) == [("the script", "scripts/watchdog.py")]
    assert [name for name, _ in run.used] == ["SCRIPT"]


# --------------------------------------------------------------------------- working directory


@pytest.mark.parametrize(("service", "path"), [
    ("", "/"),
    ("WorkingDirectory=/opt/app/\n", "/opt/app"),
    ("WorkingDirectory=-/opt/app\n", "/opt/app"),
    ("WorkingDirectory=~\n", "/root"),
    ("User=root\nWorkingDirectory=-~\n", "/root"),
    ("User=svc\nWorkingDirectory=~\n", None),  # that user's home: not known statically
    ("WorkingDirectory=/srv/%p\n", "/srv/app"),  # specifiers are expanded
    ("WorkingDirectory=/opt/app\nWorkingDirectory=relative/dir\n", "/opt/app"),  # not absolute: ignored
    ("WorkingDirectory=/opt/app\nWorkingDirectory=/opt/../etc\n", "/opt/app"),  # not normalised: ignored
    ("WorkingDirectory=/opt/app\nWorkingDirectory=\n", "/"),  # empty: back to the default
])
def test_working_directory(service, path):
    assert working_directory(_unit(service)).path == path


def test_working_directory_keeps_the_setting_in_effect():
    unit = _unit("WorkingDirectory=/opt/app\nWorkingDirectory=rel\n")
    workdir = working_directory(unit)
    assert workdir.setting is not None and workdir.setting.location.line == 5
    assert working_directory(_unit("")).setting is None
    assert working_directory(_unit("User=svc\nWorkingDirectory=~\n")).shown == "~"
