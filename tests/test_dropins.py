"""Drop-in directories beyond ``x.service.d/`` (meslint.dropins, build.effective_units) and the Exec prefixes.

The differential tests generate unit trees in a temporary directory and ask ``systemd-analyze
verify`` (which searches the drop-in directories next to the unit files it is given) what it
makes of them: a simple service refuses to load with no ExecStart= or with several, which tells
which drop-ins it applied.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from meslint.build import build_repository
from meslint.dropins import dropin_directories, select_dropins
from meslint.facts import Location
from meslint.listing import is_dropin
from meslint.pack import load_pack
from meslint.parsers.systemd import parse as parse_unit
from meslint.systemd_semantics import executed_paths, invocations
from meslint.template import Binding

_SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _repository(root: Path):
    return build_repository(root, load_pack("mes-dashboard"), max_file_size=1_000_000)


def _write(root: Path, files: dict[str, str | None]) -> Path:
    """None: a symbolic link to /dev/null (a masked drop-in)."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            os.symlink("/dev/null", target)
        else:
            target.write_text(text, encoding="utf-8")
    return root


# --------------------------------------------------------------------------- the search rules


def test_directories_most_specific_first():
    assert dropin_directories("a-b-c.service") == [
        "a-b-c.service.d", "a-b-.service.d", "a-.service.d", "service.d"]
    # An instance: its own, its template's (with the template's prefixes), then its prefixes, which
    # keep the instance; dashes count before the "@" only.
    assert dropin_directories("x-y@i-j.socket") == [
        "x-y@i-j.socket.d", "x-y@.socket.d", "x-.socket.d", "x-@i-j.socket.d", "x-@.socket.d", "socket.d"]
    assert dropin_directories("-lead.service") == ["-lead.service.d", "service.d"]  # a leading dash is no prefix
    assert dropin_directories("plain.timer") == ["plain.timer.d", "timer.d"]


def test_same_name_most_specific_wins_and_order_is_by_file_name():
    available = {"service.d": ["10-a.conf", "30-c.conf", ".hidden.conf", "notes.txt"],
                 "a-.service.d": ["10-a.conf", "20-b.conf"],
                 "a-b.service.d": ["30-c.conf"],
                 "other.service.d": ["00-x.conf"]}
    assert select_dropins("a-b.service", available) == [
        ("a-.service.d", "10-a.conf"), ("a-.service.d", "20-b.conf"), ("a-b.service.d", "30-c.conf")]


@pytest.mark.parametrize(("path", "expected"), [
    ("deploy/service.d/10.conf", True),
    ("deploy/a-.service.d/10.conf", True),
    ("deploy/a@.service.d/10.conf", True),
    ("deploy/a.service.d/.10.conf", False),  # hidden: systemd skips it
    ("deploy/.a.service.d/10.conf", False),
    ("deploy/myservice.d/10.conf", False),
    ("deploy/service.d/10.txt", False),
])
def test_is_dropin(path, expected):
    assert is_dropin(path) is expected


# --------------------------------------------------------------------------- the model


def test_shared_dropins_apply_with_each_units_specifiers_and_locations(tmp_path):
    root = _write(tmp_path, {
        "deploy/app-web.service": "[Service]\nExecStart=/usr/bin/web\n",
        "deploy/app-worker@q1.service": "[Service]\nExecStart=/usr/bin/worker\n",
        "deploy/service.d/50-env.conf": "[Service]\nEnvironment=UNIT=%n\n",
        "deploy/app-.service.d/20-log.conf": "[Service]\n# shared by app-*\nEnvironment=LOG=/var/log/%p\n",
        "deploy/app-worker@.service.d/10-q.conf": "[Service]\nEnvironment=QUEUE=%i\n",
        "other/service.d/50-env.conf": "[Service]\nEnvironment=ELSEWHERE=1\n",  # no unit next to it
    })
    units = {unit.path: unit for unit in _repository(root).units}
    assert set(units) == {"deploy/app-web.service", "deploy/app-worker@q1.service", "other/service.d/50-env.conf"}
    web, worker = units["deploy/app-web.service"], units["deploy/app-worker@q1.service"]
    assert web.dropins == ("deploy/app-.service.d/20-log.conf", "deploy/service.d/50-env.conf")
    assert worker.dropins == ("deploy/app-worker@.service.d/10-q.conf", "deploy/app-.service.d/20-log.conf",
                              "deploy/service.d/50-env.conf")
    assert {a.name: a.value for a in web.environment} == {"LOG": "/var/log/app-web", "UNIT": "app-web.service"}
    assert {a.name: a.value for a in worker.environment} == {
        "QUEUE": "q1", "LOG": "/var/log/app-worker", "UNIT": "app-worker@q1.service"}
    log = next(a for a in web.environment if a.name == "LOG")
    assert log.location == Location("deploy/app-.service.d/20-log.conf", 3, 13, 3, 28)


