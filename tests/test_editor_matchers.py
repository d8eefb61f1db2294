"""The shipped VS Code problem matcher and vim errorformat read the concise format, severity included."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from meslint.findings import Finding
from meslint.location import Location
from meslint.reporters.text import render_concise
from tests.conftest import REPO

EDITORS = REPO / "meslint" / "editors"
FINDINGS = (
    Finding(code="MES603", message="WATCHDOG_PID_FILE resolves to /run/a: x",
            location=Location("deploy/a b.service", 8, 1), severity="error"),
    Finding(code="MES802", message="GUNICORN_BIND is not documented", location=Location("README.md", 12, 3),
            severity="warning"),
    Finding(code="MES100", message="unused suppression", location=Location("scripts/x.sh", 2, 10), severity="info"),
)


def test_vscode_problem_matcher_reads_concise_lines() -> None:
    pattern = json.loads((EDITORS / "problem-matcher.json").read_text(encoding="utf-8"))["pattern"]
    regex = re.compile(pattern["regexp"])
    lines = render_concise(FINDINGS).splitlines()
    for line, finding in zip(lines, FINDINGS, strict=True):
        match = regex.match(line)
        assert match, line
        assert match.group(pattern["file"]) == finding.location.path
        assert int(match.group(pattern["line"])) == finding.location.line
        assert int(match.group(pattern["column"])) == finding.location.column
        assert match.group(pattern["code"]) == finding.code
        assert match.group(pattern["severity"]) == finding.severity
        assert match.group(pattern["message"]) == finding.message


def test_readme_task_uses_the_shipped_regexp() -> None:
    shipped = json.loads((EDITORS / "problem-matcher.json").read_text(encoding="utf-8"))["pattern"]["regexp"]
    assert json.dumps(shipped) in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_vim_errorformat_fills_the_quickfix_list(tmp_path) -> None:
    output = tmp_path / "out.txt"
    output.write_text(render_concise(FINDINGS), encoding="utf-8")
    result = tmp_path / "qf.json"
    # As `:compiler meslint` does: CompilerSet is `setlocal` for the current buffer.
    script = ("command -nargs=* CompilerSet setlocal <args>\n"
              f"source {EDITORS / 'meslint.vim'}\n"
              f"cgetfile {output}\n"
              "call writefile([json_encode(map(getqflist(), "
              f"{{_, e -> [bufname(e.bufnr), e.lnum, e.col, e.type, e.text]}}))], '{result}')\n"
              "qall!\n")
    (tmp_path / "run.vim").write_text(script, encoding="utf-8")
    subprocess.run(["vim", "-N", "-u", "NONE", "-i", "NONE", "-es", "-S", str(tmp_path / "run.vim")],
                   cwd=tmp_path, timeout=30, check=False, stdin=subprocess.DEVNULL)
    entries = json.loads(result.read_text(encoding="utf-8"))
    assert [e[:4] for e in entries] == [["deploy/a b.service", 8, 1, "e"], ["README.md", 12, 3, "w"],
                                         ["scripts/x.sh", 2, 10, "i"]]
    assert entries[0][4] == FINDINGS[0].message
