"""Tests for meslint.parsers.shell (tree-sitter-bash -> ShellScript facts)."""

from __future__ import annotations

import time
from textwrap import dedent

import pytest

from meslint.facts import Location, ShellScript
from meslint.parsers.shell import parse
from meslint.script_flow import ScriptModel


def _parse(text: str, path: str = "bin/run.sh") -> ShellScript:
    return parse(path, dedent(text).lstrip("\n"))


def _assign(script: ShellScript, name: str, index: int = -1):
    found = [a for a in script.assignments if a.name == name]
    assert found, f"no assignment of {name}: {[a.name for a in script.assignments]}"
    return found[index]


def _cmd(script: ShellScript, first: str, index: int = 0):
    found = [c for c in script.commands if c.argv and c.argv[0] == first]
    assert found, f"no command {first}: {[c.argv for c in script.commands]}"
    return found[index]


# --------------------------------------------------------------------------- basics


def test_shebang_and_empty_script() -> None:
    assert _parse("#!/usr/bin/env bash\necho hi\n").shebang == "#!/usr/bin/env bash"
    empty = parse("x.sh", "")
    assert empty.shebang is None
    assert empty.commands == () and empty.problems == ()


def test_no_shebang_when_first_line_is_a_comment() -> None:
    assert _parse("# just a comment\n#!/bin/sh\n").shebang is None


# --------------------------------------------------------------------------- assignments


def test_assignment_templates_remove_quotes_and_normalise_expansions() -> None:
    script = _parse(
        """
        APP=orders
        HOME_DIR="$HOME/apps/${APP}"
        MIXED='lit'$APP"-x"
        NUM=42
        """
    )
    assert _assign(script, "APP").value == "orders"
    assert _assign(script, "HOME_DIR").value == "${HOME}/apps/${APP}"
    assert _assign(script, "MIXED").value == "lit${APP}-x"
    assert _assign(script, "NUM").value == "42"


def test_default_chains_keep_nested_templates() -> None:
    script = _parse(
        """
        CACHE_DIR="${CACHE_DIR:-${STATE_HOME:-/var/lib/app}/cache}"
        LOCK="${LOCK_FILE:-${CACHE_DIR}/app.lock}"
        PLAIN=${A:-${B:-x}}
        EMPTY="${OPTIONAL:-}"
        SPACED="${GREETING:-hello world}"
        QUOTED_DEFAULT=${MODE:-"fast lane"}
        ASSIGN_OP="${X:=fallback}"
        """
    )
    assert _assign(script, "CACHE_DIR").value == "${CACHE_DIR:-${STATE_HOME:-/var/lib/app}/cache}"
    assert _assign(script, "LOCK").value == "${LOCK_FILE:-${CACHE_DIR}/app.lock}"
    assert _assign(script, "PLAIN").value == "${A:-${B:-x}}"
    assert _assign(script, "EMPTY").value == "${OPTIONAL:-}"
    assert _assign(script, "SPACED").value == "${GREETING:-hello world}"
    assert _assign(script, "QUOTED_DEFAULT").value == "${MODE:-fast lane}"
    assert _assign(script, "ASSIGN_OP").value == "${X:=fallback}"


def test_static_dollar_and_backslash_are_escaped_for_templates() -> None:
    script = _parse(
        r"""
        PRICE='costs $5'
        ESC="a\$b"
        COLOR='\033[0m'
        UNQ=a\ b
        TICK='run `x`'
        """
    )
    assert _assign(script, "PRICE").value == r"costs \$5"
    assert _assign(script, "ESC").value == r"a\$b"
    assert _assign(script, "COLOR").value == r"\\033[0m"
    assert _assign(script, "UNQ").value == "a b"
    assert _assign(script, "TICK").value == r"run \`x\`"


def test_unmodelled_expansions_keep_source_text() -> None:
    script = _parse(
        """
        PORT=$(echo "$BIND" | cut -d: -f2)
        LEN=${#NAME}
        BASE="${FILE%/*}"
        SUM=$((A + 1))
        """
    )
    assert _assign(script, "PORT").value == '$(echo "$BIND" | cut -d: -f2)'
    assert _assign(script, "PORT").anchor_levels is None
    assert _assign(script, "LEN").value == "${#NAME}"
    assert _assign(script, "BASE").value == "${FILE%/*}"
    assert _assign(script, "SUM").value == "$((A + 1))"


