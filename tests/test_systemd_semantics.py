"""meslint.systemd_semantics and the unit facts it reads: embedded scripts, working directory, Exec runs."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from meslint.argv import analyze
from meslint.build import build_repository
from meslint.facts import Location
from meslint.pack import load_pack
from meslint.parsers.shell import parse as parse_shell
from meslint.parsers.systemd import parse as parse_unit
from meslint.parsers.systemd_substitution import substitute_argv
from meslint.sandbox import sandbox_of
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


# --------------------------------------------------------------------------- drop-ins


def _repository(write_tree, files: dict[str, str]):
    root = write_tree(files)
    return build_repository(root, load_pack("mes-dashboard"), max_file_size=1_000_000)


def test_dropins_apply_in_name_order_and_empty_assignments_reset_lists(write_tree):
    early, late = "deploy/app.service.d/10-early.conf", "deploy/app.service.d/20-late.conf"
    repo = _repository(write_tree, {
        "deploy/app.service": ("[Service]\nEnvironment=A=1 B=2\nEnvironmentFile=-/etc/app/one.env\n"
                               "ExecStartPre=/bin/true pre\nExecStart=/usr/bin/app --main\n"
                               "ReadWritePaths=/var/lib/a\nPIDFile=/run/main.pid\n"),
        late: "[Service]\nEnvironment=A=3\nPIDFile=/run/late.pid\n",
        early: ("[Service]\nEnvironment=\nEnvironment=C=3 A=2\nEnvironmentFile=\nExecStart=\n"
                "ExecStart=/usr/bin/app --dropin %n\nReadWritePaths=\nReadWritePaths=/var/lib/b\n"
                "PIDFile=/run/early.pid\n"),
        "deploy/app.service.d/notes.txt": "not a drop-in\n",
    })
    (unit,) = repo.units
    assert unit.path == "deploy/app.service" and unit.dropins == (early, late)
    # Environment=: the reset drops A and B; a later A keeps its position; the value's file is kept.
    assert [(a.name, a.value, a.location.path) for a in unit.environment] == [("C", "3", early), ("A", "3", late)]
    assert unit.environment_files == ()
    assert [(c.key, c.argv[1:]) for c in unit.exec_commands] == [
        ("ExecStartPre", ("pre",)), ("ExecStart", ("--dropin", "app.service"))]  # %n: the unit, not the drop-in
    assert [s.value for s in unit.get_all("Service", "ReadWritePaths")] == ["/var/lib/b"]
    assert unit.get("Service", "PIDFile").value == "/run/late.pid"
    assert unit.get("Service", "PIDFile").location == Location(late, 3, 1, 3, 22)
    sandbox = sandbox_of(unit)
    assert [rule.path for rule in sandbox.rules] == ["/var/lib/b"]


def test_a_dropin_without_its_unit_stays_a_unit_of_its_own(write_tree):
    repo = _repository(write_tree, {"deploy/redis.service.d/override.conf": "[Service]\nLimitNOFILE=65536\n"})
    (unit,) = repo.units
    assert (unit.path, unit.name, unit.dropins) == ("deploy/redis.service.d/override.conf", "redis.service", ())


_SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

# (drop-in file -> its [Service] body) over a main unit with `ExecStart=/bin/true main`.
_EXEC_CASES = [
    {"10.conf": "ExecStart=/bin/true b"},
    {"10.conf": "ExecStart=\nExecStart=/bin/true b"},
    {"10.conf": "ExecStart=\nExecStart=/bin/true b", "20.conf": "ExecStart=/bin/true c"},
    {"05.conf": "ExecStart=", "10.conf": "ExecStart=/bin/true b"},
    {"10.conf": "ExecStart=/bin/true b", "20.conf": "ExecStart="},
    {"z.conf": "ExecStart=\nExecStart=/bin/true z", "a.conf": "ExecStart=/bin/true a"},
    {"a.conf": "ExecStart=/bin/true a", "b.txt": "ExecStart="},
]


@pytest.mark.skipif(_SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_dropin_order_and_resets_match_systemd_analyze_verify(write_tree):
    """systemd refuses a simple service with no ExecStart= or with several: count ours the same way."""
    files = {}
    for index, dropins in enumerate(_EXEC_CASES):
        files[f"deploy/u{index}.service"] = "[Service]\nExecStart=/bin/true main\n"
        for name, body in dropins.items():
            files[f"deploy/u{index}.service.d/{name}"] = "[Service]\n" + body + "\n"
    root = write_tree(files)
    done = subprocess.run([_SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", "--recursive-errors=no",
                           *(str(root / "deploy" / f"u{i}.service") for i in range(len(_EXEC_CASES)))],
                          capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr

    def theirs(index: int) -> str:
        if f"u{index}.service: Service has more than one ExecStart=" in output:
            return "several"
        return "none" if f"u{index}.service: Service has no ExecStart=" in output else "one"

    repo = build_repository(root, load_pack("mes-dashboard"), max_file_size=1_000_000)
    counts = {unit.path: sum(c.key == "ExecStart" for c in unit.exec_commands) for unit in repo.units}
    ours = [{0: "none", 1: "one"}.get(counts[f"deploy/u{i}.service"], "several") for i in range(len(_EXEC_CASES))]
    assert ours == [theirs(i) for i in range(len(_EXEC_CASES))]
    assert ours == ["several", "one", "several", "one", "none", "one", "several"]


def test_sandbox_path_lists_are_split_at_parse_time():
    unit = _unit("ReadWritePaths=/var/lib/%p \"/srv/with space\" -/opt/x\n"
                 "ReadOnlyPaths=/etc/a 'unbalanced /etc/b\nDescription=not a list\n")
    rw, ro, other = unit.settings[-3:]
    assert rw.words == ("/var/lib/app", "/srv/with space", "-/opt/x")
    assert ro.words == ("/etc/a",)  # bad quoting: systemd keeps the words before it and ignores the rest
    assert other.words is None
    assert [r.path for r in sandbox_of(unit).rules] == ["/var/lib/app", "/srv/with space", "/opt/x", "/etc/a"]
