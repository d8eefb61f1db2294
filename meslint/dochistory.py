"""How a document tells things: as history, as a record of a moment, or as the current contract.

Gate 8 reads documents as claims about the contract, but documents also tell
history ("舊版 `DashBoard/` 已移除", a "## 開發歷史" section), record a moment
(an inventory or audit report), name the folder the author happened to check out
(a tree diagram's root line, "專案根目錄：`X/`") or show where a file lay on a
developer's machine (``/Users/…``).  None of these is a claim an operator follows.
This module answers, for a place in a :class:`~meslint.facts.MarkdownDoc`, whether
it tells history, with the markers of the contract pack (``docs.*_markers``).

Units of judgement, as an operator reads them: the sentence around a code span
(on its source line, split at 。！？；.!?; ), a list item or table row as a whole,
a fenced line with the comment on that line, a block with the sentence that
introduces it, and every section under a heading that is history.

Nothing here opens a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from meslint.facts import MarkdownDoc, MdCode, Repository
from meslint.literals import any_of
from meslint.pack import ContractPack
from meslint.records import record


@record
class Markers:
    """The pack's words, by what they mark."""

    headings: tuple[str, ...] = ()  # anywhere in a heading or a fence comment (docs.historical_markers)
    titles: tuple[str, ...] = ()  # a heading that *is* history (docs.history_headings)
    sentences: tuple[str, ...] = ()  # a sentence, list item or row that says so (docs.history_markers)
    records: tuple[str, ...] = ()  # the title of a record of a moment (docs.record_titles)

    @classmethod
    def of(cls, pack: ContractPack) -> Markers:
        docs = pack.docs
        return cls(docs.historical_markers, docs.history_headings, docs.history_markers, docs.record_titles)

    def section_is_history(self, section: tuple[str, ...]) -> bool:
        # Asked for every documentation line: answered from this object's own table, since the shared
        # cache's key holds the markers, whose hash is worked out anew at each lookup.
        known = self._sections.get(section)
        if known is None:
            known = self._sections[section] = _section_is_history(section, self)
        return known

    def says_history(self, text: str) -> bool:
        """Whether a sentence, row or fence comment carries a history word."""
        return self._sayer(text)

    def sentence_says_history(self, text: str, needle: str) -> bool:
        """``says_history(sentence_around(text, needle))``, remembered: each check reads the same prose."""
        return self._sayer.around(text, needle)

    @cached_property
    def _sections(self) -> dict[tuple[str, ...], bool]:
        return {}

    @cached_property
    def _sayer(self) -> _Sayer:
        return _sayer(self.sentences + self.headings)


def has_marker(text: str, markers: Iterable[str]) -> bool:
    """Whether ``text`` contains a marker (case-insensitive, whole words for ASCII)."""
    return _marker_pattern(tuple(markers)).search(text.lower()) is not None


class _Sayer:
    """:meth:`Markers.says_history` for one set of markers, with its answers.

    Every gate 8 check reads the same documents, so the same sentences are asked about again and
    again (on a real tree a third of the questions are new): each is answered once per run."""

    __slots__ = ("some_marker", "pattern", "said", "said_around")
    _MAX_SAID = 65536  # a long-lived process (the editor's) forgets rather than grows without end

    def __init__(self, markers: tuple[str, ...]) -> None:
        self.some_marker = any_of(frozenset(marker.lower() for marker in markers))
        self.pattern = _marker_pattern(markers)
        self.said: dict[str, bool] = {}
        self.said_around: dict[tuple[str, str], bool] = {}

    def around(self, text: str, needle: str) -> bool:
        """Whether the sentence of ``text`` around ``needle`` (:func:`sentence_around`) says history."""
        key = (text, needle)
        said = self.said_around.get(key)
        if said is None:
            said = self(sentence_around(text, needle))
            if len(self.said_around) >= self._MAX_SAID:
                self.said_around.clear()
            self.said_around[key] = said
        return said

    def __call__(self, text: str) -> bool:
        said = self.said.get(text)
        if said is None:
            lowered = text.lower()
            # Most lines hold no marker at all: a plain search for any marker first, the word-boundary
            # regex only for the lines that may match.
            said = self.some_marker.search(lowered) is not None and self.pattern.search(lowered) is not None
            if len(self.said) >= self._MAX_SAID:
                self.said.clear()
            self.said[text] = said
        return said


