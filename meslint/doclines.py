"""Documentation as lines of text, and the claims read from them (shared by the gate 8 rules).

A :class:`DocLine` is one line a document shows -- a code span, a fenced-block line, a
table row, a prose line, a heading, a link -- with its location, its section and whether
it tells history (see :mod:`meslint.dochistory`).  A :class:`Claim` is a value a line
states: the readers of :mod:`meslint.doctext` (setting values) and :mod:`meslint.docrefs`
(the conda environment, units, subcommands, ports, provisioning steps) make them.  Also:
token search over lines and the test for a placeholder (``<name>``, ``$VAR``, ``X.Y.Z``).

Nothing here opens a file: it works on the facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cached_property, lru_cache

from meslint.dochistory import DocReading
from meslint.facts import Location, MarkdownDoc, MdCode
from meslint.records import record

# --------------------------------------------------------------------------- lines


@record
class DocLine:
    """One line of documentation text with where it is and how to read it."""

    text: str
    location: Location
    section: tuple[str, ...]
    source: str  # span | block | table | text | heading | link
    historical: bool = False
    block: int = -1  # index of the fenced block, -1 for anything else
    info: str = ""


_COMMENT_PREFIXES = ("#", "//", ";", "--", "rem ", "::")


def code_lines(doc: MarkdownDoc, *, reading: DocReading | None = None) -> Iterator[DocLine]:
    """Code spans and fenced-block lines.

    A ``diff`` fence is always historical.  With a ``reading`` of the document (the pack's
    markers, see :mod:`meslint.dochistory`) also: a line whose section is history, a span whose
    sentence, list item or table row tells history, a block introduced by a sentence that does,
    the lines below a fence comment that does (``# before (legacy layout)`` ... ``# after``),
    and a fence line whose own comment does (``DashBoard/   # 舊版，已移除``).
    """
    history = CodeHistory(doc, reading)
    for index, code in enumerate(doc.code):
        if code.kind != "block":
            yield DocLine(code.text, code.location, code.section, "span",
                          history.span(code.text, code.location, code.section))
            continue
        block_hist, flags, info = history.block(index)
        for offset, line in enumerate(code.text.split("\n")):
            number = code.location.line + offset
            location = Location(doc.path, number, 1, number, 1)  # its end given: no __post_init__ work
            yield DocLine(line, location, code.section, "block", block_hist or flags[offset], index, info)


class CodeHistory:
    """Whether a line of :func:`code_lines` tells history under a ``reading``, asked one line at a time.

    A check that acts on few lines (those naming a path, those stating a value) takes the lines
    without a reading and asks only about those: judging history is most of the cost of reading a
    document's code.  :func:`code_lines` itself judges every line with the same rules, here.
    """

    def __init__(self, doc: MarkdownDoc, reading: DocReading | None) -> None:
        self.doc = doc
        self.reading = reading
        self._blocks: dict[int, tuple[bool, list[bool], str]] = {}

    def of(self, line: DocLine) -> bool:
        """The ``historical`` flag :func:`code_lines` gives ``line`` (a line it made for this document)."""
        if line.source != "block":
            return self.span(line.text, line.location, line.section)
        block_hist, flags, _ = self.block(line.block)
        return block_hist or flags[line.location.line - self.doc.code[line.block].location.line]

    def span(self, text: str, location: Location, section: tuple[str, ...]) -> bool:
        reading = self.reading
        return reading is not None and (reading.markers.section_is_history(section)
                                        or reading.line_tells_history(location.line, text, section))

    def block(self, index: int) -> tuple[bool, list[bool], str]:
        """Whether the whole fenced block ``index`` tells history; else whether each of its lines does
        (empty when the block does); its info word."""
        known = self._blocks.get(index)
        if known is None:
            known = self._blocks[index] = self._judge_block(self.doc.code[index])
        return known

    def _judge_block(self, code: MdCode) -> tuple[bool, list[bool], str]:
        reading = self.reading
        says = reading.markers.says_history if reading is not None else _says_nothing
        info = (code.info.split() or [""])[0].lower()
        block_hist = (reading is not None and reading.markers.section_is_history(code.section)) \
            or info in {"diff", "patch"} or says(code.info) \
            or (reading is not None and reading.block_introduced_as_history(code))
        flags: list[bool] = []
        if block_hist:
            return True, flags, info
        region_hist = False
        for line in code.text.split("\n"):
            stripped = line.strip()
            line_hist = False
            if stripped.lower().startswith(_COMMENT_PREFIXES) and not stripped.startswith("#!"):
                region_hist = says(stripped)
            elif reading is not None and " #" in line:
                line_hist = says(line.split(" #", 1)[1])  # the line's own comment
            flags.append(region_hist or line_hist)
        return False, flags, info


def _says_nothing(text: str) -> bool:
    return False


def all_lines(doc: MarkdownDoc) -> Iterator[DocLine]:
    """Every piece of text the document shows: headings, prose, code, tables, links."""
    for heading in doc.headings:
        yield DocLine(heading.text, heading.location, (), "heading")
    for text in doc.text:
        yield DocLine(text.text, text.location, text.section, "text")
    yield from code_lines(doc)
    for row in doc.table_rows:
        yield DocLine(" | ".join(row.cells), row.location, row.section, "table")
    for link in doc.links:
        yield DocLine(f"{link.text} {link.target}", link.location, link.section, "link")


def all_texts(doc: MarkdownDoc) -> list[str]:
    """The texts of :func:`all_lines`, in its order, without making a line of each (the token searches
    of MES802 and MES804 need the text alone)."""
    texts = [heading.text for heading in doc.headings]
    texts.extend(text.text for text in doc.text)
    for code in doc.code:
        if code.kind != "block":
            texts.append(code.text)
        else:
            texts.extend(code.text.split("\n"))
    texts.extend(" | ".join(row.cells) for row in doc.table_rows)
    texts.extend(f"{link.text} {link.target}" for link in doc.links)
    return texts


def contains_token(text: str, token: str, *, case: bool = True) -> bool:
    """``token`` appears in ``text`` not glued to other identifier characters."""
    if case:
        return _glued_nowhere(text, token)
    return _token_pattern(token, case).search(text) is not None


def any_contains_token(texts: Sequence[str], token: str, *, case: bool = True) -> bool:
    """Whether :func:`contains_token` finds ``token`` in any of ``texts``."""
    if not texts or "\n" in token:
        return any(contains_token(text, token, case=case) for text in texts)
    # One search instead of one per text: a newline is not an identifier character, so a
    # token without one is found in the joined texts exactly when it is found in one of them.
    return contains_token("\n".join(texts), token, case=case)


class Corpus:
    """Texts asked about many tokens (:func:`any_contains_token` for each): joined once."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.joined = "\n".join(texts)

    def contains_token(self, token: str, *, case: bool = True) -> bool:
        if not self.texts or "\n" in token:
            return any_contains_token(self.texts, token, case=case)
        if not case and token.isascii() and token.lower() not in self._folded:
            return False  # a case-blind pattern scans the whole text slowly: first whether it can match at all
        return contains_token(self.joined, token, case=case)

    @cached_property
    def _folded(self) -> str:
        # What an ASCII character matches case-blind (re.IGNORECASE) is its two cases and, beyond ASCII,
        # only these four (İ ı for i, ſ for s, K for k; checked over every code point by a test).
        folded = self.joined
        for special, letter in _CASELESS_ASCII.items():
            folded = folded.replace(chr(special), letter)  # str.translate with a table is slow on long text
        return folded.lower()


_CASELESS_ASCII = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


def _glued_nowhere(text: str, token: str) -> bool:
    """``contains_token(text, token)`` with case: each occurrence of ``token`` tested by hand (no
    pattern to compile per token), with the pattern's idea of an identifier character (``\\w``,
    which for text is ``str.isalnum`` or ``_``, and ``-``)."""
    if not token:
        return _token_pattern(token, True).search(text) is not None  # an empty token: the pattern decides
    at = text.find(token)
    size = len(token)
    tried = 0
    while at >= 0:
        before = text[at - 1] if at else ""
        after = text[at + size:at + size + 1]
        if not (before and (before.isalnum() or before in "_-")) and not (after and (after.isalnum() or after in "_-")):
            return True
        tried += 1
        if tried == _BY_HAND:  # glued again and again (a short token): the pattern scans the rest faster
            return _token_pattern(token, True).search(text, at + 1) is not None
        at = text.find(token, at + 1)
    return False


_BY_HAND = 32


@lru_cache(maxsize=1024)
def _token_pattern(token: str, case: bool) -> re.Pattern[str]:
    # Compiled once per token: checks ask about the same few tokens for every documentation line.
    # The token comes first so that the regex engine can scan for it quickly; the check that no
    # identifier character precedes it is a lookbehind over the token just matched.
    flags = 0 if case else re.IGNORECASE
    token = re.escape(token)
    return re.compile(token + r"(?<![\w-]" + token + r")(?![\w-])", flags)


# --------------------------------------------------------------------------- claims


@record
class Claim:
    """A documented value: ``subject`` is a setting name, or ``@conda-env``, ``@unit``, ..."""

    subject: str
    value: str
    location: Location
    line: DocLine


def location_at(line: DocLine, offset: int) -> Location:
    """Where ``offset`` of a fenced line is; other lines are located as a whole."""
    if line.source == "block":
        return Location(line.location.path, line.location.line, line.location.column + offset)
    return line.location


# A release number written as a placeholder: `netbox-X.Y.Z/`, `vX.Y`.
_VERSION_PLACEHOLDER = re.compile(r"(?<![A-Za-z])[vV]?X\.Y(?:\.Z)?(?![A-Za-z])")


def is_placeholder(text: str) -> bool:
    """A path or value written as a placeholder (``<name>``, ``$VAR``, ``...``, a release ``X.Y.Z``)."""
    return (any(ch in text for ch in "$<>*?{}[]%") or "..." in text or "\u2026" in text
            or ("X.Y" in text and _VERSION_PLACEHOLDER.search(text) is not None))