def test_a_dev_null_link_masks_the_same_named_generic_dropin_without_being_followed(tmp_path):
    root = _write(tmp_path, {
        "deploy/a.service": "[Service]\nExecStart=/usr/bin/a\n",
        "deploy/b.service": "[Service]\nExecStart=/usr/bin/b\n",
        "deploy/service.d/10-dev.conf": "[Service]\nWorkingDirectory=/home/dev\n",
        "deploy/a.service.d/10-dev.conf": None,
    })
    repo = _repository(root)
    units = {unit.path: unit for unit in repo.units}
    assert units["deploy/a.service"].get("Service", "WorkingDirectory") is None
    assert units["deploy/a.service"].dropins == ("deploy/a.service.d/10-dev.conf",)
    assert units["deploy/b.service"].get("Service", "WorkingDirectory").value == "/home/dev"
    assert not [s for s in repo.skipped if "10-dev.conf" in s.location.path]  # read as masked, not skipped


def test_a_link_elsewhere_is_still_not_followed(tmp_path):
    outside = tmp_path / "outside.conf"
    outside.write_text("[Service]\nWorkingDirectory=/home/dev\n", encoding="utf-8")
    root = _write(tmp_path / "repo", {"deploy/a.service": "[Service]\nExecStart=/usr/bin/a\n"})
    (root / "deploy/service.d").mkdir()
    os.symlink(outside, root / "deploy/service.d/10.conf")
    repo = _repository(root)
    (unit,) = repo.units
    assert unit.get("Service", "WorkingDirectory") is None
    assert [s.location.path for s in repo.skipped] == ["deploy/service.d/10.conf"]


# --------------------------------------------------------------------------- against systemd-analyze verify

# Each case: files under its own directory (None: a /dev/null link); the unit checked is "main".
_DROPIN_CASES: list[tuple[str, dict[str, str | None]]] = [
    ("x-y-z.service", {"service.d/10.conf": "ExecStart=/bin/true b"}),
    ("x-y-z.service", {"x-.service.d/10.conf": "ExecStart="}),
    ("x-y-z.service", {"x-y-.service.d/10.conf": "ExecStart=", "x-y-z.service.d/10.conf": "ExecStart=/bin/true b"}),
    ("x-y-z.service", {"x-y-.service.d/10.conf": "ExecStart=/bin/true b", "x-y-z.service.d/10.conf": "ExecStart="}),
    ("x-y-z.service", {"service.d/05.conf": "ExecStart=/bin/true b", "x-.service.d/20.conf": "ExecStart="}),
    ("x-y-z.service", {"service.d/30.conf": "ExecStart=/bin/true b", "x-.service.d/20.conf": "ExecStart="}),
    ("k.service", {"service.d/10.conf": "ExecStart=", "k.service.d/10.conf": None}),
    ("k.service", {"service.d/10.conf": "ExecStart=/bin/true b", "service.d/.20.conf": "ExecStart="}),
    ("t@i.service", {"t@.service.d/10.conf": "ExecStart="}),
    ("t-u@i.service", {"t-.service.d/10.conf": "ExecStart=/bin/true b"}),
    ("t-u@i.service", {"t-u@.service.d/10.conf": "ExecStart=", "t-u@i.service.d/10.conf": "ExecStart=/bin/true c"}),
    ("t-u@i.service", {"t-.service.d/10.conf": "ExecStart=", "t-u@.service.d/10.conf": "ExecStart=/bin/true b"}),
    ("t-u@i.service", {"t-.service.d/10.conf": "ExecStart=/bin/true b", "t-@i.service.d/10.conf": "ExecStart="}),
    ("t-u@i.service", {"t-@.service.d/10.conf": "ExecStart="}),
    ("-lead.service", {"-.service.d/10.conf": "ExecStart="}),
    ("k.service", {"k.socket.d/10.conf": "ExecStart=", "socket.d/10.conf": "ExecStart="}),
]


def _verdict(output: str, unit: str) -> str:
    if f"{unit}: Service has more than one ExecStart=" in output:
        return "several"
    return "none" if f"{unit}: Service has no ExecStart=" in output else "one"


