"""``check --fix``: each fixture's fixed tree, the fix loop, and the command line around it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from meslint.cli import main
from meslint.config import load_settings
from meslint.engine import load_contract, run
from tests.conftest import FIXTURES

FIXED_KINDS = {"fixed": ["--fix"], "fixed-unsafe": ["--fix", "--unsafe-fixes"]}


def _fixed_cases() -> list[Path]:
    cases = []
    for code_dir in sorted(FIXTURES.glob("MES[0-9][0-9][0-9]")):
        for kind in FIXED_KINDS:
            if (code_dir / kind).is_dir():
                cases.extend(sorted(p for p in (code_dir / kind).iterdir() if p.is_dir()))
    return cases


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".meslint_cache" not in p.parts}


def _findings(root: Path):
    settings = load_settings(root)
    contract = root / "meslint-pack.yaml"
    pack = load_contract(settings, root, str(contract) if contract.is_file() else None)
    return run(root, settings, pack).findings


def _contract(root: Path) -> list[str]:
    """The fixture's own pack, as the fixture runner passes it."""
    pack = root / "meslint-pack.yaml"
    return ["--contract", str(pack)] if pack.is_file() else []


def _values(root: Path, capsys) -> dict[tuple[str, str, str], str]:
    capsys.readouterr()
    main(["show-contract", str(root), "--output-format", "json", "--no-cache", *_contract(root)])
    rows = json.loads(capsys.readouterr().out)["values"]
    return {(r["setting"], r["runtime"], r["consumer"]): r["value"] for r in rows}


def _strips_comment(before: str, after: str) -> bool:
    """systemd's value lost only an inline comment (the one change a safe MES607 fix makes)."""
    return before.startswith(after) and before[len(after):].lstrip().startswith("#")


