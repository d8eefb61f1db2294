"""Gate 6 findings do not depend on formatting: reordered keys, comments, equivalent quoting."""

from __future__ import annotations

import shutil
from pathlib import Path

from meslint.config import Settings
from meslint.engine import load_contract, run
from tests.conftest import FIXTURES

UNIT = "deploy/mes-dashboard.service"

# fixtures/MES603/bad's unit rewritten: keys reordered, comments and blank lines added,
# the ExecStart line continued with a backslash, and the EnvironmentFile= path quoted
# differently where systemd treats both forms the same (it takes the whole value).
REFORMATTED = """\
# Reformatted by hand: same meaning for systemd.
[Service]
ExecStart=/usr/bin/env bash -lc \\
  'exec /opt/miniconda3/bin/conda run -n mes-dashboard gunicorn \\
  --pid "${WATCHDOG_PID_FILE:-/run/mes-dashboard/gunicorn.pid}" app:app'

; a comment in the other syntax
PIDFile=/run/mes-dashboard/gunicorn.pid
RuntimeDirectory=mes-dashboard
EnvironmentFile=-/opt/mes-dashboard/.env
WorkingDirectory=/opt/mes-dashboard
User=mes
"""

ENV_REQUOTED = """\
# quoting that all three readers treat the same
WATCHDOG_PID_FILE="./tmp/gunicorn.pid"
WATCHDOG_RUNTIME_DIR='./tmp'
"""


def _subjects(root: Path) -> list[tuple[str, str, str]]:
    settings = Settings()
    findings = run(root, settings, load_contract(settings, root, None)).findings
    return sorted((f.code, f.subject, f.location.path) for f in findings if f.code.startswith("MES6"))


def test_findings_survive_reformatting(tmp_path: Path) -> None:
    original = tmp_path / "original"
    shutil.copytree(FIXTURES / "MES603" / "bad", original)
    reformatted = tmp_path / "reformatted"
    shutil.copytree(FIXTURES / "MES603" / "bad", reformatted)
    (reformatted / UNIT).write_text(REFORMATTED, encoding="utf-8")
    (reformatted / ".env.example").write_text(ENV_REQUOTED, encoding="utf-8")
    before = _subjects(original)
    assert ("MES603", "WATCHDOG_PID_FILE", UNIT) in before
    assert _subjects(reformatted) == before
