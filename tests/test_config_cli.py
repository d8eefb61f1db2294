"""Issue 17 (5): configuration forms, globs, exclude and .gitignore vs existence, CLI output options."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from meslint.cli import main
from tests.conftest import REPO
from tests.demo_tree import copy_demo, link_docs

UNIT = "deploy/mes-dashboard.service"


@pytest.fixture
def demo(tmp_path) -> Path:
    return copy_demo(tmp_path / "demo")


@pytest.fixture
def linked(tmp_path) -> Path:
    """The demo plus README links to docs/guide.md and docs/notes.md."""
    return link_docs(copy_demo(tmp_path / "linked"), {"guide.md": "# Guide\n", "notes.md": "# Notes\n"})


def check(capsys, *args) -> tuple[int, str, str]:
    code = main(["check", *map(str, args), "--no-cache"])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(result: tuple[int, str, str]) -> str:
    code, _, err = result
    assert code == 2 and len(err.splitlines()) == 1, err
    return err


# ----------------------------------------------------------------------------- configuration forms


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("```toml\n[tool.meslint]")
    return text[start + len("```toml\n"):text.index("```", start + 3)]


def test_readme_example_works_in_pyproject_and_errors_clearly_in_meslint_toml(capsys, demo) -> None:
    example = readme_example()
    (demo / "pyproject.toml").write_text(example)
    code, out, err = check(capsys, demo, "--show-settings")
    assert code == 0 and 'source = "pyproject.toml"' in out, err
    (demo / "pyproject.toml").unlink()
    (demo / "meslint.toml").write_text(example)
    err = one_line_error(check(capsys, demo))
    assert "meslint.toml" in err and "top level" in err and "[[waivers]]" in err
    # The README's meslint.toml form of the same example works.
    text = (REPO / "README.md").read_text()
    start = text.index("```toml\n# meslint.toml")
    (demo / "meslint.toml").write_text(text[start + len("```toml\n"):text.index("```", start + 3)])
    code, out, err = check(capsys, demo, "--show-settings")
    assert code == 0 and 'source = "meslint.toml"' in out and '"MES603"' in out, err


def test_config_pointing_at_a_pyproject_without_the_table(capsys, demo, tmp_path) -> None:
    other = tmp_path / "elsewhere" / "pyproject.toml"
    other.parent.mkdir()
    other.write_text('[project]\nname = "x"\n')
    err = one_line_error(check(capsys, demo, "--config", other))
    assert "no [tool.meslint] table" in err


@pytest.mark.parametrize("pattern", ["", "docs/[abc", "/abs/path", "../up", "docs/a**b"])
@pytest.mark.parametrize("where", ["exclude", "per-file-ignores", "waiver", "extend-exclude"])
def test_invalid_globs_exit_2(capsys, demo, pattern, where) -> None:
    args: list[str] = []
    if where == "exclude":
        (demo / "meslint.toml").write_text(f"exclude = [{json.dumps(pattern)}]\n")
    elif where == "per-file-ignores":
        (demo / "meslint.toml").write_text(f'per-file-ignores = {{ {json.dumps(pattern)} = ["MES801"] }}\n')
    elif where == "waiver":
        (demo / "meslint.toml").write_text(f'[[waivers]]\ncode = "MES6"\npath = {json.dumps(pattern)}\nreason = "r"\n')
    else:
        if not pattern:
            pytest.skip("an empty --extend-exclude part is dropped, as ruff drops empty list items")
        args = ["--extend-exclude", pattern]
    err = one_line_error(check(capsys, demo, *args))
    assert "invalid glob" in err


def test_valid_globs_are_accepted(capsys, demo) -> None:
    (demo / "meslint.toml").write_text('exclude = ["docs/", "**/*.bak", "a[!x]b", "[]]"]\n'
                                       'per-file-ignores = { "docs/**" = ["MES801"] }\n')
    assert check(capsys, demo)[0] == 0


# ----------------------------------------------------------------------------- what exists


def test_an_excluded_file_still_exists(capsys, linked) -> None:
    (linked / "meslint.toml").write_text('exclude = ["docs/"]\n')
    assert check(capsys, linked)[0] == 0
    code, out, _ = check(capsys, linked, "--extend-exclude", "docs/notes.md")
    assert code == 0, out


def test_gitignore_does_not_change_what_exists(capsys, linked) -> None:
    plain = check(capsys, linked, "--output-format", "concise")
    (linked / ".gitignore").write_text("docs/notes.md\n")
    subprocess.run(["git", "init", "-q"], cwd=linked, check=True, capture_output=True, timeout=60)
    assert check(capsys, linked, "--output-format", "concise") == plain
    assert plain[0] == 0


# ----------------------------------------------------------------------------- options


def broken(demo: Path) -> Path:
    unit = demo / UNIT
    unit.write_text(unit.read_text().replace("PIDFile=/run/mes-dashboard/", "PIDFile=/run/other/"))
    return demo


def test_config_key_value_overrides(capsys, demo) -> None:
    broken(demo)
    (demo / "meslint.toml").write_text('fail-on = "info"\n')
    assert check(capsys, demo)[0] == 1
    assert check(capsys, demo, "--config", 'ignore = ["MES603"]')[0] == 0
    code, out, _ = check(capsys, demo, "--config", 'ignore=["MES603"]', "--config", 'fail-on="error"',
                         "--show-settings")
    assert code == 0 and 'ignore = ["MES603"]' in out and 'fail-on = "error"' in out
    err = one_line_error(check(capsys, demo, "--config", "colour = 1"))
    assert "unknown key 'colour'" in err
    err = one_line_error(check(capsys, demo, "--config", "select = [MES6"))
    assert "neither a file nor a TOML" in err


def test_output_file_quiet_and_statistics(capsys, demo, tmp_path) -> None:
    broken(demo)
    target = tmp_path / "report.sarif"
    code, out, err = check(capsys, demo, "--output-format", "sarif", "--output-file", target)
    assert code == 1 and out == "" and json.loads(target.read_text())["runs"][0]["results"]
    code, out, _ = check(capsys, demo, "--quiet")
    assert code == 1 and "Found" not in out and f"{UNIT}:19:1" in out
    broken_clean = check(capsys, demo, "--quiet", "--ignore", "MES603")
    assert broken_clean == (0, "", "")
    code, out, _ = check(capsys, demo, "--statistics", "--output-format", "json-lines")
    assert code == 1 and [json.loads(line)["code"] for line in out.splitlines()] == ["MES603"]
    for fmt in ("sarif", "github", "junit"):
        err = one_line_error(check(capsys, demo, "--statistics", "--output-format", fmt))
        assert "--statistics" in err and fmt in err
    err = one_line_error(check(capsys, demo, "--output-file", tmp_path / "missing" / "dir" / "x.txt"))
    assert "cannot write the report" in err


def test_force_color(capsys, demo, monkeypatch) -> None:
    broken(demo)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in check(capsys, demo)[1]
    assert "\x1b[" not in check(capsys, demo, "--color", "never")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in check(capsys, demo)[1]
    assert "\x1b[" in check(capsys, demo, "--color", "always")[1]
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "")
    assert "\x1b[" not in check(capsys, demo)[1]
