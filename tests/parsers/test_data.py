"""Tests for meslint.parsers.data: TOML and YAML documents, key lines, errors, alias bombs."""

from __future__ import annotations

import textwrap
import time

import pytest

from meslint.facts import DataDoc, FileKind
from meslint.parsers.data import parse_toml, parse_yaml

PYPROJECT = textwrap.dedent('''\
    [project]
    name = "demo"
    dependencies = [
      "flask",  # fake = 1
      "gunicorn",
    ]

    [tool.meslint]
    select = ["MES6"]
    "quoted.key" = 1
    waivers.MES602 = "reason"
    notes = """
    inside = "a multi-line string"
    """
    inline = { a = 1, b = [2, 3] }

    [[tool.meslint.extra]]
    name = "first"
    [[tool.meslint.extra]]
    name = "second"
    ''')


# --------------------------------------------------------------------------- TOML


def test_toml_data_and_kind():
    d = parse_toml("pyproject.toml", PYPROJECT)
    assert d.kind is FileKind.TOML
    assert d.problems == ()
    assert d.data["tool"]["meslint"]["select"] == ["MES6"]
    assert [e["name"] for e in d.data["tool"]["meslint"]["extra"]] == ["first", "second"]


def test_toml_key_lines():
    d = parse_toml("pyproject.toml", PYPROJECT)
    lines = dict(d.key_lines)
    assert lines["project"] == 1
    assert lines["project.name"] == 2
    assert lines["project.dependencies"] == 3
    assert lines["tool"] == 8 and lines["tool.meslint"] == 8
    assert d.line_of("tool.meslint.select") == 9
    assert lines["tool.meslint.quoted.key"] == 10
    assert lines["tool.meslint.waivers"] == 11 and lines["tool.meslint.waivers.MES602"] == 11
    assert lines["tool.meslint.notes"] == 12
    assert lines["tool.meslint.inline"] == 15
    assert lines["tool.meslint.extra"] == 17 and lines["tool.meslint.extra.name"] == 18  # first one wins
    # Text inside arrays, comments and multi-line strings is not a key.
    assert "tool.meslint.inside" not in lines and "project.fake" not in lines
    assert d.line_of("no.such.key") == 1


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a = 1\nb = \n", 2, 5),
    ("[tool\nx = 1\n", 1, 6),
    ("a = 1\na = 2\n", 2, 6),
    ('a = "unterminated', 1, 18),
])
def test_toml_syntax_error_location(text, line, column):
    d = parse_toml("pyproject.toml", text)
    assert d.data is None and d.key_lines == ()
    (problem,) = d.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert problem.message.startswith("TOML not parsable: ")
    assert "(at line" not in problem.message  # the location is in the Location, not repeated


def test_toml_empty():
    assert parse_toml("pyproject.toml", "") == DataDoc("pyproject.toml", FileKind.TOML, data={})


# --------------------------------------------------------------------------- YAML

ENVIRONMENT = textwrap.dedent("""\
    name: mes-dashboard
    channels:
      - conda-forge
    dependencies:
      - python=3.11
      - pip:
          - gunicorn==22.0
    defaults: &defaults
      timeout: 30
    override:
      <<: *defaults
      extra: {deep: {deeper: {deepest: 1}}}
    """)


def test_yaml_data_and_kind():
    d = parse_yaml("environment.yml", ENVIRONMENT)
    assert d.kind is FileKind.YAML
    assert d.problems == ()
    assert d.data["name"] == "mes-dashboard"
    assert d.data["dependencies"][1] == {"pip": ["gunicorn==22.0"]}
    assert d.data["override"]["timeout"] == 30  # small aliases and merge keys still work


def test_yaml_key_lines():
    lines = dict(parse_yaml("environment.yml", ENVIRONMENT).key_lines)
    assert lines["name"] == 1
    assert lines["channels"] == 2
    assert lines["dependencies"] == 4
    assert lines["dependencies.1.pip"] == 6
    assert lines["defaults.timeout"] == 9
    assert lines["override.extra"] == 12
    assert lines["override.extra.deep.deeper"] == 12
    assert "override.extra.deep.deeper.deepest" not in lines  # deeper than the walk goes


@pytest.mark.parametrize(("text", "line", "column"), [
    ("a: [1\nb: 2\n", 2, 2),
    ("a: 1\n b: 2\n", 2, 3),
    ("a: 'unterminated\n", 2, 1),
    ("a: !!python/object:os.system x\n", 1, 4),  # safe loading refuses code tags
])
def test_yaml_syntax_error_location(text, line, column):
    d = parse_yaml("environment.yml", text)
    assert d.data is None
    (problem,) = d.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert problem.message.startswith("YAML not parsable: ")


def test_yaml_multiple_documents_is_a_problem():
    d = parse_yaml("x.yml", "a: 1\n---\nb: 2\n")
    assert d.problems and d.problems[0].location.line == 2


def test_yaml_empty():
    assert parse_yaml("x.yml", "") == DataDoc("x.yml", FileKind.YAML)
    assert parse_yaml("x.yml", "# only a comment\n").problems == ()


def _bomb(levels: int, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_refused_quickly():
    start = time.perf_counter()
    d = parse_yaml("bomb.yml", _bomb(10))  # 9**10 leaves if expanded
    elapsed = time.perf_counter() - start
    assert d.data is None
    (problem,) = d.problems
    assert problem.message.startswith("YAML refused: aliases expand")
    assert problem.location.line > 1  # where the expansion gets too large
    assert elapsed < 1.0


def test_yaml_small_alias_use_is_accepted():
    d = parse_yaml("ok.yml", _bomb(3))  # 9**3 leaves: fine
    assert d.problems == ()
    assert len(d.data["a2"]) == 9


def test_yaml_recursive_alias_refused():
    d = parse_yaml("r.yml", "a: &a\n  - x\n  - *a\n")
    assert d.data is None
    assert "recursive" in d.problems[0].message


@pytest.mark.parametrize("text", [
    "[" * 300 + "]" * 300,
    "".join("  " * i + f"k{i}:\n" for i in range(150)),
])
def test_yaml_absurd_nesting_refused(text):
    d = parse_yaml("deep.yml", text)
    assert d.data is None
    assert "nesting deeper" in d.problems[0].message


# --------------------------------------------------------------------------- found by tests/fuzz


def test_yaml_control_character_is_a_located_problem() -> None:
    # PyYAML checks characters in the loader's constructor: this used to escape parse_yaml.
    doc = parse_yaml("environment.yml", "name: x\ndeps: a\x1fb\n")
    assert doc.data is None and len(doc.problems) == 1
    problem = doc.problems[0]
    assert (problem.location.line, problem.location.column) == (2, 8)
    assert "unacceptable character #x001f" in problem.message


def test_yaml_lines_count_newlines_only() -> None:
    # NEL, LS, PS and a lone CR are line breaks to PyYAML, not to the reporters.
    doc = parse_yaml("environment.yml", "a: 1\x85b: 2\u2028c: 3\nd: 4\n")
    assert doc.data == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert dict(doc.key_lines) == {"a": 1, "b": 1, "c": 1, "d": 2}
    bad = parse_yaml("environment.yml", "a: 1\rb: [\n")
    assert [(p.location.line, p.location.column) for p in bad.problems] == [(2, 1)]
    control = parse_yaml("environment.yml", "\rname\ndeps\x1f")
    assert [(p.location.line, p.location.column) for p in control.problems] == [(2, 5)]
