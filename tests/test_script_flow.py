"""The one control-flow model of a shell script (meslint/script_flow.py) and what is built on it.

Where the resolution's walk, MES202's working-directory flow and MES605's arm reach used to
disagree, these tests pin the bash behaviour (each case was checked with bash 5).
"""

from __future__ import annotations

import pytest

from meslint.build import build_repository
from meslint.checks import CheckContext
from meslint.checks import contract_check_missing as mes605
from meslint.checks import script_not_root_anchored as mes202
from meslint.config import Settings
from meslint.engine import load_contract
from meslint.pack import load_pack
from meslint.parsers.shell import parse
from meslint.resolve import script_environment
from meslint.script_flow import ScriptModel, pattern_matches

PACK = load_pack("mes-dashboard")
ANCHOR = 'ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\n'


def _model(text: str) -> ScriptModel:
    return ScriptModel(parse("scripts/start_server.sh", text), ".env")


def _command(model: ScriptModel, first_word: str):
    return next(c for c in model.script.commands if c.argv[:1] == (first_word,))


def _traced(model: ScriptModel, subcommand: str) -> list[str]:
    return [fact.argv[0] if kind == "command" else f"{kind}:{getattr(fact, 'name', '')}"
            for kind, fact in model.trace(subcommand)]


# --------------------------------------------------------------------------- calls


@pytest.mark.parametrize(("line", "callee"), [
    ("f", "f"),
    ("time f", "f"),
    ("time -p f", "f"),
    ("! f", "f"),
    # None of these runs a shell function in bash ("f: command not found" / "not found").
    ("command f", None),
    ("builtin f", None),
    ("exec f", None),
    ("env f", None),
    ("nohup f", None),
    ("sudo f", None),
])
def test_the_function_a_command_runs(line, callee):
    model = _model("f() { :; }\n" + line + "\n")
    command = next(c for c in model.script.commands if c.function is None)
    assert model.callee(command) == callee


# --------------------------------------------------------------------------- dispatch


def test_dispatch_is_a_case_on_the_scripts_first_argument():
    model = _model(
        'is_on() {\n  case "${1:-}" in\n    1|true) return 0 ;;\n  esac\n}\n'
        'main() {\n  local command="${1:-}"\n  shift || true\n'
        '  case "$command" in\n    start) is_on "$X" ;;\n  esac\n'
        '  case "$MODE" in\n    fast) : ;;\n  esac\n}\n'
        'main "$@"\n')
    dispatch = {arm.patterns: model.is_dispatch(arm) for arm in model.script.case_arms}
    # is_on's $1 is its own argument, $MODE is no argument: only main's case dispatches.
    assert dispatch == {("1", "true"): False, ("start",): True, ("fast",): False}


def test_after_shift_the_arguments_passed_on_are_no_longer_the_subcommand():
    model = _model('do_logs() {\n  local kind="${1:-all}"\n  case "$kind" in\n    error) : ;;\n  esac\n}\n'
                   'main() {\n  local command="${1:-}"\n  shift || true\n'
                   '  case "$command" in\n    logs) do_logs "$@" ;;\n    start) : ;;\n  esac\n}\nmain "$@"\n')
    assert model.subcommands() == {"logs", "start"}


@pytest.mark.parametrize(("subcommand", "chosen"), [
    ("start", ("st*",)),  # bash takes the first arm that matches
    ("stop", ("st*",)),
    ("Restart", ("[Rr]estart",)),
    ("restart", ("[Rr]estart",)),
    ("other", ("*",)),
])
def test_the_first_matching_arm_runs(subcommand, chosen):
    model = _model('case "$1" in\n  st*) a ;;\n  start) b ;;\n  [Rr]estart) c ;;\n  *) d ;;\nesac\n')
    assert [arm.patterns for arm in model.arms_for(subcommand)] == [chosen]


def test_each_case_on_the_subcommand_has_its_own_arm():
    model = _model('case "$1" in\n  start) a ;;\nesac\ncase "$1" in\n  start) b ;;\n  *) c ;;\nesac\n')
    assert [arm.location.line for arm in model.arms_for("start")] == [2, 5]


def test_arms_know_their_case():
    script = parse("x.sh", 'case "$1" in\n  a) : ;;\n  b) : ;;\nesac\ncase "$1" in\n  a) : ;;\nesac\n')
    first, second, third = script.case_arms
    assert first.case_location == second.case_location != third.case_location
    assert (first.case_location.line, first.case_location.end_line, third.case_location.line) == (1, 4, 5)


def test_pattern_matching():
    assert pattern_matches("start", "start") and not pattern_matches("start", "stop")
    assert pattern_matches("[!x]tart", "start") and pattern_matches("[^x]tart", "start")
    assert not pattern_matches("${CMD}", "start")  # decided at run time


# --------------------------------------------------------------------------- walks