@lru_cache(maxsize=32)
def _sayer(markers: tuple[str, ...]) -> _Sayer:
    return _Sayer(markers)


@lru_cache(maxsize=32)
def _marker_pattern(markers: tuple[str, ...]) -> re.Pattern[str]:
    # One alternation for all markers: this runs for every documentation line.  Each branch starts
    # with its marker and only then looks behind it (``old(?<![a-z…]old)``, which is ``(?<![a-z…])old``):
    # a branch that starts with a lookbehind is tried at every position of the line, one that
    # starts with a literal only where the marker's first character is, many times faster.
    parts = []
    for marker in markers:
        marker = marker.lower()
        escaped = re.escape(marker)
        if marker.isascii():
            # A word of prose, not part of a name or value ("mes-dashboard-old", "legacy_mode", "old.txt").
            parts.append(escaped + r"(?<![a-z0-9_\-./]" + escaped + r")(?![a-z0-9_\-/]|\.\w)")
        else:
            parts.append(escaped)
    return re.compile("|".join(parts) if parts else r"(?!)")


# Heading decorations before the words: numbering ("3.", "3.2", "一、", "(a)"), emoji, punctuation.
_HEADING_LEAD = re.compile(r"^[\W\d_]*?(?:[一二三四五六七八九十]+[、.．]\s*)?(?=\w)", re.UNICODE)
_HTML_COMMENT = re.compile(r"<!--.*?-->")
_SEPARATORS = " \t:：(（-—–/|,，、"
_DATED = re.compile(r"^\W*(?:v?\d+\.\d+(?:\.\d+)?\s*[(（]?\s*)?\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?\W*$"
                    r"|^\W*v\d+\.\d+(?:\.\d+)?\W*$")


@lru_cache(maxsize=4096)
def heading_is_history(heading: str, markers: Markers) -> bool:
    """``## 開發歷史``, ``## 3. Changelog (2025)``, ``## Legacy layout``; not ``## Hold 歷史查詢``.

    A ``docs.historical_markers`` word counts anywhere in the heading; a
    ``docs.history_headings`` title only as the whole heading or its first words
    (followed by a separator), because feature names contain the same words
    ("Hold History", "生產歷史查詢") and those sections are current.
    """
    text = _HTML_COMMENT.sub("", heading).strip()
    if has_marker(text, markers.headings):
        return True
    if _DATED.match(text):
        return True  # "### 2026-02-09", "## v2.3.0 (2026-01-05)": an entry of a change log
    words = _HEADING_LEAD.sub("", text).lower().strip()
    for title in markers.titles:
        title = title.lower()
        if words == title or (words.startswith(title) and words[len(title)] in _SEPARATORS):
            return True
    return False


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)  # asked for every documentation line; a document has few sections
def _section_is_history(section: tuple[str, ...], markers: Markers) -> bool:
    return any(heading_is_history(heading, markers) for heading in section)


# --------------------------------------------------------------------------- sentences

_SENTENCE_END = re.compile(r"[。！？；!?;]|\.(?=\s|$)")


def sentence_around(text: str, needle: str) -> str:
    """The sentence of ``text`` holding the first ``needle`` (all of ``text`` when absent)."""
    index = text.find(needle) if needle else -1
    if index < 0:
        return text
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= index:
            start = match.end()
        elif match.start() >= index + len(needle):
            return text[start:match.end()]
    return text[start:]


_CODE_SPAN = re.compile(r"`[^`]*`")


