"""The one evaluator of root derivations (bash and Python sides)."""

from __future__ import annotations

import pytest

from meslint import root_derivation as rd
from meslint.parsers.python_src import parse as parse_python


def test_parent_and_join_climb_out_of_the_repository() -> None:
    here = rd.file_segments("scripts/start.sh")
    assert rd.parent(here) == ("scripts",)
    assert rd.parent(here, 2) == ()
    assert rd.parent(here, 4) == ("..", "..")
    assert rd.join(("scripts",), "../../x/./y/..") == ("..", "x")
    assert rd.render(("..",)) == "@ROOT/.."
    assert rd.landing_of("@ROOT/scripts/../..") == ("..",)
    assert rd.landing_of("@ROOT/${X}") is None
    assert rd.above(("..", "..", "a")) == 2


@pytest.mark.parametrize(("landing", "text"), [
    ((), "on the repository root"),
    (("scripts",), "on scripts/, 1 level below the repository root"),
    (("..",), "1 level above the repository root"),
    (("..", "..", "x"), "on ../../x, outside the repository"),
])
def test_describe(landing: tuple[str, ...], text: str) -> None:
    assert rd.describe(landing) == text


@pytest.mark.parametrize("name", ["ROOT", "PROJECT_ROOT", "_REPO_ROOT", "DEFAULT_PROJECT_ROOT", "BASE_DIR",
                                  "project_root"])
def test_root_names(name: str) -> None:
    assert rd.names_root(name)


@pytest.mark.parametrize("name", ["SRC_ROOT", "STATIC_ROOT", "PACKAGE_ROOT", "SCRIPT_DIR", "SQL_DIR", "rootfs", "_"])
def test_not_root_names(name: str) -> None:
    assert not rd.names_root(name)


@pytest.mark.parametrize(("source", "value"), [
    ("R = Path(__file__).resolve().parents[2]", "@ROOT"),
    ("R = Path(__file__).resolve().parents[3]", "@ROOT/.."),
    ("R = Path(__file__).parent.parent", "@ROOT/pkg"),
    ("R = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))", "@ROOT/pkg"),
    ("R = os.path.join(os.path.dirname(__file__), '..', '..', '..')", "@ROOT/.."),
])
def test_python_derivations_use_the_same_evaluator(source: str, value: str) -> None:
    module = parse_python("pkg/sub/mod.py", "import os\nfrom pathlib import Path\n" + source + "\n")
    assert [(a.name, a.value) for a in module.root_anchors] == [("R", value)]
