"""Issue 5: configuration, severities, suppressions, waivers, baseline, changed files, stdin, formats."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from meslint.cli import main
from meslint.facts import FileKind, Location
from meslint.findings import Finding, Related
from meslint.reporters.ci import escape_data, escape_property, render_github, render_junit
from meslint.suppressions import scan
from tests.conftest import FIXTURES, REPO

UNIT = "deploy/mes-dashboard.service"


def copy_fixture(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name.replace("/", "_")
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns(".meslint_cache"))
    return target


@pytest.fixture
def broken(tmp_path) -> Path:
    """The demo repository with the app unit's PIDFile= changed: one MES603 in the unit."""
    root = copy_fixture(tmp_path, "demo")
    unit = root / UNIT
    unit.write_text(unit.read_text().replace("PIDFile=/run/mes-dashboard/gunicorn.pid",
                                             "PIDFile=/run/other/gunicorn.pid"))
    return root


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def concise(capsys, *args) -> tuple[int, list[str]]:
    code, out, _ = cli(capsys, *args, "--output-format", "concise")
    return code, out.splitlines()


# ----------------------------------------------------------------------------- exit codes, severities


def test_broken_demo_reports_one_pidfile_mismatch(capsys, broken) -> None:
    code, lines = concise(capsys, broken)
    assert code == 1
    assert [line.split(": ")[1].split()[0] for line in lines] == ["MES603"]
    assert lines[0].startswith(f"{UNIT}:19:1: MES603 ")


def test_fail_on_and_exit_zero(capsys, broken) -> None:
    assert cli(capsys, broken, "--fail-on", "error")[0] == 1
    assert cli(capsys, broken, "--exit-zero")[0] == 0
    # A warning-only run: an unused suppression (MES100 is a warning).
    clean = broken.parent / "clean"
    shutil.copytree(FIXTURES / "demo", clean, ignore=shutil.ignore_patterns(".meslint_cache"))
    (clean / "scripts" / "extra.sh").write_text("#!/usr/bin/env bash\necho hi  # meslint: ignore[MES603]\n")
    assert cli(capsys, clean)[0] == 1
    assert cli(capsys, clean, "--fail-on", "warning")[0] == 1
    assert cli(capsys, clean, "--fail-on", "error")[0] == 0
    (clean / "meslint.toml").write_text('fail-on = "error"\n')
    assert cli(capsys, clean)[0] == 0
    (clean / "meslint.toml").write_text('fail-on = "fatal"\n')
    code, _, err = cli(capsys, clean)
    assert code == 2 and "fail-on must be one of" in err


def test_show_settings(capsys, write_tree) -> None:
    root = write_tree({"pyproject.toml": '[tool.meslint]\nignore = ["MES102"]\nfail-on = "warning"\n'
                                         '[[tool.meslint.waivers]]\ncode = "MES603"\npath = "deploy/*"\n'
                                         'reason = "cutover"\n'})
    code, out, _ = cli(capsys, root, "--show-settings", "--select", "MES6")
    assert code == 0
    assert 'select = ["MES6"]' in out and 'ignore = ["MES102"]' in out and 'fail-on = "warning"' in out
    assert 'source = "pyproject.toml"' in out and '"reason": "cutover"' in out


def test_statistics(capsys, broken) -> None:
    code, out, _ = cli(capsys, broken, "--statistics")
    assert code == 1 and out.split() == ["1", "MES603", "pidfile-mismatch"]
    code, out, _ = cli(capsys, broken, "--statistics", "--output-format", "json")
    assert json.loads(out) == [{"code": "MES603", "name": "pidfile-mismatch", "count": 1}]