def test_an_assignment_in_another_subcommands_arm_does_not_run(write_tree):
    model = _model('PORT=8080\ncase "$1" in\n  dev) PORT=5000 ;;\n  start) gunicorn ;;\nesac\n')
    env = script_environment(model.script, PACK, None, "start", model=model)
    assert env.final["PORT"].value == "8080"
    assert _traced(model, "dev") == ["assign:PORT", "assign:PORT"]


def test_a_case_on_another_word_inside_the_arm_may_run():
    model = _model('case "$1" in\n  start)\n    case "$2" in\n      -f) FOREGROUND=1 ;;\n    esac\n'
                   '    gunicorn ;;\nesac\ncase "$MODE" in\n  stop) STOPPING=1 ;;\nesac\n')
    assert _traced(model, "start") == ["assign:FOREGROUND", "gunicorn", "assign:STOPPING"]


def test_every_source_of_the_env_file_loads_it():
    model = _model('dev_env() {\n  source .env\n}\nload() {\n  source "$ROOT/.env"\n}\n'
                   'case "$1" in\n  start) load ;;\n  dev) dev_env ;;\nesac\n')
    start = model.trace("start")
    assert [(kind, fact.location.line) for kind, fact in start[:3]] == [
        ("command", 8), ("command", 5), ("load", 5)]


def test_reach_follows_functions_in_call_order():
    model = _model('a() { b; time c; }\nb() { :; }\nc() { exec d; }\nd() { :; }\n'
                   'case "$1" in\n  check) a ;;\nesac\n')
    reach = model.reach(model.arms_for("check")[0])
    assert reach.functions == ["a", "b", "c"]  # exec d does not run the function d


# --------------------------------------------------------------------------- MES605 on the model

_VALIDATE = ("validate() {\n"
             "    RUNTIME_CONTRACT_ENFORCE=\"${RUNTIME_CONTRACT_ENFORCE:-true}\" python - <<'PY'\n"
             "from mes_dashboard.core.runtime_contract import build_runtime_contract_diagnostics\n"
             "build_runtime_contract_diagnostics(strict=True)\nPY\n}\n")


def _mes605(write_tree, script: str):
    root = write_tree({"scripts/start_server.sh": script})
    repo = build_repository(root, PACK, max_file_size=1_000_000)
    return list(mes605.check(CheckContext(repo, PACK)))


def test_exec_of_a_function_does_not_run_the_validation(write_tree):
    found = _mes605(write_tree, _VALIDATE + 'case "$1" in\n  check) exec validate ;;\nesac\n')
    assert len(found) == 1 and "does not run the runtime contract validation" in found[0].message


def test_time_of_a_function_runs_the_validation(write_tree):
    assert _mes605(write_tree, _VALIDATE + 'case "$1" in\n  check) time validate ;;\nesac\n') == []


def test_a_catch_all_arm_is_no_check_command(write_tree):
    found = _mes605(write_tree, _VALIDATE + 'case "$1" in\n  start) : ;;\n  *) validate ;;\nesac\n')
    assert len(found) == 1 and "has no 'check' command" in found[0].message


# --------------------------------------------------------------------------- working directory (MES202)


def _mes202(write_tree, body: str) -> list[tuple[int, str]]:
    root = write_tree({"scripts/start_server.sh": "#!/usr/bin/env bash\n" + body,
                       "gunicorn.conf.py": "bind = '0.0.0.0:8080'\n"})
    pack = load_contract(Settings(), root, None)
    repo = build_repository(root, pack, max_file_size=1_000_000)
    return [(f.location.line, f.message) for f in mes202.check(CheckContext(repo, pack))]


def test_a_cd_in_a_case_arm_holds_after_the_case(write_tree):
    body = (ANCHOR + 'cd "$ROOT"\ncase "$1" in\n  build) cd "$ROOT/frontend" ;;\nesac\n'
            "gunicorn -c gunicorn.conf.py app:app\n")
    assert [(line, "frontend/" in message) for line, message in _mes202(write_tree, body)] == [(7, True)]


def test_two_cases_with_the_same_arm_run_one_after_the_other(write_tree):
    body = (ANCHOR + 'cd "$ROOT"\ncase "$1" in\n  start) cd "$ROOT/src" ;;\nesac\n'
            'case "$1" in\n  start) gunicorn -c gunicorn.conf.py app:app ;;\nesac\n')
    assert [line for line, _ in _mes202(write_tree, body)] == [8]


def test_time_runs_a_function_that_changes_directory(write_tree):
    body = (ANCHOR + 'build() {\n  cd "$ROOT/frontend"\n}\n'
            'cd "$ROOT"\ntime build\ngunicorn -c gunicorn.conf.py app:app\n')
    assert [line for line, _ in _mes202(write_tree, body)] == [8]


def test_a_relative_cd_in_a_function_counts_from_its_call_site(write_tree):
    body = ANCHOR + 'enter_src() {\n  cd src\n}\ncd "$ROOT"\nenter_src\npython -m mes_dashboard\n'
    found = _mes202(write_tree, body)
    assert [(line, "src/" in message) for line, message in found] == [(8, True)]
