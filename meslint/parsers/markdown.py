"""Markdown -> :class:`meslint.facts.MarkdownDoc`, with exact 1-based lines and columns.

markdown-it-py (``commonmark`` preset plus tables) does the parsing; this module
walks its token stream and turns it into facts.  Block tokens carry a ``map``
(0-based, ``[start, end)``) but inline tokens do not carry positions, so spans,
links and prose lines are located by walking the block's own source text with
a cursor, in token order (see :mod:`meslint.parsers.markdown_cursor`).

What each fact means
--------------------
* :class:`MdHeading` -- ``text`` is the heading with inline markup removed (code
  span content kept, inline HTML such as ``<!-- ... -->`` kept verbatim);
  location: the line of the heading text (first line of a setext heading),
  column of its first non-container character (the ``#``).
* :class:`MdCode` ``kind="block"`` -- fenced and indented blocks; ``text`` is the
  body without its trailing newline, ``info`` the fence info string ("" for
  indented blocks); location: the first *body* line (the line after the opening
  fence), column where the body text starts, end at the last body line.
* :class:`MdCode` ``kind="inline"`` -- code spans anywhere inline (paragraphs,
  list items, headings, table cells, link text); ``text`` is the span content as
  CommonMark defines it; location: the first content character (after the
  backticks and the one stripped blank), end one past the last content
  character, so ``column + k`` is the column of the span's ``k``-th character on
  a single-line span.
* :class:`MdTableRow` -- one per *body* row, on that row's line; ``cells`` and
  ``header`` are the cells' inline *source* text, trimmed, with ``\\|``
  unescaped: code backticks and inline HTML comments are kept (the gate 8
  readers tell a code value from prose by its backticks and drop comments
  themselves).  Header-only tables give no rows.
* :class:`MdLink` -- inline links, reference links, autolinks and images
  (``text`` is the alt text); ``target`` is the destination as written after
  markdown-it's normalisation (``docs/x.md#part``); location: the ``[`` / ``![``
  / ``<`` that opens it.
* :class:`MdText` -- one per source line of a paragraph (top level, in list
  items, in block quotes), inline markup removed (emphasis markers, backticks,
  link brackets and destinations), inline HTML kept verbatim.  Table rows,
  headings and code are *not* repeated as text.  An HTML block becomes text too:
  an HTML comment block is one MdText whose ``text`` starts with ``<!--`` (the
  whole comment, newlines included, end location on its last line); any other
  HTML block gives one MdText per non-blank source line.

``section`` on every fact is the tuple of heading texts from the top level down
to the nearest heading above it; facts inside a heading belong to that heading.

The parser never raises: a failure becomes a :class:`ParseProblem` and the facts
collected up to that point are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from meslint.facts import (
    Location,
    MarkdownDoc,
    MdCode,
    MdHeading,
    MdLink,
    MdTableRow,
    MdText,
    ParseProblem,
)
from meslint.parsers import lf_position_mapper
from meslint.parsers.markdown_cursor import FIRST_PREFIX, LINK_TAIL, QUOTE_PREFIX, Cursor, run_end

_MD = None


def _markdown_it():
    """The shared parser, built on first use (importing markdown-it costs ~50 ms)."""
    global _MD
    if _MD is None:
        from markdown_it import MarkdownIt

        _MD = MarkdownIt("commonmark").enable("table")
    return _MD


def parse(path: str, text: str) -> MarkdownDoc:
    """Parse one Markdown document; never raises."""
    builder = _Builder(path, _normalise(text))
    builder.remap = lf_position_mapper(text)
    try:
        tokens = _markdown_it().parse(builder.text)
        builder.walk(tokens)
    except Exception as exc:  # a bad document (or a parser bug) must not stop the run
        builder.problems.append(ParseProblem(builder._loc(builder.last_line, 1), f"Markdown not parsable: {exc}"))
    return builder.result()


def _normalise(text: str) -> str:
    # markdown-it normalises these itself; doing it first keeps our line split
    # identical to the one its ``map`` values refer to.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


# --------------------------------------------------------------------------- builder


@dataclass
class _Builder:
    path: str
    text: str
    lines: list[str] = field(default_factory=list)
    headings: list[MdHeading] = field(default_factory=list)
    code: list[MdCode] = field(default_factory=list)
    rows: list[MdTableRow] = field(default_factory=list)
    links: list[MdLink] = field(default_factory=list)
    prose: list[MdText] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)  # (level, text) of open headings
    section: tuple[str, ...] = ()  # the texts of ``stack``, shared by every fact until the next heading
    last_line: int = 1
    remap: Callable[[int, int], tuple[int, int]] | None = None

    def __post_init__(self) -> None:
        self.lines = self.text.split("\n")

    # ----------------------------------------------------------------- walk

    def walk(self, tokens: list) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.map:
                self.last_line = token.map[0] + 1
            if token.type == "heading_open":
                self._heading(token, tokens[i + 1])
                i += 3
                continue
            if token.type == "table_open":
                i = self._table(tokens, i)
                continue
            if token.type in ("fence", "code_block"):
                self._code_block(token)
            elif token.type == "html_block":
                self._html_block(token)
            elif token.type == "inline" and token.map:
                self._inline(token, Cursor(self._source(token.map), token.map[0] + 1), prose=True)
            i += 1

    def _source(self, span: Sequence[int]) -> list[str]:
        return self.lines[span[0]:span[1]]

    def _loc(self, line: int, column: int, end_line: int = 0, end_column: int = 0) -> Location:
        if self.remap is not None:  # lone \r: a line break to markdown-it, not to the reporters
            end_line, end_column = end_line or line, end_column or column
            line, column = self.remap(line, column)
            end_line, end_column = self.remap(end_line, end_column)
        return Location(self.path, line, column, end_line, end_column)

    # ----------------------------------------------------------------- blocks

    def _heading(self, opening, inline) -> None:
        level = int(opening.tag[1:]) if opening.tag[1:].isdigit() else 1
        line = opening.map[0] + 1
        source = self.lines[opening.map[0]]
        text = " ".join(_plain_lines(inline.children or []))
        # The heading starts its own section: pop every heading at its level or deeper.
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        self.section = tuple(title for _, title in self.stack)
        column = run_end(QUOTE_PREFIX, source) + 1
        self.headings.append(MdHeading(level, text, self._loc(line, column)))
        # Spans and links inside the heading are facts too; its text is not prose.
        self._inline(inline, Cursor(self._source(inline.map), inline.map[0] + 1), prose=False)

    def _code_block(self, token) -> None:
        start, end = token.map
        first = start + 1 if token.type == "fence" else start
        body = token.content[:-1] if token.content.endswith("\n") else token.content
        body_lines = body.split("\n")
        line = first + 1
        if first >= len(self.lines):
            # An unclosed fence on the last line has no body line: point one past the
            # fence itself instead of at a line the file does not have.
            line, column = first, len(self.lines[start]) + 1
            end_line, end_column = line, column
        else:
            column = _body_column(self.lines[first], body_lines[0])
            end_line = line + len(body_lines) - 1
            end_column = column + len(body_lines[-1]) if len(body_lines) == 1 else len(body_lines[-1]) + 1
        info = token.info.strip() if token.type == "fence" else ""
        self.code.append(MdCode(body, "block", info, self._loc(line, column, end_line, end_column), self.section))

    def _html_block(self, token) -> None:
        start = token.map[0]
        content = token.content.rstrip("\n")
        stripped = content.lstrip()
        if stripped.startswith("<!--"):
            source = self.lines[start]
            column = source.find("<!--") + 1 if "<!--" in source else 1
            last = stripped.split("\n")
            end_line = start + len(last)
            end_column = len(self.lines[end_line - 1]) + 1 if end_line - 1 < len(self.lines) else 1
            self.prose.append(MdText(stripped, self._loc(start + 1, column, end_line, end_column), self.section))
            return
        for offset, source in enumerate(self._source(token.map)):
            if source.strip():
                column = run_end(QUOTE_PREFIX, source) + 1
                location = self._loc(start + offset + 1, column, start + offset + 1, len(source) + 1)
                self.prose.append(MdText(source[column - 1:].rstrip(), location, self.section))

    def _table(self, tokens: list, i: int) -> int:
        """Collect a table's body rows (header cells attached); returns the index after it."""
        header: tuple[str, ...] = ()
        in_head = False
        while i < len(tokens) and tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                i, cells = self._row(tokens, i)
                if in_head:
                    header = cells
                else:
                    line = token.map[0] + 1 if token.map else self.last_line
                    column = run_end(QUOTE_PREFIX, self.lines[line - 1]) + 1
                    end_column = len(self.lines[line - 1].rstrip()) + 1
                    self.rows.append(MdTableRow(cells, header, self._loc(line, column, line, end_column),
                                                self.section))
                continue
            i += 1
        return i + 1

    def _row(self, tokens: list, i: int) -> tuple[int, tuple[str, ...]]:
        """Cells of the row opened at ``tokens[i]``; spans and links in them become facts."""
        opening = tokens[i]
        cursor = Cursor(self._source(opening.map), opening.map[0] + 1) if opening.map else None
        if opening.map:
            self.last_line = opening.map[0] + 1
        cells: list[str] = []
        i += 1
        while i < len(tokens) and tokens[i].type != "tr_close":
            token = tokens[i]
            if token.type == "inline":
                cells.append(token.content.strip())
                if cursor is not None:
                    self._inline(token, cursor, prose=False)
            i += 1
        return i + 1, tuple(cells)

    # ----------------------------------------------------------------- inline

    def _inline(self, inline, cursor: Cursor, *, prose: bool) -> None:
        """Spans, links and (for paragraphs) prose lines of one inline token."""
        if prose:
            cursor.pos = run_end(FIRST_PREFIX, cursor.src)
        line_start = cursor.here()
        pieces: list[str] = []
        children = inline.children or []
        for index, child in enumerate(children):
            kind = child.type
            if kind in ("text", "text_special"):  # the most common child by far: test it first
                cursor.skip_text(child.content)
                pieces.append(child.content)
            elif kind in ("softbreak", "hardbreak"):
                self._text_line(pieces, line_start, prose)
                pieces = []
                cursor.next_line()
                line_start = cursor.here()
            elif kind == "code_inline":
                start, end = cursor.code_span(child.markup or "`", child.content)
                line, column = cursor.line_col(start)
                end_line, end_column = cursor.line_col(end)
                self.code.append(MdCode(child.content, "inline", "",
                                        self._loc(line, column, end_line, end_column), self.section))
                pieces.append(child.content)
            elif kind == "html_inline":
                cursor.html(child.content)
                pieces.append(child.content)
            elif kind == "link_open":
                self._link_open(child, children, index, cursor)
            elif kind == "link_close":
                cursor.link_close(child.markup == "autolink")
            elif kind == "image":
                self._image(child, cursor)
                pieces.append(" ".join(_plain_lines(child.children or [])))
        self._text_line(pieces, line_start, prose)

    def _text_line(self, pieces: list[str], start: tuple[int, int], prose: bool) -> None:
        text = "".join(pieces).rstrip()
        if prose and text.strip():
            line, column = start
            self.prose.append(MdText(text, self._loc(line, column), self.section))

    def _link_open(self, token, children: list, index: int, cursor: Cursor) -> None:
        """The link opened at ``children[index]``."""
        start = cursor.find_on_line("<" if token.markup == "autolink" else "[")
        line, column = cursor.line_col(start)
        cursor.pos = start + 1
        inside = []
        # Links do not nest: the text runs to the next link_close.  Indexing, not a slice of the
        # rest: a copy per link made a paragraph of N links cost N^2.
        for following in range(index + 1, len(children)):
            child = children[following]
            if child.type == "link_close":
                break
            inside.append(child)
        text = " ".join(_plain_lines(inside))
        target = str(token.attrs.get("href", ""))
        self.links.append(MdLink(target, text, self._loc(line, column), self.section))

    def _image(self, token, cursor: Cursor) -> None:
        start = cursor.find_on_line("![")
        line, column = cursor.line_col(start)
        alt = " ".join(_plain_lines(token.children or []))
        self.links.append(MdLink(str(token.attrs.get("src", "")), alt, self._loc(line, column), self.section))
        tail = LINK_TAIL.match(cursor.src, cursor.find_on_line("]"))
        cursor.pos = tail.end() if tail else start + 2

    # ----------------------------------------------------------------- result

    def result(self) -> MarkdownDoc:
        return MarkdownDoc(
            path=self.path,
            headings=tuple(self.headings),
            code=tuple(sorted(self.code, key=lambda c: (c.location.line, c.location.column))),
            table_rows=tuple(self.rows),
            links=tuple(self.links),
            text=tuple(sorted(self.prose, key=lambda t: (t.location.line, t.location.column))),
            problems=tuple(self.problems),
        )


def _plain_lines(children: list) -> list[str]:
    """Inline tokens rendered as text lines, markup removed, inline HTML kept."""
    lines: list[str] = []
    current: list[str] = []
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            lines.append("".join(current).strip())
            current = []
        elif child.type in ("text", "text_special", "code_inline", "html_inline"):
            current.append(child.content)
        elif child.type == "image":
            current.append(" ".join(_plain_lines(child.children or [])))
    lines.append("".join(current).strip())
    return [line for line in lines if line]


def _body_column(source: str, first_body_line: str) -> int:
    """Column where a code body starts: the source line minus its container indentation."""
    if first_body_line and source.endswith(first_body_line):
        return len(source) - len(first_body_line) + 1
    return run_end(QUOTE_PREFIX, source) + 1 if source.strip() else 1