def test_special_parameters_are_braced() -> None:
    script = _parse('FIRST=$1\nALL="$@"\nLAST=$?\n')
    assert [a.value for a in script.assignments] == ["${1}", "${@}", "${?}"]


def test_export_local_declare_readonly_forms() -> None:
    script = _parse(
        """
        export BIND="0.0.0.0:9000"
        export MODE
        readonly LIMIT=5
        declare -x TRACE=1
        typeset PLAIN=p
        setup() {
            local tmp="/tmp/x" other
            declare inner=1
            declare -g global=2
            export -n BIND
        }
        """
    )
    bind = _assign(script, "BIND", 0)
    assert (bind.value, bind.exported, bind.local, bind.function) == ("0.0.0.0:9000", True, False, None)
    bare = _assign(script, "MODE")
    assert (bare.value, bare.exported) == ("", True)  # bare export: documented convention
    assert _assign(script, "LIMIT").exported is False
    assert _assign(script, "TRACE").exported is True
    assert _assign(script, "PLAIN").local is False  # declare at top level is global
    tmp = _assign(script, "tmp")
    assert (tmp.value, tmp.local, tmp.function) == ("/tmp/x", True, "setup")
    assert _assign(script, "other").local is True
    assert _assign(script, "inner").local is True
    assert _assign(script, "global").local is False
    assert _assign(script, "BIND", -1).exported is False


def test_multiple_assignments_append_and_arrays() -> None:
    script = _parse('A=1 B="two"\nPATHS="/a"\nPATHS+=":/b"\nLIST=(x "y z")\n')
    assert _assign(script, "A").value == "1"
    assert _assign(script, "B").value == "two"
    assert _assign(script, "PATHS").value == "${PATHS}:/b"
    assert _assign(script, "LIST").value == '(x "y z")'
    assert script.commands == ()


def test_colon_default_assignment_is_recorded() -> None:
    script = _parse(': "${OUT_DIR:=${BASE}/out}" "${KEEP:-x}"\n: ${RETRIES=3}\n')
    assert _assign(script, "OUT_DIR").value == "${OUT_DIR:-${BASE}/out}"
    assert _assign(script, "RETRIES").value == "${RETRIES-3}"
    assert not [a for a in script.assignments if a.name == "KEEP"]


def test_env_prefix_is_not_an_assignment() -> None:
    script = _parse('LANG=C TZ="$ZONE" sort -u data.txt\n')
    assert script.assignments == ()
    cmd = _cmd(script, "sort")
    assert cmd.env_prefix == (("LANG", "C"), ("TZ", "${ZONE}"))
    assert cmd.argv == ("sort", "-u", "data.txt")


# --------------------------------------------------------------------------- commands


def test_commands_in_every_compound_form() -> None:
    script = _parse(
        """
        if check_a; then run_a; elif check_b; then run_b; else run_c; fi
        while wait_x; do loop_x; done
        until wait_y; do loop_y; done
        for f in one two; do each "$f"; done
        left | right
        first && second || third
        ( in_subshell )
        { in_group; }
        ! negated
        value=$(not_extracted)
        """
    )
    names = [c.argv[0] for c in script.commands]
    for name in (
        "check_a", "run_a", "check_b", "run_b", "run_c", "wait_x", "loop_x", "wait_y", "loop_y",
        "each", "left", "right", "first", "second", "third", "in_subshell", "in_group", "negated",
    ):  # fmt: skip
        assert name in names
    assert "not_extracted" not in names
    assert _cmd(script, "each").argv == ("each", "${f}")


def test_background_and_redirects() -> None:
    script = _parse(
        """
        nohup worker --queue "$Q" >> "$LOG" 2>&1 < /dev/null &
        start_a && start_b &
        foreground > out.txt extra
        """
    )
    worker = _cmd(script, "nohup")
    assert worker.background is True
    assert worker.argv == ("nohup", "worker", "--queue", "${Q}")
    assert _cmd(script, "start_a").background and _cmd(script, "start_b").background
    fg = _cmd(script, "foreground")
    assert fg.background is False
    assert fg.argv == ("foreground", "extra")


