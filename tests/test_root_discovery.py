"""Issue 17 (4): the project root is found as ruff finds its configuration, the same way for
``check``, ``check FILE...``, stdin and the hooks."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from meslint.cli import main
from meslint.config import project_root
from tests.demo_tree import copy_demo

UNIT = "deploy/mes-dashboard.service"


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, capture_output=True, timeout=60)


def monorepo(tmp_path: Path, app_config: str) -> tuple[Path, Path]:
    """A git repository whose app/ is the demo with its own meslint.toml: (top, app)."""
    top = tmp_path / "mono"
    top.mkdir()
    git_init(top)
    app = copy_demo(top / "app")
    (app / "meslint.toml").write_text(app_config)
    return top, app


def concise(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(["check", *args, "--no-cache", "--output-format", "concise"])
    out = capsys.readouterr()
    return code, [line for line in out.out.splitlines() if line.strip()], out.err


def test_plain_tree_run_from_a_subdirectory(capsys, tmp_path, monkeypatch) -> None:
    """No .git: the plain pyproject.toml at the top marks the project, not the directory run from."""
    root = copy_demo(tmp_path / "plain")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(root / "deploy")
    assert concise(capsys) == (0, [], "")
    assert concise(capsys, "mes-dashboard.service")[:2] == (0, [])
    assert project_root(root / "deploy") == (root, "pyproject")


def test_monorepo_project_config_wins_over_the_vcs_root(capsys, tmp_path, monkeypatch) -> None:
    top, app = monorepo(tmp_path, 'ignore = ["MES102"]\n')
    (top / "README.md").write_text("# Mono\n")
    monkeypatch.chdir(app)
    assert concise(capsys) == (0, [], "")
    monkeypatch.chdir(top)
    assert concise(capsys, f"app/{UNIT}")[:2] == (0, [])
    monkeypatch.setattr(sys, "stdin", io.StringIO((app / UNIT).read_text()))
    assert concise(capsys, "--stdin-filename", f"app/{UNIT}", "-")[:2] == (0, [])
    # --show-settings names the file in use.
    monkeypatch.chdir(app / "deploy")
    main(["check", "--show-settings"])
    assert 'source = "meslint.toml"' in capsys.readouterr().out
    # Files of two configured projects are refused (each has its own settings), in one line.
    code, _, err = concise(capsys, str(app / UNIT), str(top / "README.md"))
    assert code == 2 and "different projects" in err and len(err.splitlines()) == 1


def test_a_nested_plain_pyproject_first_in_the_file_list(capsys, tmp_path, monkeypatch) -> None:
    for with_git in (True, False):
        root = copy_demo(tmp_path / f"nested-{with_git}")
        (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
        (root / "tools").mkdir()
        (root / "tools" / "pyproject.toml").write_text('[project]\nname = "tools"\n')
        if with_git:
            git_init(root)
        monkeypatch.chdir(root)
        code, lines, err = concise(capsys, "tools/pyproject.toml", UNIT)
        assert (code, lines, err) == (0, [], ""), with_git


def test_pyproject_with_the_table_is_a_project_root(tmp_path) -> None:
    top = tmp_path / "top"
    (top / "sub" / "deeper").mkdir(parents=True)
    (top / ".git").mkdir()
    (top / "sub" / "pyproject.toml").write_text("[tool.meslint]\nselect = ['MES6']\n")
    assert project_root(top / "sub" / "deeper") == (top / "sub", "config")
    (top / "sub" / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert project_root(top / "sub" / "deeper") == (top, "vcs")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_staged_hook_from_a_subdirectory_uses_the_project_root(capsys, tmp_path, monkeypatch) -> None:
    top, app = monorepo(tmp_path, "")
    subprocess.run(["git", "add", "-A"], cwd=top, check=True, capture_output=True, timeout=60)
    monkeypatch.chdir(app / "deploy")
    assert concise(capsys, "--staged") == (0, [], "")