def test_rules_json(capsys) -> None:
    assert main(["rules", "--output-format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert {"code": "MES100", "name": "unused-suppression", "gate": "-", "severity": "warning"}.items() <= \
        next(r for r in rules if r["code"] == "MES100").items()


# ----------------------------------------------------------------------------- suppressions


@pytest.mark.parametrize(
    ("path", "kind", "text", "expected"),
    [
        # units and env files: a whole comment line covers the next non-comment line ...
        ("a.service", FileKind.UNIT, "[Service]\n# meslint: ignore[MES603]\n# note\nPIDFile=/x\n", [(("MES603",), 4)]),
        ("a.service", FileKind.UNIT, "; meslint: ignore[MES6,MES8]\nUser=x\n", [(("MES6", "MES8"), 2)]),
        (".env", FileKind.ENV, "# meslint: ignore[MES607]\nA=1\n", [(("MES607",), 2)]),
        # ... an inline '#' after a value is part of the value, never a suppression.
        ("a.service", FileKind.UNIT, "PIDFile=/x # meslint: ignore[MES603]\n", []),
        (".env", FileKind.ENV, "A=1 # meslint: ignore[MES607]\n", []),
        # shell, Python, TOML: the line it ends, or the next line when alone.
        ("s.sh", FileKind.SHELL, "A=1  # meslint: ignore[MES202]\n", [(("MES202",), 1)]),
        ("s.sh", FileKind.SHELL, "# meslint: ignore[MES202]\nA=1\n", [(("MES202",), 2)]),
        ("m.py", FileKind.PYTHON, "x = 1  # meslint: ignore[MES602]\n", [(("MES602",), 1)]),
        ("m.py", FileKind.PYTHON, "    # meslint: ignore\nx = 1\n", [((), 2)]),
        ("m.py", FileKind.PYTHON, "x = '# meslint: ignore[MES602] not at the end'\n", []),
        ("p.toml", FileKind.TOML, "a = 1 # meslint: ignore[MES204]\n", [(("MES204",), 1)]),
        # Markdown: HTML comments.
        ("R.md", FileKind.MARKDOWN, "Port 8080. <!-- meslint: ignore[MES801] -->\n", [(("MES801",), 1)]),
        ("R.md", FileKind.MARKDOWN, "<!-- meslint: ignore[MES801] -->\n\nPort 8080.\n", [(("MES801",), 3)]),
        ("R.md", FileKind.MARKDOWN, "# meslint: ignore[MES801]\n", []),
        # File-wide forms.
        ("a.service", FileKind.UNIT, "# meslint: ignore-file[MES6]\n", [(("MES6",), 0)]),
        ("R.md", FileKind.MARKDOWN, "<!-- meslint: ignore-file -->\n", [((), 0)]),
        ("s.sh", FileKind.SHELL, "#!/bin/sh\n# meslint: ignore-file[mes2]\n", [(("MES2",), 0)]),
    ],
)
def test_suppression_scopes_per_file_kind(path, kind, text, expected) -> None:
    assert [(s.codes, s.target_line) for s in scan(path, kind, text)] == expected


def test_suppression_covers_by_prefix_line_and_file() -> None:
    line, = scan("m.py", FileKind.PYTHON, "x = 1  # meslint: ignore[MES6]\n")
    assert line.covers("MES602", Location("m.py", 1, 5))
    assert not line.covers("MES801", Location("m.py", 1, 5))
    assert not line.covers("MES602", Location("m.py", 2, 1))
    assert not line.covers("MES602", Location("other.py", 1, 1))
    whole, = scan("m.py", FileKind.PYTHON, "# meslint: ignore-file\n")
    assert whole.covers("MES801", Location("m.py", 40, 1))


def test_inline_suppression_in_a_unit(capsys, broken) -> None:
    unit = broken / UNIT
    unit.write_text(unit.read_text().replace("PIDFile=/run/other", "# meslint: ignore[MES603]\nPIDFile=/run/other"))
    assert cli(capsys, broken)[0] == 0
    code, out, _ = cli(capsys, broken, "--output-format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert [(r["ruleId"], r["suppressions"]) for r in results] == [("MES603", [{"kind": "inSource"}])]


def test_inline_value_comment_in_a_unit_does_not_suppress(capsys, broken) -> None:
    unit = broken / UNIT
    unit.write_text(unit.read_text().replace("PIDFile=/run/other/gunicorn.pid",
                                             "PIDFile=/run/other/gunicorn.pid # meslint: ignore[MES603]"))
    assert cli(capsys, broken)[0] == 1


def test_unused_suppressions_are_mes100_only_for_selected_codes(capsys, broken) -> None:
    (broken / "scripts" / "extra.sh").write_text("#!/usr/bin/env bash\necho hi  # meslint: ignore[MES602]\n")
    code, lines = concise(capsys, broken)
    unused = "scripts/extra.sh:2:10: MES100 warning: unused suppression '# meslint: ignore[MES602]'"
    assert code == 1 and unused in lines
    code, lines = concise(capsys, broken, "--select", "MES8,MES100")
    assert not [line for line in lines if "MES100" in line]
    code, lines = concise(capsys, broken, "--ignore", "MES100")
    assert not [line for line in lines if "MES100" in line]


# ----------------------------------------------------------------------------- waivers


def waiver(**entry: str) -> str:
    return "[[tool.meslint.waivers]]\n" + "".join(f'{k} = "{v}"\n' for k, v in entry.items())


@pytest.mark.parametrize("entry", [{"code": "MES603", "subject": "WATCHDOG_PID_FILE"},
                                   {"code": "MES6", "path": "deploy/*.service"},
                                   {"code": "MES603", "path": "src/**/runtime_contract.py"}])
def test_waiver_accepts_a_cross_file_finding(capsys, broken, entry) -> None:
    (broken / "pyproject.toml").write_text("[tool.meslint]\n" + waiver(**entry, reason="cutover in Q3"))
    assert cli(capsys, broken)[0] == 0
    code, out, _ = cli(capsys, broken, "--output-format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert [r["suppressions"] for r in results] == [[{"kind": "external"}]]


def test_unused_waiver_is_mes100_at_its_line(capsys, broken) -> None:
    (broken / "pyproject.toml").write_text("[tool.meslint]\n\n" + waiver(code="MES603", subject="WATCHDOG_PID_FILE",
                                                                             reason="x") + "\n"
                                           + waiver(code="MES604", subject="GUNICORN_BIND", reason="y"))
    code, lines = concise(capsys, broken)
    assert code == 1
    assert lines == ["pyproject.toml:8:1: MES100 warning: unused waiver (code=MES604 subject=GUNICORN_BIND): "
                     "no finding matches it"]


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ({"code": "MES603", "subject": "X"}, "waivers[0]: reason is required"),
        ({"code": "MES603", "subject": "X", "reason": "  "}, "reason is required"),
        ({"subject": "X", "reason": "r"}, "code is required"),
        ({"code": "MES603", "reason": "r"}, "give subject and/or path"),
        ({"code": "MES603", "subject": "X", "reason": "r", "why": "r"}, "unknown key 'why'"),
    ],
)
def test_bad_waivers_exit_2(capsys, write_tree, entry, needle) -> None:
    root = write_tree({"meslint.toml": waiver(**entry).replace("[[tool.meslint.waivers]]", "[[waivers]]")})
    code, _, err = cli(capsys, root)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- baseline


def test_baseline_round_trip_survives_line_moves(capsys, broken, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    code, _, err = cli(capsys, broken, "--write-baseline", baseline)
    assert code == 0 and "wrote 1 finding" in err
    document = json.loads(baseline.read_text())
    entry, = document["findings"]
    assert {"fingerprint", "code", "subject", "path", "message"} <= set(entry)
    assert entry["code"] == "MES603" and entry["path"] == UNIT
    assert cli(capsys, broken, "--baseline", baseline)[0] == 0
    unit = broken / UNIT
    unit.write_text("# a comment that moves every line down\n\n" + unit.read_text())
    assert cli(capsys, broken, "--baseline", baseline)[0] == 0
    # A new breach is reported alone.
    flag = "WATCHDOG_RESTART_FLAG"
    env = broken / ".env.example"
    text = env.read_text()
    assert f"{flag}=" in text
    env.write_text(text.replace(f"{flag}=", f"{flag}=/elsewhere/restart.flag\n#{flag}=", 1))
    code, lines = concise(capsys, broken, "--baseline", baseline)
    assert code == 1 and lines and not [line for line in lines if "MES603" in line]
    # Baselined findings are kept in SARIF, marked as externally suppressed.
    results = json.loads(cli(capsys, broken, "--baseline", baseline, "--output-format", "sarif")[1])
    kinds = {r["ruleId"]: r.get("suppressions") for r in results["runs"][0]["results"]}
    assert kinds["MES603"] == [{"kind": "external"}]


def test_bad_baseline_files_exit_2(capsys, broken, tmp_path) -> None:
    code, _, err = cli(capsys, broken, "--baseline", tmp_path / "missing.json")
    assert code == 2 and "baseline file not found" in err
    (tmp_path / "bad.json").write_text("{}")
    code, _, err = cli(capsys, broken, "--baseline", tmp_path / "bad.json")
    assert code == 2 and "not a meslint baseline" in err


# ----------------------------------------------------------------------------- changed files, stdin


def test_only_files(capsys, broken) -> None:
    assert cli(capsys, broken, "--only-files", broken / "README.md")[0] == 0
    code, lines = concise(capsys, broken, "--only-files", broken / "README.md", broken / UNIT)
    assert code == 1 and len(lines) == 1 and "MES603" in lines[0]
    # A related site counts too.
    code, lines = concise(capsys, broken, "--only-files", broken / "src/mes_dashboard/core/runtime_contract.py")
    assert code == 1 and lines[0].startswith(UNIT)


def test_positional_files_find_the_repository_root(capsys, broken, monkeypatch) -> None:
    (broken / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(broken / "deploy")
    code, lines = concise(capsys, "mes-dashboard.service")
    assert code == 1 and lines[0].startswith(f"{UNIT}:19:1: MES603")
    monkeypatch.chdir(broken)
    assert concise(capsys, "README.md", "scripts/start_server.sh")[0] == 0
    code, _, err = cli(capsys, ".", "README.md")
    assert code == 2 and "not both" in err


def test_stdin_filename_checks_unsaved_content(capsys, broken, monkeypatch) -> None:
    (broken / "meslint.toml").write_text("")  # marks the repository root
    unit = broken / UNIT
    on_disk = unit.read_text()
    fixed = on_disk.replace("PIDFile=/run/other/gunicorn.pid", "PIDFile=/run/mes-dashboard/gunicorn.pid")
    monkeypatch.setattr(sys, "stdin", io.StringIO(fixed))
    assert cli(capsys, "--stdin-filename", unit, "-")[0] == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(on_disk))
    code, lines = concise(capsys, "--stdin-filename", unit, "-")
    assert code == 1 and lines[0].startswith(f"{UNIT}:19:1: MES603")
    # Findings located in other files are not reported for this buffer.
    monkeypatch.setattr(sys, "stdin", io.StringIO((broken / "README.md").read_text()))
    assert cli(capsys, "--stdin-filename", broken / "README.md", "-")[0] == 0
    assert unit.read_text() == on_disk
    assert cli(capsys, broken, "-")[0] == 2
    assert cli(capsys, broken, "--stdin-filename", unit)[0] == 2  # a root and stdin: ambiguous


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "json-lines", "sarif", "github", "junit"])
def test_every_format_exits_1_on_findings_and_0_when_clean(capsys, broken, fmt, tmp_path) -> None:
    code, out, _ = cli(capsys, broken, "--output-format", fmt)
    assert code == 1 and "MES603" in out
    clean = copy_fixture(tmp_path / "clean", "demo")
    code, out, _ = cli(capsys, clean, "--output-format", fmt)
    assert code == 0 and ('"ruleId"' not in out if fmt == "sarif" else "MES603" not in out)


def test_json_lines(capsys, broken) -> None:
    _, out, _ = cli(capsys, broken, "--output-format", "json-lines")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["code"] for r in rows] == ["MES603"] and rows[0]["fingerprint"] and rows[0]["related"]


