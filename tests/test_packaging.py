"""The wheel holds every subpackage: setuptools is given an explicit package list, so a module split
into a new subpackage must be listed too (CI installs the wheel, and a missing subpackage is an
import error on the first file of that kind)."""

from __future__ import annotations

import sys

from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_subpackage_is_in_the_wheel() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(REPO).parts) for init in (REPO / "meslint").rglob("__init__.py")}
    assert on_disk - listed == set()