@pytest.mark.parametrize("expected", _fixed_cases(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_fixed_tree(expected: Path, tmp_path: Path, capsys) -> None:
    code, kind, case = expected.parent.parent.name, expected.parent.name, expected.name
    bad = FIXTURES / code / case
    work = tmp_path / case
    shutil.copytree(bad, work)
    before = [f for f in _findings(work) if f.code == code]
    values_before = _values(work, capsys)
    assert main(["check", str(work), "--no-cache", "--fix-only", *FIXED_KINDS[kind], *_contract(work)]) == 0
    assert _tree(work) == _tree(expected)
    # The fix removes the findings it fixes: what is left of the code has no fix this mode applies.
    after = [f for f in _findings(work) if f.code == code]
    assert len(after) < len(before)
    unsafe = kind == "fixed-unsafe"
    assert not [f for f in after if f.fix and f.fix.applicability in (("safe", "unsafe") if unsafe else ("safe",))]
    # A second run changes nothing.
    capsys.readouterr()
    assert main(["check", str(work), "--no-cache", "--diff", *FIXED_KINDS[kind][1:], *_contract(work)]) == 0
    assert capsys.readouterr().out == ""
    if not unsafe:  # a safe fix keeps every consumer's value (systemd's only loses an inline comment)
        values_after = _values(work, capsys)
        assert values_after.keys() == values_before.keys()
        changed = {k: (values_before[k], values_after[k]) for k in values_before if values_before[k] != values_after[k]}
        assert all(_strips_comment(old, new) and k[1].startswith("systemd") for k, (old, new) in changed.items())


def test_every_fixable_rule_has_a_fixed_tree() -> None:
    from meslint.checks import all_rules

    have = {p.parent.parent.name for p in _fixed_cases()}
    fixable = {r.code for r in all_rules() if r.fix in ("safe", "unsafe")}
    assert fixable <= have, f"no fixtures/<CODE>/fixed*/ tree for {sorted(fixable - have)}"


# --------------------------------------------------------------------------- command line


def _copy(case: str, tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    shutil.copytree(FIXTURES / case, work)
    return work


def test_diff_changes_nothing_and_exits_1(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    before = _tree(work)
    assert main(["check", str(work), "--no-cache", "--diff"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("--- a/.env.example\n+++ b/.env.example\n")
    assert "-GUNICORN_WORKERS=2   # PRD: 4\n+# PRD: 4\n+GUNICORN_WORKERS=2\n" in out
    assert _tree(work) == before


def test_fix_reports_what_is_left_and_exits_by_it(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    code = main(["check", str(work), "--no-cache", "--fix", "--select", "MES607", "--output-format", "concise",
                 "--show-fixes"])
    out, err = capsys.readouterr()
    assert code == 1  # REDIS_SAVE's fix is unsafe: that finding is left
    assert out.splitlines() == [line for line in out.splitlines() if "REDIS_SAVE" in line] and out
    assert "fixed 1 finding" in err and "1 × MES607 (env-file-divergence)" in err
    assert main(["check", str(work), "--no-cache", "--fix", "--unsafe-fixes", "--select", "MES607"]) == 0


def test_fix_only_reports_nothing_and_exits_0(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    assert main(["check", str(work), "--no-cache", "--fix-only"]) == 0
    assert capsys.readouterr().out == ""
    assert "# PRD: 4\nGUNICORN_WORKERS=2\n" in (work / ".env.example").read_text()


def test_fix_setting_and_unfixable(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    (work / "meslint.toml").write_text('fix = true\nunfixable = ["MES607"]\n')
    before = _tree(work)
    assert main(["check", str(work), "--no-cache"]) == 1
    assert _tree(work) == before  # fix = true, but MES607 is unfixable
    (work / "meslint.toml").write_text("fix = true\n")
    main(["check", str(work), "--no-cache"])
    assert "# PRD: 4\n" in (work / ".env.example").read_text()
    # --no-fix overrides the setting.
    (work / "meslint.toml").write_text("fix = true\nunsafe-fixes = true\n")
    before = _tree(work)
    main(["check", str(work), "--no-cache", "--no-fix"])
    assert _tree(work) == before


def test_extend_unsafe_and_safe_fixes(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    before = _tree(work)
    assert main(["check", str(work), "--no-cache", "--diff", "--config", 'extend-unsafe-fixes = ["MES6"]']) == 0
    assert _tree(work) == before
    capsys.readouterr()
    # The more specific prefix wins: MES607 is safe again, and its unsafe quoting with it.
    assert main(["check", str(work), "--no-cache", "--diff", "--config", 'extend-unsafe-fixes = ["MES6"]',
                 "--config", 'extend-safe-fixes = ["MES607"]']) == 1
    assert 'REDIS_SAVE="900 1 300 10"' in capsys.readouterr().out


@pytest.mark.parametrize("setting, message", [
    ("fix = 1", "fix must be a bool"),
    ('unfixable = "MES607"', "unfixable must be a list"),
    ('extend-safe-fixes = ["MES9999"]', "extend-safe-fixes: unknown rule selector"),
    ("unsafe-fixes = [true]", "unsafe-fixes must be a bool"),
])
def test_bad_fix_settings_exit_2_with_one_line(tmp_path: Path, capsys, setting: str, message: str) -> None:
    work = _copy("MES607/bad", tmp_path)
    (work / "meslint.toml").write_text(setting + "\n")
    assert main(["check", str(work), "--no-cache", "--fix"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_fix_refuses_staged_and_stdin(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    assert main(["check", str(work), "--fix", "--staged"]) == 2
    assert "cannot be combined" in capsys.readouterr().err


def test_json_and_sarif_carry_the_fix(capsys) -> None:
    main(["check", str(FIXTURES / "MES607/bad"), "--no-cache", "--select", "MES607", "--output-format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    fixes = {f["subject"]: f["fix"] for f in findings}
    assert fixes["GUNICORN_WORKERS"] == {
        "applicability": "safe",
        "message": "move the comment after GUNICORN_WORKERS's value onto its own line above it",
        "edits": [{"path": ".env.example", "line": 4, "column": 1, "end_line": 4, "end_column": 30,
                   "content": "# PRD: 4\nGUNICORN_WORKERS=2"}]}
    assert fixes["REDIS_SAVE"]["applicability"] == "unsafe"
    main(["check", str(FIXTURES / "MES607/bad"), "--no-cache", "--select", "MES607", "--output-format", "sarif"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    fix = results[0]["fixes"][0]
    assert fix["artifactChanges"] == [{
        "artifactLocation": {"uri": ".env.example", "uriBaseId": "%SRCROOT%"},
        "replacements": [{"deletedRegion": {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 30},
                          "insertedContent": {"text": "# PRD: 4\nGUNICORN_WORKERS=2"}}]}]
    assert fix["properties"] == {"applicability": "safe"}


def test_json_with_fixes_validates_against_the_schema(capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from tests.conftest import REPO

    schema = json.loads((REPO / "meslint" / "reporters" / "report.schema.json").read_text(encoding="utf-8"))
    main(["check", str(FIXTURES / "MES607/bad"), "--no-cache", "--output-format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert any(f["fix"] for f in document["findings"]) and any(f["fix"] is None for f in document["findings"])
    jsonschema.validate(document, schema)


def test_rule_states_how_it_fixes(capsys) -> None:
    assert main(["rule", "MES607"]) == 0
    out = capsys.readouterr().out
    assert "Autofix: safe." in out and "meslint check --fix" in out


def test_run_cache_replays_the_fix(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("MESLINT_NO_CACHE")
    work = _copy("MES607/bad", tmp_path)
    outputs = []
    for _ in range(2):
        main(["check", str(work), "--select", "MES607", "--output-format", "json"])
        outputs.append(json.loads(capsys.readouterr().out)["findings"])
    assert outputs[0] == outputs[1] and outputs[0][0]["fix"] is not None


def test_file_changed_before_writing_is_not_overwritten(tmp_path: Path, capsys, monkeypatch) -> None:
    from meslint import fixer

    work = _copy("MES607/bad", tmp_path)
    real_write = fixer.write

    def meddle(root, files, limit):
        (work / ".env.example").write_text("GUNICORN_WORKERS=3\n")  # someone edits it meanwhile
        return real_write(root, files, limit)

    monkeypatch.setattr(fixer, "write", meddle)
    assert main(["check", str(work), "--no-cache", "--fix-only"]) == 2
    assert (work / ".env.example").read_text() == "GUNICORN_WORKERS=3\n"
    assert "changed while meslint fixed it" in capsys.readouterr().err


def test_fix_keeps_bom_crlf_and_missing_final_newline(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/bad", tmp_path)
    env = work / ".env.example"
    text = env.read_text().rstrip("\n").replace("\n", "\r\n")
    env.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert main(["check", str(work), "--no-cache", "--fix-only"]) == 0
    data = env.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data.endswith(b"\n")
    assert b"\r\n# PRD: 4\r\nGUNICORN_WORKERS=2\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    mode = os.stat(env).st_mode
    assert main(["check", str(work), "--no-cache", "--fix-only"]) == 0
    assert env.read_bytes() == data and os.stat(env).st_mode == mode


# --------------------------------------------------------------------------- the engine


def _state(tmp_path: Path, text: str, name: str = "a.env"):
    from meslint import fixer

    (tmp_path / name).write_bytes(text.encode())
    files: dict = {}
    fixer.load(tmp_path, name, files, 1 << 20)
    return files


def _finding(*edits, code="MES607"):
    from meslint.edits import Fix
    from meslint.findings import Finding
    from meslint.location import Location

    return Finding(code, "m", Location(edits[0].path, edits[0].line), fix=Fix("safe", "f", tuple(edits)))


def test_overlapping_fixes_wait_for_the_next_pass(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    files = _state(tmp_path, "ab\ncd\n")
    first = _finding(Edit("a.env", 1, 1, 1, 3, "AB"))
    second = _finding(Edit("a.env", 1, 2, 2, 2, "X"))
    third = _finding(Edit("a.env", 2, 1, 2, 3, "CD"))
    applied = fixer.apply_fixes(tmp_path, files, [third, second, first], 1 << 20)
    assert applied == [first, third] and files["a.env"].text == "AB\nCD\n"
    # An insertion at the start of an edited range waits too: the order of the two is unknown.
    files = _state(tmp_path, "ab\n")
    applied = fixer.apply_fixes(tmp_path, files, [_finding(Edit("a.env", 1, 1, 1, 1, "x")),
                                                  _finding(Edit("a.env", 1, 1, 1, 3, "y"))], 1 << 20)
    assert len(applied) == 1


def test_delete_last_line_keeps_missing_newline(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import delete_line

    files = _state(tmp_path, "a\nb")
    fixer.apply_fixes(tmp_path, files, [_finding(delete_line("a.env", 2))], 1 << 20)
    assert files["a.env"].text == "a"
    files = _state(tmp_path, "a\nb\n")
    fixer.apply_fixes(tmp_path, files, [_finding(delete_line("a.env", 1))], 1 << 20)
    assert files["a.env"].text == "b\n"


@pytest.mark.parametrize("path", ["../outside.env", "/etc/passwd", ".git/config", "link/x.env", "a/../b.env"])
def test_paths_outside_the_repository_are_refused(tmp_path: Path, path: str) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    root = tmp_path / "repo"
    root.mkdir()
    outside = tmp_path / "out"
    outside.mkdir()
    (outside / "x.env").write_text("A=1\n")
    (root / "link").symlink_to(outside)
    refusals: list[str] = []
    files: dict = {}
    applied = fixer.apply_fixes(root, files, [_finding(Edit(path, 1, 1, 1, 1, "B=2\n"))], 1 << 20, refusals)
    assert applied == [] and len(refusals) == 1
    assert (outside / "x.env").read_text() == "A=1\n"


def test_a_link_in_the_repository_is_never_written_through(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "secret.env").write_text("A=1\n")
    (root / "a.env").symlink_to(tmp_path / "secret.env")
    refusals: list[str] = []
    assert fixer.apply_fixes(root, {}, [_finding(Edit("a.env", 1, 1, 1, 1, "B=2\n"))], 1 << 20, refusals) == []
    assert (tmp_path / "secret.env").read_text() == "A=1\n" and refusals


def test_a_new_file_is_created_and_never_replaces_one(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    files: dict = {}
    fixer.apply_fixes(tmp_path, files, [_finding(Edit("new.service", 1, 1, 1, 1, "[Unit]\n"))], 1 << 20)
    assert "--- /dev/null\n+++ b/new.service\n" in fixer.diff(files)
    (tmp_path / "new.service").write_text("theirs\n")
    assert fixer.write(tmp_path, files, 1 << 20) and (tmp_path / "new.service").read_text() == "theirs\n"
    os.unlink(tmp_path / "new.service")
    assert fixer.write(tmp_path, files, 1 << 20) == []
    assert (tmp_path / "new.service").read_text() == "[Unit]\n"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_stale_positions_are_refused(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    files = _state(tmp_path, "ab\n")
    refusals: list[str] = []
    assert fixer.apply_fixes(tmp_path, files, [_finding(Edit("a.env", 1, 5, 1, 6, "x"))], 1 << 20, refusals) == []
    assert fixer.apply_fixes(tmp_path, files, [_finding(Edit("a.env", 3, 1, 3, 1, "x"))], 1 << 20, refusals) == []
    assert len(refusals) == 2 and files["a.env"].text == "ab\n"


def test_diff_shows_control_characters_escaped(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    files = _state(tmp_path, "a\x1b[2J\n")
    fixer.apply_fixes(tmp_path, files, [_finding(Edit("a.env", 1, 1, 1, 1, "# x\n"))], 1 << 20)
    shown = fixer.diff(files)
    assert "\x1b" not in shown and "\\x1b[2J" in shown


def test_sha_guard_uses_the_bytes_first_read(tmp_path: Path) -> None:

    files = _state(tmp_path, "A=1\n")
    assert files["a.env"].original is not None
    assert hashlib.sha256(files["a.env"].original).hexdigest() == hashlib.sha256(b"A=1\n").hexdigest()


def test_moved_path_is_suggested_and_never_applied(tmp_path: Path, capsys) -> None:
    work = _copy("MES805/bad", tmp_path)
    main(["check", str(work), "--no-cache", "--select", "MES805", "--output-format", "json"])
    fixes = {f["subject"]: f["fix"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert fixes["scripts/start_dashboard.sh"]["applicability"] == "display-only"
    assert fixes["scripts/start_dashboard.sh"]["message"] == "did you mean scripts/start_server.sh?"
    before = _tree(work)
    assert main(["check", str(work), "--no-cache", "--select", "MES805", "--fix", "--unsafe-fixes"]) == 1
    assert _tree(work) == before


def test_closest_path_needs_more_than_a_common_name() -> None:
    from meslint.autofix.moved_path import closest

    paths = {"specs/archive/2026/hold-rq/archive.md", "specs/templates/spec.md", "src/app/services/engine.py"}
    assert closest(paths, "specs/changes/hold-rq/archive.md") == "specs/archive/2026/hold-rq/archive.md"
    assert closest(paths, "openspec/changes/harden-infra/specs/multi-worker/spec.md") is None
    assert closest(paths, "core/engine.py") == "src/app/services/engine.py"  # moved under src/
    assert closest(paths, "nothing/alike.txt") is None


def test_alone_suppression_line_is_deleted(tmp_path: Path, capsys) -> None:
    work = _copy("MES607/good", tmp_path)
    env = work / ".env.example"
    lines = env.read_text().splitlines(keepends=True)
    env.write_text("".join([lines[0], "# meslint: ignore[MES607]\n", *lines[1:]]))
    assert main(["check", str(work), "--no-cache", "--fix-only"]) == 0
    assert env.read_text() == "".join(lines)


def test_shell_default_is_aligned_in_place(tmp_path: Path) -> None:
    """A start-script default ``${X:-...}`` decided outlier takes the reference value, in place."""
    from meslint.agreement import Disagreement
    from meslint.autofix.align import align
    from meslint.build import build_repository
    from meslint.location import Location
    from meslint.pack import load_pack
    from meslint.resolve import SiteValue, Step

    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "start_server.sh").write_text(
        '#!/usr/bin/env bash\nPORT=$(echo "${GUNICORN_BIND:-0.0.0.0:9000}" | cut -d: -f2)  # keep\n')
    pack = load_pack("mes-dashboard", base_dir=root, confined=False)
    repo = build_repository(root, pack, max_file_size=1 << 20)

    def site(value: str, path: str, line: int) -> SiteValue:
        where = Location(path, line, 1)
        return SiteValue("GUNICORN_BIND", "rt", path, "script", value, value, where, (Step("default", where),))

    outlier = site("0.0.0.0:9000", "scripts/start_server.sh", 2)
    others = (site("0.0.0.0:8080", "a.py", 1), site("0.0.0.0:8080", "b.py", 1))
    fix = align(repo, Disagreement("GUNICORN_BIND", "rt", "0.0.0.0:8080", outlier, (outlier, *others), ()))
    assert fix is not None and fix.applicability == "unsafe"
    (edit,) = fix.edits
    assert (edit.path, edit.line, edit.column, edit.end_column, edit.content) == (
        "scripts/start_server.sh", 2, 31, 43, "0.0.0.0:8080")  # the default word only
    # One source for the majority (two consumers of one line) is no majority: no fix.
    same = (site("0.0.0.0:8080", "a.py", 1), site("0.0.0.0:8080", "a.py", 1))
    assert align(repo, Disagreement("GUNICORN_BIND", "rt", "0.0.0.0:8080", outlier, (outlier, *same), ())) is None


def test_two_fixes_creating_one_file_create_it_once(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    files: dict = {}
    first = _finding(Edit("new.service", 1, 1, 1, 1, "[Unit]\n"))
    second = _finding(Edit("new.service", 1, 1, 1, 1, "[Unit]\n"))
    assert fixer.apply_fixes(tmp_path, files, [first, second], 1 << 20) == [first]
    refusals: list[str] = []
    assert fixer.apply_fixes(tmp_path, files, [second], 1 << 20, refusals) == [] and refusals
    assert files["new.service"].text == "[Unit]\n"


def test_a_new_file_under_a_linked_directory_is_refused(tmp_path: Path) -> None:
    from meslint import fixer
    from meslint.edits import Edit

    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "deploy").symlink_to(tmp_path / "elsewhere")
    refusals: list[str] = []
    assert fixer.apply_fixes(root, {}, [_finding(Edit("deploy/x.service", 1, 1, 1, 1, "x\n"))], 1 << 20,
                             refusals) == []
    assert refusals and not list((tmp_path / "elsewhere").iterdir())


def test_text_output_says_what_is_fixable(capsys) -> None:
    main(["check", str(FIXTURES / "MES607/bad"), "--no-cache", "--select", "MES607"])
    out = capsys.readouterr().out
    assert "    help: move the comment after GUNICORN_WORKERS's value onto its own line above it (--fix)\n" in out
    assert out.endswith("Found 2 findings.\n[*] 1 fixable with `meslint check --fix`; 1 more with "
                        "`--fix --unsafe-fixes`.\n")
    main(["check", str(FIXTURES / "MES607/bad"), "--no-cache", "--select", "MES607", "-q"])
    assert "[*]" not in capsys.readouterr().out


def test_a_fix_builder_slip_costs_only_the_fix() -> None:
    from meslint.autofix import offered
    from meslint.autofix.env_comment import fix_for
    from meslint.facts import EnvAssignment
    from meslint.location import Location

    @offered
    def broken() -> None:
        raise IndexError("a slip")

    assert broken() is None
    # A line whose recorded position does not fit its text (stale facts): no fix, no exception.
    odd = EnvAssignment("A", "A=1 x", Location("e", 1, 40), "1 x", None, "1 x")
    assert fix_for(odd) is None
