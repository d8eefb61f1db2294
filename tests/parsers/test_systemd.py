"""Tests for meslint.parsers.systemd (systemd's unit-file syntax, not configparser)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from textwrap import dedent

import pytest

from meslint.facts import Location, UnitFile
from meslint.parsers.systemd import parse
from meslint.parsers.systemd_specifiers import expand_specifiers
from meslint.parsers.systemd_substitution import substitute_argv
from meslint.parsers.systemd_words import split_words

PATH = "deploy/app.service"


def _parse(text: str, path: str = PATH) -> UnitFile:
    return parse(path, dedent(text).lstrip("\n"))


def _env(unit: UnitFile) -> dict[str, str]:
    return {a.name: a.value for a in unit.environment}


def _messages(unit: UnitFile) -> list[str]:
    return [p.message for p in unit.problems]


# --------------------------------------------------------------------------- file syntax


def test_sections_keys_and_locations() -> None:
    unit = _parse("""
        [Unit]
        Description = My app
        [Service]
          Type=simple
        """)
    assert unit.name == "app.service" and unit.path == PATH and unit.problems == ()
    desc, typ = unit.settings
    assert (desc.section, desc.key, desc.value) == ("Unit", "Description", "My app")
    assert desc.location == Location(PATH, 2, 1, 2, 21)
    assert (typ.section, typ.key, typ.value) == ("Service", "Type", "simple")
    assert typ.location == Location(PATH, 4, 3, 4, 14)


def test_comments_and_repeated_keys() -> None:
    unit = _parse("""
        # leading comment
        [Unit]
        ; semicolon comment
           # indented comment
        After=a.target
        After=b.target
        After=
        After=c.target
        Description=x # not a comment: systemd has no inline comments
        """)
    assert unit.problems == ()
    assert [s.value for s in unit.settings if s.key == "After"] == ["a.target", "b.target", "", "c.target"]
    assert [s.value for s in unit.get_all("Unit", "After")] == ["c.target"]
    assert unit.get("Unit", "Description").value == "x # not a comment: systemd has no inline comments"


def test_continuation_joins_lines_and_skips_comment_lines() -> None:
    unit = _parse("""
        [Service]
        ExecStart=/bin/echo one \\
          two \\
        # a comment inside the continuation is dropped
          three
        Type=simple
        """)
    assert unit.problems == ()
    start = unit.get("Service", "ExecStart")
    assert start.value == "/bin/echo one    two    three"
    # Key on line 2, value ends on the last physical line (5) after "three".
    assert start.location == Location(PATH, 2, 1, 5, 8)
    assert unit.exec_commands[0].argv == ("/bin/echo", "one", "two", "three")
    assert unit.get("Service", "Type").location.line == 6


def test_escaped_backslash_and_backslash_space_do_not_continue() -> None:
    unit = parse(PATH, "[Service]\nEnvironment=A=x\\\\\nEnvironment=B=y\\ \nType=simple\n")
    assert [s.key for s in unit.settings] == ["Environment", "Environment", "Type"]
    assert _env(unit)["A"] == "x\\"


def test_continuation_at_end_of_file() -> None:
    unit = parse(PATH, "[Service]\nEnvironment=A=1 \\\n  B=2 \\")
    assert _env(unit) == {"A": "1", "B": "2"}
    assert unit.settings[0].location == Location(PATH, 2, 1, 3, 6)


def test_bad_lines_are_problems_and_parsing_goes_on() -> None:
    unit = _parse("""
        Orphan=1
        [Unit]
        just some words
        =value
        Description=ok
        [Service
        [Bogus]
        Key=ignored
        [X-Vendor]
        Key=ignored silently
        no equals here either
        [Service]
        Type=simple
        """)
    assert _messages(unit) == [
        "Assignment outside of section. Ignoring.",
        "Missing '=', ignoring line.",
        "Missing key name before '=', ignoring line.",
        "Invalid section header '[Service'",
        "Unknown section 'Bogus'. Ignoring.",
    ]
    assert [p.location.line for p in unit.problems] == [1, 3, 4, 6, 7]
    assert unit.problems[1].location == Location(PATH, 3, 1, 3, 16)
    assert [(s.section, s.key) for s in unit.settings] == [("Unit", "Description"), ("Service", "Type")]


def test_unknown_unit_type_accepts_any_section() -> None:
    unit = parse("deploy/override.conf", "[Service]\nEnvironment=A=1\n[Whatever]\nK=v\n")
    assert unit.problems == () and _env(unit) == {"A": "1"}
    assert len(unit.settings) == 2


@pytest.mark.parametrize("text", [
    "[Service]\nEnvironment=A=1\x00\n",
    "[Service]\nExecStart=/bin/echo 'open\n",
    "[Ser\\vice]\n",
    "[Service]\nEnvironment=\"A=1\n",
    "\udcff[Unit]\n",
    "\\",
    "[",
    "",
    "=\n==\n[]\n",
])
def test_never_raises(text: str) -> None:
    unit = parse(PATH, text)
    assert isinstance(unit, UnitFile)


def test_nul_byte_and_unterminated_quote_are_located_problems() -> None:
    unit = parse(PATH, "[Service]\nEnvironment=A=1\x00\nExecStart=/bin/echo 'open\nType=simple\n")
    assert [p.location.line for p in unit.problems] == [2, 3]
    assert "NUL" in unit.problems[0].message
    assert unit.problems[1].message.startswith("Unbalanced quoting")
    assert unit.exec_commands == () and unit.get("Service", "Type").value == "simple"


# --------------------------------------------------------------------------- Environment=


def test_environment_quoting() -> None:
    unit = _parse("""
        [Service]
        Environment="A=1 2" B=3 'C=x y' D="quoted"mid'dle' E=tab\\there F='it''s' G=\\x41\\101\\u00e9
        """)
    assert unit.problems == ()
    assert _env(unit) == {"A": "1 2", "B": "3", "C": "x y", "D": "quotedmiddle", "E": "tab\there",
                          "F": "its", "G": "AA\u00e9"}
    a, b = unit.environment[:2]
    assert a.location == Location(PATH, 2, 13, 2, 20)
    assert b.location == Location(PATH, 2, 21, 2, 24)


def test_escapes_work_inside_single_quotes_too() -> None:
    unit = _parse("""
        [Service]
        Environment='A=a\\nb' "B=\\"q\\""
        """)
    assert _env(unit) == {"A": "a\nb", "B": '"q"'}


def test_environment_reset_and_override_keeps_position() -> None:
    unit = _parse("""
        [Service]
        Environment=GONE=1
        Environment=
        Environment=A=1 B=2
        Environment=A=3
        """)
    assert [(a.name, a.value) for a in unit.environment] == [("A", "3"), ("B", "2")]
    assert unit.environment[0].location.line == 5


def test_environment_invalid_words_are_skipped() -> None:
    unit = _parse("""
        [Service]
        Environment=PATH=/opt/my app/bin OK=1 1BAD=2 ALSO-BAD=3
        """)
    assert _env(unit) == {"PATH": "/opt/my", "OK": "1"}
    assert _messages(unit) == [
        "Invalid environment assignment, ignoring: app/bin",
        "Invalid environment assignment, ignoring: 1BAD=2",
        "Invalid environment assignment, ignoring: ALSO-BAD=3",
    ]
    assert unit.problems[0].location == Location(PATH, 2, 26, 2, 33)


def test_environment_syntax_error_drops_the_rest() -> None:
    unit = _parse("""
        [Service]
        Environment=A=1 B=\\q C=3
        Environment=D=1 "E=2
        """)
    assert _env(unit) == {"A": "1", "D": "1"}
    assert len(unit.problems) == 2 and all("Invalid syntax" in m for m in _messages(unit))


def test_environment_only_in_exec_sections() -> None:
    unit = _parse("""
        [Unit]
        Environment=A=1
        [Service]
        Environment=B=2
        """)
    assert _env(unit) == {"B": "2"}


def test_environment_specifiers() -> None:
    unit = _parse("""
        [Service]
        Environment=RUN=%t/%N STATE=%S/%p PCT=100%% HOST=%H BAD=%Z
        """, path="deploy/web@blue.service")
    assert _env(unit) == {"RUN": "/run/web@blue", "STATE": "/var/lib/web", "PCT": "100%", "HOST": "%H"}
    assert _messages(unit) == ["Unknown specifier '%Z', ignoring: BAD=%Z"]


# --------------------------------------------------------------------------- EnvironmentFile=


def test_environment_files() -> None:
    unit = _parse("""
        [Service]
        EnvironmentFile=/etc/old.env
        EnvironmentFile=
        EnvironmentFile=-/etc/%p/app.env
        EnvironmentFile=/opt//app/./.env
        EnvironmentFile=relative.env
        """)
    assert [(f.path, f.optional) for f in unit.environment_files] == [
        ("/etc/app/app.env", True),
        ("/opt/app/.env", False),
    ]
    assert unit.environment_files[0].location.line == 4
    assert _messages(unit) == ["EnvironmentFile= path is not absolute, ignoring: relative.env"]


# --------------------------------------------------------------------------- Exec*=


def test_exec_prefixes_and_splitting() -> None:
    unit = _parse("""
        [Service]
        ExecStartPre=-/bin/mkdir -p "/run/my app"
        ExecStartPre=!!/usr/bin/setup
        ExecStart=@:+/usr/bin/python3 py -c 'print("hi")' \\; x ; /bin/echo second
        ExecReload=/bin/kill -HUP $MAINPID
        ExecStop=!-/bin/true
        ExecSearchPath=/opt/bin
        """)
    assert unit.problems == ()
    got = [(c.key, c.prefixes, c.argv) for c in unit.exec_commands]
    assert got == [
        ("ExecStartPre", "-", ("/bin/mkdir", "-p", "/run/my app")),
        ("ExecStartPre", "!!", ("/usr/bin/setup",)),
        ("ExecStart", "@:+", ("/usr/bin/python3", "py", "-c", 'print("hi")', ";", "x")),
        ("ExecStart", "", ("/bin/echo", "second")),
        ("ExecReload", "", ("/bin/kill", "-HUP", "$MAINPID")),
        ("ExecStop", "!-", ("/bin/true",)),
    ]
    assert unit.exec_commands[0].location == unit.settings[0].location


def test_via_shell_prefix_is_recorded() -> None:
    unit = _parse("""
        [Service]
        ExecStart=-|echo hello
        """)
    assert unit.problems == ()
    assert [(c.prefixes, c.argv) for c in unit.exec_commands] == [("-|", ("echo", "hello"))]


def test_repeated_prefix_ends_the_prefixes() -> None:
    unit = _parse("""
        [Service]
        ExecStart=--/bin/true
        ExecStart=+!/bin/true
        """)
    assert unit.exec_commands == ()
    assert len(unit.problems) == 2
    assert all(m.startswith("Neither a valid executable name") for m in _messages(unit))


def test_exec_reset_applies_to_its_own_key() -> None:
    unit = _parse("""
        [Service]
        ExecStartPre=/bin/true
        ExecStart=/bin/one
        ExecStart=
        ExecStart=/bin/two
        """)
    got = [(c.key, c.argv[0]) for c in unit.exec_commands]
    assert got == [("ExecStartPre", "/bin/true"), ("ExecStart", "/bin/two")]


def test_exec_keeps_dollars_and_expands_specifiers() -> None:
    unit = _parse("""
        [Service]
        ExecStart=/usr/bin/env bash -c 'echo ${A:-x} $$B %n %%' %t/%i.pid date +%%s
        """, path="deploy/worker@3.service")
    assert unit.exec_commands[0].argv == (
        "/usr/bin/env", "bash", "-c", "echo ${A:-x} $$B worker@3.service %", "/run/3.pid", "date", "+%s")


def test_exec_problems() -> None:
    unit = _parse("""
        [Service]
        ExecStart=/bin/echo \\d
        ExecStartPost=-
        ExecStartPost=bin/relative
        ExecStartPost=/usr/bin/
        ExecStartPost=@/bin/only-path
        ExecStartPost=/bin/echo %Z
        """)
    assert _messages(unit) == [
        'Ignoring unknown escape sequences: "\\d"',
        "Empty path in command line: -",
        "Neither a valid executable name nor an absolute path: bin/relative",
        "Executable path specifies a directory: /usr/bin/",
        "Empty executable name or zeroeth argument: @/bin/only-path",
        "Unknown specifier '%Z' (systemd fails to resolve specifiers here)",
    ]
    assert [c.argv for c in unit.exec_commands] == [("/bin/echo", "\\d"), ("/bin/echo", "%Z")]


def test_split_words() -> None:
    assert split_words(""" a "b c"d 'e\\tf' \\x41 """) == ("a", "b cd", "e\tf", "A")
    with pytest.raises(ValueError):
        split_words('"open')


# --------------------------------------------------------------------------- specifiers


@pytest.mark.parametrize(("value", "expected"), [
    ("%n|%N|%p|%P|%i|%I|%j|%J|%f", "a-b@x-y.service|a-b@x-y|a-b|a/b|x-y|x/y|b|b|/x/y"),
    ("%t %S %C %L %E %T %V %h %u %U %g %G %s %D", "/run /var/lib /var/cache /var/log /etc /tmp /var/tmp /root "
                                                 "root 0 root 0 /bin/sh /usr/share"),
    ("%d", "/run/credentials/a-b@x-y.service"),
    ("%H %b %m %v %%H 100%", "%H %b %m %v %H 100%"),
    ("%Z and %- and %", "%Z and %- and %"),
])
def test_expand_specifiers(value: str, expected: str) -> None:
    assert expand_specifiers(value, "a-b@x-y.service") == expected


def test_specifiers_of_plain_and_escaped_names() -> None:
    assert expand_specifiers("%p %i %f %j", "mes-dashboard.service") == "mes-dashboard  /mes/dashboard dashboard"
    assert expand_specifiers("%I", r"dev@tty\x2d1.service") == "tty-1"


# --------------------------------------------------------------------------- $VAR substitution


ENV = {"A": "alpha", "WORDS": 'one  two "three four"', "EMPTY": "", "PID": "/run/x/app.pid"}


@pytest.mark.parametrize(("argv", "expected"), [
    (("/bin/echo", "$A"), ("/bin/echo", "alpha")),
    (("/bin/echo", "$WORDS"), ("/bin/echo", "one", "two", "three four")),
    (("/bin/echo", "${WORDS}"), ("/bin/echo", 'one  two "three four"')),
    (("/bin/echo", "$UNSET", "$EMPTY", "x"), ("/bin/echo", "x")),
    (("/bin/echo", "pre${A}post", "${UNSET}."), ("/bin/echo", "prealphapost", ".")),
    # braceless $VAR inside a word is not substituted
    (("/bin/echo", "x$A", "$A/y"), ("/bin/echo", "x$A")),
    (("/bin/echo", "$$", "$$A", "a$$b", "$", "a$"), ("/bin/echo", "$", "$A", "a$b", "a$")),
    # no REPLACE_ENV_ALLOW_EXTENDED: ${VAR:-x} and ${VAR:+x} are left for the shell
    (("/bin/echo", "${A:-dflt}", "${UNSET:-dflt}", "${A:+alt}"), ("/bin/echo", "${A:-dflt}", "${UNSET:-dflt}",
                                                                   "${A:+alt}")),
    (("/bin/echo", "${A:-${PID}}", "${A:-x}${A}"), ("/bin/echo", "${A:-/run/x/app.pid}", "${A:-x}alpha")),
    # invalid names resolve like unset ones
    (("/bin/echo", "<${A-x}>", "<${}>", "<${A"), ("/bin/echo", "<>", "<>", "<${A")),
])
def test_substitute_argv(argv: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert substitute_argv(argv, ENV) == expected


def test_substitution_inside_single_quoted_shell_script() -> None:
    unit = _parse("""
        [Service]
        Environment=PID=/run/app/gunicorn.pid
        ExecStart=/usr/bin/env bash -lc 'exec "${BIN:-/opt/conda/bin/conda}" run --pid "${PID}" --x $${PID}'
        """)
    command = unit.exec_commands[0]
    script = 'exec "${BIN:-/opt/conda/bin/conda}" run --pid "/run/app/gunicorn.pid" --x ${PID}'
    assert substitute_argv(command.argv, _env(unit)) == ("/usr/bin/env", "bash", "-lc", script)


# --------------------------------------------------------------------------- systemd-analyze


_SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

# Syntax-level message classes: (text in systemd's message, text in ours).
_CLASSES = {
    "missing-eq": ("Missing '='", "Missing '='"),
    "missing-key": ("Missing key name", "Missing key name"),
    "outside": ("outside of section", "outside of section"),
    "unknown-section": ("Unknown section", "Unknown section"),
    "bad-header": ("Invalid section header", "Invalid section header"),
    "quote": ("Unbalanced quoting", "Unbalanced quoting"),
    "env-syntax": ("Invalid syntax", "Invalid syntax"),
    "env-assign": ("Invalid environment assignment", "Invalid environment assignment"),
    "escape": ("unknown escape sequences", "unknown escape sequences"),
    "specifier": ("Failed to resolve", "Unknown specifier"),
    "envfile": ("EnvironmentFile= path", "EnvironmentFile= path"),
    "exec-path": ("Empty path|Neither a valid|specifies a directory|special characters|zeroeth argument",) * 2,
    "workdir": ("WorkingDirectory= path is not", "WorkingDirectory= path is not"),
}

_GOOD = [
    "Description=fine",
    "Environment=A=1 'B=two words' \"C=x\\ty\"",
    "Environment=PATHS=%t/%p:%S",
    "EnvironmentFile=-/etc/%N.env",
    "ExecStartPre=-/bin/true a \\; b ; /bin/false",
    "Environment=LONG=a \\\n  # comment in continuation\n  MORE=b",
    "# a comment",
    "; another comment",
    "WorkingDirectory=/opt/app",
    "",
]
_NONFATAL_BAD = [
    "this line has no equals sign",
    "=no key",
    "Environment=A=1 NOPE B=2",
    "Environment=A=\\z",
    "Environment=X=%Z",
    "EnvironmentFile=relative/path.env",
    "ExecStartPre=-/bin/echo \\q",
    "ExecStartPre=-relative/cmd",
    "ExecStartPre=-/usr/bin/",
    "ExecStartPre=-",
    "missing \\\n  equals on a continued line",
    "WorkingDirectory=-relative/dir",
]
_FATAL_BAD = [
    "ExecStart=/bin/echo 'unterminated",
    "[Service",
    "ExecStart=/bin/echo %Z",
    "WorkingDirectory=relative/dir",
    "WorkingDirectory=/opt/../etc",
]


def _generated_units(count: int) -> dict[str, str]:
    rng = random.Random(20240611)
    units = {}
    for index in range(count):
        service = rng.sample(_GOOD + _NONFATAL_BAD, k=6)
        head = ["[Unit]", rng.choice(["Description=gen", "orphan line without equals"])]
        if index % 4 == 0:
            head.insert(0, "Early=outside any section")
        if index % 5 == 0:
            head += ["[Bogus]", "Key=value"]
        tail = [rng.choice(_FATAL_BAD)] if index % 3 == 0 else []
        lines = head + ["[Service]", "ExecStart=/bin/true", *service, *tail]
        units[f"gen{index:02d}.service"] = "\n".join(lines) + "\n"
    return units


def _classify(message: str, side: int) -> str | None:
    for name, patterns in _CLASSES.items():
        if re.search(patterns[side], message):
            return name
    return None


@pytest.mark.skipif(_SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_problems_match_systemd_analyze_verify(tmp_path: Path) -> None:
    units = _generated_units(24)
    for name, text in units.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [_SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", "--recursive-errors=no",
         *(str(tmp_path / name) for name in units)],
        capture_output=True, text=True, timeout=60, check=False)
    theirs: Counter[tuple[str, int, str]] = Counter()
    for line in (result.stdout + result.stderr).splitlines():
        match = re.match(r"(?:.*/)?(gen\d+\.service):(\d+): (.*)", line)
        if match and (kind := _classify(match.group(3), 0)):
            theirs[(match.group(1), int(match.group(2)), kind)] += 1
    assert theirs, result.stderr  # the tool ran and reported the planted problems

    ours: Counter[tuple[str, int, str]] = Counter()
    for name, text in units.items():
        unit = parse(name, text)
        # systemd stops reading a file at its first fatal error; so does the comparison.
        fatal = [p.location.end_line for p in unit.problems
                 if _classify(p.message, 1) in ("quote", "bad-header") or "fails to resolve" in p.message
                 or "will not start" in p.message]
        for problem in unit.problems:
            if fatal and problem.location.end_line > fatal[0]:
                continue
            kind = _classify(problem.message, 1)
            assert kind is not None, problem.message
            # systemd names the last physical line of a continued line.
            ours[(name, problem.location.end_line, kind)] += 1
    assert ours == theirs