@dataclass
class DocReading:
    """One document read once: its prose and rows by line, whether it is a record."""

    doc: MarkdownDoc
    markers: Markers
    record: bool = False
    prose: dict[int, str] = field(default_factory=dict)
    items: set[int] = field(default_factory=set)  # prose lines inside a list item or a quote
    rows: dict[int, str] = field(default_factory=dict)
    headings: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: MarkdownDoc, markers: Markers, *, may_be_record: bool = True) -> DocReading:
        reading = cls(doc, markers, record=may_be_record and is_record(doc, markers))
        for text in doc.text:
            reading.prose.setdefault(text.location.line, text.text)
            if text.location.column > 1:  # after "- ", "1. ", "> ": a list item (or quote) line
                reading.items.add(text.location.line)
        for row in doc.table_rows:
            reading.rows[row.location.line] = " | ".join(row.cells)
        for heading in doc.headings:
            reading.headings[heading.location.line] = heading.text
        return reading

    def line_tells_history(self, line: int, needle: str, section: tuple[str, ...]) -> bool:
        """Whether the sentence, row or heading at ``line`` holding ``needle`` tells history."""
        if self.markers.section_is_history(section):
            return True
        if line in self.rows:  # the row's prose, without its code values
            return self.markers.says_history(_CODE_SPAN.sub(" ", self.rows[line]))
        if line in self.headings:
            return heading_is_history(self.headings[line], self.markers) \
                or has_marker(self.headings[line], self.markers.sentences)
        text = self.prose.get(line)
        if text is None:
            return False
        # A list item is judged whole ("- `X/`：舊版目錄。已停用。"), a paragraph by its sentence.
        if line in self.items:
            return self.markers.says_history(text)
        return self.markers.sentence_says_history(text, needle)

    def sentence(self, line: int, needle: str) -> str:
        """The sentence of the prose line ``line`` that holds ``needle`` ("" when no prose is there)."""
        text = self.prose.get(line)
        return sentence_around(text, needle) if text is not None else ""

    def block_introduced_as_history(self, code: MdCode) -> bool:
        """A fence right after a sentence such as "舊版目錄結構（已移除）：" shows history."""
        fence_line = code.location.line - 1
        for line in (fence_line - 1, fence_line - 2):
            text = self.prose.get(line)
            if text is not None:
                intro = text.rstrip()
                return intro.endswith((":", "：")) and self.markers.says_history(intro)
        return False


def is_record(doc: MarkdownDoc, markers: Markers) -> bool:
    """A document whose title (first heading) says it records an inventory, an audit or a report."""
    return bool(doc.headings) and has_marker(doc.headings[0].text, markers.records)


# --------------------------------------------------------------------------- the checkout's own name

_TREE_ROOT = re.compile(r"^\s*([\w.\-]+)/?\s*(?:#.*)?$")
_TREE_LINE = re.compile(r"[├└│]|^\s*[|`+]--|^\s+\S")
_TREE_ENTRY = re.compile(r"^([\s│|]*)(?:[├└`+|]\s*[─\-]{1,4}\s*|[-*]\s+)?([^\s#│|├└─]+)")


def tree_root_line(block: str, repo: Repository) -> int | None:
    """Offset (0-based line) of a tree diagram's root line, when the block is one.

    A tree diagram starts with ``X/`` alone on its line and continues with
    entries (``├── src/``, ``└── README.md``); when an entry of the first level
    exists at the repository root, ``X/`` is the checkout itself, under whatever
    name the author's folder had.
    """
    lines = block.split("\n")
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is None or not _TREE_ROOT.match(lines[first]) or not lines[first].split("#")[0].strip().endswith("/"):
        return None
    entries: list[tuple[int, str]] = []
    for text in lines[first + 1:]:
        if not text.strip() or not _TREE_LINE.search(text):
            continue
        match = _TREE_ENTRY.match(text)
        if match is None:
            continue
        entries.append((len(match.group(1)), match.group(2).rstrip("/")))
    if not entries:
        return None
    depth = min(indent for indent, _ in entries)
    if any(indent == depth and name and repo.path_exists(name) for indent, name in entries):
        return first
    return None


# "專案主執行根目錄：`X/`", "project root: `X/`", "repository root is `X`".
_ROOT_WORDS = re.compile(r"(?:project|repository|repo|checkout|execution|main)\s+root|root\s+(?:directory|folder)|"
                         r"根目錄|根目录|專案目錄|项目目录|專案資料夾|项目文件夹", re.IGNORECASE)


def names_the_root(sentence: str) -> bool:
    return _ROOT_WORDS.search(sentence) is not None


_ASSIGNED = re.compile(r"^(?:export\s+)?[A-Za-z_][\w-]*=")
_DEVELOPER_PATH = re.compile(r"^[\"'`(]?(?:/Users/|/home/|/root/|~/|[A-Za-z]:[\\/])")


def is_developer_path(word: str, deploy_root: str) -> bool:
    """``/Users/…``, ``/home/…``, ``C:\\…``: where a file lay on someone's machine (provenance).

    Not when the contract itself lives there (a deploy root under ``/home``).
    """
    word = _ASSIGNED.sub("", word)  # KEY=/home/dev/...
    if not _DEVELOPER_PATH.match(word):
        return False
    stripped = word.strip("\"'`()")
    return not (deploy_root and stripped.startswith(deploy_root.rstrip("/") + "/"))
