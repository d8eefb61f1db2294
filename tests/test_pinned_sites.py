"""A finding against a pinned value names the pack line that pins it (and links it when the repository
holds the pack)."""

from __future__ import annotations

import shutil
from pathlib import Path

from meslint.config import load_settings
from meslint.engine import load_contract, run
from meslint.location import Location
from tests.conftest import FIXTURES


def _findings(root: Path, contract: str):
    settings = load_settings(root)
    return run(root, settings, load_contract(settings, root, contract)).findings


def test_a_pinned_finding_links_the_pack_line_of_a_pack_in_the_repository() -> None:
    root = FIXTURES / "MES604" / "bad_pinned"
    [finding] = [f for f in _findings(root, str(root / "meslint-pack.yaml")) if f.code == "MES604"]
    assert "pins it to 127.0.0.1:8100 at meslint-pack.yaml:6 " in finding.message
    assert finding.related[-1].location == Location("meslint-pack.yaml", 6, 1)
    assert finding.related[-1].message == "the contract pack pins web-bind to 127.0.0.1:8100"


def test_a_pack_outside_the_repository_is_named_not_linked(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "MES604" / "bad_pinned", root)
    pack = tmp_path / "outside.yaml"
    pack.write_text((root / "meslint-pack.yaml").read_text().replace("settings:\n", "settings:\n\n"))
    (root / "meslint-pack.yaml").unlink()
    [finding] = [f for f in _findings(root, str(pack)) if f.code == "MES604"]
    assert f"pins it to 127.0.0.1:8100 at {pack}:7 " in finding.message
    assert all(r.location.path != "outside.yaml" and "pins" not in r.message for r in finding.related)