def test_runtime_commands_appear_with_templates() -> None:
    script = _parse(
        """
        cd "$APP_ROOT"
        source "${APP_ROOT}/.env"
        . ./lib/common.sh
        conda activate "$ENV_NAME"
        conda run -n reports python -m reports.build
        exec gunicorn --bind "${BIND:-127.0.0.1:9000}" --pid "$PIDS/g.pid" 'app:create()'
        rq worker "${QUEUE:-jobs}" --url "$REDIS"
        python tools/migrate.py --dry-run
        """
    )
    assert _cmd(script, "cd").argv == ("cd", "${APP_ROOT}")
    assert _cmd(script, "source").argv == ("source", "${APP_ROOT}/.env")
    assert _cmd(script, ".").argv == (".", "./lib/common.sh")
    assert _cmd(script, "conda", 0).argv == ("conda", "activate", "${ENV_NAME}")
    assert _cmd(script, "conda", 1).argv[:4] == ("conda", "run", "-n", "reports")
    assert _cmd(script, "exec").argv == (
        "exec", "gunicorn", "--bind", "${BIND:-127.0.0.1:9000}", "--pid", "${PIDS}/g.pid", "app:create()",
    )  # fmt: skip
    assert _cmd(script, "rq").argv == ("rq", "worker", "${QUEUE:-jobs}", "--url", "${REDIS}")
    assert _cmd(script, "python").argv == ("python", "tools/migrate.py", "--dry-run")


# --------------------------------------------------------------------------- functions and case


def test_functions_both_syntaxes_and_function_attribution() -> None:
    script = _parse(
        """
        prepare() {
            mkdir -p "$OUT"
        }
        function teardown {
            rm -rf "$OUT"
        }
        function both() { true; }
        top_level
        """
    )
    assert [f.name for f in script.functions] == ["prepare", "teardown", "both"]
    assert script.functions[0].location.line == 1
    assert script.functions[1].location.line == 4
    assert _cmd(script, "mkdir").function == "prepare"
    assert _cmd(script, "rm").function == "teardown"
    assert _cmd(script, "top_level").function is None


def test_case_arms_patterns_and_enclosing_arms() -> None:
    script = _parse(
        """
        dispatch() {
            local action="${1:-}"
            case "$action" in
                build)
                    run_build "$@"
                    ;;
                verify|--verify)
                    if precheck; then run_verify; fi
                    ;;
                nested)
                    case "$2" in
                        deep) go_deep ;;
                    esac
                    ;;
                "")
                    usage
                    ;;
                *)
                    echo "unknown: $action"; exit 2
                    ;;
            esac
        }
        """
    )
    arms = {arm.patterns: arm for arm in script.case_arms}
    assert set(arms) == {("build",), ("verify", "--verify"), ("nested",), ("deep",), ("",), ("*",)}
    build = arms[("build",)]
    assert build.subject == "${action}"
    assert build.function == "dispatch"
    assert build.location.line == 4
    assert arms[("deep",)].subject == "${2}"
    assert arms[("deep",)].case_location != build.case_location
    # Which arms enclose a command is the flow model's answer, not a second copy on each command.
    model = ScriptModel(script, None)
    assert model.arms_of(_cmd(script, "run_build")) == (build,)
    assert model.arms_of(_cmd(script, "run_verify")) == (arms[("verify", "--verify")],)
    assert model.arms_of(_cmd(script, "go_deep")) == (arms[("nested",)], arms[("deep",)])
    assert model.arms_of(_cmd(script, "usage")) == (arms[("",)],)
    assert _cmd(script, "go_deep").function == "dispatch"


# --------------------------------------------------------------------------- heredocs


