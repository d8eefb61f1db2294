"""``meslint gates``: per gate ready / not ready (with the findings) / not statically checkable."""

from __future__ import annotations

import json

from meslint.checks import all_rules
from meslint.cli import main
from meslint.findings import Finding
from meslint.gates import NOT_CHECKABLE, NOT_READY, READY, render_text, summarize
from meslint.location import Location
from meslint.pack import load_pack_text
from tests.conftest import FIXTURES
from tests.demo_tree import copy_demo

PACK = """
name: p
deploy_root: /opt/x
settings: []
gates:
  - {id: "2", title: Root execution}
  - {id: "7", title: Regression, run: ["pytest tests/focused"]}
"""


def _finding(code: str) -> Finding:
    return Finding(code=code, message="m", location=Location("a.sh", 3, 1))


def test_states_follow_the_rules_of_each_gate() -> None:
    pack = load_pack_text(PACK, "p.yaml")
    statuses = {s.id: s for s in summarize(pack, list(all_rules()), (_finding("MES201"),))}
    assert statuses["2"].state == NOT_READY and [f.code for f in statuses["2"].findings] == ["MES201"]
    assert statuses["7"].state == NOT_CHECKABLE and statuses["7"].run == ("pytest tests/focused",)
    assert statuses["6"].state == READY and statuses["6"].title == "gate 6"  # declared by rules, not by the pack
    assert "-" not in statuses  # meslint's own rules are no gate
    text = render_text(list(statuses.values()), ())
    assert "gate 7 (Regression): not statically checkable\n  run instead: pytest tests/focused" in text
    assert "a.sh:3:1: MES201 m" in text


def test_unselected_rules_leave_their_gate_uncheckable() -> None:
    pack = load_pack_text(PACK, "p.yaml")
    rules = [r for r in all_rules() if r.gate != "2"]
    statuses = {s.id: s for s in summarize(pack, rules, (_finding("MES201"),))}
    assert statuses["2"].state == NOT_CHECKABLE and statuses["2"].findings == ()


def test_demo_gates_json(capsys) -> None:
    assert main(["gates", str(FIXTURES / "demo"), "--no-cache", "--output-format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    states = {g["id"]: g["state"] for g in document["gates"]}
    assert {states[g] for g in ("1", "2", "3", "4", "5", "6", "8")} == {READY}
    assert states["7"] == NOT_CHECKABLE
    assert document["unreadable"] == 0


def test_a_breach_makes_its_gate_not_ready(tmp_path, capsys) -> None:
    root = copy_demo(tmp_path / "demo")
    unit = root / "deploy" / "mes-dashboard.service"
    unit.write_text(unit.read_text().replace("PIDFile=/run/mes-dashboard/gunicorn.pid", "PIDFile=/run/other.pid"))
    assert main(["gates", str(root), "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert "gate 6 (Conda-systemd contract): NOT READY" in out
    assert "deploy/mes-dashboard.service:" in out and "MES603" in out


def test_gate_modules_import_first() -> None:
    # pack_gates and pack share the field declaration; importing either first must work.
    import subprocess
    import sys

    for module in ("meslint.pack_gates", "meslint.payload_paths", "meslint.frontend_facts", "meslint.gates"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
