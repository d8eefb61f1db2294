"""Tests for meslint.parsers.markdown: facts and their exact lines and columns."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meslint.facts import MarkdownDoc
from meslint.parsers import markdown
from meslint.parsers.markdown import parse


def doc(text: str) -> MarkdownDoc:
    return parse("README.md", textwrap.dedent(text).lstrip("\n"))


def spans(d: MarkdownDoc) -> list[tuple[str, int, int]]:
    return [(c.text, c.location.line, c.location.column) for c in d.code if c.kind == "inline"]


def source_at(text: str, line: int, column: int, length: int) -> str:
    return text.split("\n")[line - 1][column - 1:column - 1 + length]


# --------------------------------------------------------------------------- headings and sections


def test_headings_levels_and_sections():
    d = doc("""
        # Top

        text one

        ## Config `env`

        ### Deep

        deep text

        ## Ops

        ops text

        Setext
        ------

        setext text
        """)
    assert [(h.level, h.text, h.location.line) for h in d.headings] == [
        (1, "Top", 1), (2, "Config env", 5), (3, "Deep", 7), (2, "Ops", 11), (2, "Setext", 15)]
    sections = {t.text: t.section for t in d.text}
    assert sections["text one"] == ("Top",)
    assert sections["deep text"] == ("Top", "Config env", "Deep")
    assert sections["ops text"] == ("Top", "Ops")  # a level-2 heading closes the level-3 one
    assert sections["setext text"] == ("Top", "Setext")


def test_span_inside_heading_belongs_to_that_heading():
    d = doc("# Top\n\n## Run `start_server.sh`\n")
    (span,) = [c for c in d.code if c.kind == "inline"]
    assert (span.text, span.location.line, span.location.column) == ("start_server.sh", 3, 9)
    assert span.section == ("Top", "Run start_server.sh")
    assert d.text == ()  # heading text is not prose


def test_text_before_first_heading_has_empty_section():
    d = doc("preamble\n\n# H\n")
    assert d.text[0].section == ()


# --------------------------------------------------------------------------- code blocks


def test_fence_info_and_body_line():
    d = doc("""
        # Run

        ```bash title
        export A=1
        ./scripts/start_server.sh check
        ```

        ~~~ini
        [Service]
        ~~~
        """)
    blocks = [c for c in d.code if c.kind == "block"]
    assert [(b.info, b.location.line, b.location.column) for b in blocks] == [("bash title", 4, 1), ("ini", 9, 1)]
    assert blocks[0].text == "export A=1\n./scripts/start_server.sh check"
    assert blocks[0].location.end_line == 5
    assert blocks[0].section == ("Run",)


def test_empty_fence_and_unclosed_fence():
    d = doc("```\n```\n\n```sh\nrest\nof doc\n")
    blocks = [c for c in d.code if c.kind == "block"]
    assert [(b.text, b.info, b.location.line) for b in blocks] == [("", "", 2), ("rest\nof doc", "sh", 5)]


def test_fence_in_list_item_column_and_indented_block():
    text = "- step:\n\n  ```sh\n  make run\n  ```\n\ntext\n\n    indented code\n    more\n"
    d = parse("R.md", text)
    fence, indented = [c for c in d.code if c.kind == "block"]
    assert (fence.text, fence.location.line, fence.location.column) == ("make run", 4, 3)
    assert (indented.text, indented.info, indented.location.line, indented.location.column) == (
        "indented code\nmore", "", 9, 5)


# --------------------------------------------------------------------------- code spans


def test_spans_on_multi_line_paragraph_and_repeated_on_one_line():
    text = "First `A=1` line\nsecond `x` and `x` and `x`\nthird ``a `tick` b`` end\n"
    d = parse("R.md", text)
    assert spans(d) == [("A=1", 1, 8), ("x", 2, 9), ("x", 2, 17), ("x", 2, 25), ("a `tick` b", 3, 9)]
    for span, line, column in spans(d):
        assert source_at(text, line, column, len(span)) == span


def test_span_crossing_a_line_break():
    text = "see `GUNICORN\nBIND` here\nand `next`\n"
    d = parse("R.md", text)
    first, second = [c for c in d.code if c.kind == "inline"]
    assert first.text == "GUNICORN BIND"
    loc = first.location
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (1, 6, 2, 5)
    assert (second.text, second.location.line, second.location.column) == ("next", 3, 6)


def test_span_padding_and_escaped_backtick():
    text = "a `` `x` `` b \\`not a span` and `y`\n"
    d = parse("R.md", text)
    # CommonMark: the escaped backtick is text, the next one opens the span " and ".
    assert spans(d) == [("`x`", 1, 6), ("and", 1, 29)]
    for span, line, column in spans(d):
        assert source_at(text, line, column, len(span)) == span


def test_spans_in_lists_and_nested_lists():
    text = textwrap.dedent("""\
        - item `a`
          continued `b`
          - nested `c`
            1. deeper `d`
        * other `e`
        """)
    d = parse("R.md", text)
    assert spans(d) == [("a", 1, 9), ("b", 2, 14), ("c", 3, 13), ("d", 4, 16), ("e", 5, 10)]
    for span, line, column in spans(d):
        assert source_at(text, line, column, len(span)) == span
    assert [(t.text, t.location.line, t.location.column) for t in d.text] == [
        ("item a", 1, 3), ("continued b", 2, 3), ("nested c", 3, 5), ("deeper d", 4, 8), ("other e", 5, 3)]


def test_spans_in_block_quote():
    text = "> quote `q1`\n> more `q2`\n"
    d = parse("R.md", text)
    assert spans(d) == [("q1", 1, 10), ("q2", 2, 9)]
    assert [(t.text, t.location.line, t.location.column) for t in d.text] == [("quote q1", 1, 3), ("more q2", 2, 3)]


def test_spans_in_table_cells():
    text = "| key | value |\n|---|---|\n| `A` | `1` and `1` |\n| `B` | `2` |\n"
    d = parse("R.md", text)
    assert spans(d) == [("A", 3, 4), ("1", 3, 10), ("1", 3, 18), ("B", 4, 4), ("2", 4, 10)]


def test_cjk_columns_count_characters():
    text = "設定值 `GUNICORN_BIND` 說明 `8080`\n| 名稱 | 值 |\n|---|---|\n| 中文 `X` | `Y` |\n"
    d = parse("R.md", text)
    assert spans(d) == [("GUNICORN_BIND", 1, 6), ("8080", 1, 25), ("X", 4, 7), ("Y", 4, 13)]
    for span, line, column in spans(d):
        assert source_at(text, line, column, len(span)) == span


# --------------------------------------------------------------------------- tables


def test_table_rows_with_header():
    d = doc("""
        ## Settings

        | setting | default | meaning |
        |---|:---:|---|
        | `GUNICORN_BIND` | `0.0.0.0:8080` | the single port <!-- note --> |
        | a \\| b | [doc](docs/x.md) | |
        """)
    rows = d.table_rows
    assert [r.location.line for r in rows] == [5, 6]
    assert rows[0].header == ("setting", "default", "meaning")
    # Cells keep backticks and comments: readers tell values from prose by them.
    assert rows[0].cells == ("`GUNICORN_BIND`", "`0.0.0.0:8080`", "the single port <!-- note -->")
    assert rows[1].cells == ("a | b", "[doc](docs/x.md)", "")
    assert rows[0].section == ("Settings",)
    assert [(lk.target, lk.location.line) for lk in d.links] == [("docs/x.md", 6)]
    assert d.text == ()  # table rows are not repeated as prose


def test_header_only_table_gives_no_rows():
    assert doc("| a | b |\n|---|---|\n").table_rows == ()


# --------------------------------------------------------------------------- links


def test_links_with_anchors_references_autolinks_and_images():
    text = textwrap.dedent("""\
        # Docs

        See [the runbook](docs/x.md#part) and [again](docs/x.md#part),
        then [ref link][r] or <https://example.com/a>.
        ![diagram](docs/arch.png) [same](a.md) [other](a.md)

        [r]: docs/ref.md#sec
        """)
    d = parse("R.md", text)
    got = [(lk.target, lk.text, lk.location.line, lk.location.column) for lk in d.links]
    assert got == [
        ("docs/x.md#part", "the runbook", 3, 5),
        ("docs/x.md#part", "again", 3, 39),
        ("docs/ref.md#sec", "ref link", 4, 6),
        ("https://example.com/a", "https://example.com/a", 4, 23),
        ("docs/arch.png", "diagram", 5, 1),
        ("a.md", "same", 5, 27),
        ("a.md", "other", 5, 40),
    ]
    assert all(lk.section == ("Docs",) for lk in d.links)
    assert d.text[0].text == "See the runbook and again,"


# --------------------------------------------------------------------------- prose and comments


def test_prose_lines_have_markup_removed():
    d = doc("""
        Set **GUNICORN_BIND=0.0.0.0:8080** _before_ `start`,\\
        then run `./scripts/start_server.sh check` &amp; wait.
        """)
    assert [(t.text, t.location.line) for t in d.text] == [
        ("Set GUNICORN_BIND=0.0.0.0:8080 before start,", 1),
        ("then run ./scripts/start_server.sh check & wait.", 2),
    ]


def test_html_comments_are_text_starting_with_marker():
    d = doc("""
        # H

        <!-- meslint: ignore
        spanning lines -->

        Value `A` <!-- inline note -->
        """)
    block, inline = d.text
    assert block.text == "<!-- meslint: ignore\nspanning lines -->"
    assert (block.location.line, block.location.end_line, block.section) == (3, 4, ("H",))
    assert inline.text == "Value A <!-- inline note -->"
    assert inline.location.line == 6


def test_other_html_blocks_are_text_per_line():
    d = doc("""
        <details>
        <summary>More</summary>

        body
        """)
    assert [(t.text, t.location.line) for t in d.text] == [("<details>", 1), ("<summary>More</summary>", 2),
                                                           ("body", 4)]


# --------------------------------------------------------------------------- robustness


def test_empty_document():
    d = parse("R.md", "")
    assert d == MarkdownDoc("R.md")
    assert parse("R.md", "\n\n   \n") == MarkdownDoc("R.md")


def test_crlf_and_lone_cr_keep_lines():
    # Lines are counted in \n, as in every other parser and the reporters: a lone \r
    # (a line break to markdown-it) stays inside its \n line.
    d = parse("R.md", "a `x`\r\nb `y`\rc `z`\n")
    assert spans(d) == [("x", 1, 4), ("y", 2, 4), ("z", 2, 10)]


@pytest.mark.parametrize("garbage", [
    "\x00\x01\x02 `\x00` [\x00](\x00)",
    "[" * 5000 + "]" * 5000,
    ">" * 3000 + " deep",
    "- " * 2000 + "x",
    "`" * 10000,
    "| a |\n|---|\n" + "| `x` | y |\n" * 200,
    "\ufeff\udcff lone surrogate",
])
def test_garbage_never_raises(garbage):
    d = parse("R.md", garbage)
    assert isinstance(d, MarkdownDoc)


def test_internal_failure_becomes_parse_problem(monkeypatch):
    class Broken:
        def parse(self, text):
            raise RuntimeError("boom")

    monkeypatch.setattr(markdown, "_markdown_it", lambda: Broken())
    d = parse("R.md", "# x\n")
    assert len(d.problems) == 1
    assert "boom" in d.problems[0].message
    assert d.problems[0].location.path == "R.md"


_PIECES = st.sampled_from([
    "word", " ", "`code`", "``a`b``", "**bold**", "_em_", "[l](a.md)", "中文", "\n", "\n- ", "\n> ",
    "\n\n", "\n| a | `b` |\n|---|---|\n| `c` | d |\n", "\\`", "<!-- c -->", "# ", "\n```sh\nx\n```\n",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_single_line_spans_point_at_their_text(text):
    d = parse("R.md", text)
    assert d.problems == ()
    for code in d.code:
        loc = code.location
        if code.kind == "inline" and loc.line == loc.end_line and "\\" not in code.text:
            assert source_at(text, loc.line, loc.column, loc.end_column - loc.column) == code.text


# --------------------------------------------------------------------------- found by tests/fuzz


def test_unclosed_fence_on_the_last_line_stays_inside_the_file() -> None:
    doc = parse("README.md", "# Title\n~~~")
    (block,) = doc.code
    assert block.text == "" and (block.location.line, block.location.column) == (2, 4)


def test_lone_carriage_return_does_not_shift_lines() -> None:
    # markdown-it breaks lines at a lone \r; positions are reported in \n lines.
    doc = parse("README.md", "\r# Changelog\n\n- moved from `GUNICORN_BIND=0.0.0.0:5000` to 8080.\n")
    (span,) = doc.code
    assert (span.location.line, span.location.column, span.location.end_column) == (3, 15, 41)
    assert (doc.headings[0].location.line, doc.headings[0].location.column) == (1, 2)
