"""supervisord's programs as the container runtime builds them, against supervisor itself.

:func:`meslint.container_runtime.container_runs` expands each ``[program:x]`` the way
supervisor/options.py does: ``%(ENV_X)s`` from supervisord's environment at start (the
container's), extended by ``[supervisord] environment=``, then by the program's own
``environment=`` for the options read after it.  Where supervisord refuses to start ("contains
names which cannot be expanded", "badly formatted"), the run carries a problem (MES101).  The
differential half runs supervisor's own reader where it is installed (it is not a dependency).
"""

from __future__ import annotations

import posixpath
import shlex
from pathlib import Path

import pytest

from meslint.build import build_repository
from meslint.container_runtime import container_runs
from meslint.pack import load_pack_text

PACK = """\
name: t
deploy_root: /opt/t
settings:
  - {name: T_BIND, kind: bind}
  - {name: T_DIR, kind: path}
consumers:
  - {name: conf, path: conf.py}
units:
  - {path: web.service, role: app, runs: [conf]}
container:
  compose_files: [compose.yaml]
"""
COMPOSE = "services:\n  app:\n    build: .\n    environment:\n      T_BIND: 0.0.0.0:8000\n      LANG_TAG: en\n"
HEAD = "[supervisord]\nnodaemon=true\nlogfile=/dev/null\npidfile=/tmp/meslint-test-supervisord.pid\n"

CASES = {
    "compose environment": HEAD + "[program:web]\ncommand=gunicorn -b %(ENV_T_BIND)s app:app\ndirectory=/srv\n",
    "global environment": HEAD + 'environment=T_DIR="/var/t"\n\n[program:web]\ncommand=run %(ENV_T_DIR)s\n'
                                 "directory=%(ENV_T_DIR)s\n",
    "own environment": HEAD + '[program:web]\nenvironment=T_DIR="/own"\ncommand=run %(ENV_T_DIR)s %(program_name)s\n',
    "another program's environment": HEAD + '[program:a]\nenvironment=T_DIR="/a"\ncommand=run\n\n'
                                            "[program:b]\ncommand=run %(ENV_T_DIR)s\n",
    "unset application variable": HEAD + "[program:web]\ncommand=run %(ENV_T_DIR)s\n",
    "lone percent": HEAD + "[program:web]\ncommand=run 50%\n",
    "escaped percent and numbers": HEAD + "[program:web]\ncommand=run 50%% %(process_num)02d of %(numprocs)d\n",
    "unknown name": HEAD + "[program:web]\ncommand=run %(nothing)s\n",
    "environment value expanded": HEAD + '[program:web]\nenvironment=T_DIR="/x/%(ENV_LANG_TAG)s"\ncommand=run\n',
}
FAILS = {"another program's environment", "unset application variable", "lone percent", "unknown name"}


def _run(write_tree, conf: str):
    root = write_tree({
        "web.service": "[Service]\nExecStart=/opt/t/bin/gunicorn -c conf.py app:app\n",
        "conf.py": 'import os\nbind = os.getenv("T_BIND", "0.0.0.0:1")\n',
        "Dockerfile": 'FROM python:3.12\nWORKDIR /srv\nCOPY . .\nCMD ["supervisord", "-c", "/srv/supervisord.conf"]\n',
        "compose.yaml": COMPOSE,
        "supervisord.conf": conf,
    })
    pack = load_pack_text(PACK, "p.yaml")
    [run] = container_runs(build_repository(root, pack, max_file_size=1 << 20), pack)
    return run, root


@pytest.mark.parametrize("case", sorted(CASES))
def test_refusals_are_problems_of_the_run(write_tree, case: str) -> None:
    run, _ = _run(write_tree, CASES[case])
    assert bool(run.problems) == (case in FAILS), run.problems


def test_a_program_sees_its_own_environment_and_the_global_one(write_tree) -> None:
    run, _ = _run(write_tree, CASES["own environment"])
    [web] = run.processes
    assert web.argv == ("run", "/own", "web") and web.env["T_DIR"].value == "/own"
    run, _ = _run(write_tree, CASES["global environment"])
    assert run.processes[0].argv == ("run", "/var/t") and run.processes[0].cwd == "/var/t"


def test_a_pass_through_variable_is_no_certain_refusal(write_tree) -> None:
    conf = CASES["unset application variable"]
    root = write_tree({"compose.yaml": COMPOSE + "      T_DIR:\n"}, _run(write_tree, conf)[1])
    pack = load_pack_text(PACK, "p.yaml")
    [run] = container_runs(build_repository(root, pack, max_file_size=1 << 20), pack)
    assert run.problems == []  # T_DIR comes from the operator's shell: supervisord may well have it


@pytest.mark.parametrize("case", sorted(CASES))
def test_programs_agree_with_supervisord(write_tree, case: str) -> None:
    """Differential: supervisor's own reader over the same file and environment."""
    options = pytest.importorskip("supervisor.options")
    run, root = _run(write_tree, CASES[case])
    real = options.ServerOptions()
    real.environ_expansions = {f"ENV_{name}": binding.value for name, binding in run.env.items()}
    real.here = str(root)
    try:
        with Path(root, "supervisord.conf").open() as handle:
            section = real.read_config(handle)
    except ValueError as exc:
        assert run.problems, f"supervisord refuses ({exc}) but meslint does not"
        return
    assert not run.problems
    theirs = {p.name: p for group in section.process_group_configs for p in group.process_configs}
    assert sorted(theirs) == sorted(p.name for p in run.processes)
    for process in run.processes:
        config = theirs[process.name]
        assert tuple(shlex.split(config.command)) == process.argv
        assert posixpath.normpath(config.directory or "/srv") == process.cwd
        for name, value in (config.environment or {}).items():
            assert process.env[name].value == value


def test_one_finding_per_place_however_many_runs_read_the_file(write_tree) -> None:
    from meslint.checks import CheckContext, parse_error

    run, root = _run(write_tree, CASES["unset application variable"])
    write_tree({"compose.prod.yaml": COMPOSE}, root)
    pack = load_pack_text(PACK.replace("compose_files: [compose.yaml]", "compose_files: ['compose*.yaml']"), "p.yaml")
    repo = build_repository(root, pack, max_file_size=1 << 20)
    assert len(container_runs(repo, pack)) == 2
    findings = [f for f in parse_error.check(CheckContext(repo, pack)) if f.location.path == "supervisord.conf"]
    assert len(findings) == 1
    assert "in compose.prod.yaml service app and compose.yaml service app" in findings[0].message
