"""Every fixture mini-repository under fixtures/<CODE>/(bad|good)*/ checked against its own markers.

A bad fixture must produce exactly the marked findings of its rule (and of any
other code it marks); a good fixture must produce none of its rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meslint.config import load_settings
from meslint.engine import load_contract, run
from tests.conftest import FIXTURES
from tests.fixture_markers import expected_findings


def _fixture_dirs() -> list[Path]:
    dirs = []
    for code_dir in sorted(FIXTURES.glob("MES[0-9][0-9][0-9]")):
        for case in sorted(code_dir.iterdir()):
            if case.is_dir() and re.match(r"(bad|good)", case.name):
                dirs.append(case)
    return dirs


def _run(root: Path):
    settings = load_settings(root)
    contract = root / "meslint-pack.yaml"
    pack = load_contract(settings, root, str(contract) if contract.is_file() else None)
    return run(root, settings, pack).findings


@pytest.mark.parametrize("case", _fixture_dirs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case: Path) -> None:
    code = case.parent.name
    expected = expected_findings(case)
    codes = {code} | {c for _, _, c in expected}
    actual = {(f.location.path, f.location.line, f.code) for f in _run(case) if f.code in codes}
    if case.name.startswith("good"):
        assert not [a for a in actual if a[2] == code], f"good fixture reports {code}"
    else:
        assert any(c == code for _, _, c in expected), f"bad fixture marks no {code} finding"
    assert actual == expected


def test_demo_repository_is_clean() -> None:
    findings = _run(FIXTURES / "demo")
    assert [f"{f.location.short()} {f.code} {f.message}" for f in findings] == []