def test_heredoc_unquoted_quoted_and_dash() -> None:
    script = _parse(
        """
        cat <<EOF > "$CONF"
        listen ${PORT}
        EOF
        write_notes() {
            tee notes.txt <<'NOTE'
        literal $HOME
        NOTE
            cat <<-"TABBED" | sort
        \tb-line
        \ta-line
        \tTABBED
        }
        """.replace("\\t", "\t")
    )
    plain, quoted, dashed = script.heredocs
    assert (plain.command, plain.delimiter, plain.quoted) == (("cat",), "EOF", False)
    assert plain.body == "listen ${PORT}\n"
    assert plain.body_location == Location("bin/run.sh", 2, 1, 2, 15)
    assert plain.function is None
    assert (quoted.command, quoted.delimiter, quoted.quoted) == (("tee", "notes.txt"), "NOTE", True)
    assert quoted.body == "literal $HOME\n"
    assert quoted.body_location.line == 6
    assert quoted.function == "write_notes"
    assert (dashed.delimiter, dashed.quoted) == ("TABBED", True)
    assert dashed.body == "b-line\na-line\n"
    assert _cmd(script, "sort").function == "write_notes"
    assert script.problems == ()


def test_empty_heredoc_body() -> None:
    script = _parse("cat <<EOF\nEOF\necho after\n")
    assert script.heredocs[0].body == ""
    assert script.heredocs[0].body_location.line == 2
    assert _cmd(script, "echo").argv == ("echo", "after")


def test_python_stdin_heredoc_detection() -> None:
    script = _parse(
        """
        verify() {
            if python - <<'PY'
        import os
        print(os.getenv("APP_MODE", "prod"))
        PY
            then
                ok
            fi
        }
        python3.11 -u <<EOF
        print(1)
        EOF
        python -c "print(2)" <<EOF
        ignored
        EOF
        python tool.py <<EOF
        data
        EOF
        """
    )
    stdin_py, unbuffered, with_c, with_script = script.heredocs
    assert stdin_py.command == ("python", "-")
    assert stdin_py.function == "verify"
    assert stdin_py.body_location.line == 3
    assert unbuffered.command == ("python3.11", "-u")
    assert _cmd(script, "ok").function == "verify"
    assert script.problems == ()
    assert with_c.python is None
    assert with_script.python is None
    pytest.importorskip("meslint.parsers.python_src")
    assert stdin_py.python is not None
    assert stdin_py.python.line_offset == 2
    assert unbuffered.python is not None
    reads = stdin_py.python.env_reads
    assert reads and reads[0].name == "APP_MODE" and reads[0].location.line == 4


def test_heredoc_marker_glued_to_operator_is_a_problem() -> None:
    script = _parse("cat <<EOF;\nbody\nEOF\n")
    glued = [p for p in script.problems if "glued" in p.message]
    assert [p.location for p in glued] == [Location("bin/run.sh", 1, 7, 1, 11)]


# --------------------------------------------------------------------------- root anchors


@pytest.mark.parametrize(
    "expr",
    [
        '$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)',
        '$(cd "$(dirname "$0")/.." && pwd)',
        '$(cd "$(dirname "$0")/../" && pwd -P)',
        '$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." >/dev/null 2>&1 && pwd)',
        '$(cd "$(dirname "$0")/.."; pwd)',
        '$(realpath "$(dirname "$0")/..")',
        '$(dirname "$(dirname "$(readlink -f "$0")")")',
        '`cd "$(dirname "$0")/.." && pwd`',
    ],
)
def test_anchor_one_level_up_from_scripts_dir(expr: str) -> None:
    script = parse("tools/launch.sh", f'APP_HOME="{expr}"\n')
    home = _assign(script, "APP_HOME")
    assert (home.value, home.anchor_levels) == ("@ROOT", 1)


@pytest.mark.parametrize(
    "expr",
    [
        '$(dirname "$(readlink -f "$0")")',
        '$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)',
        '$(dirname "${BASH_SOURCE[0]}")',
        '$(cd "$(dirname "$0")/." && pwd)',
    ],
)
def test_anchor_script_own_dir(expr: str) -> None:
    here = _assign(parse("tools/launch.sh", f"HERE={expr}\n"), "HERE")
    assert (here.value, here.anchor_levels) == ("@ROOT/tools", 0)


