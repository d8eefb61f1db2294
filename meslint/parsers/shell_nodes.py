"""Where the bash script parser is: the walk context and the positions of tree-sitter nodes.

A base of the extractor of :mod:`meslint.parsers.shell` (and of its readers of assignments,
:mod:`meslint.parsers.shell_assignments`, and heredocs, :mod:`meslint.parsers.shell_heredocs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from meslint.facts import Location
from meslint.parsers.shell_anchors import NodeText

if TYPE_CHECKING:
    from tree_sitter import Node

    from meslint.parsers.columns import ByteColumns


@dataclass
class Ctx:
    """What encloses the statement being walked: its function, and whether it runs in the background."""

    function: str | None = None
    background: bool = False


class NodePositions(NodeText):
    """Locations of nodes; ``_wide_rows`` holds the bytes of the script's non-ASCII lines by row."""

    path: str
    _wide_rows: dict[int, bytes]
    _wide_columns: dict[int, ByteColumns]  # row -> its columns, once needed

    def _col(self, row: int, byte_col: int) -> int:
        # Byte column -> 1-based character column; only lines with non-ASCII
        # text need decoding, and they are rare in scripts.
        line = self._wide_rows.get(row)
        if line is None:
            return byte_col + 1
        columns = self._wide_columns.get(row)
        if columns is None:
            from meslint.parsers.columns import ByteColumns  # once per non-ASCII line

            columns = self._wide_columns[row] = ByteColumns(line)
        return columns.column(byte_col)

    def _loc(self, node: Node, end: Node | None = None) -> Location:
        start = node.start_point
        stop = (end or node).end_point
        if not self._wide_rows:
            return Location(self.path, start[0] + 1, start[1] + 1, stop[0] + 1, stop[1] + 1)
        return Location(
            self.path,
            start[0] + 1,
            self._col(start[0], start[1]),
            stop[0] + 1,
            self._col(stop[0], stop[1]),
        )
