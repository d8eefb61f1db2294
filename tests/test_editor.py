"""Issue 17 (7): the edited-buffer mode shows findings whose related sites are in the buffer, at
the buffer's line; ``--stdin-filename PATH`` works without a trailing ``-``."""

from __future__ import annotations

import io
import json
import sys

from meslint.cli import main
from tests.demo_tree import copy_demo

UNIT = "deploy/mes-dashboard.service"
PID = "WATCHDOG_PID_FILE=/run/mes-dashboard/gunicorn.pid"


def test_a_related_site_in_the_buffer_is_shown_there(capsys, tmp_path, monkeypatch) -> None:
    root = copy_demo(tmp_path / "demo")
    (root / "meslint.toml").write_text("")
    env = root / ".env.example"
    buffer = env.read_text().replace(PID, "WATCHDOG_PID_FILE=/run/other/gunicorn.pid")
    line = buffer.splitlines().index("WATCHDOG_PID_FILE=/run/other/gunicorn.pid") + 1
    monkeypatch.setattr(sys, "stdin", io.StringIO(buffer))
    code = main(["check", "--no-cache", "--output-format", "concise", "--stdin-filename", str(env)])
    lines = capsys.readouterr().out.splitlines()
    # The MES608 findings sit on the units' Environment= lines; the buffer's assignment is one of their sites.
    mes608 = [text for text in lines if " MES608 " in text]
    assert code == 1 and mes608 and all(text.startswith(".env.example:") for text in lines)
    assert mes608[0].startswith(f".env.example:{line}:")
    assert len(mes608) == 2  # one per unit, both shown on the buffer's line
    # The editor sees the unit's site as a related location.
    monkeypatch.setattr(sys, "stdin", io.StringIO(buffer))
    code = main(["check", "--no-cache", "--output-format", "json", "--stdin-filename", str(env), "-"])
    findings = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "MES608"]
    assert code == 1 and {f["related"][0]["path"] for f in findings} == {UNIT, "deploy/mes-dashboard-watchdog.service"}