def test_anchor_from_repo_root_and_from_nested_dir() -> None:
    at_root = parse("run.sh", 'R="$(cd "$(dirname "$0")" && pwd)"\nUP="$(cd "$(dirname "$0")/.." && pwd)"\n')
    assert (_assign(at_root, "R").value, _assign(at_root, "R").anchor_levels) == ("@ROOT", 0)
    # Above the repository root: still known (and wrong), so MES202 can name where it lands.
    assert (_assign(at_root, "UP").value, _assign(at_root, "UP").anchor_levels) == ("@ROOT/..", 1)
    deep = parse("scripts/run.sh", 'R="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../x" && pwd)"\n'
                                   'D="$(dirname "$(dirname "$(dirname "$0")")")"\n')
    assert (_assign(deep, "R").value, _assign(deep, "R").anchor_levels) == ("@ROOT/../x", 2)
    assert (_assign(deep, "D").value, _assign(deep, "D").anchor_levels) == ("@ROOT/..", 2)

    nested = parse(
        "deploy/sub/install.sh",
        'TOP="$(cd "$(dirname "$0")/../.." && pwd)"\n'
        'MID="$(cd "$(dirname "$0")/.." && pwd)"\n'
        'SRC="$(cd "$(dirname "$0")/../../src" && pwd)"\n',
    )
    assert (_assign(nested, "TOP").value, _assign(nested, "TOP").anchor_levels) == ("@ROOT", 2)
    assert (_assign(nested, "MID").value, _assign(nested, "MID").anchor_levels) == ("@ROOT/deploy", 1)
    assert (_assign(nested, "SRC").value, _assign(nested, "SRC").anchor_levels) == ("@ROOT/src", 2)


def test_anchor_built_from_an_earlier_anchored_variable() -> None:
    script = parse(
        "tools/launch.sh",
        dedent(
            """\
            HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
            TOP="$(cd "$HERE/.." && pwd)"
            TOP2=$(cd "${HERE}"/.. && pwd)
            LOGS="${TOP}/logs"
            HERE=/elsewhere
            LATER="$(cd "$HERE/.." && pwd)"
            """
        ),
    )
    assert (_assign(script, "TOP").value, _assign(script, "TOP").anchor_levels) == ("@ROOT", 1)
    assert _assign(script, "TOP2").value == "@ROOT"
    # Ordinary uses of an anchored variable stay templates for the resolver.
    assert _assign(script, "LOGS").value == "${TOP}/logs"
    assert _assign(script, "LOGS").anchor_levels is None
    # After reassignment the variable is no longer an anchor.
    assert _assign(script, "LATER").anchor_levels is None


def test_anchor_with_static_suffix_and_in_command_arguments() -> None:
    script = parse(
        "tools/launch.sh",
        'LOGS="$(cd "$(dirname "$0")/.." && pwd)/var/logs"\n'
        'cd "$(dirname "$0")/.."\n'
        'run --dir "$(dirname "$0")/../${SUB}/x" --cwd "$(pwd)"\n',
    )
    assert (_assign(script, "LOGS").value, _assign(script, "LOGS").anchor_levels) == ("@ROOT/var/logs", 1)
    assert _cmd(script, "cd").argv == ("cd", "@ROOT")
    assert _cmd(script, "run").argv == ("run", "--dir", "@ROOT/${SUB}/x", "--cwd", "$(pwd)")


def test_non_anchor_substitutions_are_source_text() -> None:
    script = parse(
        "tools/launch.sh",
        'A="$(cd "$SOMEWHERE" && pwd)"\nB=$(dirname "$CONFIG")\nC="$(cd "$(dirname "$0")/.." || exit; pwd)"\n',
    )
    assert _assign(script, "A").value == '$(cd "$SOMEWHERE" && pwd)'
    assert _assign(script, "B").value == '$(dirname "$CONFIG")'
    assert _assign(script, "C").anchor_levels is None


# --------------------------------------------------------------------------- locations


def test_locations_are_one_based_and_end_exclusive() -> None:
    script = parse("bin/run.sh", "  X=1\n    run --flag value\n")
    assert _assign(script, "X").location == Location("bin/run.sh", 1, 3, 1, 6)
    assert _cmd(script, "run").location == Location("bin/run.sh", 2, 5, 2, 21)


def test_columns_count_characters_not_bytes() -> None:
    script = _parse('echo "héllo → ünïcode" ; NEXT=1\nplain=2\n')
    nxt = _assign(script, "NEXT")
    # 'echo "héllo → ünïcode" ; ' is 25 characters (but 31 bytes).
    assert nxt.location == Location("bin/run.sh", 1, 26, 1, 32)
    assert _assign(script, "plain").location == Location("bin/run.sh", 2, 1, 2, 8)
    assert _cmd(script, "echo").location.end_column == 23


