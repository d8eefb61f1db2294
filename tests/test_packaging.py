"""What the wheel ships: every Python package under meslint/, the packs and the data files."""

from __future__ import annotations

import sys

from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_directory_is_listed() -> None:
    """A package missing from the list installs without it: `pip install .` then fails on import."""
    listed = set(_setuptools()["packages"])
    on_disk = {".".join(path.parent.relative_to(REPO).parts) for path in (REPO / "meslint").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_data_files_are_shipped() -> None:
    data = _setuptools()["package-data"]
    assert "*.yaml" in data["meslint._rules"]
    assert {"*.json", "*.vim"} <= set(data["meslint.editors"])
    assert "*.json" in data["meslint.reporters"]