def test_sarif_validates_and_has_what_code_scanning_needs(capsys, broken) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    (broken / "scripts" / "extra.sh").write_text("#!/usr/bin/env bash\necho hi  # meslint: ignore[MES602]\n")
    _, out, _ = cli(capsys, broken, "--output-format", "sarif")
    log = json.loads(out)
    schema = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"MES100", "MES603"} <= set(rules)
    rule = rules["MES603"]
    # No placeholder: helpUri only when the package metadata (or MESLINT_DOCS_URL) names a home.
    assert rule["name"] == "pidfile-mismatch" and "helpUri" not in rule
    assert "informationUri" not in run["tool"]["driver"]
    assert rule["shortDescription"]["text"] and "## What it does" in rule["help"]["text"]
    assert rule["defaultConfiguration"]["level"] == "error" and rules["MES100"]["defaultConfiguration"] == \
        {"level": "warning"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")
    by_rule = {r["ruleId"]: r for r in run["results"]}
    result = by_rule["MES603"]
    assert result["level"] == "error" and result["message"]["text"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": UNIT, "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == 19 and physical["region"]["startColumn"] == 1
    related = result["relatedLocations"]
    assert related and all(r["message"]["text"] and not r["physicalLocation"]["artifactLocation"]["uri"]
                           .startswith("/") for r in related)
    base, occurrence = result["partialFingerprints"]["meslint/v2"].split(":")
    assert len(base) == 32 and occurrence == "1"
    # GitHub shows related locations only when the message links them.
    assert all(f"]({r['id']})" in result["message"]["text"] for r in related)
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "MES603"
    assert by_rule["MES100"]["level"] == "warning"


def test_sarif_fingerprint_is_stable_across_line_moves(capsys, broken) -> None:
    def fingerprint() -> str:
        log = json.loads(cli(capsys, broken, "--output-format", "sarif")[1])
        return log["runs"][0]["results"][0]["partialFingerprints"]["meslint/v2"]

    before = fingerprint()
    unit = broken / UNIT
    unit.write_text("\n\n# moved\n" + unit.read_text())
    assert fingerprint() == before


def _finding(message: str, path: str = "deploy/a,b:c.service", severity: str = "error") -> Finding:
    return Finding(code="MES603", name="pidfile-mismatch", message=message, severity=severity,
                   location=Location(path, 3, 2, 3, 9),
                   related=(Related(Location("src/m.py", 7, 1), "value 100%"),), subject="S")


def test_github_escaping() -> None:
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    line = render_github((_finding("50% done:\nnext, then"),))
    assert line == ("::error file=deploy/a%2Cb%3Ac.service,line=3,col=2,endLine=3,endColumn=9,"
                    "title=MES603 pidfile-mismatch::50%25 done:\\x0anext, then%0Asrc/m.py:7:1: value 100%25\n")
    assert render_github((_finding("m", "a.py", "warning"),)).startswith("::warning file=a.py,")
    assert render_github((_finding("m", "a.py", "info"),)).startswith("::notice file=a.py,")


def test_junit_is_valid_xml() -> None:
    tree = ElementTree.fromstring(render_junit((_finding("a <b> & \"c\""), _finding("d", "x.py"))))
    suite, = tree.findall("testsuite")
    cases = suite.findall("testcase")
    assert suite.get("tests") == "2" and suite.get("failures") == "2" and len(cases) == 2
    failure = cases[0].find("failure")
    assert failure.get("type") == "MES603" and failure.get("message") == "a <b> & \"c\""
    assert "src/m.py:7:1: value 100%" in failure.text
    clean = ElementTree.fromstring(render_junit(()))
    assert clean.find("testsuite").get("failures") == "0" and len(clean.iter("testcase").__next__().attrib) >= 2


# ----------------------------------------------------------------------------- pre-commit


def _git(cwd: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false",
                    *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _precommit_repo(tmp_path: Path) -> Path:
    """A compliant git repository, committed, then a staged breakage of one unit and a README edit."""
    root = copy_fixture(tmp_path, "demo")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    unit = root / UNIT
    unit.write_text(unit.read_text().replace("PIDFile=/run/mes-dashboard/", "PIDFile=/run/other/"))
    (root / "scripts" / "start_server.sh").write_text((root / "scripts" / "start_server.sh").read_text() + "\n")
    _git(root, "add", "-A")
    return root


def _pre_commit() -> str:
    found = shutil.which("pre-commit") or shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("pre-commit is not installed")
    return found


def _run_hook(tmp_path: Path, root: Path, hook: dict) -> subprocess.CompletedProcess:
    """``hook`` from the shipped manifest, run through pre-commit with this interpreter (no environment install)."""
    import yaml

    command = hook["entry"].replace("meslint", f"{sys.executable} -m meslint", 1)
    local = dict(hook, language="system", entry=command)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    return subprocess.run([_pre_commit(), "run", "--config", str(tmp_path / "config.yaml")], cwd=root,
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home")})


def _hooks() -> dict[str, dict]:
    import yaml

    return {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}


def test_pre_commit_hook_manifest_shape() -> None:
    hooks = _hooks()
    assert list(hooks) == ["meslint", "meslint-files"]
    default = hooks["meslint"]
    assert default["entry"] == "meslint check --staged"
    assert (default["pass_filenames"], default["always_run"], default["require_serial"]) == (False, True, True)
    files = hooks["meslint-files"]
    # meslint asks git for the changed files itself: pre-commit never splits a list (no duplicate output).
    assert files["entry"] == "meslint check --only-changed" and files["pass_filenames"] is False
    # No `files:` regex: which files can carry the contract is meslint's own classification
    # (a regex missed extension-less shebang scripts, *.env.template, drop-ins, pack-named files).
    assert files["require_serial"] is True and files["always_run"] is True and "files" not in files
    assert all("files" not in hook and "types" not in hook for hook in hooks.values())


def test_pre_commit_default_hook_judges_the_commit(tmp_path) -> None:
    _pre_commit()
    root = _precommit_repo(tmp_path)
    done = _run_hook(tmp_path, root, _hooks()["meslint"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{UNIT}:19:1: MES603" in done.stdout and "Found 1 finding." in done.stdout
    # The same run again: byte-identical.
    again = _run_hook(tmp_path, root, _hooks()["meslint"])
    assert again.stdout == done.stdout
    # Once committed, the finding is no longer new: the next commit passes.
    _git(root, "commit", "-qm", "breach", "--no-verify")
    (root / "README.md").write_text((root / "README.md").read_text() + "\nMore.\n")
    _git(root, "add", "README.md")
    done = _run_hook(tmp_path, root, _hooks()["meslint"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_pre_commit_files_hook_reports_findings_touching_changed_files(tmp_path) -> None:
    _pre_commit()
    root = _precommit_repo(tmp_path)
    done = _run_hook(tmp_path, root, _hooks()["meslint-files"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{UNIT}:19:1: MES603" in done.stdout
    # Only the unit's finding; the README is untouched and reports nothing else.
    assert "Found 1 finding." in done.stdout


@pytest.mark.skipif(not __import__("os").environ.get("MESLINT_TEST_TRY_REPO"),
                    reason="installs meslint into a fresh pre-commit environment (~30 s, network); "
                           "set MESLINT_TEST_TRY_REPO=1")
def test_pre_commit_try_repo(tmp_path) -> None:
    import subprocess

    pre_commit = _pre_commit()
    source = tmp_path / "meslint-src"
    source.mkdir()
    for name in ("meslint", "rules"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, source / name)
    _git(source, "init", "-q")
    _git(source, "add", "-A")
    _git(source, "commit", "-qm", "meslint")
    root = _precommit_repo(tmp_path)
    for hook in ("meslint", "meslint-files"):
        done = subprocess.run([pre_commit, "try-repo", str(source), hook], cwd=root, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{UNIT}:19:1: MES603" in done.stdout and "Found 1 finding." in done.stdout


def test_installed_hook_blocks_a_commit_that_breaks_another_file(tmp_path) -> None:
    """`pre-commit install`, then real commits: a staged edit of the env template that breaks the unit
    fails; once that breach is committed (--no-verify), an unrelated commit passes."""
    import yaml

    pre_commit = _pre_commit()
    root = copy_fixture(tmp_path, "demo")
    hook = _hooks()["meslint"]
    local = dict(hook, language="system", entry=hook["entry"].replace("meslint", f"{sys.executable} -m meslint", 1))
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    env = {**__import__("os").environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home")}
    subprocess.run([pre_commit, "install"], cwd=root, check=True, capture_output=True, timeout=120, env=env)
    template = root / ".env.example"
    template.write_text(template.read_text().replace("WATCHDOG_PID_FILE=/run/mes-dashboard/",
                                                     "WATCHDOG_PID_FILE=/run/other/"))
    _git(root, "add", ".env.example")
    commit = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm"]
    done = subprocess.run([*commit, "breach"], cwd=root, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0 and f"{UNIT}:19:1: MES603" in done.stdout + done.stderr
    _git(root, "commit", "-qm", "breach", "--no-verify")
    (root / "README.md").write_text((root / "README.md").read_text() + "\nMore.\n")
    _git(root, "add", "README.md")
    done = subprocess.run([*commit, "docs"], cwd=root, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