# --------------------------------------------------------------------------- robustness


def test_syntax_errors_become_problems_and_facts_survive() -> None:
    script = _parse(
        """
        GOOD=1
        start() {
            echo started
        if broken; then
        """
    )
    assert script.problems
    assert all(p.location.path == "bin/run.sh" and p.location.line >= 1 for p in script.problems)
    assert _assign(script, "GOOD").value == "1"
    assert "echo" in [c.argv[0] for c in script.commands]


def test_stray_closing_paren_is_located() -> None:
    script = _parse("echo ok\n) oops\necho later\n")
    assert [p.location.line for p in script.problems] == [2]
    assert _cmd(script, "echo", 1).argv == ("echo", "later")


@pytest.mark.parametrize("text", ["\x00\x01\x02", "echo \udcff\n", "((((((", "'", "cat <<", "${" * 50, "\n" * 5])
def test_never_raises(text: str) -> None:
    script = parse("odd.sh", text)
    assert isinstance(script, ShellScript)


def test_deterministic() -> None:
    text = dedent(
        """\
        ROOT="$(cd "$(dirname "$0")/.." && pwd)"
        f() { case "$1" in a|b) g & ;; esac; }
        cat <<EOF
        x
        EOF
        """
    )
    assert parse("scripts/x.sh", text) == parse("scripts/x.sh", text)


def test_large_script_parses_quickly() -> None:
    block = dedent(
        """\
        step_{n}() {{
            local out="${{OUT_DIR:-${{ROOT}}/out}}/{n}"
            if [ -f "$out" ]; then
                run_tool --input "$out" --mode "${{MODE:-fast}}" >> "$LOG" 2>&1 &
            fi
            case "$1" in
                go|start) step_{n} ;;
            esac
        }}
        """
    )
    text = "".join(block.format(n=i) for i in range(300))  # ~2,700 lines
    parse("scripts/big.sh", "true\n")  # parser construction is not part of the budget
    start = time.perf_counter()
    script = parse("scripts/big.sh", text)
    elapsed = time.perf_counter() - start
    assert len(script.functions) == 300 and script.problems == ()
    assert elapsed < 1.0  # generous: CI machines are slow; real budget is ~100 ms


def test_embedded_python_is_handed_to_the_python_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # Exercise the hand-off without depending on the real python_src module.
    import sys
    import types

    from meslint.facts import PythonModule

    calls: list[tuple[str, str, int]] = []

    def fake_parse(path: str, text: str, line_offset: int = 0) -> PythonModule:
        calls.append((path, text, line_offset))
        return PythonModule(path=path, line_offset=line_offset)

    fake = types.ModuleType("meslint.parsers.python_src")
    fake.parse = fake_parse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "meslint.parsers.python_src", fake)
    import meslint.parsers

    monkeypatch.setattr(meslint.parsers, "python_src", fake, raising=False)
    script = _parse(
        """
        echo first
        conda run -n tools python - "$ARG" <<'PY'
        print("hi")
        PY
        cat <<'PY'
        not python
        PY
        """
    )
    assert calls == [("bin/run.sh", 'print("hi")\n', 2)]
    assert script.heredocs[0].python == PythonModule(path="bin/run.sh", line_offset=2)
    assert script.heredocs[1].python is None


def test_command_status_records_what_happens_to_the_exit_status() -> None:
    script = parse("s.sh", "if python - <<'PY'\nx\nPY\nthen\n  return 0\nfi\nf || return 1\na && b\n"
                           "c | d\n! e\n(g; h) || true\nv || { log; exit 1; }\nw\n")
    status = {c.argv[0]: c.status for c in script.commands}
    assert status["python"] == "tested"
    assert status["f"] == "|| return 1"
    assert (status["a"], status["b"]) == ("&& 8:7", "")
    assert (status["c"], status["d"]) == ("pipe", "")
    assert status["e"] == "tested"
    assert (status["g"], status["h"]) == ("subshell", "|| true")
    assert status["v"] == "|| { log; exit 1; }"
    assert status["w"] == ""
