"""The pack-named JSON files: data, the line of each member and element, errors as parse problems."""

from __future__ import annotations

from meslint.listing import FileKind, classify
from meslint.parsers.json_doc import parse

TEXT = """{
  "page": {
    "table": [
      {"api_key": "A", "label": "x, [y]: {z}"},
      {"api_key": "B",
       "nested": [[1, 2], {"k": "v"}]}
    ]
  },
  "other": "s"
}
"""


def test_lines_of_members_and_elements() -> None:
    doc = parse("c.json", TEXT)
    assert doc.kind is FileKind.JSON and doc.data["page"]["table"][1]["api_key"] == "B"
    lines = dict(doc.key_lines)
    assert lines["page.table[0].api_key"] == 4
    assert lines["page.table[1]"] == 5
    assert lines["page.table[1].nested[1].k"] == 6
    assert lines["other"] == 9


def test_a_key_given_twice_is_kept_twice() -> None:
    doc = parse("c.json", '{"a": 1,\n "a": 2}')
    assert [entry for entry in doc.key_lines if entry[0] == "a"] == [("a", 1), ("a", 2)]


def test_invalid_json_is_a_problem_at_its_position() -> None:
    doc = parse("c.json", '{\n  "a": [1,,2]\n}')
    assert doc.data is None and doc.problems[0].location.line == 2
    assert doc.problems[0].message.startswith("JSON not parsable")


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    doc = parse("c.json", "[" * 100_000 + "]" * 100_000)
    assert doc.problems and "nested too deeply" in doc.problems[0].message


def test_only_pack_named_json_is_read() -> None:
    assert classify("shared/contracts.json", None, ("shared/contracts.json",)) is FileKind.JSON
    assert classify("frontend/package.json", None, ("shared/contracts.json",)) is None
    assert classify("README.mdj", None, ("README.mdj",)) is FileKind.MARKDOWN


def test_globs_name_script_files_only() -> None:
    named = ("frontend/src/pages/**",)
    assert classify("frontend/src/pages/a/App.vue", None, named) is FileKind.JAVASCRIPT
    assert classify("frontend/src/pages/x.ts", None, named) is FileKind.JAVASCRIPT
    assert classify("frontend/src/pages/style.css", None, named) is None
    assert classify("frontend/src/pages/notes.json", None, named) is None
    assert classify("frontend/src/other/x.ts", None, named) is None