@pytest.mark.skipif(_SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_dropin_directories_match_systemd_analyze_verify(tmp_path):
    theirs, ours = [], []
    for index, (unit, dropins) in enumerate(_DROPIN_CASES):
        case = tmp_path / f"c{index}"
        files: dict[str, str | None] = {unit: "[Service]\nExecStart=/bin/true main\n"}
        files.update({rel: None if body is None else "[Service]\n" + body + "\n" for rel, body in dropins.items()})
        _write(case, files)
        done = subprocess.run([_SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", "--recursive-errors=no",
                               str(case / unit)], capture_output=True, text=True, timeout=60, check=False)
        theirs.append(_verdict(done.stdout + done.stderr, unit))
        repo = _repository(case)
        (effective,) = [u for u in repo.units if u.path == unit]
        count = sum(c.key == "ExecStart" for c in effective.exec_commands)
        ours.append({0: "none", 1: "one"}.get(count, "several"))
    assert ours == theirs
    # The cases tell the rules apart (a wrong search would change at least one verdict).
    assert ours == ["several", "none", "several", "none", "none", "one", "one", "several", "none",
                    "several", "several", "several", "several", "none", "one", "one"]


# --------------------------------------------------------------------------- Exec prefixes

_PREFIX_ALPHABET = "-@:+!"


def _prefix_runs() -> list[str]:
    runs = {"".join(p) for n in range(1, 4) for p in itertools.product(_PREFIX_ALPHABET, repeat=n)}
    return sorted(runs)


@pytest.mark.skipif(_SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_prefix_combinations_accepted_and_rejected_as_systemd_does(tmp_path):
    """Every run of up to three prefix characters: systemd rejects the command exactly when meslint
    reports a problem (the prefix loop of config_parse_exec() is the same since v252 but for "|",
    which v252 does not know).  One unit per run: systemd stops at a unit's first fatal error."""
    runs = _prefix_runs()
    texts = {f"p{i}.service": f"[Service]\nExecStart=/bin/true\nExecStartPre={run}/bin/true argv0 x\n"
             for i, run in enumerate(runs)}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run([_SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", "--recursive-errors=no",
                           *(str(tmp_path / name) for name in texts)],
                          capture_output=True, text=True, timeout=120, check=False)
    rejected_by_systemd = set(re.findall(r"(p\d+\.service):3: ", done.stdout + done.stderr))
    parsed = {name: parse_unit(name, text) for name, text in texts.items()}
    rejected_by_us = {name for name, unit in parsed.items() if unit.problems}
    assert rejected_by_us == rejected_by_systemd
    assert 0 < len(rejected_by_us) < len(runs)  # both kinds occur
    prefixes = {run: [c.prefixes for c in parsed[f"p{i}.service"].exec_commands if c.key == "ExecStartPre"]
                for i, run in enumerate(runs)}
    assert prefixes[":-@"] == [":-@"] and prefixes["!!-"] == ["!!-"] and prefixes["+!"] == []


def _runs(service: str, env: dict[str, str] | None = None):
    unit = parse_unit("deploy/app.service", "[Service]\n" + service)
    bindings = {name: Binding(value, "test") for name, value in (env or {}).items()}
    return unit, [run for command in unit.exec_commands for run in invocations(command, bindings, "/opt/app")]


def test_via_shell_words_are_the_login_shells_command_line():
    unit, runs = _runs('ExecStart=@-|cd /opt/app && exec python "${APP_HOME}/run.py" --port 80\n',
                       {"APP_HOME": "/srv/app"})
    assert unit.problems == ()
    (command,) = unit.exec_commands
    assert command.prefixes == "@-|"
    assert [(r.shell, r.info.program, r.words) for r in runs] == [
        ("sh", "cd", ("cd", "/opt/app")),
        ("sh", "python", ("exec", "python", "/srv/app/run.py", "--port", "80"))]
    assert list(executed_paths(runs[1].info)) == [("the script", "/srv/app/run.py")]


def test_via_shell_quoted_line_and_no_path_check():
    unit, runs = _runs('ExecStart=| "scripts/start.sh --fast"\nExecStartPre=:|echo $HOME\nExecStopPost=|\n')
    assert unit.problems == ()  # "scripts/start.sh" would be no valid path without "|": the shell finds it
    start, pre, post = unit.exec_commands
    assert start.argv == ("scripts/start.sh --fast",) and post.argv == ()
    assert [list(executed_paths(r.info)) for r in runs if r.info.program == "start.sh"] == [
        [("the script", "scripts/start.sh")]]
    assert pre.script is not None and pre.script.commands[0].argv == ("echo", "${HOME}")  # ":": the shell expands


@pytest.mark.parametrize("value", ["||true", "|+!true", "!|!!true", "-|-true"])
def test_a_prefix_left_for_the_shell_is_reported(value):
    unit, _ = _runs(f"ExecStart={value}\n")
    (problem,) = unit.problems
    assert problem.message.startswith("Exec prefix ") and problem.location.line == 2
