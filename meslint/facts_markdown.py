"""Facts of Markdown documents: headings, code spans and blocks, table rows, links, prose lines.

Re-exported by :mod:`meslint.facts` (part of the one fact model: the fact cache's and the incremental
record's codecs register this module through :data:`meslint.facts.FACT_MODULES`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meslint.location import Location
from meslint.records import record

if TYPE_CHECKING:  # facts.py imports this module: only annotations may name its types
    from meslint.facts import ParseProblem


@record(slots=True)
class MdHeading:
    level: int
    text: str
    location: Location


@record(slots=True)
class MdCode:
    """A code span (``inline``) or a fenced/indented block (``block``)."""

    text: str
    kind: str  # inline | block
    info: str  # fence info string ("bash", "ini", ...); "" for spans
    location: Location  # blocks: the first line of the body
    section: tuple[str, ...] = ()  # heading texts from the top down


@record(slots=True)
class MdTableRow:
    cells: tuple[str, ...]
    header: tuple[str, ...]
    location: Location
    section: tuple[str, ...] = ()


@record(slots=True)
class MdLink:
    target: str
    text: str
    location: Location
    section: tuple[str, ...] = ()


@record(slots=True)
class MdText:
    """A line of prose (paragraph, list item) with inline markup removed."""

    text: str
    location: Location
    section: tuple[str, ...] = ()


@record(slots=True)
class MarkdownDoc:
    path: str
    headings: tuple[MdHeading, ...] = ()
    code: tuple[MdCode, ...] = ()
    table_rows: tuple[MdTableRow, ...] = ()
    links: tuple[MdLink, ...] = ()
    text: tuple[MdText, ...] = ()
    problems: tuple[ParseProblem, ...] = ()
