"""A cursor over the source of one Markdown block, for :mod:`meslint.parsers.markdown`.

markdown-it's inline tokens carry no positions: spans, links and prose lines are located
by walking the block's own source text with a :class:`Cursor`, in token order.  The
patterns here also give the container prefixes (block quote markers, list markers,
indentation) that stand before a line's text in the source but not in the tokens.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

# Container prefixes before the text of a line: block quote markers and blanks.
QUOTE_PREFIX = re.compile(r"(?:[ \t]*>)*[ \t]*")
# The first line of a block may also start with list markers ("- ", "1. ", "- - ").
FIRST_PREFIX = re.compile(r"(?:[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))*[ \t]*")
LINK_TAIL = re.compile(r"\]((?:\([^)\n]*\))|\[[^\]\n]*\])?")
_BACKTICKS = re.compile(r"`+")
_NEWLINE_AND_PREFIX = re.compile(r"\n(?:[ \t]*>)*[ \t]*")
_NEWLINE_AND_QUOTES = re.compile(r"\n(?:[ \t]*>)*")
_BLANKS = re.compile(r"\s+")
# Bounds the search for one span in pathological input (thousands of unmatched runs).
_MAX_SPAN_CANDIDATES = 200
_MARKUP_RUN = re.compile(r"[ \t*_~\[\]()!<>\\]*")  # what may stand between the cursor and plain text


def run_end(pattern: re.Pattern[str], text: str, pos: int = 0) -> int:
    """Where ``pattern`` stops matching from ``pos``; the patterns passed here all match the empty string."""
    match = pattern.match(text, pos)
    return match.end() if match else pos


class Cursor:
    """A position in the source of one block, moved forward token by token.

    The block source is the document lines ``map[0]:map[1]`` joined with ``\\n``;
    inline tokens come in source order, so each one is searched for from where
    the previous one ended.  This handles multi-line paragraphs (a soft break
    moves to the next line), spans repeated on one line, spans that cross
    lines, and container prefixes (``> ``, list indentation), which live in the
    source but not in the token content.
    """

    def __init__(self, lines: Sequence[str], first_line: int) -> None:
        self.src = "\n".join(lines)
        self.first_line = first_line  # 1-based line of lines[0]
        self.starts = [0]
        for line in lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)
        self.pos = 0

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (characters) of a source offset."""
        index = bisect_right(self.starts, offset) - 1
        return self.first_line + index, offset - self.starts[index] + 1

    def here(self) -> tuple[int, int]:
        return self.line_col(self.pos)

    def line_end(self, offset: int) -> int:
        # From the line starts, not by searching for the newline: called once per inline token,
        # a search would cost the rest of the line each time (quadratic on one long line).
        index = bisect_right(self.starts, offset)
        return self.starts[index] - 1 if index < len(self.starts) else len(self.src)

    def next_line(self) -> None:
        """A soft or hard break: go to the text start of the following line."""
        end = self.src.find("\n", self.pos)
        if end < 0:
            self.pos = len(self.src)
            return
        self.pos = run_end(QUOTE_PREFIX, self.src, end + 1)

    def skip_text(self, content: str) -> None:
        """Move past plain text when it is found right ahead (only markup in between).

        Escapes and entities make text differ from its source; then the cursor
        stays, which is safe: later searches start earlier than needed.
        """
        if not content:
            return
        # Only an occurrence right after the markup ahead counts, so the search stops there
        # instead of running on to the line end for text that is not found as written.
        markup_end = run_end(_MARKUP_RUN, self.src, self.pos)
        limit = min(markup_end + len(content), self.line_end(self.pos))
        found = self.src.find(content, self.pos, limit)
        if found >= 0:
            self.pos = found + len(content)

    def find_on_line(self, needle: str) -> int:
        """Offset of ``needle`` ahead on the current line (the cursor position when absent)."""
        found = self.src.find(needle, self.pos, self.line_end(self.pos))
        return self.pos if found < 0 else found

    def code_span(self, markup: str, content: str) -> tuple[int, int]:
        """Locate a code span; returns the content's start and end offsets and moves past it.

        Candidates pair an opening backtick run of the span's length (a
        backslash escapes the first backtick of a run) with the next run of
        exactly that length (backslashes do not escape inside a span).  The
        first candidate whose text matches the token content wins, else the
        first candidate at all.
        """
        width = len(markup)
        wanted = _loose(content)
        fallback: tuple[int, int, int] | None = None
        run = _BACKTICKS.search(self.src, self.pos)
        for _ in range(_MAX_SPAN_CANDIDATES):
            if run is None:
                break
            start = run.start() + (1 if run.start() > 0 and self.src[run.start() - 1] == "\\" else 0)
            if run.end() - start == width:
                closing = self._closing_run(run.end(), width)
                if closing is None:
                    break  # no later run closes a span of this width
                span = (run.end(), closing.start(), closing.end())
                if _loose(self.src[span[0]:span[1]]) == wanted:
                    return self._take_span(span)
                fallback = fallback or span
            run = _BACKTICKS.search(self.src, run.end())
        if fallback is not None:
            return self._take_span(fallback)
        return self.pos, self.pos

    def _closing_run(self, offset: int, width: int) -> re.Match[str] | None:
        run = _BACKTICKS.search(self.src, offset)
        while run is not None and len(run.group()) != width:
            run = _BACKTICKS.search(self.src, run.end())
        return run

    def _take_span(self, span: tuple[int, int, int]) -> tuple[int, int]:
        start, end, after = span
        self.pos = after
        # Container prefixes (">", list indentation) on continuation lines are
        # not content: a span's text as CommonMark sees it has them removed.
        seen = _NEWLINE_AND_PREFIX.sub(" ", self.src[start:end])
        # CommonMark strips one blank from each side when both are blank (and
        # the content is not all blanks); a line ending counts as a blank.
        if len(seen) >= 2 and seen[0] == " " and seen[-1] == " " and seen.strip(" "):
            start = self._after_blank(start)
            end = self._before_blank(start, end)
        return start, end

    def _after_blank(self, start: int) -> int:
        if self.src[start] == "\n":
            return run_end(QUOTE_PREFIX, self.src, start + 1)
        return start + 1

    def _before_blank(self, start: int, end: int) -> int:
        newline = self.src.rfind("\n", start, end)
        if newline >= 0 and QUOTE_PREFIX.fullmatch(self.src, newline + 1, end):
            return newline  # the closing line holds only a container prefix
        return end - 1

    def html(self, content: str) -> int:
        """Locate raw inline HTML; returns its start offset and moves past it."""
        # It starts on the cursor's line: searching the rest of the block instead cost the
        # block's length for each HTML token hidden by container prefixes (quadratic).
        found = self.src.find(content, self.pos, self.line_end(self.pos) + len(content))
        if found >= 0:
            self.pos = found + len(content)
            return found
        start = self.pos
        for _ in range(content.count("\n")):  # container prefixes hid it: count its lines
            self.next_line()
        return start

    def link_close(self, autolink: bool) -> None:
        if autolink:
            end = self.find_on_line(">")
            self.pos = end + 1 if self.src.startswith(">", end) else self.pos
            return
        match = LINK_TAIL.match(self.src, self.find_on_line("]"))
        if match and match.start() < self.line_end(self.pos):
            self.pos = match.end()


def _loose(text: str) -> str:
    """Span text compared without container prefixes and blank differences."""
    text = _NEWLINE_AND_QUOTES.sub(" ", text)
    return _BLANKS.sub(" ", text).strip()
