"""Issue 17 (1): a baseline matches findings by code, subject, file and line text, with counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meslint.cli import main

UNIT = """[Unit]
Description=Mini app unit

[Service]
WorkingDirectory=/opt/mes-dashboard
EnvironmentFile=-/opt/mes-dashboard/.env
ExecStart=/usr/bin/env gunicorn --config gunicorn.conf.py "app:create()"
"""
SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
set -a
source "${ROOT}/.env"
set +a
exec gunicorn --config "${ROOT}/gunicorn.conf.py" "app:create()"
"""
# Two inline comments systemd would keep in the value: two MES607 findings.
ENV = "GUNICORN_BIND=127.0.0.1:9000\nGUNICORN_WORKERS=2   # two on test hosts\nLOG_LEVEL=debug  # noisy\n"


@pytest.fixture
def mini(write_tree) -> Path:
    return write_tree({"deploy/mes-dashboard.service": UNIT, "scripts/start_server.sh": SCRIPT, ".env.example": ENV})


def run(capsys, *args) -> tuple[int, list[str], str]:
    code = main(["check", *map(str, args), "--no-cache", "--output-format", "concise", "--select", "MES607"])
    out = capsys.readouterr()
    return code, [line for line in out.out.splitlines() if line.strip()], out.err


def test_write_baseline_counts_every_finding(capsys, mini, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    code, lines, _ = run(capsys, mini)
    assert code == 1 and len(lines) == 2 and all(" MES607 " in line for line in lines)
    env = mini / ".env.example"
    # The same line twice: two findings with one identity, which used to be written as one entry.
    env.write_text(ENV + "GUNICORN_WORKERS=2   # two on test hosts\n")
    findings = len(run(capsys, mini)[1])
    assert findings == 3
    code, _, err = run(capsys, mini, "--write-baseline", baseline)
    assert code == 0 and f"wrote {findings} finding(s)" in err
    document = json.loads(baseline.read_text())
    assert document["version"] == 2
    assert sum(entry["count"] for entry in document["findings"]) == findings
    assert sorted(entry["count"] for entry in document["findings"]) == [1, 2]
    assert run(capsys, mini, "--baseline", baseline)[:2] == (0, [])


def test_a_repeat_breach_of_a_baselined_key_is_reported(capsys, mini, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run(capsys, mini, "--write-baseline", baseline)[0] == 0
    env = mini / ".env.example"
    env.write_text(env.read_text() + "GUNICORN_WORKERS=3  # x\n")
    full = run(capsys, mini)[1]
    assert len(full) == 3
    code, lines, _ = run(capsys, mini, "--baseline", baseline)
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(".env.example:4:") and " MES607 " in lines[0]


def test_an_identical_new_line_is_a_new_occurrence(capsys, mini, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run(capsys, mini, "--write-baseline", baseline)[0] == 0
    env = mini / ".env.example"
    env.write_text(env.read_text() + "GUNICORN_WORKERS=2   # two on test hosts\n")
    code, lines, _ = run(capsys, mini, "--baseline", baseline)
    assert code == 1 and len(lines) == 1 and lines[0].startswith(".env.example:4:")


def test_moved_and_reindented_lines_stay_baselined(capsys, mini, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run(capsys, mini, "--write-baseline", baseline)[0] == 0
    (mini / ".env.example").write_text("# header\n\n" + ENV.replace("   #", " #"))
    assert run(capsys, mini, "--baseline", baseline)[:2] == (0, [])


def test_an_edited_baselined_line_is_reported(capsys, mini, tmp_path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run(capsys, mini, "--write-baseline", baseline)[0] == 0
    env = mini / ".env.example"
    env.write_text(env.read_text().replace("LOG_LEVEL=debug  # noisy", "LOG_LEVEL=info  # quieter"))
    code, lines, _ = run(capsys, mini, "--baseline", baseline)
    assert code == 1 and len(lines) == 1 and lines[0].startswith(".env.example:3:")


def test_a_version_1_baseline_is_refused(capsys, mini, tmp_path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 1, "tool": "meslint", "findings": [{"fingerprint": "ab"}]}))
    code, _, err = run(capsys, mini, "--baseline", old)
    assert code == 2 and "rewrite it with --write-baseline" in err and len(err.splitlines()) == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 2, "findings": [{"fingerprint": "ab", "count": 0}]}))
    code, _, err = run(capsys, mini, "--baseline", bad)
    assert code == 2 and "not a meslint baseline" in err
