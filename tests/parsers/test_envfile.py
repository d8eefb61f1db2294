"""Tests for meslint.parsers.envfile: table cases per consumer and differential
tests against real bash and the installed python-dotenv."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meslint.facts import EnvFile
from meslint.parsers.envfile import bash, consumer_values, parse
from tests.bash_sandbox import BASH, run_bash

dotenv = pytest.importorskip("dotenv")



def values(text: str) -> dict[str, tuple[str | None, str | None, str | None]]:
    """name -> (systemd, bash, dotenv) of the last assignment of each name."""
    env = parse("t.env", text)
    return {a.name: (a.systemd, a.bash, a.dotenv) for a in env.assignments}


def effective(env: EnvFile, consumer: str) -> dict[str, str]:
    """What a consumer ends up with: the last line that consumer honours wins."""
    out: dict[str, str] = {}
    for a in env.assignments:
        value = getattr(a, consumer)
        if value is not None:
            out[a.name] = value
    return out


# --------------------------------------------------------------------------- systemd
# Cases from systemd's src/test/test-env-file.c, restated.

SYSTEMD_CASES = [
    # continuation lines are joined, escaped blank survives, trailing "\" at EOF dropped
    (
        "a=a\nb=b\\\nc\nd=d\\\ne\\\nf\ng=g\\ \nh=h\ni=i\\",
        {"a": "a", "b": "bc", "d": "def", "g": "g ", "h": "h", "i": "i"},
    ),
    ("a=a\\\n", {"a": "a"}),
    # a commented-out line ending in "\" does not continue into the next line
    (
        '#SPAMD_ARGS="-d --socketpath=/var/lib/bulwark/spamd \\\n#--nouser-config        \\\nnormal=line',
        {"normal": "line"},
    ),
    (
        '# Generated\n\nHWMON_MODULES="coretemp f71882fg"\n\n# For compatibility reasons\n\n'
        "MODULE_0=coretemp\nMODULE_1=f71882fg",
        {"HWMON_MODULES": "coretemp f71882fg", "MODULE_0": "coretemp", "MODULE_1": "f71882fg"},
    ),
    ("a=\nb=", {"a": "", "b": ""}),
    # behaviours read off parse_env_file_internal
    ("KEY=2   # note", {"KEY": "2   # note"}),
    ("  KEY  =  spaced value   ", {"KEY": "spaced value"}),
    ("; semicolon comment\nK=v", {"K": "v"}),
    ("K=a;b", {"K": "a;b"}),
    ("A=\"a\" 'b' c", {"A": "abc"}),
    ("A=a'b'\"c\"", {"A": "a'b'\"c\""}),
    ('A="x\\"y\\$z\\nw"', {"A": 'x"y$z\\nw'}),
    ("A='x\\ny'", {"A": "x\\ny"}),
    ('A="multi\nline"', {"A": "multi\nline"}),
    ('A="cont\\\ninued"', {"A": "continued"}),
    ("A=\\ lead", {"A": " lead"}),
    ("A=x\\\n   y", {"A": "x   y"}),
    ("export A=1\n1B=2\nA-B=3\nC D=4\nNOEQ\nE=5", {"E": "5"}),
    ("A=1\nA=2", {"A": "2"}),
    ("A=${B} $C", {"A": "${B} $C"}),
]


@pytest.mark.parametrize(("text", "expected"), SYSTEMD_CASES)
def test_systemd_table(text: str, expected: dict[str, str]) -> None:
    assert effective(parse("t.env", text), "systemd") == expected


def test_systemd_unterminated_quote_swallows_rest_and_is_reported() -> None:
    env = parse("t.env", 'A="open\nB=2\n')
    assert effective(env, "systemd") == {"A": "open\nB=2\n"}
    assert any(p.message.startswith("systemd: unterminated") for p in env.problems)


# --------------------------------------------------------------------------- bash

BASH_CASES = [
    ("A=1", "A", "1", False),
    ("export A=1", "A", "1", False),
    ("A='x y'", "A", "x y", False),
    ('A="x\\"y\\$z\\`\\\\ \\n"', "A", 'x"y$z`\\ \\n', False),
    ("A=$'a\\tb\\x41\\101\\u00e9\\0gone'c", "A", "a\tbAAéc", False),
    ("A=x\\ y", "A", "x y", False),
    ("A=x#y", "A", "x#y", False),
    ("A=x #y", "A", "x", False),
    ("A= #c", "A", "", False),
    ("A=", "A", "", False),
    ("A=1 \\\n  B=2", "B", "2", False),
    ("A=x\\\ny", "A", "xy", False),
    ("A=1\nB=$A${A}${A:-d}${C:-d}${C-e}${A:+p}${#A}", "B", "111dep1", True),
    ('A=1\nB="$A.${A}"', "B", "1.1", False),
    ("B=${C:=dflt}\nD=$C", "D", "dflt", False),
    ("A=\nB=${A:-d}${A-e}", "B", "d", False),
    ("B=$UNSET", "B", "", True),
    ("A=1 $UNSET", "A", "1", True),
    ("A=1\nunset A\nB=${A-gone}", "B", "gone", False),
    ("A=a=b", "A", "a=b", False),
    ("A={x}", "A", "{x}", False),
    ("A=1\\", "A", "1\\", False),
    ("A\\\nB=1", "AB", "1", False),
    ("X=Y=2\nexport $X", "Y", "2", False),
    ("A=1 B=${} C=2\nD=$A", "D", "1", False),
    ("A=$\\\nB", "A", "", True),
]


@pytest.mark.parametrize(("text", "name", "value", "dynamic"), BASH_CASES)
def test_bash_table(text: str, name: str, value: str, dynamic: bool) -> None:
    assignment = parse("t.env", text).last(name)
    assert assignment is not None
    assert (assignment.bash, assignment.bash_dynamic) == (value, dynamic)


@pytest.mark.parametrize(
    "text",
    ["A=a b", 'A=1 "$UNSET"', "A=$(date)", "A=`date`", "A=$1", "A=$$", "A=~/x", "A=${A//x/y}", "if x\nA=1\nfi"],
)
def test_bash_not_statically_known(text: str) -> None:
    assignment = parse("t.env", text).last("A")
    assert assignment is not None
    assert assignment.bash is None and assignment.bash_dynamic


def test_bash_command_prefix_and_export_arguments() -> None:
    env = parse("t.env", "A=x export B=y C")
    a, b = env.last("A"), env.last("B")
    assert a is not None and b is not None
    assert (a.bash, a.bash_dynamic) == (None, True)
    assert (b.bash, b.exported) == ("y", True)
    assert env.last("C") is None


def test_bash_bad_substitution_fails_that_command_only() -> None:
    env = parse("t.env", "A=${}\nB=2")
    a = env.last("A")
    assert a is not None and a.bash is None and not a.bash_dynamic
    assert effective(env, "bash") == {"B": "2"}


@pytest.mark.parametrize(("text", "fragment"), [("A='x", "single"), ('A="x', "double"), ("A=${x", "${"), ("fi", "fi")])
def test_bash_syntax_errors(text: str, fragment: str) -> None:
    env = parse("t.env", text + "\nB=1\n")
    assert any(p.message.startswith("bash:") and fragment in p.message for p in env.problems)
    assert "B" not in effective(env, "bash")  # like bash, reading stops at the error


def test_non_assignment_commands_record_nothing() -> None:
    env = parse("t.env", "echo hi\nsource other.env\nA=1\n")
    assert [a.name for a in env.assignments] == ["A"]
    assert not [p for p in env.problems if p.message.startswith("bash:")]
    # python-dotenv itself warns about such lines
    assert [p.location.line for p in env.problems] == [1, 2]


# --------------------------------------------------------------------------- dotenv

DOTENV_CASES = [
    ("A=1 # note", {"A": "1"}),
    ("A=1#x", {"A": "1#x"}),
    ("A= #c", {"A": ""}),
    ("A=#x", {"A": "#x"}),
    ("export A=1", {"A": "1"}),
    ("A = 1", {"A": "1"}),
    ("A='${B}'\nB=x\nC='${B}'", {"A": "", "B": "x", "C": "x"}),
    ('A="a\\nb\\tc\\\\"', {"A": "a\nb\tc\\"}),
    ("A='it\\'s'", {"A": "it's"}),
    ('A="two\nlines"', {"A": "two\nlines"}),
    ("B=\nA=${B:-d}${C:-d}$B", {"A": "d$B", "B": ""}),
    ("A=x\nA=y", {"A": "y"}),
    ("A.B=1\n'Q K'=2", {"A.B": "1", "Q K": "2"}),
]


@pytest.mark.parametrize(("text", "expected"), DOTENV_CASES)
def test_dotenv_table(text: str, expected: dict[str, str]) -> None:
    assert effective(parse("t.env", text), "dotenv") == expected


def test_dotenv_unparsable_statement_is_a_problem_and_parsing_goes_on() -> None:
    env = parse("t.env", "A='a' b\nB=2\n")
    assert effective(env, "dotenv") == {"B": "2"}
    assert [(p.location.line, p.message) for p in env.problems] == [(1, "python-dotenv: could not parse statement")]


# --------------------------------------------------------------------------- merged facts


def test_locations_raw_and_consumer_values() -> None:
    text = "# head\n  KEY=2   # note\nMULTI=a\\\nb\nexport E=1\n"
    env = parse("conf/app.env", text)
    key, multi, exp = env.assignments
    assert (key.location.line, key.location.column) == (2, 3)
    # systemd keeps the comment, so the value span runs to the end of "note"
    assert (key.location.end_line, key.location.end_column) == (2, 17)
    assert key.raw == "  KEY=2   # note"
    assert consumer_values(key) == {"systemd": "2   # note", "bash": "2", "dotenv": "2"}
    # systemd does not know `export`: the key would be "export E", not a valid name
    assert exp.exported and (exp.location.column, exp.location.end_column) == (8, 11)
    assert consumer_values(exp) == {"systemd": None, "bash": "1", "dotenv": "1"}
    assert (multi.location.line, multi.location.end_line, multi.location.end_column) == (3, 4, 2)
    assert multi.raw == "MULTI=a\\\nb"
    assert consumer_values(multi) == {"systemd": "ab", "bash": "ab", "dotenv": "a\\"}


def test_duplicates_are_kept_in_order_and_last_wins() -> None:
    env = parse("t.env", "A=1\nA=2\n")
    assert [a.bash for a in env.assignments] == ["1", "2"]
    assert env.last("A") is env.assignments[1]


def test_word_split_line_reads_differently() -> None:
    assert values("NAME=a b") == {"NAME": ("a b", None, "a b")}


@pytest.mark.parametrize(
    "text", ["", "\n\n", "'", '"', "\\", "$", "${", "A=$'", "=", "export", 'A="\\', "}\n{", "A=$(", "A=`", "'K=1"]
)
def test_never_raises(text: str) -> None:
    env = parse("t.env", text)
    assert isinstance(env, EnvFile)


# --------------------------------------------------------------------------- differential

NAMES = ["AA", "BB", "CC", "D_1"]
BAD_NAMES = ["1X", "A-B", "A.B"]
# side-effect-free characters only (no ( ) ` ; & | < > ! * ? [ ~)
CHARS = "abxyAB01 #='\"${}-_/.:\\"
TOKENS = [
    "$AA", "${BB}", "${CC:-d}", "${AA-x y}", "${BB:+p}", "${AA:=q}", "${#AA}", '"$BB"', "'$AA'",
    "$'\\t\\x41'", "\\\n", " # c", "\\ ", '\\"', "\\$", '"a b"', "'a b'", "$1", "$_", "${}", "${AA/a/b}",
    "\n", "{ ", " }", '"${BB:-a\\}b}"', "${CC:-{x}", "$'\\cA\\101'",
]  # fmt: skip

value_st = st.lists(st.one_of(st.sampled_from(CHARS), st.sampled_from(TOKENS)), max_size=8).map("".join)


@st.composite
def env_line(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["assign"] * 6 + ["comment", "blank"]))
    if kind == "comment":
        return draw(st.sampled_from(["#", ";", "  #"])) + draw(value_st)
    if kind == "blank":
        return draw(st.sampled_from(["", "  "]))
    name = draw(st.sampled_from(NAMES * 4 + BAD_NAMES))
    lead = draw(st.sampled_from(["", "", "  ", "export ", "export  "]))
    eq = draw(st.sampled_from(["="] * 5 + [" = ", "= ", " ="]))
    return f"{lead}{name}{eq}{draw(value_st)}"


env_text = st.lists(env_line(), min_size=1, max_size=6).map(lambda lines: "\n".join(lines) + "\n")

DIFF_SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

@pytest.mark.skipif(not os.path.exists(BASH), reason="bash not installed")
@DIFF_SETTINGS
@given(text=env_text)
def test_bash_differential(text: str) -> None:
    reader = bash.BashReader(text)
    reading = reader.run()
    ok, real = run_bash(text, NAMES)
    has_problem = any(p[1].startswith("bash:") for p in reading.problems)
    assert has_problem == (not ok), f"syntax verdict differs for {text!r}: {reading.problems}"
    assume(ok and real is not None)
    model = reader.state.vars
    for name in NAMES:
        if (name in model and model[name] is None) or (reader.state.opaque and name not in model):
            continue  # statically unknown ($1, $_, unsupported ${...}): nothing to compare
        assert real.get(name) == model.get(name), f"{name} in {text!r}: bash {real.get(name)!r}"
    # the facts agree with the final state where they claim a static value
    env = parse("t.env", text)
    for name, value in effective(env, "bash").items():
        last = env.last(name)
        assert last is not None
        assigned_by_expansion = f"${{{name}:=" in text or f"${{{name}=" in text  # documented limit
        if last.bash is not None and name in real and not assigned_by_expansion:
            assert value == real[name], f"{name} in {text!r}"


@DIFF_SETTINGS
@given(text=env_text)
def test_dotenv_differential(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, ".env")
        path.write_text(text, encoding="utf-8")
        real = dotenv.dotenv_values(path)
    env = parse("t.env", text)
    model = effective(env, "dotenv")
    bare = {k for k, v in real.items() if v is None}  # documented limit: bare KEY lines
    real_set = {k: v for k, v in real.items() if v is not None}
    assert {k: v for k, v in model.items() if k not in bare} == real_set


def test_cached_facts_depend_on_every_reader_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fact cache's fingerprint covers the reader package and the shared word decoding."""
    from meslint import cache

    read: list[str] = []
    original = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self.as_posix())
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    monkeypatch.setattr(cache, "_FINGERPRINT", None)
    cache.fingerprint()
    for module in ("parsers/envfile/bash.py", "parsers/envfile/bash_words.py", "parsers/envfile/systemd.py",
                   "parsers/envfile/python_dotenv.py", "parsers/envfile/lines.py", "template.py",
                   "parsers/shell_words.py"):
        assert any(path.endswith("meslint/" + module) for path in read), module
